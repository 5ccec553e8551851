output "database" {
  description = "Name of the Firestore database."
  value       = google_firestore_database.this.name
}

output "location" {
  description = "Location of the Firestore database (nam5, eur3 or a region): where its Eventarc triggers live too."
  value       = google_firestore_database.this.location_id
}

output "composite_indexes" {
  description = "Ids of the composite indexes the messages API relies on."
  value       = [for index in google_firestore_index.composite : index.id]
}
