# The inbox's real-time service: the WebSocket Courier's inbox client opens
# (apiUrls.inbox.webSocket), on Cloud Run itself, since Cloud Functions' HTTP
# signature has no WebSocket. Each socket holds a Firestore listener on its user's
# inbox, so instances share nothing and scale out; a socket authenticates with the
# user token in its URL, so the service is public like the API.

locals {
  runtime_roles = ["roles/datastore.user", "roles/logging.logWriter", "roles/cloudtrace.agent", "roles/monitoring.metricWriter"]
  # The user token secret, when this deployment mounts it: without it the socket
  # refuses every connection, as the API refuses to issue tokens.
  token_secret = lookup(var.secrets, "HERALD_USER_TOKEN_SECRET", null)
  token_mount  = "/etc/secrets/herald-user-token-secret"
}

resource "google_service_account" "realtime" {
  project      = var.project_id
  account_id   = "herald-realtime"
  display_name = "Herald realtime: the inbox's WebSocket, on Cloud Run"
}

resource "google_project_iam_member" "realtime" {
  for_each = toset(local.runtime_roles)

  project = var.project_id
  role    = each.key
  member  = "serviceAccount:${google_service_account.realtime.email}"
}

resource "google_secret_manager_secret_iam_member" "token_secret" {
  count = local.token_secret == null ? 0 : 1

  project   = var.project_id
  secret_id = local.token_secret
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:${google_service_account.realtime.email}"
}

resource "google_cloud_run_v2_service" "realtime" {
  project             = var.project_id
  name                = "herald-realtime"
  location            = var.region
  description         = "Herald: the inbox's real-time WebSocket (Courier's inbox protocol)"
  ingress             = "INGRESS_TRAFFIC_ALL"
  deletion_protection = var.deletion_protection
  labels              = merge(var.labels, { herald-service = "realtime" })

  template {
    service_account = google_service_account.realtime.email
    # A socket lasts up to the request timeout (Cloud Run's longest, an hour); the
    # client then reconnects, and the affinity brings it back to the instance that
    # keeps where its telling stood.
    timeout                          = "3600s"
    session_affinity                 = true
    max_instance_request_concurrency = var.scaling.max_connections

    scaling {
      min_instance_count = var.scaling.min_instances
      max_instance_count = var.scaling.max_instances
    }

    containers {
      image = var.image

      ports {
        container_port = 8080
      }

      resources {
        limits = {
          cpu    = var.scaling.cpu
          memory = var.scaling.memory
        }
        # Sockets are served between requests' frames: CPU stays allocated.
        cpu_idle = false
      }

      env {
        name  = "GOOGLE_CLOUD_PROJECT"
        value = var.project_id
      }

      env {
        name  = "HERALD_REALTIME_MAX_CONNECTIONS"
        value = tostring(var.scaling.max_connections)
      }

      env {
        name  = "HERALD_REALTIME_MAX_CONNECTIONS_PER_USER"
        value = tostring(var.scaling.max_connections_per_user)
      }

      dynamic "env" {
        for_each = local.token_secret == null ? [] : [local.token_secret]
        content {
          name  = "HERALD_USER_TOKEN_SECRET_FILE"
          value = "${local.token_mount}/value"
        }
      }

      dynamic "volume_mounts" {
        for_each = local.token_secret == null ? [] : [local.token_secret]
        content {
          name       = "user-token-secret"
          mount_path = local.token_mount
        }
      }
    }

    # "latest" is read at each access: a rotated secret reaches new instances
    # without a redeploy.
    dynamic "volumes" {
      for_each = local.token_secret == null ? [] : [local.token_secret]
      content {
        name = "user-token-secret"
        secret {
          secret = volumes.value
          items {
            version = "latest"
            path    = "value"
          }
        }
      }
    }
  }

  depends_on = [
    google_project_iam_member.realtime,
    google_secret_manager_secret_iam_member.token_secret,
  ]
}

# Public, as the API is: every socket checks its user token itself.
resource "google_cloud_run_v2_service_iam_member" "public" {
  project  = var.project_id
  location = var.region
  name     = google_cloud_run_v2_service.realtime.name
  role     = "roles/run.invoker"
  member   = "allUsers"
}
