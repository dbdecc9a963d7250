import { DdbIngestError } from '../../../errors.js';

/** Every code the canary driver throws; src/errorMessages.ts gives each its hint and exit code. */
export type CanaryErrorCode =
  /** CodeDeploy failed or stopped the deployment and rolled `live` back. */
  | 'canary.rolled-back'
  /** CodeDeploy failed or stopped the deployment and no rollback finished. */
  | 'canary.failed'
  /** Another deployment of the group is running. */
  | 'canary.in-progress'
  /** The new version failed the pre-traffic check: no deployment was created. */
  | 'canary.pre-traffic-failed'
  /** No earlier version to go back to. */
  | 'canary.nothing-to-roll-back'
  /** The function or its `live` alias does not exist. */
  | 'canary.alias-not-found'
  /** The user declined to deploy a version that was rolled back before. */
  | 'canary.declined'
  /** A deployment stayed "Created": CodeDeploy (or an emulator) never started it. */
  | 'canary.not-started'
  /** The version to roll back to is not a published version of the function. */
  | 'canary.no-such-version';

/** A failure of the canary driver: a stable `code`, facts in `details`, what AWS said in `cause`. */
export class CanaryError extends DdbIngestError<CanaryErrorCode> {}
