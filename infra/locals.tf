# The stack file is the one source of names and settings for both targets. Every
# key is optional: the defaults below are the same as src/config/stack.ts, so a
# partial (or missing) file deploys exactly what `ddb-ingest up` runs locally.
locals {
  stack_path = startswith(var.stack_file, "/") ? var.stack_file : "${path.module}/${var.stack_file}"
  zip_path   = startswith(var.lambda_zip_path, "/") ? var.lambda_zip_path : "${path.module}/${var.lambda_zip_path}"

  raw      = jsondecode(fileexists(local.stack_path) ? file(local.stack_path) : "{}")
  raw_src  = try(local.raw.source_table, {})
  raw_sink = try(local.raw.sink_table, {})
  raw_fn   = try(local.raw.function, {})
  raw_esm  = try(local.raw.event_source_mapping, {})
  raw_dep  = try(local.raw.deployment, {})

  stack = {
    name   = try(local.raw.name, "ddb-ingest")
    region = try(local.raw.region, "us-east-1")
    source_table = {
      name             = try(local.raw_src.name, "ddb-ingest-orders")
      hash_key         = try(local.raw_src.hash_key, "orderId")
      stream_view_type = try(local.raw_src.stream_view_type, "NEW_AND_OLD_IMAGES")
    }
    sink_table = {
      name     = try(local.raw_sink.name, "ddb-ingest-ingested")
      hash_key = try(local.raw_sink.hash_key, "pk")
    }
    function = {
      name        = try(local.raw_fn.name, "ddb-ingest-ingest")
      handler     = try(local.raw_fn.handler, "handler")
      runtime     = try(local.raw_fn.runtime, "nodejs22.x")
      timeout     = try(local.raw_fn.timeout, 30)
      memory_size = try(local.raw_fn.memory_size, 256)
      environment = try(tomap(local.raw_fn.environment), {})
      tracing     = try(local.raw_fn.tracing, "PassThrough")
      # null (unreserved) becomes -1, the provider's "no reservation".
      reserved_concurrency = coalesce(try(local.raw_fn.reserved_concurrency, null), -1)
    }
    event_source_mapping = {
      batch_size                         = try(local.raw_esm.batch_size, 100)
      maximum_batching_window_in_seconds = try(local.raw_esm.maximum_batching_window_in_seconds, 0)
      starting_position                  = try(local.raw_esm.starting_position, "TRIM_HORIZON")
      parallelization_factor             = try(local.raw_esm.parallelization_factor, 1)
      bisect_batch_on_function_error     = try(local.raw_esm.bisect_batch_on_function_error, true)
      maximum_retry_attempts             = try(local.raw_esm.maximum_retry_attempts, 5)
      maximum_record_age_in_seconds      = try(local.raw_esm.maximum_record_age_in_seconds, 3600)
      function_response_types            = try(tolist(local.raw_esm.function_response_types), ["ReportBatchItemFailures"])
      filters                            = try([for f in local.raw_esm.filter_criteria.filter : f.pattern], [])
      enabled                            = try(local.raw_esm.enabled, true)
    }
    deployment = {
      # null: on for AWS, off when CodeDeploy goes to a custom endpoint (an
      # emulator; src/config/stack.ts). Off: no CodeDeploy resources, the CLI
      # moves `live` itself.
      codedeploy = try(local.raw_dep.codedeploy, null)
      config     = try(local.raw_dep.config, "CodeDeployDefault.LambdaCanary10Percent5Minutes")
    }
  }

  codedeploy_endpoint = lookup(var.aws_endpoints, "codedeploy", var.aws_endpoint_url)
  codedeploy_enabled  = local.stack.deployment.codedeploy != null ? local.stack.deployment.codedeploy : local.codedeploy_endpoint == null

  region     = coalesce(var.region, local.stack.region)
  partition  = data.aws_partition.current.partition
  account_id = var.account_id != null ? var.account_id : data.aws_caller_identity.current[0].account_id

  fn_name = local.stack.function.name
  # IAM role names stop at 64 characters and function names may use all 64:
  # "<function>-<suffix>" when it fits, else the name cut short and 8 hex
  # digits of its SHA-1, so two long names never share a role and a name that
  # fits keeps the role it always had. The two cut forms differ in length, so
  # a function's own role and its CodeDeploy role never collide.
  fn_hash              = substr(sha1(local.fn_name), 0, 8)
  role_name            = length("${local.fn_name}-role") <= 64 ? "${local.fn_name}-role" : "${substr(local.fn_name, 0, 55)}-${local.fn_hash}"
  codedeploy_role_name = length("${local.fn_name}-codedeploy") <= 64 ? "${local.fn_name}-codedeploy" : "${substr(local.fn_name, 0, 51)}-cd-${local.fn_hash}"
  log_group_name       = "/aws/lambda/${local.fn_name}"
  dlq_name             = "${local.stack.name}-esm-on-failure"
  # The log group's own key wins over the stack-wide one; null for both is CloudWatch Logs' key.
  log_kms_key_arn = var.log_group_kms_key_arn != null ? var.log_group_kms_key_arn : var.kms_key_arn
  pii_key_param   = coalesce(var.pii_key_parameter_name, "/${local.stack.name}/pii-key")

  # ARNs built from names, not resource attributes: the policy is then fully
  # known at plan time, so reviewers (and our tests) see exactly what it allows.
  arn_prefix       = "arn:${local.partition}"
  source_table_arn = "${local.arn_prefix}:dynamodb:${local.region}:${local.account_id}:table/${local.stack.source_table.name}"
  sink_table_arn   = "${local.arn_prefix}:dynamodb:${local.region}:${local.account_id}:table/${local.stack.sink_table.name}"
  log_group_arn    = "${local.arn_prefix}:logs:${local.region}:${local.account_id}:log-group:${local.log_group_name}"
  dlq_arn          = "${local.arn_prefix}:sqs:${local.region}:${local.account_id}:${local.dlq_name}"
  function_arn     = "${local.arn_prefix}:lambda:${local.region}:${local.account_id}:function:${local.fn_name}"
  pii_key_arn      = "${local.arn_prefix}:ssm:${local.region}:${local.account_id}:parameter/${trimprefix(local.pii_key_param, "/")}"

  tags = merge(var.tags, {
    "ddb-ingest:stack"       = local.stack.name
    "ddb-ingest:environment" = var.environment
    "managed-by"             = "terraform"
  })
}
