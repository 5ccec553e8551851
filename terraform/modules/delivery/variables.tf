variable "project_id" {
  description = "Project of the triggers and their accounts (the environment's project)."
  type        = string
}

variable "environment" {
  description = "The environment root the builds plan and apply: terraform/envs/<environment> (cloudbuild.yaml's _ENV)."
  type        = string

  validation {
    # Trigger names are herald-<environment>-plan-pull-requests: at most 64 characters.
    condition     = can(regex("^[a-z][a-z0-9-]{0,29}$", var.environment))
    error_message = "environment must be the name of a directory under terraform/envs: 1-30 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "github" {
  description = "The GitHub repository the triggers watch, connected to Cloud Build (its GitHub app): { owner = \"example-org\", name = \"herald\" }."
  type = object({
    owner = string
    name  = string
  })
}

variable "deploy_branch" {
  description = "The branch whose builds apply, once approved."
  type        = string
  default     = "main"

  validation {
    # Taken literally into the triggers' branch regular expressions.
    condition     = can(regex("^[A-Za-z0-9_/-]+$", var.deploy_branch))
    error_message = "deploy_branch must be a branch name of letters, digits, _, / or -."
  }
}

variable "state_bucket" {
  description = "The bucket of this environment's Terraform state (terraform/envs/<environment>/backend.tf)."
  type        = string
}

variable "approvers" {
  description = "Who may approve a deployment (Cloud Build Approver), as IAM members: [\"group:herald-deployers@example.com\"]."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for member in var.approvers : can(regex("^(user|group|serviceAccount|domain):", member))])
    error_message = "Every approver is a user:, group:, serviceAccount: or domain: member."
  }
}

variable "build_config" {
  description = "The build configuration the triggers run, from the repository's root."
  type        = string
  default     = "cloudbuild.yaml"
}

variable "region" {
  description = "Region of the builder image's Artifact Registry repository (cloudbuild.yaml's _BUILDER_IMAGE names it)."
  type        = string
  default     = "us-central1"
}

variable "repository" {
  description = "Id of the Docker repository of the builder image (cloudbuild.yaml's _BUILDER_IMAGE names it)."
  type        = string
  default     = "herald"

  validation {
    condition     = can(regex("^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$", var.repository))
    error_message = "repository must be an Artifact Registry repository id: lowercase letters, digits and hyphens."
  }
}
