output "pubsub_agent" {
  description = "IAM member of the Pub/Sub service agent (it signs pushes and dead-letters), once usable."
  value       = time_sleep.agents_ready.triggers["pubsub"]
}

output "eventarc_agent" {
  description = "IAM member of the Eventarc service agent, once it holds its role."
  value       = time_sleep.agents_ready.triggers["eventarc"]
}

output "apis" {
  description = "APIs this module enabled (none when enable_apis is false)."
  value       = sort(keys(google_project_service.api))
}
