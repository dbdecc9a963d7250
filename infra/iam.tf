data "aws_iam_policy_document" "assume_lambda" {
  statement {
    sid     = "LambdaAssumesRole"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }

    # Only functions of this account may use the role.
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role" "function" {
  name               = local.role_name
  description        = "Execution role of ${local.fn_name} (ddb-ingest)"
  assume_role_policy = data.aws_iam_policy_document.assume_lambda.json
}

# Least privilege: each statement names the one resource it needs. The only
# "*" are dynamodb:ListStreams and, with tracing Active, the X-Ray writes, which
# have no resource-level permissions in IAM (AWS's own managed policies and the
# CDK grant them on "*" too).
data "aws_iam_policy_document" "function" {
  statement {
    sid = "ReadSourceStream"
    actions = [
      "dynamodb:DescribeStream",
      "dynamodb:GetRecords",
      "dynamodb:GetShardIterator",
    ]
    # The stream label is a timestamp chosen at creation; /stream/* matches
    # only the streams of this one table.
    resources = ["${local.source_table_arn}/stream/*"]
  }

  statement {
    sid       = "ListStreams"
    actions   = ["dynamodb:ListStreams"]
    resources = ["*"]
  }

  statement {
    sid = "WriteSink"
    # TransactWriteItems is authorized per contained action (its puts and
    # updates; the handler sends no ConditionCheck); BatchGetItem is the
    # handler's one prefetch per batch. Removed orders become tombstones
    # (PutItem), so the function never deletes.
    actions = [
      "dynamodb:BatchGetItem",
      "dynamodb:GetItem",
      "dynamodb:PutItem",
      "dynamodb:UpdateItem",
    ]
    resources = [local.sink_table_arn]
  }

  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${local.log_group_arn}:*"]
  }

  statement {
    sid       = "ReportFailedBatches"
    actions   = ["sqs:SendMessage"]
    resources = [local.dlq_arn]
  }

  statement {
    sid       = "ReadPiiKeyParameter"
    actions   = ["ssm:GetParameter"]
    resources = [local.pii_key_arn]
  }

  dynamic "statement" {
    for_each = var.pii_key_kms_key_arn == null ? [] : [var.pii_key_kms_key_arn]
    content {
      sid       = "DecryptPiiKeyThroughSsm"
      actions   = ["kms:Decrypt"]
      resources = [statement.value]
      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["ssm.${local.region}.amazonaws.com"]
      }
    }
  }

  # X-Ray's write actions have no resource-level permissions: "*" is the only
  # resource they accept (AWS's AWSXRayDaemonWriteAccess grants them the same way).
  dynamic "statement" {
    for_each = local.stack.function.tracing == "Active" ? [1] : []
    content {
      sid       = "WriteTraces"
      actions   = ["xray:PutTelemetryRecords", "xray:PutTraceSegments"]
      resources = ["*"]
    }
  }

  # With a customer managed key on the function's environment, Lambda decrypts
  # it with the execution role's permission, through Lambda only.
  dynamic "statement" {
    for_each = var.kms_key_arn == null ? [] : [var.kms_key_arn]
    content {
      sid       = "DecryptEnvironmentThroughLambda"
      actions   = ["kms:Decrypt"]
      resources = [statement.value]
      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["lambda.${local.region}.amazonaws.com"]
      }
    }
  }

  # With a customer managed key on the queue and the tables, sending to the
  # queue and writing the sink need the key too, but only through those services.
  dynamic "statement" {
    for_each = var.kms_key_arn == null ? [] : [var.kms_key_arn]
    content {
      sid       = "UseDataKeyThroughSqsAndDynamoDb"
      actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
      resources = [statement.value]
      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["sqs.${local.region}.amazonaws.com", "dynamodb.${local.region}.amazonaws.com"]
      }
    }
  }
}

resource "aws_iam_role_policy" "function" {
  name   = "${local.fn_name}-least-privilege"
  role   = aws_iam_role.function.id
  policy = data.aws_iam_policy_document.function.json
}
