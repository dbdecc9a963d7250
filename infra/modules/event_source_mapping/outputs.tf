output "uuid" {
  description = "UUID of the mapping (for `aws lambda get-event-source-mapping`)."
  value       = aws_lambda_event_source_mapping.this.uuid
}

output "arn" {
  description = "ARN of the mapping."
  value       = aws_lambda_event_source_mapping.this.arn
}
