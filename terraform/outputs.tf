output "topics" {
  description = "Pub/Sub topic of each event type."
  value       = module.messaging.topics
}

output "subscriptions" {
  description = "Push subscription of each (event type, consumer) pair."
  value       = module.messaging.subscriptions
}

output "firestore_indexes" {
  description = "Composite indexes created for the messages API."
  value       = module.firestore.composite_indexes
}

output "dashboard_id" {
  description = "The Cloud Monitoring dashboard of Herald's handlers."
  value       = module.monitoring.dashboard_id
}
