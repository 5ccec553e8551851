# Staging: production's shape at a smaller scale.
project_id         = "herald-staging"
region             = "europe-west1"
firestore_location = "eur3"
enabled_providers  = ["sendgrid", "webhook"]
mounted_secrets    = ["SENDGRID_API_KEY", "HERALD_WEBHOOK_SIGNING_SECRET"]

environment = {
  HERALD_SENDGRID_FROM = "Herald staging <herald@staging.example.com>"
}
