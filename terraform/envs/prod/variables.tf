# The one setting not written here: the real-time service's image, which Cloud
# Build passes (-var realtime_image=..., tagged with the commit it built).
variable "realtime_image" {
  description = "The real-time service's image (services/realtime/Dockerfile). Cloud Build passes the one it built, tagged with its commit; by default, the last one an apply build pushed. Herald's module validates it."
  type        = string
  default     = "us-central1-docker.pkg.dev/herald-prod/herald/herald-realtime:latest"
}
