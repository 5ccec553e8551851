output "jobs" {
  description = "Function name => the Cloud Scheduler job that calls it."
  value       = { for name, job in google_cloud_scheduler_job.job : name => job.name }
}
