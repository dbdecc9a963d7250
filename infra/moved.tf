# Where the resources of the single-pipeline module (before infra/modules/)
# live now: an existing state moves over in the next plan, nothing is
# destroyed or created again (test/aws/moved.test.ts applies the old module on
# moto and plans this one against its state).
moved {
  from = aws_dynamodb_table.source
  to   = module.table["source_table"].aws_dynamodb_table.this
}

moved {
  from = aws_dynamodb_table.sink
  to   = module.table["sink_table"].aws_dynamodb_table.this
}

moved {
  from = aws_cloudwatch_log_group.function
  to   = module.function["function"].aws_cloudwatch_log_group.this
}

moved {
  from = aws_iam_role.function
  to   = module.function["function"].aws_iam_role.this
}

moved {
  from = aws_iam_role_policy.function
  to   = module.function["function"].aws_iam_role_policy.this
}

moved {
  from = aws_lambda_function.this
  to   = module.function["function"].aws_lambda_function.this
}

moved {
  from = aws_lambda_alias.live
  to   = module.function["function"].aws_lambda_alias.live
}

moved {
  from = aws_sqs_queue.on_failure
  to   = module.function["function"].aws_sqs_queue.on_failure
}

moved {
  from = aws_cloudwatch_metric_alarm.this
  to   = module.function["function"].aws_cloudwatch_metric_alarm.this
}

moved {
  from = aws_codedeploy_app.this
  to   = module.function["function"].aws_codedeploy_app.this
}

moved {
  from = aws_iam_role.codedeploy
  to   = module.function["function"].aws_iam_role.codedeploy
}

moved {
  from = aws_iam_role_policy.codedeploy
  to   = module.function["function"].aws_iam_role_policy.codedeploy
}

moved {
  from = aws_codedeploy_deployment_group.live
  to   = module.function["function"].aws_codedeploy_deployment_group.live
}

moved {
  from = aws_lambda_event_source_mapping.this
  to   = module.event_source_mapping["function/source_table"].aws_lambda_event_source_mapping.this
}
