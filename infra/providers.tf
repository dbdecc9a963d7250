provider "aws" {
  region = local.region

  # Offline plans and DynamoDB Local: no STS, no IMDS, no account lookup.
  skip_credentials_validation = var.skip_aws_checks
  skip_requesting_account_id  = var.skip_aws_checks
  skip_metadata_api_check     = var.skip_aws_checks

  # null leaves the real AWS endpoint in place.
  endpoints {
    dynamodb = var.aws_endpoint_url
  }

  default_tags {
    tags = local.tags
  }
}

data "aws_partition" "current" {}

data "aws_caller_identity" "current" {
  count = var.account_id == null ? 1 : 0
}
