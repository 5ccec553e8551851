output "composite_indexes" {
  description = "Ids of the composite indexes the messages API relies on."
  value       = [for index in google_firestore_index.composite : index.id]
}
