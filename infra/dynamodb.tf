resource "aws_dynamodb_table" "source" {
  name                        = local.stack.source_table.name
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = local.stack.source_table.hash_key
  deletion_protection_enabled = var.table_deletion_protection

  attribute {
    name = local.stack.source_table.hash_key
    type = "S"
  }

  stream_enabled   = true
  stream_view_type = local.stack.source_table.stream_view_type

  point_in_time_recovery {
    enabled = var.point_in_time_recovery
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = var.kms_key_arn
  }
}

resource "aws_dynamodb_table" "sink" {
  name                        = local.stack.sink_table.name
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = local.stack.sink_table.hash_key
  deletion_protection_enabled = var.table_deletion_protection

  attribute {
    name = local.stack.sink_table.hash_key
    type = "S"
  }

  point_in_time_recovery {
    enabled = var.point_in_time_recovery
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = var.kms_key_arn
  }
}
