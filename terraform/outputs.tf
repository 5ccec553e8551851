output "topics" {
  description = "Pub/Sub topic of each event type."
  value       = module.messaging.topics
}

output "subscriptions" {
  description = "Push subscription of each (event type, consumer) pair."
  value       = module.messaging.subscriptions
}
