variable "project_id" {
  description = "Project of the jobs."
  type        = string
}

variable "region" {
  description = "Region of the jobs and of the functions they call."
  type        = string
}

variable "targets" {
  description = "Each scheduled function by name: its HTTPS URL and its Cloud Run service."
  type = map(object({
    url     = string
    service = string
  }))

  validation {
    condition     = alltrue([for target in values(var.targets) : startswith(target.url, "https://")])
    error_message = "Every target URL must be https://."
  }
}

variable "schedule" {
  description = "Cron schedule of the calls. Retries wait 30 s and more, so a minute is precise enough."
  type        = string
  default     = "* * * * *"

  validation {
    condition     = length(split(" ", trimspace(var.schedule))) == 5
    error_message = "schedule must be a five-field cron expression."
  }
}

variable "time_zone" {
  description = "Time zone of the schedule."
  type        = string
  default     = "Etc/UTC"
}

variable "attempt_deadline_seconds" {
  description = "How long a call may take before it counts as failed (15-1800)."
  type        = number
  default     = 120

  validation {
    condition     = var.attempt_deadline_seconds >= 15 && var.attempt_deadline_seconds <= 1800
    error_message = "Cloud Scheduler allows an attempt deadline of 15 to 1800 seconds."
  }
}
