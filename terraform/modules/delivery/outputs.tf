output "triggers" {
  description = "Name of each Cloud Build trigger: plan_branches, plan_pull_requests, apply."
  value = {
    plan_branches      = google_cloudbuild_trigger.plan_branches.name
    plan_pull_requests = google_cloudbuild_trigger.plan_pull_requests.name
    apply              = google_cloudbuild_trigger.apply.name
  }
}

output "plan_service_account" {
  description = "Email of the account plans run as: it reads the state and nothing else."
  value       = google_service_account.plan.email
}

output "deploy_service_account" {
  description = "Email of the account approved applies run as."
  value       = google_service_account.deploy.email
}
