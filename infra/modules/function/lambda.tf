resource "aws_lambda_function" "this" {
  function_name    = var.name
  description      = var.description
  role             = aws_iam_role.this.arn
  filename         = var.zip_path
  source_code_hash = filebase64sha256(var.zip_path)
  handler          = "index.${var.handler}"
  runtime          = var.runtime
  timeout          = var.timeout
  memory_size      = var.memory_size
  architectures    = ["arm64"]
  # null keeps Lambda's own key for the environment (which holds names only).
  kms_key_arn = var.kms_key_arn

  # null (unreserved) becomes -1, the provider's "no reservation".
  reserved_concurrent_executions = coalesce(var.reserved_concurrency, -1)

  tracing_config {
    mode = var.tracing
  }

  # Every change publishes a new immutable version; the `live` alias decides
  # which one the event source mappings invoke.
  publish = true

  environment {
    # Defaults first so the stack file can override them; ddb-ingest's own
    # variables last so it cannot. Names only, never a secret.
    variables = merge(
      var.base_environment,
      var.environment,
      var.fixed_environment,
      {
        # The zip carries index.*.map: stack traces name the handler's source
        # files. Options the stack file sets are kept after it.
        NODE_OPTIONS = trimspace("--enable-source-maps ${lookup(var.environment, "NODE_OPTIONS", "")}")
      },
    )
  }

  # The log group must exist (with its retention) before the first invocation,
  # or Lambda creates one that never expires.
  depends_on = [
    aws_cloudwatch_log_group.this,
    aws_iam_role_policy.this,
  ]
}

# Terraform creates the alias once, on the first published version; from then
# on CodeDeploy moves it (`ddb-ingest up --target aws`): a new version gets
# traffic only through a deployment that can roll back. Without CodeDeploy the
# CLI moves it and records the move in its description, as CodeDeploy's
# history would.
resource "aws_lambda_alias" "live" {
  name             = "live"
  description      = "The version the event source mapping invokes; CodeDeploy shifts it (ddb-ingest up / rollback)."
  function_name    = aws_lambda_function.this.function_name
  function_version = aws_lambda_function.this.version

  lifecycle {
    # A plan would otherwise move `live` to the new version at once (and undo
    # a canary or a rollback half-way), or erase the CLI's record of a move.
    ignore_changes = [function_version, routing_config, description]
  }
}

resource "aws_cloudwatch_metric_alarm" "this" {
  for_each = local.alarms

  alarm_name          = local.alarm_names[each.key]
  alarm_description   = each.value.description
  namespace           = each.value.namespace
  metric_name         = each.value.metric
  statistic           = each.value.statistic
  dimensions          = each.value.dimensions
  period              = 60
  evaluation_periods  = 5
  datapoints_to_alarm = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = each.value.threshold
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_actions
  ok_actions          = var.alarm_actions
}
