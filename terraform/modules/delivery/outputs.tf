output "triggers" {
  description = "Name of each Cloud Build trigger: plan_branches, plan_pull_requests, apply, builder_image."
  value = {
    builder_image      = google_cloudbuild_trigger.builder_image.name
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

output "builder_repository" {
  description = "The Docker repository of the builder image: REGION-docker.pkg.dev/PROJECT/REPOSITORY."
  value       = "${google_artifact_registry_repository.builds.location}-docker.pkg.dev/${var.project_id}/${google_artifact_registry_repository.builds.repository_id}"
}
