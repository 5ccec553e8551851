# terraform init && terraform apply -var project_id=my-project
module "herald" {
  source = "../.."

  project_id = var.project_id
  region     = "europe-west1"
  consumer_urls = {
    render   = "https://render-example-ew.a.run.app"
    deliver  = "https://deliver-example-ew.a.run.app"
    log      = "https://log-example-ew.a.run.app"
    webhooks = "https://webhooks-example-ew.a.run.app"
  }
}

variable "project_id" {
  description = "Project to deploy the example into."
  type        = string
}

output "topics" {
  description = "Herald's topics."
  value       = module.herald.topics
}
