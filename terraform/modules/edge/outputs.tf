output "address" {
  description = "The load balancer's IP address: each domain's DNS A record names it."
  value       = google_compute_global_address.api.address
}

output "url" {
  description = "The api's public URL through the load balancer."
  value       = "https://${var.domains[0]}"
}

output "security_policy" {
  description = "The Cloud Armor security policy's id."
  value       = google_compute_security_policy.api.id
}
