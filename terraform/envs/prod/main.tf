# Production.
#   ./herald package && cd terraform/envs/prod && terraform init && terraform apply

provider "google" {
  project = "herald-prod"
  region  = "europe-west1"
}

provider "google-beta" {
  project = "herald-prod"
  region  = "europe-west1"
}

module "herald" {
  source = "../.."

  project_id         = "herald-prod"
  region             = "europe-west1"
  firestore_location = "eur3"
  enabled_providers  = ["sendgrid", "twilio", "fcm", "slack", "webhook"]
  mounted_secrets    = ["SENDGRID_API_KEY", "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "HERALD_WEBHOOK_SIGNING_SECRET"]

  scaling = {
    api     = { min_instances = 2 }
    deliver = { max_instances = 200 }
  }

  environment = {
    HERALD_SENDGRID_FROM = "Herald <herald@example.com>"
    HERALD_TWILIO_FROM   = "MG0123456789abcdef0123456789abcdef"
    HERALD_RATE_LIMITS   = "twilio=10,sendgrid=100"
  }

  # The inbox's real-time WebSocket, on Cloud Run.
  realtime = { image = var.realtime_image }

  delivery = {
    environment  = "prod"
    github       = { owner = "example-org", name = "herald" }
    state_bucket = "herald-tfstate-prod"
  }
}
