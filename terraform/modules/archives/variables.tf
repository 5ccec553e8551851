variable "project_id" {
  description = "Project that owns the source bucket."
  type        = string
}

variable "location" {
  description = "Location of the source bucket (the functions' region)."
  type        = string
}

variable "bucket_name" {
  description = "Name of the source bucket (globally unique)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$", var.bucket_name))
    error_message = "bucket_name must be 3-63 lowercase letters, digits, dots, hyphens or underscores."
  }
}

variable "source_dir" {
  description = "Directory `herald package` wrote: one archive per function and manifest.json."
  type        = string
}

variable "functions" {
  description = "Names of the functions whose archives are uploaded; each must be in the manifest."
  type        = set(string)
}

variable "deletion_protection" {
  description = "When false, destroying the bucket also deletes the archives in it."
  type        = bool
  default     = true
}

variable "labels" {
  description = "Labels of the bucket."
  type        = map(string)
  default     = {}
}
