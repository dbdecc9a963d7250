# Every (function, table stream) mapping (modules/event_source_mapping), on the
# function's `live` alias, reporting discarded batches to the function's queue.
module "event_source_mapping" {
  source   = "./modules/event_source_mapping"
  for_each = local.mappings

  event_source_arn           = module.table[each.value.table].stream_arn
  function_name              = module.function[each.value.function].live_alias_arn
  on_failure_destination_arn = module.function[each.value.function].dlq_arn

  enabled                            = try(each.value.settings.enabled, null)
  batch_size                         = try(each.value.settings.batch_size, null)
  maximum_batching_window_in_seconds = try(each.value.settings.maximum_batching_window_in_seconds, null)
  starting_position                  = try(each.value.settings.starting_position, null)
  parallelization_factor             = try(each.value.settings.parallelization_factor, null)
  bisect_batch_on_function_error     = try(each.value.settings.bisect_batch_on_function_error, null)
  maximum_retry_attempts             = try(each.value.settings.maximum_retry_attempts, null)
  maximum_record_age_in_seconds      = try(each.value.settings.maximum_record_age_in_seconds, null)
  function_response_types            = try(tolist(each.value.settings.function_response_types), null)
  filter_patterns                    = try([for f in each.value.settings.filter_criteria.filter : f.pattern], null)

  # Lambda checks the role's stream and queue permissions when the mapping is created.
  depends_on = [module.function]
}
