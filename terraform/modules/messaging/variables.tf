variable "project_id" {
  description = "Project that owns the topics and subscriptions."
  type        = string
}

variable "project_number" {
  description = "Project number, for the Pub/Sub service agent that dead-letters messages."
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
    }))
  }))
}

variable "consumer_urls" {
  description = "HTTPS URL of each consuming function, keyed by function name."
  type        = map(string)
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
