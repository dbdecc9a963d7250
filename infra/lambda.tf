resource "aws_cloudwatch_log_group" "function" {
  name              = local.log_group_name
  retention_in_days = var.log_retention_days
  kms_key_id        = local.log_kms_key_arn
}

resource "aws_lambda_function" "this" {
  function_name    = local.fn_name
  description      = "ddb-ingest: ${local.stack.source_table.name} stream -> ${local.stack.sink_table.name}"
  role             = aws_iam_role.function.arn
  filename         = local.zip_path
  source_code_hash = filebase64sha256(local.zip_path)
  handler          = "index.${local.stack.function.handler}"
  runtime          = local.stack.function.runtime
  timeout          = local.stack.function.timeout
  memory_size      = local.stack.function.memory_size
  architectures    = ["arm64"]
  # null keeps Lambda's own key for the environment (which holds names only).
  kms_key_arn = var.kms_key_arn

  reserved_concurrent_executions = local.stack.function.reserved_concurrency

  tracing_config {
    mode = local.stack.function.tracing
  }

  # Every change publishes a new immutable version; the `live` alias decides
  # which one the event source mapping invokes.
  publish = true

  environment {
    # Powertools defaults first so the stack file can override them; the
    # pipeline variables last so it cannot. Only the parameter NAME is here,
    # never the key: the handler reads it from SSM at cold start.
    variables = merge(
      {
        POWERTOOLS_SERVICE_NAME      = local.stack.name
        POWERTOOLS_METRICS_NAMESPACE = local.stack.name
        POWERTOOLS_LOG_LEVEL         = var.log_level
      },
      local.stack.function.environment,
      {
        SINK_TABLE_NAME   = aws_dynamodb_table.sink.name
        PII_KEY_PARAMETER = local.pii_key_param
        # The zip carries index.*.map: stack traces name the handler's source
        # files. Options the stack file sets are kept after it.
        NODE_OPTIONS = trimspace("--enable-source-maps ${lookup(local.stack.function.environment, "NODE_OPTIONS", "")}")
      },
      # The source's key attribute where it is not the contract's orderId (the
      # handler's default), as the local target sets it (pipelineEnvironment).
      local.stack.source_table.hash_key == "orderId" ? {} : { SOURCE_HASH_KEY = local.stack.source_table.hash_key },
    )
  }

  # The log group must exist (with its retention) before the first invocation,
  # or Lambda creates one that never expires.
  depends_on = [
    aws_cloudwatch_log_group.function,
    aws_iam_role_policy.function,
  ]
}

# Terraform creates the alias once, on the first published version; from then
# on CodeDeploy moves it (infra/codedeploy.tf, `ddb-ingest up --target aws`):
# a new version gets traffic only through a deployment that can roll back.
# Without CodeDeploy (deployment.codedeploy = false) the CLI moves it and
# records the move in its description, as CodeDeploy's history would.
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
