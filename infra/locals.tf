# The stack file is the one source of names and settings for both targets.
# Terraform reads it itself (so `terraform plan` in this directory works
# without the CLI) and turns either shape into the same tables, functions and
# mappings as src/config/model.ts:
# - version 1 (source_table, sink_table, function, event_source_mapping): two
#   tables and one function, under the fixed keys "source_table",
#   "sink_table" and "function" (moved.tf carries older states over);
# - version 2 (tables, functions): one table per `tables` entry and one
#   function per `functions` entry, keyed by name; the built-in pipeline is
#   there too only when the file writes one of the version 1 keys.
# Settings a key leaves out are passed as null, so the modules' variable
# defaults apply: the one Terraform copy of the CLI's defaults
# (test/infra/plan.test.ts proves them equal to src/config).
locals {
  stack_path = startswith(var.stack_file, "/") ? var.stack_file : "${path.module}/${var.stack_file}"
  zip_path   = startswith(var.lambda_zip_path, "/") ? var.lambda_zip_path : "${path.module}/${var.lambda_zip_path}"

  raw      = jsondecode(fileexists(local.stack_path) ? file(local.stack_path) : "{}")
  raw_keys = keys(local.raw)
  raw_src  = try(local.raw.source_table, {})
  raw_sink = try(local.raw.sink_table, {})
  raw_fn   = try(local.raw.function, {})
  raw_esm  = try(local.raw.event_source_mapping, {})
  raw_dep  = try(local.raw.deployment, {})

  version       = contains(local.raw_keys, "tables") || contains(local.raw_keys, "functions") ? 2 : 1
  with_pipeline = local.version == 1 || length(setintersection(local.raw_keys, ["source_table", "sink_table", "function", "event_source_mapping"])) > 0

  # The names and keys of the version 1 shape (src/config/stack.ts has the same defaults).
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
      name = try(local.raw_fn.name, "ddb-ingest-ingest")
    }
    deployment = {
      # null: on for AWS, off when CodeDeploy goes to a custom endpoint (an
      # emulator; src/config/stack.ts). Off: no CodeDeploy resources, the CLI
      # moves `live` itself.
      codedeploy = try(local.raw_dep.codedeploy, null)
      config     = try(local.raw_dep.config, null)
    }
  }

  # Tables by key. `for ... if` rather than a conditional: the two branches
  # would be objects of different types.
  pipeline_tables = {
    for key, table in {
      source_table = {
        name             = local.stack.source_table.name
        hash_key         = local.stack.source_table.hash_key
        attributes       = { (local.stack.source_table.hash_key) = "S" }
        stream_view_type = local.stack.source_table.stream_view_type
      }
      sink_table = {
        name       = local.stack.sink_table.name
        hash_key   = local.stack.sink_table.hash_key
        attributes = { (local.stack.sink_table.hash_key) = "S" }
      }
    } : key => table if local.with_pipeline
  }
  tables = merge(local.pipeline_tables, { for name, table in try(local.raw.tables, {}) : name => merge(table, { name = name }) })
  # Table name -> its key in local.tables.
  table_keys = { for key, table in local.tables : table.name => key }

  # Functions by key: settings (the stack file's object), the access to each
  # table by name, the mappings, the bundle.
  pipeline_functions = {
    for key, fn in {
      function = {
        name     = local.stack.function.name
        settings = local.raw_fn
        # What the model says (src/config/model.ts); its grant is the one iam
        # always gave the built-in pipeline (see pipeline_statements).
        tables        = { (local.stack.sink_table.name) = "read_write" }
        event_sources = [merge(local.raw_esm, { table = local.stack.source_table.name })]
        zip_path      = local.zip_path
      }
    } : key => fn if local.with_pipeline
  }
  functions = merge(local.pipeline_functions, {
    for name, fn in try(local.raw.functions, {}) : name => {
      name     = name
      settings = fn
      # A list means read and write; a map gives read, write or read_write per table.
      tables        = can(tolist(fn.tables)) ? { for t in tolist(fn.tables) : t => "read_write" } : try(tomap(fn.tables), {})
      event_sources = try(fn.event_sources, [])
      zip_path      = lookup(var.function_zip_paths, name, null)
    }
  })
  pipeline_key         = local.with_pipeline ? "function" : null
  pipeline_tables_keys = local.with_pipeline ? { source = "source_table", sink = "sink_table" } : { source = null, sink = null }
  pipeline_mapping_key = local.with_pipeline ? "function/source_table" : null

  # One mapping per (function, table stream), keyed "<function key>/<table key>".
  mappings = merge([
    for fkey, fn in local.functions : {
      for source in fn.event_sources : "${fkey}/${local.table_keys[source.table]}" => {
        function = fkey
        table    = local.table_keys[source.table]
        settings = source
      }
    }
  ]...)

  codedeploy_endpoint = lookup(var.aws_endpoints, "codedeploy", var.aws_endpoint_url)
  codedeploy_enabled  = local.stack.deployment.codedeploy != null ? local.stack.deployment.codedeploy : local.codedeploy_endpoint == null

  region     = coalesce(var.region, local.stack.region)
  partition  = data.aws_partition.current.partition
  account_id = var.account_id != null ? var.account_id : data.aws_caller_identity.current[0].account_id

  # The log group's own key wins over the stack-wide one; null for both is CloudWatch Logs' key.
  log_kms_key_arn = var.log_group_kms_key_arn != null ? var.log_group_kms_key_arn : var.kms_key_arn
  pii_key_param   = coalesce(var.pii_key_parameter_name, "/${local.stack.name}/pii-key")

  # ARNs built from names, not resource attributes: the policies are then
  # fully known at plan time, so reviewers (and our tests) see what they allow.
  arn_prefix   = "arn:${local.partition}"
  table_prefix = "${local.arn_prefix}:dynamodb:${local.region}:${local.account_id}:table"
  pii_key_arn  = "${local.arn_prefix}:ssm:${local.region}:${local.account_id}:parameter/${trimprefix(local.pii_key_param, "/")}"

  # SQS queue names stop at 80 characters: cut long ones and add 8 hex digits
  # of the full name's SHA-1, so two functions never share a queue.
  queue_names = {
    for key, fn in local.functions : key => (
      key == local.pipeline_key ? "${local.stack.name}-esm-on-failure" :
      length("${local.stack.name}-${fn.name}-on-failure") <= 80 ? "${local.stack.name}-${fn.name}-on-failure" :
      "${substr("${local.stack.name}-${fn.name}", 0, 60)}-${substr(sha1(fn.name), 0, 8)}-on-failure"
    )
  }

  tags = merge(var.tags, {
    "ddb-ingest:stack"       = local.stack.name
    "ddb-ingest:environment" = var.environment
    "managed-by"             = "terraform"
  })
}
