variable "project_id" {
  description = "Project to deploy the example into."
  type        = string
}

variable "smtp_host" {
  description = "SMTP server the example's mail goes through."
  type        = string
}
