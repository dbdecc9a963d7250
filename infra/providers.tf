locals {
  # An emulator has no real STS, account or instance metadata; real AWS keeps every check.
  custom_endpoint = var.aws_endpoint_url != null || length(var.aws_endpoints) > 0
  skip_checks     = var.skip_aws_checks || local.custom_endpoint
}

provider "aws" {
  region = local.region

  skip_credentials_validation = local.skip_checks
  skip_requesting_account_id  = local.skip_checks
  skip_metadata_api_check     = local.skip_checks
  skip_region_validation      = local.custom_endpoint

  # Every service the module calls; null leaves the real AWS endpoint in place.
  # The keys are the provider's names (src/aws/endpoints.ts maps the SDKs'
  # AWS_ENDPOINT_URL_<SERVICE> onto them); keep variables.tf's list in step.
  endpoints {
    cloudwatch = lookup(var.aws_endpoints, "cloudwatch", var.aws_endpoint_url)
    codedeploy = lookup(var.aws_endpoints, "codedeploy", var.aws_endpoint_url)
    dynamodb   = lookup(var.aws_endpoints, "dynamodb", var.aws_endpoint_url)
    iam        = lookup(var.aws_endpoints, "iam", var.aws_endpoint_url)
    kms        = lookup(var.aws_endpoints, "kms", var.aws_endpoint_url)
    lambda     = lookup(var.aws_endpoints, "lambda", var.aws_endpoint_url)
    logs       = lookup(var.aws_endpoints, "logs", var.aws_endpoint_url)
    sns        = lookup(var.aws_endpoints, "sns", var.aws_endpoint_url)
    sqs        = lookup(var.aws_endpoints, "sqs", var.aws_endpoint_url)
    ssm        = lookup(var.aws_endpoints, "ssm", var.aws_endpoint_url)
    sts        = lookup(var.aws_endpoints, "sts", var.aws_endpoint_url)
  }

  default_tags {
    tags = local.tags
  }
}

data "aws_partition" "current" {}

data "aws_caller_identity" "current" {
  count = var.account_id == null ? 1 : 0
}
