locals {
  # One entry per (event type, consumer): a push subscription with its own dead-letter topic.
  subscriptions = merge([
    for event_name, event in var.events : {
      for consumer, subscription in event.subscriptions :
      subscription.name => merge(subscription, { event = event_name, consumer = consumer, topic = event.topic })
    }
  ]...)

  # Each publishing function may publish to every event topic (the relay and the
  # sweep republish whatever the outbox holds).
  publications = merge([
    for function, email in var.publishers : {
      for event_name, event in var.events : "${function} ${event_name}" => { email = email, event = event_name }
    }
  ]...)

  # Each redriving function may pull (and ack) every dead-letter subscription.
  dead_letter_reads = merge([
    for function, email in var.dead_letter_readers : {
      for name, subscription in local.subscriptions : "${function} ${name}" => { email = email, subscription = name }
    }
  ]...)
}

resource "google_pubsub_topic" "event" {
  for_each = var.events

  project = var.project_id
  name    = each.value.topic
  labels  = { herald-event = replace(each.key, ".", "-") }
}

resource "google_pubsub_topic" "dead_letter" {
  for_each = local.subscriptions

  project = var.project_id
  name    = each.value.dead_letter_topic
}

# Keeps dead letters for inspection and replay.
resource "google_pubsub_subscription" "dead_letter" {
  for_each = local.subscriptions

  project                    = var.project_id
  name                       = each.value.dead_letter_topic
  topic                      = google_pubsub_topic.dead_letter[each.key].id
  message_retention_duration = "604800s"

  expiration_policy {
    ttl = ""
  }
}

# One invoker identity per subscription: the push carries its OIDC token.
resource "google_service_account" "push" {
  for_each = local.subscriptions

  project      = var.project_id
  account_id   = substr("push-${md5(each.key)}", 0, 30)
  display_name = "Herald push: ${each.key}"
}

resource "google_pubsub_subscription" "push" {
  for_each = local.subscriptions

  project              = var.project_id
  name                 = each.key
  topic                = google_pubsub_topic.event[each.value.event].id
  ack_deadline_seconds = var.retry.ack_deadline_seconds

  # What the consumer acts on (the registry's filters): Pub/Sub acks the rest itself, so it
  # costs no invocation. A filter cannot change: changing it replaces the subscription, and
  # the messages it still holds are lost (drain it first).
  filter = each.value.filter != "" ? each.value.filter : null

  # The path names the topic: the functions framework reads the event's source from it.
  push_config {
    push_endpoint = "${var.consumers[each.value.consumer].url}/projects/${var.project_id}/topics/${each.value.topic}"

    oidc_token {
      service_account_email = google_service_account.push[each.key].email
      audience              = var.consumers[each.value.consumer].url
    }
  }

  retry_policy {
    minimum_backoff = var.retry.minimum_backoff
    maximum_backoff = var.retry.maximum_backoff
  }

  dead_letter_policy {
    dead_letter_topic     = google_pubsub_topic.dead_letter[each.key].id
    max_delivery_attempts = var.retry.max_delivery_attempts
  }

  # The default expires a subscription idle for 31 days; Herald's must never expire.
  expiration_policy {
    ttl = ""
  }

  lifecycle {
    precondition {
      condition     = contains(keys(var.consumers), each.value.consumer)
      error_message = "No function ${each.value.consumer} consumes ${each.value.event}: add it to the functions table (./herald generate)."
    }
  }

  # The push SA may invoke its consumer before the first push.
  depends_on = [google_cloud_run_v2_service_iam_member.push_invoker]
}

# A subscription's identity may invoke its consumer, and only that one.
resource "google_cloud_run_v2_service_iam_member" "push_invoker" {
  for_each = { for name, sub in local.subscriptions : name => sub if contains(keys(var.consumers), sub.consumer) }

  project  = var.project_id
  location = var.region
  name     = var.consumers[each.value.consumer].service
  role     = "roles/run.invoker"
  member   = "serviceAccount:${google_service_account.push[each.key].email}"
}

# Pub/Sub signs each push with an OIDC token of the subscription's identity.
resource "google_service_account_iam_member" "push_token_creator" {
  for_each = local.subscriptions

  service_account_id = google_service_account.push[each.key].name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = var.pubsub_agent
}

resource "google_pubsub_topic_iam_member" "publisher" {
  for_each = local.publications

  project = var.project_id
  topic   = google_pubsub_topic.event[each.value.event].name
  role    = "roles/pubsub.publisher"
  member  = "serviceAccount:${each.value.email}"
}

resource "google_pubsub_topic_iam_member" "dead_letter_publisher" {
  for_each = local.subscriptions

  project = var.project_id
  topic   = google_pubsub_topic.dead_letter[each.key].name
  role    = "roles/pubsub.publisher"
  member  = var.pubsub_agent
}

resource "google_pubsub_subscription_iam_member" "dead_letter_subscriber" {
  for_each = local.subscriptions

  project      = var.project_id
  subscription = google_pubsub_subscription.push[each.key].name
  role         = "roles/pubsub.subscriber"
  member       = var.pubsub_agent
}

resource "google_pubsub_subscription_iam_member" "dead_letter_reader" {
  for_each = local.dead_letter_reads

  project      = var.project_id
  subscription = google_pubsub_subscription.dead_letter[each.value.subscription].name
  role         = "roles/pubsub.subscriber"
  member       = "serviceAccount:${each.value.email}"
}
