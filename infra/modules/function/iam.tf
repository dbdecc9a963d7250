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
      values   = [var.account_id]
    }
  }
}

resource "aws_iam_role" "this" {
  name               = local.role_name
  description        = "Execution role of ${var.name} (ddb-ingest)"
  assume_role_policy = data.aws_iam_policy_document.assume_lambda.json
}

# Least privilege: each statement names the resources it needs. The only "*"
# are dynamodb:ListStreams and, with tracing Active, the X-Ray writes, which
# have no resource-level permissions in IAM (AWS's own managed policies and
# the CDK grant them on "*" too).
data "aws_iam_policy_document" "this" {
  dynamic "statement" {
    for_each = length(var.stream_table_arns) == 0 ? [] : [1]
    content {
      sid = var.stream_statement_sid
      actions = [
        "dynamodb:DescribeStream",
        "dynamodb:GetRecords",
        "dynamodb:GetShardIterator",
      ]
      # The stream label is a timestamp chosen at creation; <table>/stream/*
      # matches only the streams of that one table.
      resources = [for arn in var.stream_table_arns : "${arn}/stream/*"]
    }
  }

  dynamic "statement" {
    for_each = length(var.stream_table_arns) == 0 ? [] : [1]
    content {
      sid       = "ListStreams"
      actions   = ["dynamodb:ListStreams"]
      resources = ["*"]
    }
  }

  dynamic "statement" {
    for_each = local.table_statements
    content {
      sid       = statement.value.sid
      actions   = statement.value.actions
      resources = statement.value.resources
    }
  }

  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${local.log_group_arn}:*"]
  }

  statement {
    sid       = "ReportFailedBatches"
    actions   = ["sqs:SendMessage"]
    resources = [local.queue_arn]
  }

  dynamic "statement" {
    for_each = var.pii_key_parameter_arn == null ? [] : [var.pii_key_parameter_arn]
    content {
      sid       = "ReadPiiKeyParameter"
      actions   = ["ssm:GetParameter"]
      resources = [statement.value]
    }
  }

  dynamic "statement" {
    for_each = var.pii_key_parameter_arn == null || var.pii_key_kms_key_arn == null ? [] : [var.pii_key_kms_key_arn]
    content {
      sid       = "DecryptPiiKeyThroughSsm"
      actions   = ["kms:Decrypt"]
      resources = [statement.value]
      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["ssm.${var.region}.amazonaws.com"]
      }
    }
  }

  # X-Ray's write actions have no resource-level permissions: "*" is the only
  # resource they accept (AWS's AWSXRayDaemonWriteAccess grants them the same way).
  dynamic "statement" {
    for_each = var.tracing == "Active" ? [1] : []
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
        values   = ["lambda.${var.region}.amazonaws.com"]
      }
    }
  }

  # With a customer managed key on the queue and the tables, sending to the
  # queue and using the tables need the key too, but only through those services.
  dynamic "statement" {
    for_each = var.kms_key_arn == null ? [] : [var.kms_key_arn]
    content {
      sid       = "UseDataKeyThroughSqsAndDynamoDb"
      actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
      resources = [statement.value]
      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["sqs.${var.region}.amazonaws.com", "dynamodb.${var.region}.amazonaws.com"]
      }
    }
  }
}

resource "aws_iam_role_policy" "this" {
  name   = "${var.name}-least-privilege"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.this.json
}
