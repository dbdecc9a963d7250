resource "aws_sns_topic" "alarms" {
  count             = var.alarm_sns_topic_arn == null && var.alarm_email != null ? 1 : 0
  name              = "${local.stack.name}-alarms"
  kms_master_key_id = var.kms_key_arn
}

resource "aws_sns_topic_subscription" "alarm_email" {
  count     = length(aws_sns_topic.alarms)
  topic_arn = aws_sns_topic.alarms[0].arn
  protocol  = "email"
  endpoint  = var.alarm_email
}

locals {
  # The function's alarms watch the `live` alias (dimension Resource =
  # <function>:live): the invocations the event source mapping makes, on
  # whichever versions the alias splits them between during a deployment.
  live_dimensions = { FunctionName = local.fn_name, Resource = "${local.fn_name}:live" }
  # These stop and roll back a CodeDeploy deployment (infra/codedeploy.tf).
  rollback_alarms = ["errors", "throttles", "iterator_age"]
  alarm_names     = { for key in keys(local.alarms) : key => "${local.stack.name}-${var.environment}-${replace(key, "_", "-")}" }

  alarm_topic_arn = var.alarm_sns_topic_arn != null ? var.alarm_sns_topic_arn : try(aws_sns_topic.alarms[0].arn, null)
  alarm_actions   = local.alarm_topic_arn == null ? [] : [local.alarm_topic_arn]

  # Metric, statistic, threshold and what it means, one alarm each.
  alarms = {
    errors = {
      namespace   = "AWS/Lambda"
      metric      = "Errors"
      statistic   = "Sum"
      threshold   = 0
      dimensions  = local.live_dimensions
      description = "The function failed invocations (whole batches: retried, then bisected or discarded to the on-failure queue)."
    }
    throttles = {
      namespace   = "AWS/Lambda"
      metric      = "Throttles"
      statistic   = "Sum"
      threshold   = 0
      dimensions  = local.live_dimensions
      description = "Invocations were throttled: the stream is read more slowly than it is written."
    }
    iterator_age = {
      namespace   = "AWS/Lambda"
      metric      = "IteratorAge"
      statistic   = "Maximum"
      threshold   = var.iterator_age_alarm_ms
      dimensions  = local.live_dimensions
      description = "The newest record processed is older than ${var.iterator_age_alarm_ms} ms: the pipeline is falling behind."
    }
    dlq_messages = {
      namespace   = "AWS/SQS"
      metric      = "ApproximateNumberOfMessagesVisible"
      statistic   = "Maximum"
      threshold   = 0
      dimensions  = { QueueName = local.dlq_name }
      description = "Batches were discarded to the on-failure queue: inspect with `ddb-ingest dlq`, re-drive with `ddb-ingest replay --from-dlq`."
    }
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
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
}

resource "aws_cloudwatch_dashboard" "this" {
  dashboard_name = "${local.stack.name}-${var.environment}"
  dashboard_body = jsonencode({
    widgets = [
      {
        type = "metric", x = 0, y = 0, width = 12, height = 6
        properties = {
          title   = "Invocations, errors, throttles"
          region  = local.region
          stat    = "Sum"
          period  = 60
          metrics = [for m in ["Invocations", "Errors", "Throttles"] : ["AWS/Lambda", m, "FunctionName", local.fn_name]]
        }
      },
      {
        type = "metric", x = 12, y = 0, width = 12, height = 6
        properties = {
          title   = "Iterator age (ms)"
          region  = local.region
          stat    = "Maximum"
          period  = 60
          metrics = [["AWS/Lambda", "IteratorAge", "FunctionName", local.fn_name]]
          annotations = {
            horizontal = [{ label = "alarm", value = var.iterator_age_alarm_ms }]
          }
        }
      },
      {
        type = "metric", x = 0, y = 6, width = 12, height = 6
        properties = {
          title   = "Duration (ms)"
          region  = local.region
          period  = 60
          metrics = [for s in ["p50", "p99", "Maximum"] : ["AWS/Lambda", "Duration", "FunctionName", local.fn_name, { stat = s }]]
        }
      },
      {
        type = "metric", x = 12, y = 6, width = 12, height = 6
        properties = {
          title   = "On-failure queue: messages visible"
          region  = local.region
          stat    = "Maximum"
          period  = 60
          metrics = [["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", local.dlq_name]]
        }
      },
      {
        type = "metric", x = 0, y = 12, width = 24, height = 6
        properties = {
          title  = "Sink table: consumed write capacity and throttled requests"
          region = local.region
          stat   = "Sum"
          period = 60
          metrics = [
            ["AWS/DynamoDB", "ConsumedWriteCapacityUnits", "TableName", local.stack.sink_table.name],
            ["AWS/DynamoDB", "WriteThrottleEvents", "TableName", local.stack.sink_table.name],
          ]
        }
      },
    ]
  })
}
