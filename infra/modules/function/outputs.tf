output "function_name" {
  description = "Lambda function name."
  value       = aws_lambda_function.this.function_name
}

output "function_arn" {
  description = "Lambda function ARN (unqualified)."
  value       = aws_lambda_function.this.arn
}

output "function_version" {
  description = "Latest published version: the one `ddb-ingest up --target aws` deploys to `live`."
  value       = aws_lambda_function.this.version
}

output "live_alias_arn" {
  description = "ARN of the `live` alias the event source mappings invoke."
  value       = aws_lambda_alias.live.arn
}

output "live_alias_name" {
  description = "Name of the alias the event source mappings invoke, that deployments and `ddb-ingest rollback` move."
  value       = aws_lambda_alias.live.name
}

output "live_version" {
  description = "Version `live` pointed at when Terraform last read it (CodeDeploy or the CLI moves it)."
  value       = aws_lambda_alias.live.function_version
}

output "role_arn" {
  description = "Execution role ARN."
  value       = aws_iam_role.this.arn
}

output "log_group_name" {
  description = "CloudWatch log group of the function."
  value       = aws_cloudwatch_log_group.this.name
}

output "dlq_url" {
  description = "URL of the SQS on-failure queue of the function's mappings."
  value       = aws_sqs_queue.on_failure.url
}

output "dlq_arn" {
  description = "ARN of the SQS on-failure queue of the function's mappings."
  value       = aws_sqs_queue.on_failure.arn
}

output "codedeploy_app_name" {
  description = "CodeDeploy application of the function; null without CodeDeploy."
  value       = one(aws_codedeploy_app.this[*].name)
}

output "codedeploy_deployment_group_name" {
  description = "CodeDeploy deployment group of the `live` alias; null without CodeDeploy."
  value       = one(aws_codedeploy_deployment_group.live[*].deployment_group_name)
}

output "alarm_names" {
  description = "Alarm names by kind (errors, throttles, iterator_age, dlq_messages)."
  value       = local.alarm_names
}
