# One Secret Manager secret per provider credential the functions can read. The
# values never pass through Terraform (they would sit in its state): an operator
# adds a version with gcloud, then lists the credential in `mounted`.

resource "google_secret_manager_secret" "credential" {
  for_each = toset(var.names)

  project   = var.project_id
  secret_id = "${var.prefix}-${lower(replace(each.key, "_", "-"))}"
  labels    = merge(var.labels, { herald-credential = lower(replace(each.key, "_", "-")) })

  replication {
    auto {}
  }
}
