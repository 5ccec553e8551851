# Herald in one project: `terraform apply -var project_id=... -var region=...`
# after `./herald package`. The table this reads (terraform/events.json) is
# generated from the code (`./herald generate`): the functions, their triggers,
# one topic per event type and a push subscription per consumer, the Firestore
# indexes. A function or event added in code reaches Terraform without editing
# any HCL here.

locals {
  registry  = jsondecode(file("${path.module}/events.json"))
  functions = local.registry.functions

  by_trigger = {
    for trigger in ["http", "firestore", "pubsub", "schedule"] : trigger => [
      for name, function in local.functions : name if function.trigger == trigger
    ]
  }

  credentials = distinct(flatten([for function in values(local.functions) : function.secrets]))
  source_dir  = coalesce(var.source_dir, "${path.module}/../build/functions")

  # The push subscriptions' timings, which the sweep's threshold for stuck messages
  # follows (HERALD_SWEEP_STUCK_AFTER_S in var.environment overrides it).
  environment = merge(
    {
      HERALD_PUSH_ACK_DEADLINE_S = tostring(var.retry.ack_deadline_seconds)
      HERALD_PUSH_MAX_BACKOFF_S  = trimsuffix(var.retry.maximum_backoff, "s")
    },
    var.environment,
  )

  # FCM is called with the identity of the function that reads the provider credentials.
  fcm_roles = contains(var.enabled_providers, "fcm") ? {
    for name, function in local.functions : name => ["roles/firebasecloudmessaging.admin"] if contains(function.secrets, "HERALD_FCM_ACCESS_TOKEN")
  } : {}

  apis = [
    "artifactregistry.googleapis.com",
    "cloudbuild.googleapis.com",
    "cloudfunctions.googleapis.com",
    "cloudscheduler.googleapis.com",
    "cloudtrace.googleapis.com",
    "eventarc.googleapis.com",
    "firestore.googleapis.com",
    "iam.googleapis.com",
    "logging.googleapis.com",
    "monitoring.googleapis.com",
    "pubsub.googleapis.com",
    "run.googleapis.com",
    "secretmanager.googleapis.com",
    "storage.googleapis.com",
  ]
}

data "google_project" "this" {
  project_id = var.project_id
}

resource "google_project_service" "api" {
  for_each = toset(local.apis)

  project = var.project_id
  service = each.key
  # Other workloads in the project may use them too.
  disable_on_destroy = false
}

module "archives" {
  source = "./modules/archives"

  project_id          = var.project_id
  location            = var.region
  bucket_name         = "${var.project_id}-herald-sources"
  source_dir          = local.source_dir
  functions           = keys(local.functions)
  deletion_protection = var.deletion_protection
  labels              = var.labels

  depends_on = [google_project_service.api]
}

module "firestore" {
  source = "./modules/firestore"

  project_id          = var.project_id
  location            = var.firestore_location
  indexes             = local.registry.firestore
  deletion_protection = var.deletion_protection

  depends_on = [google_project_service.api]
}

module "secrets" {
  source = "./modules/secrets"

  project_id = var.project_id
  names      = local.credentials
  mounted    = var.mounted_secrets
  labels     = var.labels

  depends_on = [google_project_service.api]
}

module "functions" {
  source = "./modules/functions"

  project_id        = var.project_id
  project_number    = data.google_project.this.number
  region            = var.region
  runtime           = var.runtime
  functions         = local.functions
  sources           = { bucket = module.archives.bucket, objects = module.archives.objects }
  outbox            = local.registry.outbox
  firestore         = { database = module.firestore.database, trigger_region = module.firestore.trigger_region }
  secrets           = module.secrets.mounted
  environment       = local.environment
  enabled_providers = var.enabled_providers
  scaling           = var.scaling
  extra_roles       = local.fcm_roles
  labels            = var.labels

  depends_on = [google_project_service.api]
}

module "messaging" {
  source = "./modules/messaging"

  project_id     = var.project_id
  project_number = data.google_project.this.number
  region         = var.region
  events         = local.registry.events
  consumers = {
    for name in local.by_trigger.pubsub : name => {
      url     = module.functions.urls[name]
      service = module.functions.services[name]
    }
  }
  publishers = {
    for name, function in local.functions : name => module.functions.service_accounts[name] if function.publishes
  }
  retry = var.retry

  depends_on = [google_project_service.api]
}

# The durable timer's clock: the sweep fires due timer records and re-drives
# whatever was dropped.
module "scheduler" {
  source = "./modules/scheduler"

  project_id = var.project_id
  region     = var.region
  schedule   = var.sweep_schedule
  targets = {
    for name in local.by_trigger.schedule : name => {
      url     = module.functions.urls[name]
      service = module.functions.services[name]
    }
  }

  depends_on = [google_project_service.api]
}

module "monitoring" {
  source = "./modules/monitoring"

  project_id = var.project_id
  # Cloud Run service names of the functions, as deployed.
  functions = [for name in keys(local.functions) : "herald-${name}"]

  depends_on = [google_project_service.api]
}
