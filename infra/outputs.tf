# Names, ARNs and URLs only: nothing here is secret (ddb-ingest stores these
# outputs in <state dir>/aws-outputs.json for the other commands). The
# single-pipeline outputs are null for a version 2 stack without the built-in
# pipeline; `functions`, `tables`, `mappings` and `dlq_urls` cover every stack.
# (module.x[null] fails and try() turns that into null: without the
# built-in pipeline, even a v2 entry named like a pipeline key is not taken.)

output "region" {
  description = "AWS region of the stack."
  value       = local.region
}

output "source_table_name" {
  description = "Source table of the built-in pipeline (with the stream); null without it."
  value       = try(module.table[local.pipeline_tables_keys.source].name, null)
}

output "sink_table_name" {
  description = "Sink table the built-in pipeline's function writes; null without it."
  value       = try(module.table[local.pipeline_tables_keys.sink].name, null)
}

output "stream_arn" {
  description = "ARN of the built-in pipeline's source table stream; null without it."
  value       = try(module.table[local.pipeline_tables_keys.source].stream_arn, null)
}

output "function_name" {
  description = "The built-in pipeline's Lambda function name; null without it."
  value       = try(module.function[local.pipeline_key].function_name, null)
}

output "function_arn" {
  description = "The built-in pipeline's Lambda function ARN (unqualified); null without it."
  value       = try(module.function[local.pipeline_key].function_arn, null)
}

output "function_version" {
  description = "Latest published version of the built-in pipeline's function: the one `ddb-ingest up --target aws` deploys to `live` (through CodeDeploy unless deployment.codedeploy is false)."
  value       = try(module.function[local.pipeline_key].function_version, null)
}

output "live_alias_arn" {
  description = "ARN of the `live` alias the built-in pipeline's event source mapping invokes."
  value       = try(module.function[local.pipeline_key].live_alias_arn, null)
}

output "live_version" {
  description = "Version the built-in pipeline's `live` alias pointed at when Terraform last read it (CodeDeploy moves it; ask Lambda for the current one)."
  value       = try(module.function[local.pipeline_key].live_version, null)
}

output "codedeploy_app_name" {
  description = "CodeDeploy application (compute platform Lambda) of the built-in pipeline's function; null when the stack file's deployment.codedeploy is false."
  value       = try(module.function[local.pipeline_key].codedeploy_app_name, null)
}

output "codedeploy_deployment_group_name" {
  description = "CodeDeploy deployment group of the built-in pipeline's `live` alias, with the rollback alarms; null when the stack file's deployment.codedeploy is false."
  value       = try(module.function[local.pipeline_key].codedeploy_deployment_group_name, null)
}

output "event_source_mapping_uuid" {
  description = "UUID of the built-in pipeline's event source mapping (for `aws lambda get-event-source-mapping`)."
  value       = try(module.event_source_mapping[local.pipeline_mapping_key].uuid, null)
}

output "dlq_url" {
  description = "URL of the built-in pipeline's SQS on-failure queue."
  value       = try(module.function[local.pipeline_key].dlq_url, null)
}

output "dlq_arn" {
  description = "ARN of the built-in pipeline's SQS on-failure queue."
  value       = try(module.function[local.pipeline_key].dlq_arn, null)
}

output "log_group_name" {
  description = "CloudWatch log group of the built-in pipeline's function."
  value       = try(module.function[local.pipeline_key].log_group_name, null)
}

output "dlq_urls" {
  description = "On-failure queue URL of every function, by function name (its mappings report discarded batches there)."
  value       = { for key, fn in module.function : fn.function_name => fn.dlq_url }
}

output "functions" {
  description = "Every function by name: its Lambda name, ARN, latest version, live alias (name and ARN), log group, on-failure queue, CodeDeploy application and group (null without CodeDeploy): what `ddb-ingest rollback --function` moves back."
  value = {
    for key, fn in module.function : fn.function_name => {
      function_name                    = fn.function_name
      function_arn                     = fn.function_arn
      function_version                 = fn.function_version
      live_alias_name                  = fn.live_alias_name
      live_alias_arn                   = fn.live_alias_arn
      log_group_name                   = fn.log_group_name
      dlq_url                          = fn.dlq_url
      dlq_arn                          = fn.dlq_arn
      codedeploy_app_name              = fn.codedeploy_app_name
      codedeploy_deployment_group_name = fn.codedeploy_deployment_group_name
    }
  }
}

output "tables" {
  description = "Every table by name: ARN and stream ARN (null without a stream)."
  value       = { for key, t in module.table : t.name => { arn = t.arn, stream_arn = t.stream_arn } }
}

output "mappings" {
  description = "Every event source mapping, keyed \"<function>/<table>\": function and table names, UUID, stream ARN, the function's on-failure queue URL."
  value = {
    for key, m in local.mappings : "${local.functions[m.function].name}/${local.tables[m.table].name}" => {
      function   = local.functions[m.function].name
      table      = local.tables[m.table].name
      uuid       = module.event_source_mapping[key].uuid
      stream_arn = module.table[m.table].stream_arn
      dlq_url    = module.function[m.function].dlq_url
    }
  }
}

output "alarm_topic_arn" {
  description = "SNS topic that receives the alarms, or null."
  value       = local.alarm_topic_arn
}

output "dashboard_name" {
  description = "CloudWatch dashboard of the stack."
  value       = aws_cloudwatch_dashboard.this.dashboard_name
}
