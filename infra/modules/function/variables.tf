variable "name" {
  description = "Lambda function name."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9-_]{1,64}$", var.name))
    error_message = "name must be 1-64 characters of a-z, A-Z, 0-9, \"-\", \"_\"."
  }
}

variable "description" {
  description = "Lambda function description."
  type        = string
  default     = ""
  nullable    = false
}

variable "zip_path" {
  description = "The handler bundle zip built by the CLI (index.mjs at its root)."
  type        = string
}

variable "handler" {
  description = "The export Lambda calls in index.mjs: a JavaScript identifier or a dotted property path (handler, handlers.main)."
  type        = string
  default     = "handler"
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z_$][\\w$]*(\\.[A-Za-z_$][\\w$]*)*$", var.handler))
    error_message = "handler must be a JavaScript identifier, or a dotted property path such as handlers.main."
  }
}

variable "runtime" {
  description = "Lambda runtime."
  type        = string
  default     = "nodejs22.x"
  nullable    = false

  validation {
    condition     = contains(["nodejs22.x", "nodejs20.x"], var.runtime)
    error_message = "runtime must be nodejs22.x or nodejs20.x."
  }
}

variable "timeout" {
  description = "Seconds, 1-900."
  type        = number
  default     = 30
  nullable    = false

  validation {
    condition     = var.timeout >= 1 && var.timeout <= 900 && floor(var.timeout) == var.timeout
    error_message = "timeout must be a whole number of seconds from 1 to 900."
  }
}

variable "memory_size" {
  description = "MB, 128-10240."
  type        = number
  default     = 256
  nullable    = false

  validation {
    condition     = var.memory_size >= 128 && var.memory_size <= 10240 && floor(var.memory_size) == var.memory_size
    error_message = "memory_size must be a whole number of MB from 128 to 10240."
  }
}

variable "environment" {
  description = "The stack file's environment of the function: plain configuration, never secrets. Wins over base_environment, loses to fixed_environment."
  type        = map(string)
  default     = {}
  nullable    = false
}

variable "base_environment" {
  description = "Defaults the stack file's environment may override (Powertools settings)."
  type        = map(string)
  default     = {}
  nullable    = false
}

variable "fixed_environment" {
  description = "Variables ddb-ingest sets and the stack file cannot override (table names, the PII key parameter name). NODE_OPTIONS always gets --enable-source-maps in front of the stack file's."
  type        = map(string)
  default     = {}
  nullable    = false
}

variable "tracing" {
  description = "X-Ray tracing: PassThrough or Active (which also grants the X-Ray write actions)."
  type        = string
  default     = "PassThrough"
  nullable    = false

  validation {
    condition     = contains(["PassThrough", "Active"], var.tracing)
    error_message = "tracing must be PassThrough or Active."
  }
}

variable "reserved_concurrency" {
  description = "Reserved concurrency; null: unreserved."
  type        = number
  default     = null

  validation {
    condition     = var.reserved_concurrency == null || try(var.reserved_concurrency >= 1 && var.reserved_concurrency <= 10000, false)
    error_message = "reserved_concurrency must be null or 1-10000 (0 would stop the function)."
  }
}

variable "partition" {
  description = "AWS partition (aws, aws-cn, aws-us-gov) for the ARNs of the policy."
  type        = string
}

variable "region" {
  description = "AWS region for the ARNs of the policy."
  type        = string
}

variable "account_id" {
  description = "AWS account id: the ARNs of the policy, and the only account whose Lambda may assume the role."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.account_id))
    error_message = "account_id must be 12 digits."
  }
}

variable "tables" {
  description = "What the function may do to each table, by table name: access read (BatchGetItem, ConditionCheckItem, GetItem, Query, Scan; Query and Scan also on the indexes when has_indexes), write (BatchWriteItem, DeleteItem, PutItem, UpdateItem) or read_write (both). arn is the table's ARN."
  type = map(object({
    arn         = string
    access      = string
    has_indexes = optional(bool, false)
  }))
  default  = {}
  nullable = false

  validation {
    condition     = alltrue([for t in values(var.tables) : contains(["read", "write", "read_write"], t.access)])
    error_message = "tables[*].access must be read, write or read_write."
  }
}

variable "stream_table_arns" {
  description = "ARNs of the tables whose streams the function's event source mappings read: it may read those streams only."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "stream_statement_sid" {
  description = "Sid of the stream-reading statement."
  type        = string
  default     = "ReadStreams"
  nullable    = false
}

variable "table_statements" {
  description = "Statements that replace the ones derived from tables (the built-in pipeline keeps the grant it always had). null: derive them from tables."
  type = list(object({
    sid       = string
    actions   = list(string)
    resources = list(string)
  }))
  default = null
}

variable "queue_name" {
  description = "Name of the SQS on-failure queue of the function's mappings (discarded batches are reported there)."
  type        = string
}

variable "kms_key_arn" {
  description = "Customer managed KMS key for the function environment and the on-failure queue (and granted for DynamoDB through DynamoDB); null: AWS managed encryption."
  type        = string
  default     = null
}

variable "log_retention_days" {
  description = "Retention of the log group, in days."
  type        = number
  default     = 30
  nullable    = false
}

variable "log_kms_key_arn" {
  description = "Customer managed KMS key of the log group; null: CloudWatch Logs' own key."
  type        = string
  default     = null
}

variable "pii_key_parameter_arn" {
  description = "ARN of the SSM parameter the function may read (ssm:GetParameter); null: none."
  type        = string
  default     = null
}

variable "pii_key_kms_key_arn" {
  description = "KMS key of that parameter, decryptable through SSM only; null: the AWS managed aws/ssm key (no statement needed)."
  type        = string
  default     = null
}

variable "alarm_name_prefix" {
  description = "Alarm names are <prefix>-errors, -throttles, -iterator-age, -dlq-messages."
  type        = string
}

variable "alarm_actions" {
  description = "SNS topic ARNs notified when an alarm changes state."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "iterator_age_alarm_ms" {
  description = "IteratorAge (ms) above which the function counts as falling behind its streams."
  type        = number
  default     = 60000
  nullable    = false
}

variable "codedeploy_enabled" {
  description = "Create a CodeDeploy application and deployment group that shift the live alias (canary, rollback on alarm). false: the CLI moves the alias itself."
  type        = bool
  default     = true
  nullable    = false
}

variable "deployment_config" {
  description = "CodeDeploy deployment configuration of the live alias."
  type        = string
  default     = "CodeDeployDefault.LambdaCanary10Percent5Minutes"
  nullable    = false
}
