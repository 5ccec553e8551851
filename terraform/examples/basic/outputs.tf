output "api_url" {
  description = "Base URL of the send API."
  value       = module.herald.api_url
}

output "topics" {
  description = "Herald's topics."
  value       = module.herald.topics
}
