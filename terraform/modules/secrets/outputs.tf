output "secret_ids" {
  description = "Credential name => Secret Manager secret id, for every credential."
  value       = { for name, secret in google_secret_manager_secret.credential : name => secret.secret_id }
}

output "mounted" {
  description = "Credential name => secret id, for the credentials exposed to the functions."
  value       = { for name in var.mounted : name => google_secret_manager_secret.credential[name].secret_id }
}
