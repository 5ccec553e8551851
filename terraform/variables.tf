variable "project_id" {
  description = "The Google Cloud project Herald is deployed into."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be a valid project id: 6-30 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "region" {
  description = "Region of the functions and the Pub/Sub push endpoints."
  type        = string
  default     = "us-central1"
}

variable "consumer_urls" {
  description = "HTTPS URL of each Pub/Sub-consuming function (see terraform/events.json), keyed by function name."
  type        = map(string)

  validation {
    condition     = alltrue([for url in values(var.consumer_urls) : startswith(url, "https://")])
    error_message = "Every consumer URL must be https://."
  }
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
