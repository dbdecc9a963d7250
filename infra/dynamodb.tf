# Every table of the stack file (modules/table).
module "table" {
  source   = "./modules/table"
  for_each = local.tables

  name                     = each.value.name
  hash_key                 = each.value.hash_key
  range_key                = try(each.value.range_key, null)
  attributes               = each.value.attributes
  global_secondary_indexes = try(each.value.global_secondary_indexes, null)
  local_secondary_indexes  = try(each.value.local_secondary_indexes, null)
  ttl_attribute            = try(each.value.ttl_attribute, null)
  stream_view_type         = try(each.value.stream_view_type, null)
  billing_mode             = try(each.value.billing_mode, null)
  read_capacity            = try(each.value.read_capacity, null)
  write_capacity           = try(each.value.write_capacity, null)
  # The variable turns protection on for every table; otherwise the stack file decides per table.
  deletion_protection    = var.table_deletion_protection ? true : try(each.value.deletion_protection, null)
  point_in_time_recovery = var.point_in_time_recovery
  kms_key_arn            = var.kms_key_arn
}
