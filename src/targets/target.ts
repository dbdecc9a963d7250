import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import type { AwsConnection } from '../aws/clients.js';
import type { LoadedStack, Stack } from '../config/stack.js';
import type { LogSource } from '../logs/format.js';
import type { DlqQueue } from '../replay/dlq.js';
import type { Invoker } from '../replay/invoke.js';
import type { RollbackResult, RolledBackVersion } from './aws/canary/release.js';
import type { AwsDeployResult, CanaryStepOptions } from './aws/deploy.js';
import type { PlanResult } from './aws/terraform.js';
import type { RunnerStatus } from './local/pipeline.js';
import type { DownResult } from './local/stack.js';
import type { StatusReport, UpResult } from './types.js';

export type TargetName = 'local' | 'aws';

/** What a target is made from: resolved once by createContext. */
export interface TargetSettings {
  stack: Stack;
  stackFile: LoadedStack;
  stateDir: string;
  /** --profile / --region / --endpoint-url, falling back to AWS_* variables and the stack file. */
  aws: AwsConnection;
  /** --endpoint-url as given (the local target's own endpoint yields only to an explicit flag). */
  endpointOverride?: string;
}

/** Progress and questions from the long operations; all optional. */
export interface TargetHooks {
  signal?: AbortSignal;
  onStep?: (message: string) => void;
  /** Terraform's output lines (aws). */
  onOutput?: (line: string) => void;
  /** Shown the plan; resolves true to go ahead (aws; a TTY prompt, or --yes). */
  confirm?: (plan: PlanResult) => Promise<boolean>;
  onWarning?: (text: string) => void;
  /** Worth a line of its own (local: an up that found something to say). */
  onNotice?: (text: string) => void;
  /** local: a failed or interrupted up stopped what it had started. */
  onCleanup?: (stopped: string[]) => void;
  /** local: asked before `down --purge` deletes anything; false stops the stack only. */
  confirmPurge?: () => Promise<boolean>;
  /** The handler build was checked: rebuilt from changed sources, or current already. */
  onBuild?: (info: { rebuilt: boolean; buildMs: number; function?: string }) => void | Promise<void>;
}

export interface UpRequest {
  /** local: DynamoDB Local's port. */
  port: number;
  /** local: keep the data on disk. @default false */
  persist?: boolean;
  /** local: run the event source mapping in this process (runInForeground) instead of in the background. @default false */
  foreground?: boolean;
  /** aws: stop once the plan is saved. @default false */
  planOnly?: boolean;
  /** aws: apply this saved plan instead of planning. */
  planFile?: string;
  /** aws: replay applied records into the new version before traffic moves (and the stack allows it). @default true */
  preTrafficCheck?: boolean;
  /** aws: after apply, move `live` to the new version (CodeDeploy, or at once without it). @default undefined (live stays) */
  release?: ReleaseHooks;
}

/** aws: what the release after apply asks and says. */
export interface ReleaseHooks {
  /** Asked before deploying a version that was rolled back. */
  confirmRolledBack(info: RolledBackVersion): Promise<boolean>;
  onProgress?: CanaryStepOptions['onProgress'];
  onStart?: CanaryStepOptions['onStart'];
  onPreTraffic?: CanaryStepOptions['onPreTraffic'];
}

/** aws: what `rollback` asks and says. */
export interface RollbackHooks {
  signal?: AbortSignal;
  /** Shown what will happen to `function`'s live alias; resolves true to go ahead. */
  confirm(plan: ({ stop: string } | { from: string; to: string }) & { function: string }): Promise<boolean>;
  /** The deployment is found and the clients are made: the search begins. */
  onStart?(): Promise<void>;
  onProgress?: CanaryStepOptions['onProgress'];
}

/** local: what `up --watch` says on each rebuild. */
export interface WatchHooks {
  signal: AbortSignal;
  /** `function` was rebuilt (every function of the stack is watched). */
  onRebuilt(info: { function: string; ms: number; changed: string[] }): void;
  onFailed(info: { function: string; error: unknown; changed: string[] }): void;
}

/** What `up` did: the local stack started, or a deployment planned or applied. */
export type UpOutcome = ({ kind: 'local-stack' } & UpResult) | ({ kind: 'deployment' } & AwsDeployResult);

/** What `down` did. */
export type DownOutcome = ({ kind: 'local-stack' } & DownResult) | { kind: 'deployment'; destroyed: boolean };

export interface OnFailureQueue {
  queue: DlqQueue;
  close(): void;
}

export interface OpenLogSource {
  source: LogSource;
  close(): void;
}

/** Where the function runs for `replay`: the local runtime, or the deployed function (`live`). */
export type InvokerKind = 'local' | 'remote';

/**
 * Where the stack runs. Commands reach everything target-specific through
 * this: `local` (DynamoDB Local, the background runner, the local runtime)
 * and `aws` (Terraform, Lambda, SQS, CloudWatch Logs, SSM).
 */
export interface Target {
  readonly name: TargetName;
  /** Starts the local stack, or plans and applies the deployment. */
  up(request: UpRequest, hooks?: TargetHooks): Promise<UpOutcome>;
  /** Stops the local stack (the batch in flight finishes), or destroys the deployment. */
  down(request: { purge?: boolean }, hooks?: TargetHooks): Promise<DownOutcome>;
  /** The `status --json` document; with `function`, only that function's mappings. */
  status(hooks?: TargetHooks, options?: { function?: string | undefined }): Promise<StatusReport>;
  /** Where the stack's tables are. */
  connection(): Promise<AwsConnection>;
  /** New clients on connection(); the caller destroys them. */
  clients: {
    dynamodb(options?: { maxAttempts?: number }): Promise<DynamoDBClient>;
    streams(): Promise<DynamoDBStreamsClient>;
  };
  /** The source and sink table names (aws: as deployed). */
  tables(): Promise<{ source: string; sink: string }>;
  /**
   * The stream of `table`; without it, of the only stream `function` reads,
   * or of the stack's only table with a stream (several: a ConfigError).
   */
  streamArn(options?: { table?: string | undefined; function?: string | undefined }): Promise<string>;
  /** The PII key the handler hashes emails with (local file, or SSM). */
  piiKey(): Promise<Buffer>;
  /** The on-failure queue of discarded batches (local directory or SQS). */
  onFailureQueue(options?: {
    visibilityTimeoutSeconds?: number | undefined;
    signal?: AbortSignal | undefined;
    /** Whose queue (every mapping of it); required where the stack has several functions. */
    function?: string | undefined;
  }): Promise<OnFailureQueue>;
  /** Where the function's logs are; `function` is required where the stack has several. */
  logSource(options?: { function?: string | undefined }): Promise<OpenLogSource>;
  /** Something to send Lambda-shaped batches to; `function` is required where the stack has several. */
  invoker(
    kind: InvokerKind,
    hooks?: TargetHooks,
    options?: { function?: string | undefined },
  ): Promise<Invoker>;
  /**
   * The handler bundles this target runs, built from the current sources
   * (`rebuilt` false when one was current): `bundleFile`/`rebuilt` are the
   * built-in pipeline's (else the first function's), `functions` every
   * function's (both targets fill it; aws builds every bundle each time, as
   * `up` uploads them).
   */
  bundle(hooks?: TargetHooks): Promise<{
    bundleFile: string;
    rebuilt: boolean;
    functions?: Record<string, { bundleFile: string; rebuilt: boolean }>;
  }>;
  /**
   * aws only: stops the running deployment of a function, or moves its live
   * alias back to an earlier version; `function` is required where the stack
   * has several. The result names the function.
   */
  rollback?(
    request: { toVersion?: string | undefined; function?: string | undefined },
    hooks: RollbackHooks,
  ): Promise<(RollbackResult | { result: 'declined' }) & { function: string }>;
  /** local only: rebuilds the handler when its sources change, until the signal aborts. */
  watch?(hooks: WatchHooks): Promise<void>;
  /** local only: runs the event source mapping in this process until the signal aborts, then stops the stack. */
  runInForeground?(hooks: {
    signal: AbortSignal;
    onStatus?: (status: RunnerStatus) => void;
    onNotice?: (text: string) => void;
  }): Promise<{ stopped: string[]; failure?: unknown }>;
}

/** Chosen once, in createContext; each target loads its own modules on first use. */
export async function createTarget(name: TargetName, settings: TargetSettings): Promise<Target> {
  if (name === 'aws') {
    const { awsTarget } = await import('./aws/target.js');
    return awsTarget(settings);
  }
  const { localTarget } = await import('./local/target.js');
  return localTarget(settings);
}
