variable "project_id" {
  description = "Project of the Firestore database."
  type        = string
}

variable "database" {
  description = "Firestore database id."
  type        = string
  default     = "(default)"
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
