# The api behind an external Application Load Balancer, with a Cloud Armor
# policy that throttles each API key before any instance sees its requests. The
# api's own quota (docs/api/quotas.md) refuses a workspace over its quota cheaply,
# but each refusal still takes the instance's CPU; refused here, a flood costs
# the api nothing.

locals {
  # Cloud Armor's default rule: the lowest priority, taking what no rule matched.
  default_rule_priority = 2147483647
  banning               = var.ban != null
}

# The api's Cloud Run service (a gen2 function is one) as the balancer's backend.
resource "google_compute_region_network_endpoint_group" "api" {
  project               = var.project_id
  name                  = "herald-api-edge"
  region                = var.region
  network_endpoint_type = "SERVERLESS"

  cloud_run {
    service = var.service
  }
}

resource "google_compute_security_policy" "api" {
  project     = var.project_id
  name        = "herald-api-edge"
  description = "Herald: each API key throttled at the edge"
  type        = "CLOUD_ARMOR"

  # Keyed on the Authorization header's value (Cloud Armor keeps its first 128
  # bytes; "Bearer " and a Herald key take 58), so each key has its own count. A
  # request without the header would fall in one bucket shared by all of them:
  # the routes reached without a key (links in emails, provider callbacks) are
  # left to the default rule, as the api's own quota leaves them uncounted.
  rule {
    priority    = 1000
    description = "Each API key: ${var.requests_per_minute} requests a minute"
    action      = local.banning ? "rate_based_ban" : "throttle"

    match {
      expr {
        expression = "has(request.headers['authorization'])"
      }
    }

    rate_limit_options {
      enforce_on_key      = "HTTP_HEADER"
      enforce_on_key_name = "authorization"
      conform_action      = "allow"
      exceed_action       = "deny(429)"

      rate_limit_threshold {
        count        = var.requests_per_minute
        interval_sec = 60
      }

      ban_duration_sec = local.banning ? var.ban.duration_seconds : null

      dynamic "ban_threshold" {
        for_each = local.banning ? [var.ban] : []
        content {
          count        = ban_threshold.value.requests_per_minute
          interval_sec = 60
        }
      }
    }
  }

  rule {
    priority    = local.default_rule_priority
    description = "Everything else reaches the api, which checks its own keys"
    action      = "allow"

    match {
      versioned_expr = "SRC_IPS_V1"
      config {
        src_ip_ranges = ["*"]
      }
    }
  }
}

resource "google_compute_backend_service" "api" {
  project               = var.project_id
  name                  = "herald-api-edge"
  description           = "Herald: the api, behind its Cloud Armor policy"
  load_balancing_scheme = "EXTERNAL_MANAGED"
  protocol              = "HTTPS"
  security_policy       = google_compute_security_policy.api.id

  backend {
    group = google_compute_region_network_endpoint_group.api.id
  }

  # The balancer's request logs are where Cloud Armor's refusals show (each 429
  # names the rule that refused it).
  log_config {
    enable      = true
    sample_rate = var.log_sample_rate
  }
}

resource "google_compute_url_map" "api" {
  project         = var.project_id
  name            = "herald-api-edge"
  description     = "Herald: every path to the api"
  default_service = google_compute_backend_service.api.id
}

# Provisioned once each domain's DNS names the address below. A certificate's
# domains cannot change in place, and the proxy holds it: a new one, named by its
# domains, is made before the old one goes.
resource "google_compute_managed_ssl_certificate" "api" {
  project = var.project_id
  name    = "herald-api-edge-${substr(sha256(join(",", var.domains)), 0, 12)}"

  managed {
    domains = var.domains
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "google_compute_ssl_policy" "api" {
  project         = var.project_id
  name            = "herald-api-edge"
  profile         = "MODERN"
  min_tls_version = "TLS_1_2"
}

resource "google_compute_target_https_proxy" "api" {
  project          = var.project_id
  name             = "herald-api-edge"
  url_map          = google_compute_url_map.api.id
  ssl_certificates = [google_compute_managed_ssl_certificate.api.id]
  ssl_policy       = google_compute_ssl_policy.api.id
}

resource "google_compute_global_address" "api" {
  project = var.project_id
  name    = "herald-api-edge"
}

resource "google_compute_global_forwarding_rule" "api" {
  project               = var.project_id
  name                  = "herald-api-edge"
  load_balancing_scheme = "EXTERNAL_MANAGED"
  ip_protocol           = "TCP"
  port_range            = "443"
  ip_address            = google_compute_global_address.api.address
  target                = google_compute_target_https_proxy.api.id
}
