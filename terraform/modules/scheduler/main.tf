# Cloud Scheduler calls each scheduled function (the sweep, which fires the
# durable timer's due records and re-drives what was dropped) with an OIDC token
# of an account that may invoke that function and nothing else.

resource "google_service_account" "scheduler" {
  for_each = var.targets

  project      = var.project_id
  account_id   = "herald-${each.key}-schedule"
  display_name = "Herald ${each.key}: Cloud Scheduler"
}

resource "google_cloud_run_v2_service_iam_member" "invoker" {
  for_each = var.targets

  project  = var.project_id
  location = var.region
  name     = each.value.service
  role     = "roles/run.invoker"
  member   = "serviceAccount:${google_service_account.scheduler[each.key].email}"
}

resource "google_cloud_scheduler_job" "job" {
  for_each = var.targets

  project          = var.project_id
  region           = var.region
  name             = "herald-${each.key}"
  description      = "Calls herald-${each.key} on a schedule."
  schedule         = var.schedule
  time_zone        = var.time_zone
  attempt_deadline = "${var.attempt_deadline_seconds}s"

  # A missed run is not retried: the next one comes a schedule later.
  retry_config {
    retry_count = 0
  }

  http_target {
    uri         = each.value.url
    http_method = "POST"

    oidc_token {
      service_account_email = google_service_account.scheduler[each.key].email
      audience              = each.value.url
    }
  }

  depends_on = [google_cloud_run_v2_service_iam_member.invoker]
}
