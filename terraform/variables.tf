variable "project_id" {
  description = "The Google Cloud project Herald is deployed into."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be a valid project id: 6-30 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "region" {
  description = "Region of the functions, the source bucket and the scheduler."
  type        = string
  default     = "us-central1"

  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]+$", var.region))
    error_message = "region must be a Google Cloud region such as us-central1 or europe-west1."
  }
}

variable "firestore_location" {
  description = "Location of the Firestore database: a region or a multi-region (nam5, eur3). Fixed once the database exists."
  type        = string
  default     = "nam5"

  validation {
    condition     = can(regex("^(nam5|eur3|[a-z]+-[a-z]+[0-9]+)$", var.firestore_location))
    error_message = "firestore_location must be a region such as europe-west1 or a multi-region (nam5, eur3)."
  }

  validation {
    condition     = !contains(keys(local.firestore_multi_regions), var.firestore_location) || contains(lookup(local.firestore_multi_regions, var.firestore_location, []), var.region)
    error_message = "region ${var.region} lies outside the ${var.firestore_location} multi-region: run the functions in one of ${join(", ", lookup(local.firestore_multi_regions, var.firestore_location, []))}."
  }
}

variable "enable_apis" {
  description = "Enable the APIs Herald uses; false when the project's APIs are managed elsewhere (they must be enabled before the first apply)."
  type        = bool
  default     = true
}

variable "source_dir" {
  description = "Directory of the archives `./herald package` built (default: build/functions beside terraform/)."
  type        = string
  default     = null
}

variable "runtime" {
  description = "Cloud Functions runtime (the Python the archives' requirements were pinned with)."
  type        = string
  default     = "python311"

  validation {
    condition     = can(regex("^python3[0-9]+$", var.runtime))
    error_message = "runtime must be a Python runtime such as python311."
  }
}

variable "enabled_providers" {
  description = "Providers this deployment runs (HERALD_PROVIDERS), e.g. [\"sendgrid\", \"webhook\"]."
  type        = list(string)
  default     = ["smtp", "webhook"]

  validation {
    condition     = length(var.enabled_providers) > 0 && alltrue([for p in var.enabled_providers : contains(["smtp", "sendgrid", "twilio", "fcm", "slack", "webhook"], p)])
    error_message = "enabled_providers must name at least one of smtp, sendgrid, twilio, fcm, slack, webhook."
  }
}

variable "mounted_secrets" {
  description = "Provider credentials that have a version in Secret Manager and are exposed to deliver, e.g. [\"SENDGRID_API_KEY\"]. Add the version first (see the README)."
  type        = set(string)
  default     = []
}

variable "environment" {
  description = "Plain settings for every function, e.g. { HERALD_SMTP_HOST = \"smtp.example.com\" }. Credentials go in Secret Manager, never here."
  type        = map(string)
  default     = {}

  # The functions refuse to start with these too (shared/herald/entrypoints/local_settings.py);
  # refused here, the plan says so before anything is deployed.
  validation {
    condition = (
      length(setintersection(keys(var.environment), ["HERALD_LOCAL_STACK", "FIRESTORE_EMULATOR_HOST", "PUBSUB_EMULATOR_HOST"])) == 0
      && lower(trimspace(lookup(var.environment, "HERALD_WEBHOOK_ALLOW_PRIVATE", "false"))) != "true"
    )
    error_message = "HERALD_LOCAL_STACK, the emulator hosts and HERALD_WEBHOOK_ALLOW_PRIVATE=true are for the local stack only; let one workspace reach its own network with `herald providers WORKSPACE --allow-private-destinations yes`."
  }

  validation {
    condition = alltrue([
      for host in split(",", lookup(var.environment, "HERALD_SLACK_ALLOWED_HOSTS", "hooks.slack.com")) :
      !can(regex("^(localhost|.*\\.localhost|\\[?::1\\]?|0\\.|10\\.|127\\.|169\\.254\\.|192\\.168\\.|172\\.(1[6-9]|2[0-9]|3[01])\\.|100\\.(6[4-9]|[7-9][0-9]|1[01][0-9]|12[0-7])\\.)", lower(trimspace(host))))
    ])
    error_message = "HERALD_SLACK_ALLOWED_HOSTS must not name loopback, private or link-local hosts."
  }

  validation {
    condition = alltrue([
      for key in ["HERALD_MAX_MESSAGES_PER_REQUEST", "HERALD_MAX_WEBHOOK_ENDPOINTS"] :
      can(regex("^[1-9][0-9]*$", lookup(var.environment, key, "1")))
    ])
    error_message = "HERALD_MAX_MESSAGES_PER_REQUEST and HERALD_MAX_WEBHOOK_ENDPOINTS must be positive integers."
  }
}

variable "scaling" {
  description = "Per function, overrides of the defaults its trigger sets: e.g. { api = { min_instances = 2, concurrency = 40 } }."
  type = map(object({
    min_instances   = optional(number)
    max_instances   = optional(number)
    concurrency     = optional(number)
    cpu             = optional(string)
    memory          = optional(string)
    timeout_seconds = optional(number)
  }))
  default = {}

  validation {
    condition     = coalesce(try(var.scaling["api"].concurrency, null), 80) > 1
    error_message = "The API serves several requests per instance: its concurrency must stay above 1."
  }
}

variable "sweep_schedule" {
  description = "Cron schedule of the sweep: the durable timer's clock and the safety net for dropped events."
  type        = string
  default     = "* * * * *"
}

variable "retry" {
  description = "Push retry and dead-letter settings for every consumer subscription."
  type = object({
    minimum_backoff       = optional(string, "10s")
    maximum_backoff       = optional(string, "600s")
    max_delivery_attempts = optional(number, 100)
    ack_deadline_seconds  = optional(number, 60)
  })
  default = {}

  validation {
    condition     = var.retry.max_delivery_attempts >= 5 && var.retry.max_delivery_attempts <= 100
    error_message = "Pub/Sub allows 5 to 100 delivery attempts before dead-lettering."
  }
}

variable "deletion_protection" {
  description = "Protect the Firestore database and the source bucket from deletion; set false only to tear down."
  type        = bool
  default     = true
}

variable "labels" {
  description = "Labels of the labelled resources (bucket, secrets, functions)."
  type        = map(string)
  default     = {}
}

variable "delivery" {
  description = "This environment's Cloud Build triggers (see modules/delivery); null for none. environment is its root under terraform/envs/, github the repository the triggers watch, state_bucket the bucket of its Terraform state, approvers who may approve a deployment."
  type = object({
    environment   = string
    github        = object({ owner = string, name = string })
    deploy_branch = optional(string, "main")
    state_bucket  = string
    approvers     = optional(list(string), [])
  })
  default = null
}

variable "realtime" {
  description = "The inbox's real-time WebSocket on Cloud Run: its container image (services/realtime/Dockerfile, as the build pushed it) and how it scales; null leaves it out."
  type = object({
    image                    = string
    min_instances            = optional(number, 0)
    max_instances            = optional(number, 20)
    max_connections          = optional(number, 500)
    max_connections_per_user = optional(number, 10)
    cpu                      = optional(string, "1")
    memory                   = optional(string, "1Gi")
  })
  default = null

  validation {
    # Cloud Run serves at most 1,000 concurrent requests (each socket is one) per instance.
    condition     = var.realtime == null || (try(var.realtime.max_connections, 0) >= 1 && try(var.realtime.max_connections, 0) <= 1000)
    error_message = "realtime.max_connections must be 1 to 1000 (Cloud Run's most concurrent requests per instance)."
  }

  validation {
    # Cloud Run pulls from the project's Artifact Registry with its own service agent;
    # a tag or digest names exactly what is deployed.
    condition     = var.realtime == null || can(regex("^[a-z0-9-]+-docker\\.pkg\\.dev/[a-z][a-z0-9-]{4,28}[a-z0-9]/[a-z]([a-z0-9-]{0,61}[a-z0-9])?/[a-z0-9]+([._/-][a-z0-9]+)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|@sha256:[0-9a-f]{64})$", try(var.realtime.image, "")))
    error_message = "realtime.image must be an Artifact Registry image with a tag or a digest: REGION-docker.pkg.dev/PROJECT/REPOSITORY/IMAGE:TAG."
  }
}

variable "edge" {
  description = "The api behind an external Application Load Balancer whose Cloud Armor policy throttles each API key (see docs/api/quotas.md); null leaves the api public on its own URL. domains are the Google-managed certificate's (the first is the api's public URL), requests_per_minute each key's limit, ban an optional ban of a key far above it."
  type = object({
    domains             = list(string)
    requests_per_minute = optional(number, 6000)
    ban = optional(object({
      requests_per_minute = number
      duration_seconds    = optional(number, 600)
    }))
    log_sample_rate = optional(number, 1)
  })
  default = null

  validation {
    # A Google-managed certificate names 1 to 100 domains, none a wildcard.
    condition = var.edge == null || (
      length(try(var.edge.domains, [])) >= 1 && length(try(var.edge.domains, [])) <= 100
      && alltrue([for domain in try(var.edge.domains, []) : length(domain) <= 253 && can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$", domain))])
    )
    error_message = "edge.domains must name 1 to 100 domains (lowercase, no wildcard), e.g. [\"api.example.com\"]."
  }

  validation {
    # Cloud Armor's thresholds: a throttle counts 1 to 1,000,000 requests, a
    # rate-based ban 1 to 10,000.
    condition = var.edge == null || (
      floor(try(var.edge.requests_per_minute, 0)) == try(var.edge.requests_per_minute, 0)
      && try(var.edge.requests_per_minute, 0) >= 1
      && try(var.edge.requests_per_minute, 0) <= (try(var.edge.ban, null) == null ? 1000000 : 10000)
    )
    error_message = "edge.requests_per_minute must be a whole number from 1 to 1,000,000 (to 10,000 with a ban)."
  }

  validation {
    condition = try(var.edge.ban, null) == null || (
      floor(try(var.edge.ban.requests_per_minute, 0)) == try(var.edge.ban.requests_per_minute, 0)
      && try(var.edge.ban.requests_per_minute, 0) >= try(var.edge.requests_per_minute, 0)
      && try(var.edge.ban.requests_per_minute, 0) <= 10000
    )
    error_message = "edge.ban.requests_per_minute must be a whole number from edge.requests_per_minute to 10,000."
  }

  validation {
    condition = try(var.edge.ban, null) == null || (
      floor(try(var.edge.ban.duration_seconds, 0)) == try(var.edge.ban.duration_seconds, 0)
      && try(var.edge.ban.duration_seconds, 0) >= 60
      && try(var.edge.ban.duration_seconds, 0) <= 86400
    )
    error_message = "edge.ban.duration_seconds must be a whole number of seconds from 60 to 86,400."
  }

  validation {
    condition     = var.edge == null || (try(var.edge.log_sample_rate, -1) >= 0 && try(var.edge.log_sample_rate, -1) <= 1)
    error_message = "edge.log_sample_rate must be from 0 to 1."
  }
}
