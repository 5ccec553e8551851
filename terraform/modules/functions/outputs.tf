output "urls" {
  description = "Function name => its HTTPS URL (the Cloud Run run.app URL: push, scheduler and OIDC audiences use it)."
  value       = { for name, function in google_cloudfunctions2_function.function : name => function.service_config[0].uri }
}

output "services" {
  description = "Function name => the Cloud Run service that runs it (where run.invoker is granted)."
  value       = { for name, function in google_cloudfunctions2_function.function : name => function.service_config[0].service }
}

output "service_accounts" {
  description = "Function name => the email of its own service account."
  value       = { for name, account in google_service_account.function : name => account.email }
}
