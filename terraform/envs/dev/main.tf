# Development: scales to zero except the API, mail through a test SMTP relay.
#   ./herald package && cd terraform/envs/dev && terraform init && terraform apply

provider "google" {
  project = "herald-dev"
  region  = "us-central1"
}

provider "google-beta" {
  project = "herald-dev"
  region  = "us-central1"
}

module "herald" {
  source = "../.."

  project_id         = "herald-dev"
  region             = "us-central1"
  firestore_location = "nam5"
  enabled_providers  = ["smtp", "webhook"]

  scaling = {
    api = { min_instances = 0 }
  }

  environment = {
    HERALD_SMTP_HOST     = "smtp.dev.example.com"
    HERALD_SMTP_PORT     = "587"
    HERALD_SMTP_STARTTLS = "true"
    HERALD_EMAIL_FROM    = "Herald dev <herald@dev.example.com>"
  }

  # The inbox's real-time WebSocket, on Cloud Run.
  realtime = { image = var.realtime_image }

  delivery = {
    environment  = "dev"
    github       = { owner = "example-org", name = "herald" }
    state_bucket = "herald-tfstate-dev"
  }
}
