# New versions go live through CodeDeploy's Lambda deployments: traffic on the
# `live` alias shifts from the current version to the new one as
# deployment_config says, and the alarms on `live` stop and roll back a
# deployment without a person. Terraform only publishes the version;
# `ddb-ingest up --target aws` starts the deployment after apply.
resource "aws_codedeploy_app" "this" {
  count            = var.codedeploy_enabled ? 1 : 0
  name             = var.name
  compute_platform = "Lambda"
}

data "aws_iam_policy_document" "assume_codedeploy" {
  statement {
    sid     = "CodeDeployAssumesRole"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["codedeploy.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [var.account_id]
    }
  }
}

resource "aws_iam_role" "codedeploy" {
  count              = var.codedeploy_enabled ? 1 : 0
  name               = local.codedeploy_role_name
  description        = "CodeDeploy service role of ${var.name}: shifts the live alias, reads its rollback alarms (ddb-ingest)"
  assume_role_policy = data.aws_iam_policy_document.assume_codedeploy.json
}

# What AWSCodeDeployRoleForLambda grants on "*", narrowed to this function's
# alias and its three alarms. No hook invocation: the pre-traffic check runs in
# the CLI, not as a CodeDeploy hook; no SNS: the group has no triggers; no S3:
# the AppSpec is sent inline.
data "aws_iam_policy_document" "codedeploy" {
  statement {
    sid = "ShiftLiveAlias"
    actions = [
      "lambda:GetAlias",
      "lambda:GetProvisionedConcurrencyConfig",
      "lambda:UpdateAlias",
    ]
    # Alias actions are authorised on the function, or on the alias ARN itself.
    resources = [local.function_arn, "${local.function_arn}:live"]
  }

  statement {
    sid       = "ReadRollbackAlarms"
    actions   = ["cloudwatch:DescribeAlarms"]
    resources = [for key in local.rollback_alarms : "${local.arn_prefix}:cloudwatch:${var.region}:${var.account_id}:alarm:${local.alarm_names[key]}"]
  }
}

resource "aws_iam_role_policy" "codedeploy" {
  count  = var.codedeploy_enabled ? 1 : 0
  name   = "${var.name}-codedeploy-least-privilege"
  role   = aws_iam_role.codedeploy[0].id
  policy = data.aws_iam_policy_document.codedeploy.json
}

resource "aws_codedeploy_deployment_group" "live" {
  count                  = var.codedeploy_enabled ? 1 : 0
  app_name               = aws_codedeploy_app.this[0].name
  deployment_group_name  = "live"
  service_role_arn       = aws_iam_role.codedeploy[0].arn
  deployment_config_name = var.deployment_config

  # The only style CodeDeploy offers for Lambda: shift the alias's traffic.
  deployment_style {
    deployment_type   = "BLUE_GREEN"
    deployment_option = "WITH_TRAFFIC_CONTROL"
  }

  alarm_configuration {
    enabled = true
    alarms  = [for key in local.rollback_alarms : aws_cloudwatch_metric_alarm.this[key].alarm_name]
  }

  auto_rollback_configuration {
    enabled = true
    events  = ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"]
  }

  # CodeDeploy checks the role when the group is created.
  depends_on = [aws_iam_role_policy.codedeploy]
}
