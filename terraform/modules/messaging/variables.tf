variable "project_id" {
  description = "Project that owns the topics and subscriptions."
  type        = string
}

variable "pubsub_agent" {
  description = "IAM member of the Pub/Sub service agent, which signs pushes and dead-letters messages."
  type        = string
}

variable "events" {
  description = "The event table from terraform/events.json: per event type, its topic and its consumers' subscriptions."
  type = map(object({
    version  = number
    topic    = string
    producer = string
    subscriptions = map(object({
      name              = string
      dead_letter_topic = string
      filter            = optional(string, "")
    }))
  }))
}

variable "region" {
  description = "Region of the consuming functions' Cloud Run services."
  type        = string
}

variable "consumers" {
  description = "Each Pub/Sub-consuming function by name: its HTTPS URL (push endpoint and OIDC audience) and its Cloud Run service."
  type = map(object({
    url     = string
    service = string
  }))

  validation {
    condition     = alltrue([for consumer in values(var.consumers) : startswith(consumer.url, "https://")])
    error_message = "Every consumer URL must be https://."
  }
}

variable "publishers" {
  description = "Function name => service account email, for the functions that publish events."
  type        = map(string)
  default     = {}
}

variable "dead_letter_readers" {
  description = "Function name => service account email, for the functions that list and redrive dead letters (the api's console)."
  type        = map(string)
  default     = {}
}

variable "retry" {
  description = "Push retry and dead-letter settings."
  type = object({
    minimum_backoff       = string
    maximum_backoff       = string
    max_delivery_attempts = number
    ack_deadline_seconds  = number
  })
}
