# The functions' deployable archives, as `herald package` built them. Each object
# is named by its archive's content hash, so a changed archive is a new object and
# redeploys its function; an unchanged one deploys nothing.

locals {
  # Without a manifest, the precondition below says what to run.
  manifest = try(jsondecode(file("${var.source_dir}/manifest.json")), { archives = {} })
  archives = { for name in var.functions : name => local.manifest.archives[name] if contains(keys(local.manifest.archives), name) }
}

resource "google_storage_bucket" "sources" {
  project                     = var.project_id
  name                        = var.bucket_name
  location                    = var.location
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = !var.deletion_protection
  labels                      = var.labels

  versioning {
    enabled = true
  }

  # Superseded archives are kept a while for rollbacks, then removed.
  lifecycle_rule {
    condition {
      days_since_noncurrent_time = 30
    }
    action {
      type = "Delete"
    }
  }

  lifecycle {
    precondition {
      condition     = length(local.archives) == length(var.functions)
      error_message = "${var.source_dir}/manifest.json lacks an archive for ${join(", ", setsubtract(var.functions, keys(local.archives)))}: run ./herald package."
    }
  }
}

resource "google_storage_bucket_object" "archive" {
  for_each = local.archives

  bucket = google_storage_bucket.sources.name
  name   = each.value.file
  source = "${var.source_dir}/${each.value.file}"

  lifecycle {
    precondition {
      condition     = filesha256("${var.source_dir}/${each.value.file}") == each.value.sha256
      error_message = "${each.value.file} does not match its digest in manifest.json: run ./herald package again."
    }
  }
}
