# The PII key (the HMAC key for e-mail hashes) is an SSM SecureString that
# Terraform deliberately does not manage or read: a parameter resource or data
# source keeps the value in the state file, and a placeholder with
# ignore_changes would still put a value there and hide drift. The one manual
# setup step (docs/deployment.md):
#
#   aws ssm put-parameter --type SecureString --name /<stack name>/pii-key \
#     --value "$(openssl rand -hex 32)"
#
# The function gets only the parameter's NAME (PII_KEY_PARAMETER) and
# ssm:GetParameter on that one ARN (iam.tf); it decrypts at cold start.
output "pii_key_parameter_name" {
  description = "SSM SecureString parameter the function reads its PII key from (the name only)."
  value       = local.pii_key_param
}

output "pii_key_setup_command" {
  description = "The one manual setup step: creates the PII key without Terraform ever seeing it."
  value       = "aws ssm put-parameter --region ${local.region} --type SecureString --name ${local.pii_key_param} --value \"$(openssl rand -hex 32)\""
}
