# State lives in a GCS bucket per environment. Backends cannot read variables, so
# the bucket comes from the environment's file:
#   terraform init -backend-config=envs/dev.gcs.tfbackend
terraform {
  backend "gcs" {}
}
