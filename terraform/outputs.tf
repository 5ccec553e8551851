output "api_url" {
  description = "Base URL of the send API (POST /send, GET /messages/...): the edge's with `edge`, whose ingress refuses the function's own URL from outside."
  value       = var.edge == null ? module.functions.urls["api"] : module.edge[0].url
}

output "edge_address" {
  description = "The edge load balancer's IP address, which each of edge.domains' DNS A records must name (null without edge)."
  value       = var.edge == null ? null : module.edge[0].address
}

output "topics" {
  description = "Pub/Sub topic of each event type."
  value       = module.messaging.topics
}

output "subscriptions" {
  description = "Push subscription of each (event type, consumer) pair."
  value       = module.messaging.subscriptions
}

output "function_urls" {
  description = "URL of each function (all but the API take internal traffic only)."
  value       = module.functions.urls
}

output "service_accounts" {
  description = "Service account of each function."
  value       = module.functions.service_accounts
}

output "secrets" {
  description = "Secret Manager secret id of each provider credential (add versions with gcloud)."
  value       = module.secrets.secret_ids
}

output "source_bucket" {
  description = "Bucket of the functions' archives."
  value       = module.archives.bucket
}

output "firestore_indexes" {
  description = "Composite indexes created for the messages API."
  value       = module.firestore.composite_indexes
}

output "dashboard_id" {
  description = "The Cloud Monitoring dashboard of Herald's handlers."
  value       = module.monitoring.dashboard_id
}

output "project_id" {
  description = "The project Herald was deployed into (for the smoke test)."
  value       = var.project_id
}

output "delivery" {
  description = "The Cloud Build triggers and the plan and deploy accounts (null without delivery)."
  value       = one(module.delivery)
}

output "realtime_url" {
  description = "The inbox client's apiUrls.inbox.webSocket (wss://), or null without realtime."
  value       = var.realtime == null ? null : replace(module.realtime[0].url, "https://", "wss://")
}
