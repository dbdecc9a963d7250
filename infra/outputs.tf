# Names, ARNs and URLs only: nothing here is secret (ddb-ingest stores these
# outputs in <state dir>/aws-outputs.json for the other commands).
output "region" {
  description = "AWS region of the stack."
  value       = local.region
}

output "source_table_name" {
  description = "Source table (with the stream)."
  value       = aws_dynamodb_table.source.name
}

output "sink_table_name" {
  description = "Sink table the function writes."
  value       = aws_dynamodb_table.sink.name
}

output "stream_arn" {
  description = "ARN of the source table's stream."
  value       = aws_dynamodb_table.source.stream_arn
}

output "function_name" {
  description = "Lambda function name."
  value       = aws_lambda_function.this.function_name
}

output "function_arn" {
  description = "Lambda function ARN (unqualified)."
  value       = aws_lambda_function.this.arn
}

output "function_version" {
  description = "Latest published version: the one `ddb-ingest up --target aws` deploys to `live` (through CodeDeploy unless deployment.codedeploy is false)."
  value       = aws_lambda_function.this.version
}

output "live_alias_arn" {
  description = "ARN of the `live` alias the event source mapping invokes."
  value       = aws_lambda_alias.live.arn
}

output "live_version" {
  description = "Function version the `live` alias pointed at when Terraform last read it (CodeDeploy moves it; ask Lambda for the current one)."
  value       = aws_lambda_alias.live.function_version
}

output "codedeploy_app_name" {
  description = "CodeDeploy application (compute platform Lambda) that deploys new versions to `live`; null when the stack file's deployment.codedeploy is false."
  value       = one(aws_codedeploy_app.this[*].name)
}

output "codedeploy_deployment_group_name" {
  description = "CodeDeploy deployment group of the `live` alias, with the rollback alarms; null when the stack file's deployment.codedeploy is false."
  value       = one(aws_codedeploy_deployment_group.live[*].deployment_group_name)
}

output "event_source_mapping_uuid" {
  description = "UUID of the event source mapping (for `aws lambda get-event-source-mapping`)."
  value       = aws_lambda_event_source_mapping.this.uuid
}

output "dlq_url" {
  description = "URL of the SQS on-failure queue."
  value       = aws_sqs_queue.on_failure.url
}

output "dlq_arn" {
  description = "ARN of the SQS on-failure queue."
  value       = aws_sqs_queue.on_failure.arn
}

output "log_group_name" {
  description = "CloudWatch log group of the function."
  value       = aws_cloudwatch_log_group.function.name
}

output "alarm_topic_arn" {
  description = "SNS topic that receives the alarms, or null."
  value       = local.alarm_topic_arn
}

output "dashboard_name" {
  description = "CloudWatch dashboard of the pipeline."
  value       = aws_cloudwatch_dashboard.this.dashboard_name
}
