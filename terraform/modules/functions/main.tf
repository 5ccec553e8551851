# Herald's functions (Cloud Functions 2nd gen), one per entry of the functions
# table in terraform/events.json, each with its own service account. How a
# function is reached follows from its trigger:
#   http      public ingress (or only through the edge's load balancer), anyone may
#             invoke (the API checks its own keys)
#   firestore internal ingress; Eventarc fires it on outbox creates, retrying
#   pubsub    internal ingress; invoked only by its push subscriptions (messaging module)
#   schedule  internal ingress; invoked only by Cloud Scheduler (scheduler module)

locals {
  # Per trigger: how the function scales. Functions serve several requests at once
  # (concurrency above 1 needs a whole CPU); the API and the relay stay warm.
  defaults = {
    http      = { min_instances = 1, max_instances = 100, concurrency = 80, cpu = "1", memory = "512Mi", timeout_seconds = 60 }
    firestore = { min_instances = 1, max_instances = 100, concurrency = 20, cpu = "1", memory = "512Mi", timeout_seconds = 60 }
    pubsub    = { min_instances = 0, max_instances = 100, concurrency = 10, cpu = "1", memory = "512Mi", timeout_seconds = 60 }
    # One sweep at a time; a run takes up to 40 s of work.
    schedule = { min_instances = 0, max_instances = 1, concurrency = 1, cpu = "1", memory = "512Mi", timeout_seconds = 120 }
  }

  settings = {
    for name, function in var.functions : name => merge(
      local.defaults[function.trigger],
      try({ for key, value in var.scaling[name] : key => value if value != null }, {}),
    )
  }

  public          = { for name, function in var.functions : name => function if function.trigger == "http" }
  event_triggered = { for name, function in var.functions : name => function if function.trigger == "firestore" }

  # The credentials each function reads that are mounted in this deployment.
  credentials = {
    for name, function in var.functions : name => {
      for credential in function.secrets : credential => {
        secret_id = var.secrets[credential]
        directory = "/etc/secrets/${lower(replace(credential, "_", "-"))}"
      } if contains(keys(var.secrets), credential)
    }
  }

  runtime_roles = ["roles/datastore.user", "roles/logging.logWriter", "roles/cloudtrace.agent", "roles/monitoring.metricWriter"]
  function_roles = merge([
    for name in keys(var.functions) : {
      for role in concat(local.runtime_roles, lookup(var.extra_roles, name, [])) : "${name} ${role}" => { function = name, role = role }
    }
  ]...)
  credential_grants = merge([
    for name, credentials in local.credentials : {
      for credential, mount in credentials : "${name} ${credential}" => { function = name, secret_id = mount.secret_id }
    }
  ]...)
}

# --- identities -------------------------------------------------------------------

resource "google_service_account" "function" {
  for_each = var.functions

  project      = var.project_id
  account_id   = "herald-${each.key}"
  display_name = "Herald ${each.key}: ${each.value.description}"
}

resource "google_project_iam_member" "function" {
  for_each = local.function_roles

  project = var.project_id
  role    = each.value.role
  member  = "serviceAccount:${google_service_account.function[each.value.function].email}"
}

resource "google_secret_manager_secret_iam_member" "credential" {
  for_each = local.credential_grants

  project   = var.project_id
  secret_id = each.value.secret_id
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:${google_service_account.function[each.value.function].email}"
}

# Builds the functions' containers from their archives, with the roles Cloud Run
# documents for a build account: logs, the image registry, and the staged source.
resource "google_service_account" "build" {
  project      = var.project_id
  account_id   = "herald-build"
  display_name = "Herald: builds the functions from their archives"
}

resource "google_project_iam_member" "build" {
  for_each = toset(["roles/logging.logWriter", "roles/artifactregistry.writer", "roles/storage.objectAdmin"])

  project = var.project_id
  role    = each.key
  member  = "serviceAccount:${google_service_account.build.email}"
}

# Eventarc's identity for each event-triggered function: it receives the events
# and invokes that function, nothing else.
resource "google_service_account" "trigger" {
  for_each = local.event_triggered

  project      = var.project_id
  account_id   = "herald-${each.key}-trigger"
  display_name = "Herald ${each.key}: Eventarc trigger"
}

resource "google_project_iam_member" "trigger_receiver" {
  for_each = local.event_triggered

  project = var.project_id
  role    = "roles/eventarc.eventReceiver"
  member  = "serviceAccount:${google_service_account.trigger[each.key].email}"
}

# Eventarc's Pub/Sub transport signs its pushes as the trigger's account.
resource "google_service_account_iam_member" "trigger_token_creator" {
  for_each = local.event_triggered

  service_account_id = google_service_account.trigger[each.key].name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = var.pubsub_agent
}

# --- functions --------------------------------------------------------------------

resource "google_cloudfunctions2_function" "function" {
  for_each = var.functions

  project     = var.project_id
  name        = "herald-${each.key}"
  location    = var.region
  description = each.value.description
  labels      = merge(var.labels, { herald-function = each.key })

  build_config {
    runtime         = var.runtime
    entry_point     = each.value.entry_point
    service_account = google_service_account.build.id

    source {
      storage_source {
        bucket = var.sources.bucket
        object = var.sources.objects[each.key]
      }
    }
  }

  service_config {
    service_account_email            = google_service_account.function[each.key].email
    ingress_settings                 = each.value.trigger == "http" ? var.public_ingress : "ALLOW_INTERNAL_ONLY"
    all_traffic_on_latest_revision   = true
    min_instance_count               = local.settings[each.key].min_instances
    max_instance_count               = local.settings[each.key].max_instances
    max_instance_request_concurrency = local.settings[each.key].concurrency
    available_cpu                    = local.settings[each.key].cpu
    available_memory                 = local.settings[each.key].memory
    timeout_seconds                  = local.settings[each.key].timeout_seconds

    # Settings only: credentials arrive as files (NAME_FILE), below.
    environment_variables = merge(
      var.environment,
      {
        GOOGLE_CLOUD_PROJECT = var.project_id
        HERALD_PROVIDERS     = join(",", var.enabled_providers)
        # Where emails' unsubscribe, preferences and tracking links point: the load
        # balancer's URL, else the api's own, known before it exists (gen2 functions
        # keep the cloudfunctions.net form).
        HERALD_PUBLIC_URL = coalesce(var.public_url, "https://${var.region}-${var.project_id}.cloudfunctions.net/herald-api")
        # functions-framework serves THREADS requests at once (else 4 a CPU, whatever the
        # concurrency): as many as Cloud Run sends an instance, as Google advises.
        THREADS = tostring(local.settings[each.key].concurrency)
      },
      { for credential, mount in local.credentials[each.key] : "${credential}_FILE" => "${mount.directory}/value" },
    )

    # "latest" in a volume is read at each access, so a rotated secret reaches
    # new instances without a redeploy.
    dynamic "secret_volumes" {
      for_each = local.credentials[each.key]
      content {
        mount_path = secret_volumes.value.directory
        project_id = var.project_id
        secret     = secret_volumes.value.secret_id
        versions {
          version = "latest"
          path    = "value"
        }
      }
    }
  }

  dynamic "event_trigger" {
    for_each = each.value.trigger == "firestore" ? [each.key] : []
    content {
      # The database's own location, even a multi-region such as nam5: a region
      # there is refused with "Database '(default)' does not exist in region
      # 'us-central1'. Did you mean region 'nam5'?" (terraform-provider-google#17057;
      # firebase-tools' ensureFirestoreTriggerRegion sets the same).
      trigger_region        = var.firestore.location
      event_type            = var.outbox.event_type
      retry_policy          = "RETRY_POLICY_RETRY"
      service_account_email = google_service_account.trigger[each.key].email

      event_filters {
        attribute = "database"
        value     = var.firestore.database
      }

      event_filters {
        attribute = "document"
        value     = var.outbox.document_pattern
        operator  = "match-path-pattern"
      }
    }
  }

  lifecycle {
    precondition {
      condition     = local.settings[each.key].concurrency == 1 || tonumber(local.settings[each.key].cpu) >= 1
      error_message = "Function ${each.key}: concurrency above 1 needs at least one CPU."
    }
  }

  depends_on = [
    google_project_iam_member.function,
    google_secret_manager_secret_iam_member.credential,
    google_project_iam_member.build,
    google_project_iam_member.trigger_receiver,
  ]
}

# --- who may invoke ---------------------------------------------------------------

# The API is public: every route checks the caller's API key itself.
resource "google_cloud_run_v2_service_iam_member" "public" {
  for_each = local.public

  project  = var.project_id
  location = var.region
  name     = google_cloudfunctions2_function.function[each.key].service_config[0].service
  role     = "roles/run.invoker"
  member   = "allUsers"
}

resource "google_cloud_run_v2_service_iam_member" "trigger" {
  for_each = local.event_triggered

  project  = var.project_id
  location = var.region
  name     = google_cloudfunctions2_function.function[each.key].service_config[0].service
  role     = "roles/run.invoker"
  member   = "serviceAccount:${google_service_account.trigger[each.key].email}"
}
