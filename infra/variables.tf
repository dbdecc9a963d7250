variable "stack_file" {
  description = "Path of the stack file ddb-ingest.json (absolute, or relative to this module). A missing file means the default stack, as for the CLI."
  type        = string
  default     = "../ddb-ingest.json"
}

variable "lambda_zip_path" {
  description = "Path of the handler bundle zip built by the CLI (index.mjs at its root); absolute, or relative to this module."
  type        = string
  default     = "../.ddb-ingest/build/function.zip"
}

variable "environment" {
  description = "Deployment environment name (dev, staging, prod); tagged on every resource and shown on the dashboard."
  type        = string
  default     = "dev"

  validation {
    condition     = can(regex("^[a-zA-Z0-9-]{1,32}$", var.environment))
    error_message = "environment must be 1-32 characters of a-z, A-Z, 0-9, \"-\"."
  }
}

variable "region" {
  description = "AWS region; null takes the stack file's region."
  type        = string
  default     = null
}

variable "account_id" {
  description = "AWS account id used to build ARNs in the IAM policy; null asks STS (aws_caller_identity). Set it for offline plans."
  type        = string
  default     = null

  validation {
    condition     = var.account_id == null || can(regex("^[0-9]{12}$", var.account_id))
    error_message = "account_id must be 12 digits."
  }
}

variable "log_level" {
  description = "POWERTOOLS_LOG_LEVEL of the function unless the stack file's function.environment sets it."
  type        = string
  default     = "INFO"

  validation {
    condition     = contains(["DEBUG", "INFO", "WARN", "ERROR"], var.log_level)
    error_message = "log_level must be DEBUG, INFO, WARN or ERROR."
  }
}

variable "log_retention_days" {
  description = "Retention of the function's CloudWatch log group, in days (a value CloudWatch Logs accepts; 0 keeps logs forever, which is refused here on purpose: set a long retention instead)."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a retention CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, ... 3653)."
  }
}

variable "kms_key_arn" {
  description = "Customer managed KMS key for the tables, the on-failure queue, the log group (unless log_group_kms_key_arn is set), the function environment and the alarm topic. null uses AWS managed encryption (aws/dynamodb, SSE-SQS, CloudWatch Logs' own key). The key policy must allow logs.<region>.amazonaws.com and cloudwatch.amazonaws.com when set."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[a-zA-Z0-9-]+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>), not an alias or key id."
  }
}

variable "log_group_kms_key_arn" {
  description = "Customer managed KMS key for the function's CloudWatch log group only (log lines can hold record keys and error text). null falls back to kms_key_arn, then to CloudWatch Logs' own encryption. The key policy must allow logs.<region>.amazonaws.com to use it, with the kms:EncryptionContext:aws:logs:arn condition on this log group."
  type        = string
  default     = null

  validation {
    condition     = var.log_group_kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[a-zA-Z0-9-]+$", var.log_group_kms_key_arn))
    error_message = "log_group_kms_key_arn must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>); CloudWatch Logs accepts no alias or key id."
  }
}

variable "pii_key_parameter_name" {
  description = "Name of the SSM SecureString parameter holding the HMAC key for e-mail hashing. Terraform never creates or reads it: create it once with `aws ssm put-parameter --type SecureString` (docs/deployment.md). null means /<stack name>/pii-key."
  type        = string
  default     = null

  validation {
    condition     = var.pii_key_parameter_name == null ? true : can(regex("^[a-zA-Z0-9_./-]+$", var.pii_key_parameter_name)) && length(var.pii_key_parameter_name) <= 1011
    error_message = "pii_key_parameter_name must be a valid SSM parameter name."
  }
}

variable "pii_key_kms_key_arn" {
  description = "ARN of the customer managed KMS key the PII parameter is encrypted with; the function may then kms:Decrypt with it through SSM only. null: the parameter uses the AWS managed key aws/ssm, whose key policy already allows use through SSM, so no KMS statement is needed."
  type        = string
  default     = null
}

variable "alarm_email" {
  description = "E-mail address subscribed to a new SNS topic that receives the alarms (the address must confirm the subscription). Ignored when alarm_sns_topic_arn is set."
  type        = string
  default     = null
}

variable "alarm_sns_topic_arn" {
  description = "Existing SNS topic that receives the alarms. null with alarm_email null: alarms have no actions (they still show on the dashboard)."
  type        = string
  default     = null
}

variable "iterator_age_alarm_ms" {
  description = "IteratorAge (ms) above which the pipeline counts as falling behind the stream."
  type        = number
  default     = 60000
}

variable "table_deletion_protection" {
  description = "Turn on deletion protection for both tables (recommended in production; `ddb-ingest down` then cannot delete them)."
  type        = bool
  default     = false
}

variable "point_in_time_recovery" {
  description = "Point-in-time recovery (continuous backups) on both tables."
  type        = bool
  default     = true
}

variable "aws_endpoint_url" {
  description = "Send every AWS call to this endpoint instead of AWS (LocalStack, moto, DynamoDB Local), like the SDKs' AWS_ENDPOINT_URL; aws_endpoints entries win over it. null for real AWS. Any custom endpoint also turns on the skip_aws_checks behaviour (no credential validation, account id lookup or EC2 metadata check)."
  type        = string
  default     = null

  validation {
    condition     = var.aws_endpoint_url == null || can(regex("^https?://[^/?#]+", var.aws_endpoint_url))
    error_message = "aws_endpoint_url must be an http(s) URL with a host, such as http://127.0.0.1:5000."
  }
}

variable "aws_endpoints" {
  description = "Per-service endpoints, keyed by the provider's endpoint names (the SDKs' AWS_ENDPOINT_URL_<SERVICE>); a service not listed uses aws_endpoint_url, or AWS when that is null. The CLI fills it from --endpoint-url and the AWS_ENDPOINT_URL* variables."
  type        = map(string)
  default     = {}

  validation {
    # The services providers.tf gives an endpoint to.
    condition     = alltrue([for k in keys(var.aws_endpoints) : contains(["cloudwatch", "codedeploy", "dynamodb", "iam", "kms", "lambda", "logs", "sns", "sqs", "ssm", "sts"], k)])
    error_message = "aws_endpoints keys must be among: cloudwatch, codedeploy, dynamodb, iam, kms, lambda, logs, sns, sqs, ssm, sts."
  }

  validation {
    condition     = alltrue([for v in values(var.aws_endpoints) : can(regex("^https?://[^/?#]+", v))])
    error_message = "aws_endpoints values must be http(s) URLs with a host, such as http://127.0.0.1:5000."
  }
}

variable "skip_aws_checks" {
  description = "Skip credential validation, the account id lookup and the EC2 metadata check: for offline plans. Implied by a custom endpoint (aws_endpoint_url or aws_endpoints)."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Extra tags for every resource."
  type        = map(string)
  default     = {}
}

variable "function_zip_paths" {
  description = "Handler bundle zip of each version 2 function, by function name (absolute paths; the CLI builds them). The built-in pipeline's function uses lambda_zip_path."
  type        = map(string)
  default     = {}
  nullable    = false

  validation {
    condition     = alltrue([for p in values(var.function_zip_paths) : endswith(p, ".zip")])
    error_message = "function_zip_paths values must be paths of .zip files."
  }
}
