output "topics" {
  description = "Topic name of each event type."
  value       = { for name, topic in google_pubsub_topic.event : name => topic.name }
}

output "subscriptions" {
  description = "Push subscription name => the event it carries and the consumer it pushes to."
  value       = { for name, sub in local.subscriptions : name => { event = sub.event, consumer = sub.consumer } }
}

output "push_service_accounts" {
  description = "Invoker service account of each subscription (run.invoker on its consumer only)."
  value       = { for name, account in google_service_account.push : name => account.email }
}
