variable "event_source_arn" {
  description = "ARN of the DynamoDB stream the mapping reads."
  type        = string
}

variable "function_name" {
  description = "What the mapping invokes: the `live` alias ARN, so its shard checkpoints survive deployments and rollbacks."
  type        = string
}

variable "on_failure_destination_arn" {
  description = "SQS queue ARN that receives AWS's on-failure message of every discarded batch."
  type        = string
}

variable "enabled" {
  description = "Whether the mapping polls the stream."
  type        = bool
  default     = true
  nullable    = false
}

variable "batch_size" {
  description = "Records per invocation, 1-10000."
  type        = number
  default     = 100
  nullable    = false

  validation {
    condition     = var.batch_size >= 1 && var.batch_size <= 10000 && floor(var.batch_size) == var.batch_size
    error_message = "batch_size must be a whole number from 1 to 10000."
  }
}

variable "maximum_batching_window_in_seconds" {
  description = "Seconds to gather records before invoking, 0-300."
  type        = number
  default     = 0
  nullable    = false

  validation {
    condition     = var.maximum_batching_window_in_seconds >= 0 && var.maximum_batching_window_in_seconds <= 300
    error_message = "maximum_batching_window_in_seconds must be 0-300."
  }
}

variable "starting_position" {
  description = "TRIM_HORIZON (the oldest record kept) or LATEST."
  type        = string
  default     = "TRIM_HORIZON"
  nullable    = false

  validation {
    condition     = contains(["TRIM_HORIZON", "LATEST"], var.starting_position)
    error_message = "starting_position must be TRIM_HORIZON or LATEST."
  }
}

variable "parallelization_factor" {
  description = "Concurrent batches per shard, 1-10."
  type        = number
  default     = 1
  nullable    = false

  validation {
    condition     = var.parallelization_factor >= 1 && var.parallelization_factor <= 10
    error_message = "parallelization_factor must be 1-10."
  }
}

variable "bisect_batch_on_function_error" {
  description = "Split a failing batch in two and retry the halves."
  type        = bool
  default     = true
  nullable    = false
}

variable "maximum_retry_attempts" {
  description = "Retries of a failing batch, -1 (until the record expires) to 10000."
  type        = number
  default     = 5
  nullable    = false

  validation {
    condition     = var.maximum_retry_attempts >= -1 && var.maximum_retry_attempts <= 10000
    error_message = "maximum_retry_attempts must be -1 to 10000."
  }
}

variable "maximum_record_age_in_seconds" {
  description = "Records older than this are discarded: -1 (never), or 60-604800."
  type        = number
  default     = 3600
  nullable    = false

  validation {
    condition     = var.maximum_record_age_in_seconds == -1 || (var.maximum_record_age_in_seconds >= 60 && var.maximum_record_age_in_seconds <= 604800)
    error_message = "maximum_record_age_in_seconds must be -1, or 60 to 604800."
  }
}

variable "function_response_types" {
  description = "ReportBatchItemFailures: the handler returns the records that failed, so only those are retried."
  type        = list(string)
  default     = ["ReportBatchItemFailures"]
  nullable    = false

  validation {
    condition     = alltrue([for t in var.function_response_types : t == "ReportBatchItemFailures"])
    error_message = "function_response_types may hold only ReportBatchItemFailures."
  }
}

variable "filter_patterns" {
  description = "Lambda event filter patterns (JSON strings), at most 5; a record is delivered when one matches. Empty: every record."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = length(var.filter_patterns) <= 5 && alltrue([for p in var.filter_patterns : can(jsondecode(p))])
    error_message = "filter_patterns must be at most 5 JSON documents."
  }
}
