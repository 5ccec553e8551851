# Staging: production's shape at a smaller scale.
#   ./herald package && cd terraform/envs/staging && terraform init && terraform apply

provider "google" {
  project = "herald-staging"
  region  = "europe-west1"
}

provider "google-beta" {
  project = "herald-staging"
  region  = "europe-west1"
}

module "herald" {
  source = "../.."

  project_id         = "herald-staging"
  region             = "europe-west1"
  firestore_location = "eur3"
  enabled_providers  = ["sendgrid", "webhook"]
  mounted_secrets    = ["SENDGRID_API_KEY", "HERALD_WEBHOOK_SIGNING_SECRET"]

  environment = {
    HERALD_SENDGRID_FROM = "Herald staging <herald@staging.example.com>"
  }

  # The inbox's real-time WebSocket, on Cloud Run.
  realtime = { image = var.realtime_image }

  delivery = {
    environment  = "staging"
    github       = { owner = "example-org", name = "herald" }
    state_bucket = "herald-tfstate-staging"
  }
}
