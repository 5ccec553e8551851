# An environment's Cloud Build triggers, and the two accounts that run them. The
# gate to production is these accounts' rights and an approval, never shell logic
# in cloudbuild.yaml, which any pull request can edit:
#   plan   every branch but the deploying one, and every pull request; runs as an
#          account that may read the Terraform state and write its build's logs,
#          nothing else: whatever a pull request makes the build run, it can
#          neither change the project nor read its data or secrets.
#   apply  the deploying branch; runs as the deploying account, only once someone
#          with Cloud Build Approver approves the build; sets _APPLY=true, the one
#          thing that makes cloudbuild.yaml apply.

locals {
  # What `terraform apply` of Herald creates, and the smoke test after it.
  deploy_roles = [
    "roles/serviceusage.serviceUsageAdmin",  # the APIs and the service agents
    "roles/cloudfunctions.admin",            # the functions
    "roles/run.admin",                       # who may invoke each function
    "roles/eventarc.admin",                  # the relay's trigger
    "roles/pubsub.admin",                    # topics, subscriptions, their IAM
    "roles/datastore.owner",                 # the database, indexes, TTL; the smoke test's API key
    "roles/secretmanager.admin",             # the credentials' secrets and who reads them
    "roles/storage.admin",                   # the source bucket and archives
    "roles/cloudscheduler.admin",            # the sweep's job
    "roles/monitoring.editor",               # the dashboard
    "roles/iam.serviceAccountAdmin",         # the functions' accounts
    "roles/iam.serviceAccountUser",          # deploying functions, jobs and triggers that run as them
    "roles/resourcemanager.projectIamAdmin", # the accounts' project roles
    "roles/cloudbuild.builds.editor",        # these triggers
    "roles/logging.logWriter",               # its build's logs
    "roles/cloudtrace.user",                 # the smoke test reads the send's trace
  ]
  # Logs of its build; reading the state is granted on the state bucket alone.
  plan_roles = ["roles/logging.logWriter"]

  deploy_branch = "^${var.deploy_branch}$"
  # cloudbuild.yaml's: which environment root, and whether to apply.
  plan_substitutions  = { _ENV = var.environment }
  apply_substitutions = merge(local.plan_substitutions, { _APPLY = "true" })
}

resource "google_service_account" "plan" {
  project      = var.project_id
  account_id   = "herald-plan"
  display_name = "Herald: plans ${var.environment} for branches and pull requests (read-only)"
}

resource "google_service_account" "deploy" {
  project      = var.project_id
  account_id   = "herald-deploy"
  display_name = "Herald: applies ${var.environment} from ${var.deploy_branch}, once approved"
}

resource "google_project_iam_member" "plan" {
  for_each = toset(local.plan_roles)

  project = var.project_id
  role    = each.key
  member  = google_service_account.plan.member
}

resource "google_project_iam_member" "deploy" {
  for_each = toset(local.deploy_roles)

  project = var.project_id
  role    = each.key
  member  = google_service_account.deploy.member
}

# Plans run without a lock (which would write to the bucket) and without a refresh
# (which would read the project): the state is all the plan account reads.
resource "google_storage_bucket_iam_member" "plan_state" {
  bucket = var.state_bucket
  role   = "roles/storage.objectViewer"
  member = google_service_account.plan.member
}

# The state bucket may live outside the project (storage.admin covers it otherwise).
resource "google_storage_bucket_iam_member" "deploy_state" {
  bucket = var.state_bucket
  role   = "roles/storage.objectAdmin"
  member = google_service_account.deploy.member
}

resource "google_project_iam_member" "approver" {
  for_each = toset(var.approvers)

  project = var.project_id
  role    = "roles/cloudbuild.builds.approver"
  member  = each.key
}

resource "google_cloudbuild_trigger" "plan_branches" {
  project         = var.project_id
  name            = "herald-${var.environment}-plan-branches"
  description     = "Checks, tests and plans ${var.environment} for every branch but ${var.deploy_branch}."
  filename        = var.build_config
  service_account = google_service_account.plan.id
  substitutions   = local.plan_substitutions

  github {
    owner = var.github.owner
    name  = var.github.name

    push {
      branch       = local.deploy_branch
      invert_regex = true
    }
  }

  depends_on = [google_project_iam_member.plan, google_storage_bucket_iam_member.plan_state]
}

resource "google_cloudbuild_trigger" "plan_pull_requests" {
  project         = var.project_id
  name            = "herald-${var.environment}-plan-pull-requests"
  description     = "Checks, tests and plans ${var.environment} for every pull request."
  filename        = var.build_config
  service_account = google_service_account.plan.id
  substitutions   = local.plan_substitutions

  github {
    owner = var.github.owner
    name  = var.github.name

    pull_request {
      branch = ".*"
      # An outside contributor's pull request builds once a collaborator comments /gcbrun.
      comment_control = "COMMENTS_ENABLED_FOR_EXTERNAL_CONTRIBUTORS_ONLY"
    }
  }

  depends_on = [google_project_iam_member.plan, google_storage_bucket_iam_member.plan_state]
}

resource "google_cloudbuild_trigger" "apply" {
  project         = var.project_id
  name            = "herald-${var.environment}-apply"
  description     = "Checks, tests, plans and, once approved, applies ${var.environment} from ${var.deploy_branch}, then smoke-tests it."
  filename        = var.build_config
  service_account = google_service_account.deploy.id
  substitutions   = local.apply_substitutions

  github {
    owner = var.github.owner
    name  = var.github.name

    push {
      branch = local.deploy_branch
    }
  }

  approval_config {
    approval_required = true
  }

  depends_on = [google_project_iam_member.deploy, google_storage_bucket_iam_member.deploy_state]
}

# --- the builder image every step of cloudbuild.yaml runs in (.ci/builder) ---------

resource "google_artifact_registry_repository" "builds" {
  project       = var.project_id
  location      = var.region
  repository_id = var.repository
  format        = "DOCKER"
  description   = "Herald's images: the builder (the toolchain cloudbuild.yaml's steps run in) and the real-time service's."
}

# Its own account: the image build runs unapproved on every change to .ci/builder,
# so it may push this one image and write its logs, nothing else.
resource "google_service_account" "image" {
  project      = var.project_id
  account_id   = "herald-builder-image"
  display_name = "Herald: builds and pushes the builder image from ${var.deploy_branch}"
}

resource "google_project_iam_member" "image_logs" {
  project = var.project_id
  role    = "roles/logging.logWriter"
  member  = google_service_account.image.member
}

resource "google_artifact_registry_repository_iam_member" "image_writer" {
  project    = var.project_id
  location   = google_artifact_registry_repository.builds.location
  repository = google_artifact_registry_repository.builds.name
  role       = "roles/artifactregistry.writer"
  member     = google_service_account.image.member
}

# Plans pull the builder image to run their steps.
resource "google_artifact_registry_repository_iam_member" "reader" {
  project    = var.project_id
  location   = google_artifact_registry_repository.builds.location
  repository = google_artifact_registry_repository.builds.name
  role       = "roles/artifactregistry.reader"
  member     = google_service_account.plan.member
}

# Applies pull the builder image too, and push the real-time service's image
# (cloudbuild.yaml's realtime-image step) before deploying it.
resource "google_artifact_registry_repository_iam_member" "deploy_writer" {
  project    = var.project_id
  location   = google_artifact_registry_repository.builds.location
  repository = google_artifact_registry_repository.builds.name
  role       = "roles/artifactregistry.writer"
  member     = google_service_account.deploy.member
}

resource "google_cloudbuild_trigger" "builder_image" {
  project         = var.project_id
  name            = "herald-${var.environment}-builder-image"
  description     = "Builds and pushes the builder image when .ci/builder changes on ${var.deploy_branch}."
  filename        = ".ci/builder/cloudbuild.yaml"
  included_files  = [".ci/builder/**"]
  service_account = google_service_account.image.id
  substitutions   = { _REGION = var.region, _REPOSITORY = var.repository }

  github {
    owner = var.github.owner
    name  = var.github.name

    push {
      branch = local.deploy_branch
    }
  }

  depends_on = [google_project_iam_member.image_logs, google_artifact_registry_repository_iam_member.image_writer]
}
