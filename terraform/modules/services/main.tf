# What a brand-new project needs before anything of Herald's: its APIs enabled,
# and the Google-managed service agents that Eventarc and Pub/Sub act as, created
# and given time to be usable.
#
# Eventarc's and Pub/Sub's agents appear some time after their APIs are enabled
# and their roles propagate later still: the relay's trigger and the grants that
# name the Pub/Sub agent fail on a first apply without this (terraform-provider-
# google#25294; terraform-docs-samples#486; terraform-google-bigquery waits too).

resource "google_project_service" "api" {
  for_each = var.enable_apis ? toset(var.apis) : toset([])

  project = var.project_id
  service = each.key
  # Other workloads in the project may use them too.
  disable_on_destroy = false
}

# generateServiceIdentity creates the agent if it does not exist yet and answers
# its email either way. The resource is in the google-beta provider only (6.x to
# 8.x: magic-modules' resource_project_service_identity.go.tmpl is generated for
# beta alone); its `member` attribute exists in both majors.
resource "google_project_service_identity" "agent" {
  provider = google-beta
  for_each = toset(["eventarc.googleapis.com", "pubsub.googleapis.com"])

  project = var.project_id
  service = each.key

  depends_on = [google_project_service.api]
}

# Granted on creation in principle, yet a trigger created before it propagates is
# refused ("Permission denied while using the Eventarc Service Agent"); granting
# it explicitly is what Google's own Eventarc samples do.
resource "google_project_iam_member" "eventarc_agent" {
  project = var.project_id
  role    = "roles/eventarc.serviceAgent"
  member  = google_project_service_identity.agent["eventarc.googleapis.com"].member
}

# IAM changes take up to a few minutes to apply. The agents' members are read
# through this resource, so whatever names an agent waits for it; nothing waits on
# later applies, once it exists.
resource "time_sleep" "agents_ready" {
  create_duration = var.agent_propagation

  triggers = {
    eventarc = google_project_iam_member.eventarc_agent.member
    pubsub   = google_project_service_identity.agent["pubsub.googleapis.com"].member
  }
}
