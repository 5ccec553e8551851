variable "project_id" {
  description = "Project of the functions."
  type        = string
}

variable "pubsub_agent" {
  description = "IAM member of the Pub/Sub service agent, which carries Eventarc's events and signs their pushes."
  type        = string
}

variable "region" {
  description = "Region of the functions."
  type        = string
}

variable "runtime" {
  description = "Cloud Functions runtime of every function."
  type        = string
  default     = "python311"

  validation {
    condition     = can(regex("^python3[0-9]+$", var.runtime))
    error_message = "runtime must be a Python runtime such as python311."
  }
}

variable "functions" {
  description = "The functions table of terraform/events.json: per function, its trigger, description, entry point, whether it publishes, whether it redrives dead letters, and the credentials it reads."
  type = map(object({
    trigger     = string
    description = string
    entry_point = string
    publishes   = bool
    redrives    = optional(bool, false)
    secrets     = list(string)
  }))

  validation {
    condition     = alltrue([for function in values(var.functions) : contains(["http", "firestore", "pubsub", "schedule"], function.trigger)])
    error_message = "Every function's trigger must be http, firestore, pubsub or schedule."
  }

  validation {
    # A function's longest service account id, herald-<name>-schedule, must stay a
    # valid account id: 6-30 characters, ending in a letter or digit.
    condition     = alltrue([for name in keys(var.functions) : can(regex("^[a-z](?:[a-z0-9-]{0,12}[a-z0-9])?$", name))])
    error_message = "Function names must be 1-14 lowercase letters, digits or hyphens, starting with a letter and ending with a letter or digit."
  }
}

variable "sources" {
  description = "Where each function's archive is: the bucket, and per function the object name."
  type = object({
    bucket  = string
    objects = map(string)
  })
}

variable "outbox" {
  description = "The outbox section of terraform/events.json: the document pattern and event type that fire the relay."
  type = object({
    document_pattern = string
    event_type       = string
  })
}

variable "firestore" {
  description = "The Firestore database the relay's trigger watches, and its location (where its triggers live)."
  type = object({
    database = string
    location = string
  })
}

variable "secrets" {
  description = "Credential name => Secret Manager secret id, for the credentials mounted in this deployment."
  type        = map(string)
  default     = {}
}

variable "environment" {
  description = "Plain settings for every function (HERALD_SMTP_HOST, HERALD_EMAIL_FROM, ...). Never credentials: those are secrets."
  type        = map(string)
  default     = {}

  validation {
    condition     = length(setintersection(keys(var.environment), flatten([for function in values(var.functions) : function.secrets]))) == 0
    error_message = "Provider credentials are Secret Manager secrets (mounted_secrets), never plain environment variables."
  }
}

variable "enabled_providers" {
  description = "Providers this deployment runs (HERALD_PROVIDERS)."
  type        = list(string)
}

variable "scaling" {
  description = "Per function, overrides of the defaults its trigger sets (instances, concurrency, CPU, memory, timeout)."
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
    condition     = alltrue([for s in values(var.scaling) : s.cpu == null || can(tonumber(s.cpu))])
    error_message = "cpu is a number of CPUs, such as \"1\" or \"2\"."
  }
}

variable "extra_roles" {
  description = "Per function, project roles it needs beyond the runtime's (e.g. FCM sending for deliver)."
  type        = map(list(string))
  default     = {}

  validation {
    condition     = alltrue([for role in flatten(values(var.extra_roles)) : !contains(["roles/owner", "roles/editor", "roles/viewer"], role)])
    error_message = "No primitive roles (owner, editor, viewer): grant the predefined role the function needs."
  }
}

variable "labels" {
  description = "Labels of every function."
  type        = map(string)
  default     = {}
}

variable "public_ingress" {
  description = "Ingress of the HTTP-triggered functions (the api): ALLOW_ALL, or ALLOW_INTERNAL_AND_GCLB behind a load balancer."
  type        = string
  default     = "ALLOW_ALL"

  validation {
    condition     = contains(["ALLOW_ALL", "ALLOW_INTERNAL_AND_GCLB"], var.public_ingress)
    error_message = "public_ingress must be ALLOW_ALL or ALLOW_INTERNAL_AND_GCLB."
  }
}

variable "public_url" {
  description = "The api's public URL, where emails' links point (null: its own cloudfunctions.net URL)."
  type        = string
  default     = null
}
