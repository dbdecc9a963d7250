# Local state by default. `ddb-ingest up --target aws` passes
# `-backend-config=path=<state dir>/terraform/terraform.tfstate`, so state never
# lands in the repository. For a team, switch to S3 + DynamoDB locking: see
# docs/deployment.md ("State backend"); the CLI then writes a
# backend_override.tf with `backend "s3" {}` and passes the settings as
# -backend-config values.
terraform {
  backend "local" {}
}
