locals {
  # IAM role names stop at 64 characters and function names may use all 64:
  # "<function>-<suffix>" when it fits, else the name cut short and 8 hex
  # digits of its SHA-1, so two long names never share a role and a name that
  # fits keeps the role it always had. The two cut forms differ in length, so
  # a function's own role and its CodeDeploy role never collide.
  hash                 = substr(sha1(var.name), 0, 8)
  role_name            = length("${var.name}-role") <= 64 ? "${var.name}-role" : "${substr(var.name, 0, 55)}-${local.hash}"
  codedeploy_role_name = length("${var.name}-codedeploy") <= 64 ? "${var.name}-codedeploy" : "${substr(var.name, 0, 51)}-cd-${local.hash}"
  log_group_name       = "/aws/lambda/${var.name}"

  # ARNs built from names, not resource attributes: the policy is then fully
  # known at plan time, so reviewers (and our tests) see exactly what it allows.
  arn_prefix    = "arn:${var.partition}"
  log_group_arn = "${local.arn_prefix}:logs:${var.region}:${var.account_id}:log-group:${local.log_group_name}"
  queue_arn     = "${local.arn_prefix}:sqs:${var.region}:${var.account_id}:${var.queue_name}"
  function_arn  = "${local.arn_prefix}:lambda:${var.region}:${var.account_id}:function:${var.name}"

  # Each access grants exactly these item actions, nothing wider.
  read_actions  = ["dynamodb:BatchGetItem", "dynamodb:ConditionCheckItem", "dynamodb:GetItem", "dynamodb:Query", "dynamodb:Scan"]
  write_actions = ["dynamodb:BatchWriteItem", "dynamodb:DeleteItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]
  readers       = [for name in sort(keys(var.tables)) : var.tables[name] if contains(["read", "read_write"], var.tables[name].access)]
  writers       = [for name in sort(keys(var.tables)) : var.tables[name] if contains(["write", "read_write"], var.tables[name].access)]
  derived_statements = concat(
    length(local.readers) == 0 ? [] : [{
      sid       = "ReadTables"
      actions   = local.read_actions
      resources = [for t in local.readers : t.arn]
    }],
    # Query and Scan are the only item reads an index serves.
    length([for t in local.readers : t if t.has_indexes]) == 0 ? [] : [{
      sid       = "ReadIndexes"
      actions   = ["dynamodb:Query", "dynamodb:Scan"]
      resources = [for t in local.readers : "${t.arn}/index/*" if t.has_indexes]
    }],
    length(local.writers) == 0 ? [] : [{
      sid       = "WriteTables"
      actions   = local.write_actions
      resources = [for t in local.writers : t.arn]
    }],
  )
  table_statements = var.table_statements != null ? var.table_statements : local.derived_statements

  alarm_names = { for key in keys(local.alarms) : key => "${var.alarm_name_prefix}-${replace(key, "_", "-")}" }
  # These stop and roll back a CodeDeploy deployment.
  rollback_alarms = ["errors", "throttles", "iterator_age"]
  # The function's alarms watch the `live` alias (dimension Resource =
  # <function>:live): the invocations the event source mappings make, on
  # whichever versions the alias splits them between during a deployment.
  live_dimensions = { FunctionName = var.name, Resource = "${var.name}:live" }
  alarms = {
    errors = {
      namespace   = "AWS/Lambda"
      metric      = "Errors"
      statistic   = "Sum"
      threshold   = 0
      dimensions  = local.live_dimensions
      description = "The function failed invocations (whole batches: retried, then bisected or discarded to the on-failure queue)."
    }
    throttles = {
      namespace   = "AWS/Lambda"
      metric      = "Throttles"
      statistic   = "Sum"
      threshold   = 0
      dimensions  = local.live_dimensions
      description = "Invocations were throttled: the stream is read more slowly than it is written."
    }
    iterator_age = {
      namespace   = "AWS/Lambda"
      metric      = "IteratorAge"
      statistic   = "Maximum"
      threshold   = var.iterator_age_alarm_ms
      dimensions  = local.live_dimensions
      description = "The newest record processed is older than ${var.iterator_age_alarm_ms} ms: the pipeline is falling behind."
    }
    dlq_messages = {
      namespace   = "AWS/SQS"
      metric      = "ApproximateNumberOfMessagesVisible"
      statistic   = "Maximum"
      threshold   = 0
      dimensions  = { QueueName = var.queue_name }
      description = "Batches were discarded to the on-failure queue: inspect with `ddb-ingest dlq`, re-drive with `ddb-ingest replay --from-dlq`."
    }
  }
}

resource "aws_cloudwatch_log_group" "this" {
  name              = local.log_group_name
  retention_in_days = var.log_retention_days
  kms_key_id        = var.log_kms_key_arn
}

# Discarded batches (retries exhausted, records too old) of every mapping of
# the function are reported here as AWS's on-failure JSON (each names its
# stream); the records stay in the stream for 24 h, so `ddb-ingest replay
# --from-dlq` can fetch them again.
resource "aws_sqs_queue" "on_failure" {
  name                      = var.queue_name
  message_retention_seconds = 1209600 # 14 days, the SQS maximum

  sqs_managed_sse_enabled           = var.kms_key_arn == null ? true : null
  kms_master_key_id                 = var.kms_key_arn
  kms_data_key_reuse_period_seconds = var.kms_key_arn == null ? null : 300
}
