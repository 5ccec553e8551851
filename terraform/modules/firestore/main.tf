# Herald's Firestore database and what its queries and records need: the
# composite indexes, the TTL policies and the index exemptions, all from the
# firestore section of terraform/events.json (shared/herald/store/indexes.py).

resource "google_firestore_database" "this" {
  project                           = var.project_id
  name                              = var.database
  location_id                       = var.location
  type                              = "FIRESTORE_NATIVE"
  point_in_time_recovery_enablement = var.point_in_time_recovery ? "POINT_IN_TIME_RECOVERY_ENABLED" : "POINT_IN_TIME_RECOVERY_DISABLED"
  delete_protection_state           = var.deletion_protection ? "DELETE_PROTECTION_ENABLED" : "DELETE_PROTECTION_DISABLED"
  # Destroy deletes the database once protection is off (the default would only forget it).
  deletion_policy = "DELETE"
}

resource "google_firestore_index" "composite" {
  for_each = { for index in var.indexes.composite_indexes : join("-", concat([index.collection_group, index.query_scope], [for f in index.fields : f.field_path])) => index }

  project     = var.project_id
  database    = google_firestore_database.this.name
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
  database   = google_firestore_database.this.name
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
  database   = google_firestore_database.this.name
  collection = each.value.collection_group
  field      = each.value.field

  index_config {}
}

# Single fields queried across workspaces: collection-group indexes are not automatic.
resource "google_firestore_field" "collection_group" {
  for_each = { for f in var.indexes.collection_group_fields : "${f.collection_group}.${f.field}" => f }

  project    = var.project_id
  database   = google_firestore_database.this.name
  collection = each.value.collection_group
  field      = each.value.field

  index_config {
    indexes {
      order       = "ASCENDING"
      query_scope = "COLLECTION_GROUP"
    }
  }
}
