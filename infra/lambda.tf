locals {
  # The built-in pipeline's grant, as it has always been: the handler's one
  # prefetch (BatchGetItem), GetItem, and its writes (TransactWriteItems is
  # authorized per contained put and update). Removed orders become
  # tombstones (PutItem), so it never deletes. The source only through its stream.
  pipeline_statements = [{
    sid = "WriteSink"
    actions = [
      "dynamodb:BatchGetItem",
      "dynamodb:GetItem",
      "dynamodb:PutItem",
      "dynamodb:UpdateItem",
    ]
    resources = ["${local.table_prefix}/${local.stack.sink_table.name}"]
  }]
}

# Every function of the stack file (modules/function): Lambda with its role and
# least-privilege policy derived from its `tables`, log group, on-failure
# queue, alarms, `live` alias and (unless off) CodeDeploy.
module "function" {
  source   = "./modules/function"
  for_each = local.functions

  name = each.value.name
  description = (each.key == local.pipeline_key
    ? "ddb-ingest: ${local.stack.source_table.name} stream -> ${local.stack.sink_table.name}"
    : "ddb-ingest: ${local.stack.name} function ${each.value.name}"
  )
  zip_path             = each.value.zip_path
  handler              = try(each.value.settings.handler, null)
  runtime              = try(each.value.settings.runtime, null)
  timeout              = try(each.value.settings.timeout, null)
  memory_size          = try(each.value.settings.memory_size, null)
  tracing              = try(each.value.settings.tracing, null)
  reserved_concurrency = try(each.value.settings.reserved_concurrency, null)
  environment          = try(tomap(each.value.settings.environment), null)
  base_environment = {
    POWERTOOLS_SERVICE_NAME      = local.stack.name
    POWERTOOLS_METRICS_NAMESPACE = local.stack.name
    POWERTOOLS_LOG_LEVEL         = var.log_level
  }
  # Only the PII parameter's NAME, never the key: the handler reads it from SSM at cold start.
  fixed_environment = each.key == local.pipeline_key ? merge(
    {
      SINK_TABLE_NAME   = local.stack.sink_table.name
      PII_KEY_PARAMETER = local.pii_key_param
    },
    # The source's key attribute where it is not the contract's orderId (the
    # handler's default), as the local target sets it (pipelineEnvironment).
    local.stack.source_table.hash_key == "orderId" ? {} : { SOURCE_HASH_KEY = local.stack.source_table.hash_key },
    ) : {
    # The contract of shared/spec/cli.md: TABLE_ and the name in upper case, "-" and "." as "_".
    for table in keys(each.value.tables) : "TABLE_${upper(replace(table, "/[-.]/", "_"))}" => table
  }

  partition  = local.partition
  region     = local.region
  account_id = local.account_id

  tables = {
    for table, access in each.value.tables : table => {
      arn    = "${local.table_prefix}/${table}"
      access = access
      has_indexes = (
        length(try(local.tables[local.table_keys[table]].global_secondary_indexes, [])) +
        length(try(local.tables[local.table_keys[table]].local_secondary_indexes, []))
      ) > 0
    }
  }
  table_statements     = each.key == local.pipeline_key ? local.pipeline_statements : null
  stream_table_arns    = [for source in each.value.event_sources : "${local.table_prefix}/${source.table}"]
  stream_statement_sid = each.key == local.pipeline_key ? "ReadSourceStream" : null

  queue_name            = local.queue_names[each.key]
  kms_key_arn           = var.kms_key_arn
  log_retention_days    = var.log_retention_days
  log_kms_key_arn       = local.log_kms_key_arn
  pii_key_parameter_arn = each.key == local.pipeline_key ? local.pii_key_arn : null
  pii_key_kms_key_arn   = var.pii_key_kms_key_arn

  alarm_name_prefix     = each.key == local.pipeline_key ? "${local.stack.name}-${var.environment}" : "${local.stack.name}-${var.environment}-${each.value.name}"
  alarm_actions         = local.alarm_actions
  iterator_age_alarm_ms = var.iterator_age_alarm_ms

  codedeploy_enabled = local.codedeploy_enabled
  deployment_config  = local.stack.deployment.config
}
