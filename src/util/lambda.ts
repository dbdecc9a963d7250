/**
 * What AWS Lambda itself fixes, in one place for the local event source
 * mapping, the local runtime, `logs` and `replay` (infra/locals.tf names the
 * same log group for Terraform, which cannot import it: test/infra/plan.test.ts
 * checks the planned name against this one).
 */

/**
 * Lambda's limit for a synchronous invocation's request payload: the mapping
 * keeps a batch's event under it, replay refuses to send more.
 */
export const MAX_SYNC_PAYLOAD_BYTES = 6 * 1024 * 1024;

/** The log group Lambda writes a function's logs to. */
export function lambdaLogGroupName(functionName: string): string {
  return `/aws/lambda/${functionName}`;
}
