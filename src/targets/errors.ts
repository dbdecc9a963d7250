import { DdbIngestError } from '../errors.js';

/** Every code targets throws; src/errorMessages.ts gives each its hint and exit code. */
export type TargetErrorCode =
  | 'targets.local-not-running'
  | 'targets.aws-only-option'
  /** The local up starts its own DynamoDB Local: an explicit endpoint cannot be where it puts the stack. */
  | 'targets.endpoint-with-local-up'
  | 'targets.no-stream-recorded'
  | 'targets.outputs-no-dlq'
  /** The stack file names a function the saved outputs do not have (declared after the last up). */
  | 'targets.function-not-deployed'
  | 'targets.runner-not-started'
  | 'targets.runner-failed'
  | 'targets.entry-missing'
  | 'targets.bundle-not-built'
  | 'targets.jar-missing'
  | 'targets.java-missing'
  | 'targets.java-too-old'
  | 'targets.dynamodb-exited'
  | 'targets.dynamodb-timeout'
  | 'targets.port-in-use'
  | 'targets.dynamodb-failed'
  | 'targets.dynamodb-not-started'
  | 'targets.terraform-missing'
  | 'targets.terraform-failed'
  | 'targets.terraform-module-unreadable'
  | 'targets.terraform-module-empty'
  | 'targets.plugin-dir-invalid'
  | 'targets.confirmation-required'
  | 'targets.no-saved-plan'
  | 'targets.plan-stale'
  | 'targets.handed-plan-missing'
  | 'targets.plan-names-no-bundle'
  | 'targets.planned-bundle-missing'
  | 'targets.planned-bundle-differs'
  | 'targets.outputs-bad-json'
  | 'targets.no-deployment'
  | 'targets.state-dir-not-a-directory'
  | 'targets.state-dir-virtual-filesystem'
  | 'targets.state-dir-not-writable'
  | 'targets.state-dir-unresponsive'
  | 'targets.state-dir-busy'
  | 'targets.already-running-in-background'
  | 'targets.dynamodb-not-answering';

export class TargetError extends DdbIngestError<TargetErrorCode> {}
