output "bucket" {
  description = "Name of the source bucket."
  value       = google_storage_bucket.sources.name
}

output "objects" {
  description = "Function name => object name of its archive in the bucket."
  value       = { for name, object in google_storage_bucket_object.archive : name => object.name }
}
