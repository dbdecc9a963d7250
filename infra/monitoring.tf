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
  alarm_topic_arn = var.alarm_sns_topic_arn != null ? var.alarm_sns_topic_arn : try(aws_sns_topic.alarms[0].arn, null)
  alarm_actions   = local.alarm_topic_arn == null ? [] : [local.alarm_topic_arn]

  # The function alarms are in modules/function (per function). The dashboard
  # shows every function, queue and written table of the stack (for the
  # built-in pipeline alone: its function, its queue and its sink).
  dashboard_functions = [for key in sort(keys(local.functions)) : local.functions[key].name]
  dashboard_queues    = [for key in sort(keys(local.functions)) : local.queue_names[key]]
  dashboard_tables = local.version == 1 ? [local.stack.sink_table.name] : sort(distinct(flatten([
    for fn in values(local.functions) : [for table, access in fn.tables : table if access != "read"]
  ])))
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
          metrics = concat([for fn in local.dashboard_functions : [for m in ["Invocations", "Errors", "Throttles"] : ["AWS/Lambda", m, "FunctionName", fn]]]...)
        }
      },
      {
        type = "metric", x = 12, y = 0, width = 12, height = 6
        properties = {
          title   = "Iterator age (ms)"
          region  = local.region
          stat    = "Maximum"
          period  = 60
          metrics = [for fn in local.dashboard_functions : ["AWS/Lambda", "IteratorAge", "FunctionName", fn]]
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
          metrics = concat([for fn in local.dashboard_functions : [for s in ["p50", "p99", "Maximum"] : ["AWS/Lambda", "Duration", "FunctionName", fn, { stat = s }]]]...)
        }
      },
      {
        type = "metric", x = 12, y = 6, width = 12, height = 6
        properties = {
          title   = "On-failure queue: messages visible"
          region  = local.region
          stat    = "Maximum"
          period  = 60
          metrics = [for q in local.dashboard_queues : ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", q]]
        }
      },
      {
        type = "metric", x = 0, y = 12, width = 24, height = 6
        properties = {
          title  = local.version == 1 ? "Sink table: consumed write capacity and throttled requests" : "Written tables: consumed write capacity and throttled requests"
          region = local.region
          stat   = "Sum"
          period = 60
          metrics = concat([for t in local.dashboard_tables : [
            ["AWS/DynamoDB", "ConsumedWriteCapacityUnits", "TableName", t],
            ["AWS/DynamoDB", "WriteThrottleEvents", "TableName", t],
          ]]...)
        }
      },
    ]
  })
}
