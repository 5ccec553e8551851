output "url" {
  description = "The service's https URL; the inbox client's apiUrls.inbox.webSocket is the same with wss://."
  value       = google_cloud_run_v2_service.realtime.uri
}

output "service_account" {
  description = "The email of the service's own service account."
  value       = google_service_account.realtime.email
}
