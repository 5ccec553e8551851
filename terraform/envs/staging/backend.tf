# The state of staging, in a versioned bucket of its own created before the first
# apply (see the README). A backend cannot read variables: the name is literal.
terraform {
  backend "gcs" {
    bucket = "herald-tfstate-staging"
    prefix = "herald"
  }
}
