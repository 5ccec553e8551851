variable "project_id" {
  description = "Project that owns the secrets."
  type        = string
}

variable "names" {
  description = "Environment names of the credentials the functions read (`NAME` or `NAME_FILE`), from the functions table of terraform/events.json."
  type        = list(string)

  validation {
    condition     = alltrue([for name in var.names : can(regex("^[A-Z][A-Z0-9_]*$", name))])
    error_message = "Credential names are environment variable names: upper case letters, digits and underscores."
  }
}

variable "mounted" {
  description = "Credentials that have a version and are exposed to the functions that read them."
  type        = set(string)
  default     = []

  validation {
    condition     = alltrue([for name in var.mounted : contains(var.names, name)])
    error_message = "Every mounted credential must be one the functions read (see names)."
  }
}

variable "prefix" {
  description = "Prefix of the secret ids (SENDGRID_API_KEY -> herald-sendgrid-api-key)."
  type        = string
  default     = "herald"
}

variable "labels" {
  description = "Labels of every secret."
  type        = map(string)
  default     = {}
}
