# Herald in one project, as a reusable module: each environment is a root under
# envs/ that calls it (examples/basic shows the smallest one). The table this reads (terraform/events.json) is
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

  # The regions of each Firestore multi-region (Firestore's "Locations" page: read-write
  # regions, then the witness; us-central2 is private, so no function runs there).
  # A multi-region database's triggers live in the multi-region itself (nam5), and
  # its functions belong in one of these regions.
  firestore_multi_regions = {
    nam5 = ["us-central1", "us-east1"]
    eur3 = ["europe-west1", "europe-west4", "europe-north1"]
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
  # The console (served by the api) reads the event web's figures from Cloud Monitoring.
  console_roles = { api = ["roles/monitoring.viewer"] }
  extra_roles = {
    for name in setunion(keys(local.fcm_roles), keys(local.console_roles)) :
    name => concat(try(local.fcm_roles[name], []), try(local.console_roles[name], []))
  }

  apis = concat(
    [
      "artifactregistry.googleapis.com",
      "cloudbuild.googleapis.com",
      "cloudfunctions.googleapis.com",
      # Project data and every project IAM member go through Resource Manager.
      "cloudresourcemanager.googleapis.com",
      "cloudscheduler.googleapis.com",
      "cloudtrace.googleapis.com",
      # Firestore triggers are Google-sourced events: Eventarc delivers them without
      # eventarcpublishing.googleapis.com, which only custom and third-party
      # publishers (channels) call.
      "eventarc.googleapis.com",
      "firestore.googleapis.com",
      "iam.googleapis.com",
      "logging.googleapis.com",
      "monitoring.googleapis.com",
      "pubsub.googleapis.com",
      "run.googleapis.com",
      "secretmanager.googleapis.com",
      "storage.googleapis.com",
    ],
    # FCM's HTTP v1 send API, called by deliver.
    contains(var.enabled_providers, "fcm") ? ["fcm.googleapis.com"] : [],
    # The load balancer and its Cloud Armor policy.
    var.edge == null ? [] : ["compute.googleapis.com"],
  )
}

module "services" {
  source = "./modules/services"

  project_id  = var.project_id
  apis        = local.apis
  enable_apis = var.enable_apis
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

  depends_on = [module.services]
}

module "firestore" {
  source = "./modules/firestore"

  project_id          = var.project_id
  location            = var.firestore_location
  indexes             = local.registry.firestore
  deletion_protection = var.deletion_protection

  depends_on = [module.services]
}

module "secrets" {
  source = "./modules/secrets"

  project_id = var.project_id
  names      = local.credentials
  mounted    = var.mounted_secrets
  labels     = var.labels

  depends_on = [module.services]
}

module "functions" {
  source = "./modules/functions"

  project_id        = var.project_id
  region            = var.region
  runtime           = var.runtime
  functions         = local.functions
  sources           = { bucket = module.archives.bucket, objects = module.archives.objects }
  outbox            = local.registry.outbox
  firestore         = { database = module.firestore.database, location = module.firestore.location }
  pubsub_agent      = module.services.pubsub_agent
  secrets           = module.secrets.mounted
  environment       = local.environment
  enabled_providers = var.enabled_providers
  scaling           = var.scaling
  extra_roles       = local.extra_roles
  labels            = var.labels
  # With the edge, the api takes only the load balancer's traffic (and Google's
  # internal), and its links in emails go through the load balancer too.
  public_ingress = var.edge == null ? "ALLOW_ALL" : "ALLOW_INTERNAL_AND_GCLB"
  public_url     = var.edge == null ? null : "https://${var.edge.domains[0]}"

  depends_on = [module.services]
}

module "messaging" {
  source = "./modules/messaging"

  project_id   = var.project_id
  region       = var.region
  events       = local.registry.events
  pubsub_agent = module.services.pubsub_agent
  consumers = {
    for name in local.by_trigger.pubsub : name => {
      url     = module.functions.urls[name]
      service = module.functions.services[name]
    }
  }
  publishers = {
    for name, function in local.functions : name => module.functions.service_accounts[name] if function.publishes
  }
  dead_letter_readers = {
    for name, function in local.functions : name => module.functions.service_accounts[name] if try(function.redrives, false)
  }
  retry = var.retry

  depends_on = [module.services]
}

# The inbox's real-time WebSocket, a Cloud Run service of its own (with `realtime`).
module "realtime" {
  source = "./modules/realtime"
  count  = var.realtime == null ? 0 : 1

  project_id          = var.project_id
  region              = var.region
  image               = var.realtime.image
  secrets             = module.secrets.mounted
  scaling             = var.realtime
  deletion_protection = var.deletion_protection
  labels              = var.labels

  depends_on = [module.services]
}

# The api behind a load balancer whose Cloud Armor policy throttles each API key
# before any instance (with `edge`).
module "edge" {
  source = "./modules/edge"
  count  = var.edge == null ? 0 : 1

  project_id          = var.project_id
  region              = var.region
  service             = module.functions.services["api"]
  domains             = var.edge.domains
  requests_per_minute = var.edge.requests_per_minute
  ban                 = var.edge.ban
  log_sample_rate     = var.edge.log_sample_rate

  depends_on = [module.services]
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

  depends_on = [module.services]
}

module "monitoring" {
  source = "./modules/monitoring"

  project_id = var.project_id
  # Cloud Run service names of the functions, as deployed.
  functions = [for name in keys(local.functions) : "herald-${name}"]

  depends_on = [module.services]
}

# This environment's Cloud Build triggers: plans for every branch and pull request
# as a read-only account, applies of the deploying branch as the deploying account
# after an approval.
module "delivery" {
  source = "./modules/delivery"
  count  = var.delivery == null ? 0 : 1

  project_id    = var.project_id
  environment   = var.delivery.environment
  github        = var.delivery.github
  deploy_branch = var.delivery.deploy_branch
  state_bucket  = var.delivery.state_bucket
  approvers     = var.delivery.approvers

  depends_on = [module.services]
}
