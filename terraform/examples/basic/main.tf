# Herald in one project, with the defaults: SMTP and webhooks, a nam5 database,
# no Cloud Build triggers.
#   ./herald package                       # from the repository root
#   terraform init && terraform apply -var project_id=my-project -var smtp_host=smtp.example.com
module "herald" {
  source = "../.."

  project_id = var.project_id
  region     = "us-central1"
  source_dir = "${path.module}/../../../build/functions"
  environment = {
    HERALD_SMTP_HOST = var.smtp_host
  }
}

provider "google" {
  project = var.project_id
  region  = "us-central1"
}

# The service agents are created through google-beta (the GA provider lacks the resource).
provider "google-beta" {
  project = var.project_id
  region  = "us-central1"
}
