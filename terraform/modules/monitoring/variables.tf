variable "project_id" {
  description = "Project that owns the dashboard and whose metrics it charts."
  type        = string
}

variable "functions" {
  description = "Names of Herald's functions (Cloud Run functions gen2: each runs as the Cloud Run service of the same name), e.g. [\"api\", \"relay\", \"render\", \"deliver\", \"log\"]."
  type        = list(string)

  validation {
    condition     = length(var.functions) > 0 && length(distinct(var.functions)) == length(var.functions)
    error_message = "functions must list at least one function, each once."
  }
}

variable "metric_prefix" {
  description = "Metric type prefix of Herald's OpenTelemetry metrics in Cloud Monitoring, without a trailing slash."
  type        = string
  default     = "workload.googleapis.com/herald"

  validation {
    condition     = !endswith(var.metric_prefix, "/")
    error_message = "metric_prefix must not end with a slash."
  }
}
