variable "name" {
  description = "Table name."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9_.-]{3,255}$", var.name))
    error_message = "name must be 3-255 characters of a-z, A-Z, 0-9, \"_\", \"-\", \".\"."
  }
}

variable "hash_key" {
  description = "Partition key attribute; must be declared in attributes."
  type        = string
}

variable "range_key" {
  description = "Sort key attribute (declared in attributes), or null for a hash key only."
  type        = string
  default     = null
}

variable "attributes" {
  description = "Type (S, N or B) of every key attribute of the table and its indexes, and only those: DynamoDB refuses an attribute definition no key uses."
  type        = map(string)

  validation {
    condition     = alltrue([for t in values(var.attributes) : contains(["S", "N", "B"], t)])
    error_message = "attributes values must be S, N or B."
  }

  validation {
    condition     = length(var.attributes) > 0
    error_message = "attributes must declare at least the hash key."
  }
}

variable "global_secondary_indexes" {
  description = "Global secondary indexes, with aws_dynamodb_table's argument names. read_capacity/write_capacity only for PROVISIONED tables."
  type = list(object({
    name               = string
    hash_key           = string
    range_key          = optional(string)
    projection_type    = optional(string, "ALL")
    non_key_attributes = optional(list(string))
    read_capacity      = optional(number)
    write_capacity     = optional(number)
  }))
  default  = []
  nullable = false

  validation {
    condition     = alltrue([for i in var.global_secondary_indexes : contains(["ALL", "KEYS_ONLY", "INCLUDE"], i.projection_type)])
    error_message = "global_secondary_indexes[*].projection_type must be ALL, KEYS_ONLY or INCLUDE."
  }

  validation {
    condition     = alltrue([for i in var.global_secondary_indexes : (i.projection_type == "INCLUDE") == (i.non_key_attributes != null)])
    error_message = "global_secondary_indexes[*].non_key_attributes is required with projection_type INCLUDE and allowed only with it."
  }

  validation {
    condition     = length(var.global_secondary_indexes) <= 20
    error_message = "global_secondary_indexes: DynamoDB allows at most 20 per table."
  }
}

variable "local_secondary_indexes" {
  description = "Local secondary indexes (same hash key as the table, another range key), with aws_dynamodb_table's argument names. Only on a table with a range_key."
  type = list(object({
    name               = string
    range_key          = string
    projection_type    = optional(string, "ALL")
    non_key_attributes = optional(list(string))
  }))
  default  = []
  nullable = false

  validation {
    condition     = alltrue([for i in var.local_secondary_indexes : contains(["ALL", "KEYS_ONLY", "INCLUDE"], i.projection_type)])
    error_message = "local_secondary_indexes[*].projection_type must be ALL, KEYS_ONLY or INCLUDE."
  }

  validation {
    condition     = alltrue([for i in var.local_secondary_indexes : (i.projection_type == "INCLUDE") == (i.non_key_attributes != null)])
    error_message = "local_secondary_indexes[*].non_key_attributes is required with projection_type INCLUDE and allowed only with it."
  }

  validation {
    condition     = length(var.local_secondary_indexes) <= 5
    error_message = "local_secondary_indexes: DynamoDB allows at most 5 per table."
  }
}

variable "ttl_attribute" {
  description = "Number attribute holding an expiry in epoch seconds (DynamoDB's Time to Live); null: no TTL."
  type        = string
  default     = null
}

variable "stream_view_type" {
  description = "What the table's stream carries (NEW_AND_OLD_IMAGES, NEW_IMAGE, OLD_IMAGE, KEYS_ONLY); null: no stream, so no function can be invoked from it."
  type        = string
  default     = null

  validation {
    condition     = var.stream_view_type == null || contains(["NEW_AND_OLD_IMAGES", "NEW_IMAGE", "OLD_IMAGE", "KEYS_ONLY"], coalesce(var.stream_view_type, "-"))
    error_message = "stream_view_type must be NEW_AND_OLD_IMAGES, NEW_IMAGE, OLD_IMAGE or KEYS_ONLY (or null for no stream)."
  }
}

variable "billing_mode" {
  description = "PAY_PER_REQUEST (on demand) or PROVISIONED (then read_capacity and write_capacity)."
  type        = string
  default     = "PAY_PER_REQUEST"
  nullable    = false

  validation {
    condition     = contains(["PAY_PER_REQUEST", "PROVISIONED"], var.billing_mode)
    error_message = "billing_mode must be PAY_PER_REQUEST or PROVISIONED."
  }
}

variable "read_capacity" {
  description = "Read capacity units of a PROVISIONED table; null for PAY_PER_REQUEST."
  type        = number
  default     = null
}

variable "write_capacity" {
  description = "Write capacity units of a PROVISIONED table; null for PAY_PER_REQUEST."
  type        = number
  default     = null
}

variable "deletion_protection" {
  description = "DynamoDB deletion protection: the table cannot be deleted (nor by `ddb-ingest down`) until it is turned off."
  type        = bool
  default     = false
  nullable    = false
}

variable "point_in_time_recovery" {
  description = "Point-in-time recovery (continuous backups)."
  type        = bool
  default     = true
  nullable    = false
}

variable "kms_key_arn" {
  description = "Customer managed KMS key for server-side encryption; null: the AWS managed key aws/dynamodb."
  type        = string
  default     = null
}
