resource "google_firestore_index" "composite" {
  for_each = { for index in var.indexes.composite_indexes : join("-", concat([index.collection_group, index.query_scope], [for f in index.fields : f.field_path])) => index }

  project     = var.project_id
  database    = var.database
  collection  = each.value.collection_group
  query_scope = each.value.query_scope

  dynamic "fields" {
    for_each = each.value.fields
    content {
      field_path   = fields.value.field_path
      order        = fields.value.order
      array_config = fields.value.array_config
    }
  }
}

# Dedupe records expire by themselves (deletion can lag a day; state checks remain the guard).
resource "google_firestore_field" "ttl" {
  for_each = { for f in var.indexes.ttl_fields : "${f.collection_group}.${f.field}" => f }

  project    = var.project_id
  database   = var.database
  collection = each.value.collection_group
  field      = each.value.field

  ttl_config {}

  # A timestamp nobody filters on: indexing it would cap writes on its range.
  index_config {}
}

# Never queried: an empty index_config removes the automatic single-field indexes.
resource "google_firestore_field" "unindexed" {
  for_each = { for f in var.indexes.unindexed_fields : "${f.collection_group}.${f.field}" => f }

  project    = var.project_id
  database   = var.database
  collection = each.value.collection_group
  field      = each.value.field

  index_config {}
}

# Single fields queried across workspaces: collection-group indexes are not automatic.
resource "google_firestore_field" "collection_group" {
  for_each = { for f in var.indexes.collection_group_fields : "${f.collection_group}.${f.field}" => f }

  project    = var.project_id
  database   = var.database
  collection = each.value.collection_group
  field      = each.value.field

  index_config {
    indexes {
      order       = "ASCENDING"
      query_scope = "COLLECTION_GROUP"
    }
  }
}
