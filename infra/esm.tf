# Discarded batches (retries exhausted, records too old) are reported here as
# AWS's on-failure JSON; the records themselves stay in the stream for 24 h, so
# `ddb-ingest replay --from-dlq` can fetch them again.
resource "aws_sqs_queue" "on_failure" {
  name                      = local.dlq_name
  message_retention_seconds = 1209600 # 14 days, the SQS maximum

  sqs_managed_sse_enabled           = var.kms_key_arn == null ? true : null
  kms_master_key_id                 = var.kms_key_arn
  kms_data_key_reuse_period_seconds = var.kms_key_arn == null ? null : 300
}

# The mapping targets the alias, not a version: its shard checkpoints belong to
# the mapping, so moving the alias (deploy or rollback) keeps the stream position.
resource "aws_lambda_event_source_mapping" "this" {
  event_source_arn = aws_dynamodb_table.source.stream_arn
  function_name    = aws_lambda_alias.live.arn
  enabled          = local.stack.event_source_mapping.enabled

  starting_position                  = local.stack.event_source_mapping.starting_position
  batch_size                         = local.stack.event_source_mapping.batch_size
  maximum_batching_window_in_seconds = local.stack.event_source_mapping.maximum_batching_window_in_seconds
  parallelization_factor             = local.stack.event_source_mapping.parallelization_factor
  bisect_batch_on_function_error     = local.stack.event_source_mapping.bisect_batch_on_function_error
  maximum_retry_attempts             = local.stack.event_source_mapping.maximum_retry_attempts
  maximum_record_age_in_seconds      = local.stack.event_source_mapping.maximum_record_age_in_seconds
  function_response_types            = local.stack.event_source_mapping.function_response_types

  dynamic "filter_criteria" {
    for_each = length(local.stack.event_source_mapping.filters) > 0 ? [1] : []
    content {
      dynamic "filter" {
        for_each = local.stack.event_source_mapping.filters
        content {
          pattern = filter.value
        }
      }
    }
  }

  destination_config {
    on_failure {
      destination_arn = aws_sqs_queue.on_failure.arn
    }
  }

  # Lambda checks the role's stream and queue permissions when the mapping is created.
  depends_on = [aws_iam_role_policy.function]
}
