variable "project_id" {
  description = "Project of the real-time service."
  type        = string
}

variable "region" {
  description = "Region of the real-time service (the functions' region)."
  type        = string
}

variable "image" {
  description = "Container image of the real-time service (services/realtime/Dockerfile), as pushed by the build."
  type        = string
}

variable "secrets" {
  description = "Credential name => Secret Manager secret id of the credentials mounted in this deployment; the service reads HERALD_USER_TOKEN_SECRET."
  type        = map(string)
  default     = {}
}

variable "scaling" {
  description = "How the service scales (the root's realtime input sets the defaults): instances, sockets per instance and per user on one instance, each instance's CPU and memory."
  type = object({
    min_instances            = number
    max_instances            = number
    max_connections          = number
    max_connections_per_user = number
    cpu                      = string
    memory                   = string
  })
}

variable "deletion_protection" {
  description = "Whether Terraform refuses to destroy the service."
  type        = bool
  default     = true
}

variable "labels" {
  description = "Labels set on the service."
  type        = map(string)
  default     = {}
}
