# One Cloud Monitoring dashboard for Herald: per function, Cloud Run's request
# count and latency; for the pipeline, Pub/Sub dead letters and backlog age; and
# Herald's own OpenTelemetry metrics (outcomes, retries, provider latency and
# errors, sends per workspace, provider feedback and refused callbacks).
#
# Layout: a 48-column mosaic; one row per function (requests | latency), then the
# pipeline tiles two to a row.

locals {
  width  = 24 # half of the 48 mosaic columns
  height = 16
  period = "60s"

  # Each function's row: its requests, then its latency, side by side.
  function_tiles = flatten([
    for row, function in var.functions : [
      for column, widget in [
        {
          title = "${function}: requests/s by response class"
          xyChart = {
            dataSets = [{
              plotType       = "STACKED_AREA"
              legendTemplate = "$${metric.labels.response_code_class}"
              timeSeriesQuery = {
                timeSeriesFilter = {
                  filter = "metric.type=\"run.googleapis.com/request_count\" resource.type=\"cloud_run_revision\" resource.labels.service_name=\"${function}\""
                  aggregation = {
                    alignmentPeriod    = local.period
                    perSeriesAligner   = "ALIGN_RATE"
                    crossSeriesReducer = "REDUCE_SUM"
                    groupByFields      = ["metric.labels.response_code_class"]
                  }
                }
              }
            }]
            yAxis = { label = "requests/s", scale = "LINEAR" }
          }
        },
        {
          title = "${function}: request latency p50 / p99"
          xyChart = {
            dataSets = [
              for percentile in ["50", "99"] : {
                plotType       = "LINE"
                legendTemplate = "p${percentile}"
                timeSeriesQuery = {
                  timeSeriesFilter = {
                    filter = "metric.type=\"run.googleapis.com/request_latencies\" resource.type=\"cloud_run_revision\" resource.labels.service_name=\"${function}\""
                    aggregation = {
                      alignmentPeriod    = local.period
                      perSeriesAligner   = "ALIGN_DELTA"
                      crossSeriesReducer = "REDUCE_PERCENTILE_${percentile}"
                      groupByFields      = ["resource.labels.service_name"]
                    }
                  }
                }
              }
            ]
            yAxis = { label = "ms", scale = "LINEAR" }
          }
        },
        ] : {
        xPos   = column * local.width
        yPos   = row * local.height
        width  = local.width
        height = local.height
        widget = widget
      }
    ]
  ])

  pipeline_top = length(var.functions) * local.height

  # Pipeline charts, in layout order. Each charts one metric aligned per period
  # (ALIGN_DELTA unless it names an aligner) and reduced across series (REDUCE_SUM
  # unless it names a reducer) by the labels in group_by, which also make up the
  # legend; one with percentiles charts a line per percentile instead.
  # (The list stays inline: the unit tests read the metric types from here.)
  pipeline_widgets = [
    for chart in [
      {
        title    = "Pub/Sub: dead-lettered messages per minute, by subscription"
        filter   = "metric.type=\"pubsub.googleapis.com/subscription/dead_letter_message_count\" resource.type=\"pubsub_subscription\""
        group_by = ["resource.labels.subscription_id"]
        plot     = "STACKED_BAR"
        unit     = "messages/min"
      },
      {
        title    = "Pub/Sub: oldest unacked message age, by subscription"
        filter   = "metric.type=\"pubsub.googleapis.com/subscription/oldest_unacked_message_age\" resource.type=\"pubsub_subscription\""
        group_by = ["resource.labels.subscription_id"]
        aligner  = "ALIGN_MAX"
        reducer  = "REDUCE_MAX"
        plot     = "LINE"
        unit     = "s"
      },
      {
        title    = "Message outcomes per minute, by status and reason"
        filter   = "metric.type=\"${var.metric_prefix}/messages.outcomes\""
        group_by = ["metric.labels.status", "metric.labels.reason"]
        plot     = "STACKED_BAR"
        unit     = "messages/min"
      },
      {
        title    = "Sends per minute, by workspace"
        filter   = "metric.type=\"${var.metric_prefix}/sends\""
        group_by = ["metric.labels.workspace"]
        plot     = "STACKED_AREA"
        unit     = "sends/min"
      },
      {
        title       = "Provider latency p50 / p99, by provider"
        filter      = "metric.type=\"${var.metric_prefix}/provider.latency\""
        group_by    = ["metric.labels.provider"]
        percentiles = ["50", "99"]
        plot        = "LINE"
        unit        = "ms"
      },
      {
        title    = "Provider errors per minute, by provider"
        filter   = "metric.type=\"${var.metric_prefix}/provider.errors\""
        group_by = ["metric.labels.provider"]
        plot     = "STACKED_BAR"
        unit     = "errors/min"
      },
      {
        title    = "Delivery retries per minute, by provider"
        filter   = "metric.type=\"${var.metric_prefix}/delivery.retries\""
        group_by = ["metric.labels.provider"]
        plot     = "STACKED_BAR"
        unit     = "retries/min"
      },
      {
        title    = "Provider feedback per minute, by kind and outcome"
        filter   = "metric.type=\"${var.metric_prefix}/feedback\""
        group_by = ["metric.labels.kind", "metric.labels.outcome"]
        plot     = "STACKED_BAR"
        unit     = "reports/min"
      },
      {
        title    = "Refused provider callbacks per minute, by provider and why"
        filter   = "metric.type=\"${var.metric_prefix}/callbacks.refused\""
        group_by = ["metric.labels.provider", "metric.labels.why"]
        plot     = "STACKED_BAR"
        unit     = "requests/min"
      },
      {
        title    = "Requests refused over their workspace's quota per minute, by workspace"
        filter   = "metric.type=\"${var.metric_prefix}/quota.refused\""
        group_by = ["metric.labels.workspace"]
        plot     = "STACKED_BAR"
        unit     = "requests/min"
      },
      ] : {
      title = chart.title
      xyChart = {
        dataSets = [
          # Without percentiles, one data set (percentile null).
          for percentile in try(chart.percentiles, [null]) : {
            plotType = chart.plot
            # Monitoring's own "${label}" templates, so "$${" (not interpolated).
            legendTemplate = join(" ", concat(
              [for label in chart.group_by : "$${${label}}"],
              percentile == null ? [] : ["p${percentile}"],
            ))
            timeSeriesQuery = {
              timeSeriesFilter = {
                filter = chart.filter
                aggregation = {
                  alignmentPeriod    = local.period
                  perSeriesAligner   = try(chart.aligner, "ALIGN_DELTA")
                  crossSeriesReducer = percentile == null ? try(chart.reducer, "REDUCE_SUM") : "REDUCE_PERCENTILE_${percentile}"
                  groupByFields      = chart.group_by
                }
              }
            }
          }
        ]
        yAxis = { label = chart.unit, scale = "LINEAR" }
      }
    }
  ]

  pipeline_tiles = [
    for index, widget in local.pipeline_widgets : {
      xPos   = (index % 2) * local.width
      yPos   = local.pipeline_top + floor(index / 2) * local.height
      width  = local.width
      height = local.height
      widget = widget
    }
  ]

  dashboard = {
    displayName = "Herald"
    mosaicLayout = {
      columns = 2 * local.width
      tiles   = concat(local.function_tiles, local.pipeline_tiles)
    }
  }
}

resource "google_monitoring_dashboard" "herald" {
  project = var.project_id

  dashboard_json = jsonencode(local.dashboard)
}
