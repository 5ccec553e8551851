# Herald in one project. The event table (terraform/events.json) is generated
# from the event registry in code (`./herald generate`), so topics and
# subscriptions cannot drift from what the functions publish and consume.

locals {
  registry = jsondecode(file("${path.module}/events.json"))
}

data "google_project" "this" {
  project_id = var.project_id
}

module "messaging" {
  source = "./modules/messaging"

  project_id     = var.project_id
  project_number = data.google_project.this.number
  events         = local.registry.events
  consumer_urls  = var.consumer_urls
  retry          = var.retry
}

module "firestore" {
  source = "./modules/firestore"

  project_id = var.project_id
  indexes    = local.registry.firestore
}

module "monitoring" {
  source = "./modules/monitoring"

  project_id = var.project_id
  # Cloud Run service names of the functions, as deployed.
  functions = [for name in keys(local.registry.functions) : "herald-${name}"]
}
