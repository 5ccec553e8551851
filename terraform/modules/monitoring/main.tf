# One Cloud Monitoring dashboard for Herald: per function, Cloud Run's request
# count and latency; for the pipeline, Pub/Sub dead letters and backlog age; and
# Herald's own OpenTelemetry metrics (outcomes, retries, provider latency and
# errors, sends per workspace).
#
# Layout: a 48-column mosaic; one row per function (requests | latency), then the
# pipeline tiles two to a row.

locals {
  width  = 24 # half of the 48 mosaic columns
  height = 16
  period = "60s"

  function_tiles = flatten([
    for row, function in var.functions : [
      {
        xPos   = 0
        yPos   = row * local.height
        width  = local.width
        height = local.height
        widget = {
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
        }
      },
      {
        xPos   = local.width
        yPos   = row * local.height
        width  = local.width
        height = local.height
        widget = {
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
        }
      },
    ]
  ])

  pipeline_top = length(var.functions) * local.height

  # Pipeline tiles, laid out two to a row below the function rows.
  pipeline_widgets = [
    {
      title = "Pub/Sub: dead-lettered messages per minute, by subscription"
      xyChart = {
        dataSets = [{
          plotType       = "STACKED_BAR"
          legendTemplate = "$${resource.labels.subscription_id}"
          timeSeriesQuery = {
            timeSeriesFilter = {
              filter = "metric.type=\"pubsub.googleapis.com/subscription/dead_letter_message_count\" resource.type=\"pubsub_subscription\""
              aggregation = {
                alignmentPeriod    = local.period
                perSeriesAligner   = "ALIGN_DELTA"
                crossSeriesReducer = "REDUCE_SUM"
                groupByFields      = ["resource.labels.subscription_id"]
              }
            }
          }
        }]
        yAxis = { label = "messages/min", scale = "LINEAR" }
      }
    },
    {
      title = "Pub/Sub: oldest unacked message age, by subscription"
      xyChart = {
        dataSets = [{
          plotType       = "LINE"
          legendTemplate = "$${resource.labels.subscription_id}"
          timeSeriesQuery = {
            timeSeriesFilter = {
              filter = "metric.type=\"pubsub.googleapis.com/subscription/oldest_unacked_message_age\" resource.type=\"pubsub_subscription\""
              aggregation = {
                alignmentPeriod    = local.period
                perSeriesAligner   = "ALIGN_MAX"
                crossSeriesReducer = "REDUCE_MAX"
                groupByFields      = ["resource.labels.subscription_id"]
              }
            }
          }
        }]
        yAxis = { label = "s", scale = "LINEAR" }
      }
    },
    {
      title = "Message outcomes per minute, by status and reason"
      xyChart = {
        dataSets = [{
          plotType       = "STACKED_BAR"
          legendTemplate = "$${metric.labels.status} $${metric.labels.reason}"
          timeSeriesQuery = {
            timeSeriesFilter = {
              filter = "metric.type=\"${var.metric_prefix}/messages.outcomes\""
              aggregation = {
                alignmentPeriod    = local.period
                perSeriesAligner   = "ALIGN_DELTA"
                crossSeriesReducer = "REDUCE_SUM"
                groupByFields      = ["metric.labels.status", "metric.labels.reason"]
              }
            }
          }
        }]
        yAxis = { label = "messages/min", scale = "LINEAR" }
      }
    },
    {
      title = "Sends per minute, by workspace"
      xyChart = {
        dataSets = [{
          plotType       = "STACKED_AREA"
          legendTemplate = "$${metric.labels.workspace}"
          timeSeriesQuery = {
            timeSeriesFilter = {
              filter = "metric.type=\"${var.metric_prefix}/sends\""
              aggregation = {
                alignmentPeriod    = local.period
                perSeriesAligner   = "ALIGN_DELTA"
                crossSeriesReducer = "REDUCE_SUM"
                groupByFields      = ["metric.labels.workspace"]
              }
            }
          }
        }]
        yAxis = { label = "sends/min", scale = "LINEAR" }
      }
    },
    {
      title = "Provider latency p50 / p99, by provider"
      xyChart = {
        dataSets = [
          for percentile in ["50", "99"] : {
            plotType       = "LINE"
            legendTemplate = "$${metric.labels.provider} p${percentile}"
            timeSeriesQuery = {
              timeSeriesFilter = {
                filter = "metric.type=\"${var.metric_prefix}/provider.latency\""
                aggregation = {
                  alignmentPeriod    = local.period
                  perSeriesAligner   = "ALIGN_DELTA"
                  crossSeriesReducer = "REDUCE_PERCENTILE_${percentile}"
                  groupByFields      = ["metric.labels.provider"]
                }
              }
            }
          }
        ]
        yAxis = { label = "ms", scale = "LINEAR" }
      }
    },
    {
      title = "Provider errors per minute, by provider"
      xyChart = {
        dataSets = [{
          plotType       = "STACKED_BAR"
          legendTemplate = "$${metric.labels.provider}"
          timeSeriesQuery = {
            timeSeriesFilter = {
              filter = "metric.type=\"${var.metric_prefix}/provider.errors\""
              aggregation = {
                alignmentPeriod    = local.period
                perSeriesAligner   = "ALIGN_DELTA"
                crossSeriesReducer = "REDUCE_SUM"
                groupByFields      = ["metric.labels.provider"]
              }
            }
          }
        }]
        yAxis = { label = "errors/min", scale = "LINEAR" }
      }
    },
    {
      title = "Delivery retries per minute, by provider"
      xyChart = {
        dataSets = [{
          plotType       = "STACKED_BAR"
          legendTemplate = "$${metric.labels.provider}"
          timeSeriesQuery = {
            timeSeriesFilter = {
              filter = "metric.type=\"${var.metric_prefix}/delivery.retries\""
              aggregation = {
                alignmentPeriod    = local.period
                perSeriesAligner   = "ALIGN_DELTA"
                crossSeriesReducer = "REDUCE_SUM"
                groupByFields      = ["metric.labels.provider"]
              }
            }
          }
        }]
        yAxis = { label = "retries/min", scale = "LINEAR" }
      }
    },
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
