output "database" {
  description = "Name of the Firestore database."
  value       = google_firestore_database.this.name
}

output "location" {
  description = "Location of the Firestore database."
  value       = google_firestore_database.this.location_id
}

output "trigger_region" {
  description = "Region of Eventarc triggers on this database: its location, or the region a multi-region maps to (nam5 -> us-central1, eur3 -> europe-west4)."
  value       = lookup(local.trigger_regions, var.location, var.location)
}

output "composite_indexes" {
  description = "Ids of the composite indexes the messages API relies on."
  value       = [for index in google_firestore_index.composite : index.id]
}
