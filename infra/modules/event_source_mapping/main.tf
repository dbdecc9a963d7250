# One stream -> function mapping. It targets the alias, not a version: its
# shard checkpoints belong to the mapping, so moving the alias (deploy or
# rollback) keeps the stream position.
resource "aws_lambda_event_source_mapping" "this" {
  event_source_arn = var.event_source_arn
  function_name    = var.function_name
  enabled          = var.enabled

  starting_position                  = var.starting_position
  batch_size                         = var.batch_size
  maximum_batching_window_in_seconds = var.maximum_batching_window_in_seconds
  parallelization_factor             = var.parallelization_factor
  bisect_batch_on_function_error     = var.bisect_batch_on_function_error
  maximum_retry_attempts             = var.maximum_retry_attempts
  maximum_record_age_in_seconds      = var.maximum_record_age_in_seconds
  function_response_types            = var.function_response_types

  dynamic "filter_criteria" {
    for_each = length(var.filter_patterns) > 0 ? [1] : []
    content {
      dynamic "filter" {
        for_each = var.filter_patterns
        content {
          pattern = filter.value
        }
      }
    }
  }

  destination_config {
    on_failure {
      destination_arn = var.on_failure_destination_arn
    }
  }
}
