output "project_id" {
  description = "The project Herald was deployed into (for the smoke test)."
  value       = module.herald.project_id
}

output "api_url" {
  description = "Base URL of the send API (for the smoke test and clients)."
  value       = module.herald.api_url
}

output "topics" {
  description = "Pub/Sub topic of each event type."
  value       = module.herald.topics
}

output "function_urls" {
  description = "URL of each function."
  value       = module.herald.function_urls
}

output "secrets" {
  description = "Secret Manager secret id of each provider credential (add versions with gcloud)."
  value       = module.herald.secrets
}

output "dashboard_id" {
  description = "The Cloud Monitoring dashboard."
  value       = module.herald.dashboard_id
}

output "delivery" {
  description = "The Cloud Build triggers and the plan and deploy accounts."
  value       = module.herald.delivery
}

output "realtime_url" {
  description = "The inbox client's apiUrls.inbox.webSocket."
  value       = module.herald.realtime_url
}
