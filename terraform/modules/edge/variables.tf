variable "project_id" {
  description = "Project of the load balancer and its security policy."
  type        = string
}

variable "region" {
  description = "Region of the api's service (the functions' region)."
  type        = string
}

variable "service" {
  description = "Name of the api's Cloud Run service (its gen2 function's)."
  type        = string
}

variable "domains" {
  description = "The domains of the Google-managed certificate; the first is the api's public URL."
  type        = list(string)
}

variable "requests_per_minute" {
  description = "Requests each API key may make a minute before the edge answers 429."
  type        = number
}

variable "ban" {
  description = "With a ban: a key above requests_per_minute refused for duration_seconds (null: throttled only)."
  type = object({
    requests_per_minute = number
    duration_seconds    = number
  })
  default = null
}

variable "log_sample_rate" {
  description = "Share of requests the load balancer logs (0 to 1)."
  type        = number
  default     = 1
}
