variable "project_id" {
  description = "Project whose APIs are enabled and whose service agents are created."
  type        = string
}

variable "apis" {
  description = "APIs Herald calls, e.g. [\"pubsub.googleapis.com\", \"eventarc.googleapis.com\"]."
  type        = list(string)

  validation {
    condition     = alltrue([for api in var.apis : endswith(api, ".googleapis.com")])
    error_message = "Every API is a service name ending in .googleapis.com."
  }
}

variable "enable_apis" {
  description = "Enable the APIs; false when the project's APIs are managed elsewhere (they must then be enabled beforehand)."
  type        = bool
  default     = true
}

variable "agent_propagation" {
  description = "How long to wait, once, after creating the service agents and granting them their roles, before anything uses them."
  type        = string
  default     = "90s"

  validation {
    condition     = can(regex("^[0-9]+[sm]$", var.agent_propagation))
    error_message = "agent_propagation is a duration such as 90s or 2m."
  }
}
