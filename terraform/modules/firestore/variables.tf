variable "project_id" {
  description = "Project of the Firestore database."
  type        = string
}

variable "database" {
  description = "Firestore database id. The functions' client uses the (default) database."
  type        = string
  default     = "(default)"
}

variable "location" {
  description = "Location of the database: a region (e.g. europe-west1) or a multi-region (nam5, eur3). It cannot change after creation."
  type        = string

  validation {
    condition     = can(regex("^(nam5|eur3|[a-z]+-[a-z]+[0-9]+)$", var.location))
    error_message = "location must be a region such as europe-west1 or a multi-region (nam5, eur3)."
  }
}

variable "point_in_time_recovery" {
  description = "Keep 7 days of versions to read or restore past data."
  type        = bool
  default     = true
}

variable "deletion_protection" {
  description = "Refuse to delete the database; turn off before tearing down."
  type        = bool
  default     = true
}

variable "indexes" {
  description = "The firestore section of terraform/events.json: composite indexes, TTL fields and fields exempt from indexing."
  type = object({
    composite_indexes = list(object({
      collection_group = string
      query_scope      = string
      fields = list(object({
        field_path   = string
        order        = optional(string)
        array_config = optional(string)
      }))
    }))
    ttl_fields              = list(object({ collection_group = string, field = string }))
    collection_group_fields = list(object({ collection_group = string, field = string }))
    unindexed_fields        = list(object({ collection_group = string, field = string }))
  })
}
