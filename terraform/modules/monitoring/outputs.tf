output "dashboard_id" {
  description = "Id of the Herald dashboard (projects/{project_number}/dashboards/{dashboard_id})."
  value       = google_monitoring_dashboard.herald.id
}
