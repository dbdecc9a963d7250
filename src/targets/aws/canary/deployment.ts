import {
  type CodeDeployClient,
  CreateDeploymentCommand,
  type DeploymentInfo,
  type DeploymentStatus,
  GetDeploymentCommand,
  ListDeploymentsCommand,
  StopDeploymentCommand,
} from '@aws-sdk/client-codedeploy';
import { GetAliasCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { sleep } from '../../../util/sleep.js';
import type { Clock } from '../../../util/time.js';
import { type AliasShift, lambdaAppSpec, shiftOfAppSpec } from './appspec.js';
import { CanaryError } from './errors.js';

/**
 * CodeDeploy's Lambda deployments, one call each: read the alias, find the
 * running deployment, create one for an alias shift, stop one, and follow one
 * to its end (and its automatic rollback). The clients and the clock are
 * passed in; nothing here knows the CLI.
 */
export type CodeDeployApi = Pick<CodeDeployClient, 'send'>;
export type LambdaApi = Pick<LambdaClient, 'send'>;

/** The CodeDeploy application and deployment group of the `live` alias (Terraform outputs). */
export interface DeploymentGroupRef {
  applicationName: string;
  deploymentGroupName: string;
}

/** What the alias serves: its version and, during a shift, the new version's weight. */
export interface AliasState {
  version: string;
  /** Additional versions and the share of invocations each gets (0-1); empty when not shifting. */
  weights: Record<string, number>;
  /** The alias's description, when it has one (without CodeDeploy it records the CLI's last move). */
  description?: string;
}

/** Statuses of a deployment that has not finished. */
export const ACTIVE_STATUSES: DeploymentStatus[] = ['Created', 'Queued', 'InProgress', 'Baking', 'Ready'];

const signalOption = (signal?: AbortSignal) => (signal ? { abortSignal: signal } : {});

export async function readAlias(
  lambda: LambdaApi,
  functionName: string,
  alias: string,
  signal?: AbortSignal,
): Promise<AliasState> {
  try {
    const out = await lambda.send(
      new GetAliasCommand({ FunctionName: functionName, Name: alias }),
      signalOption(signal),
    );
    if (!out.FunctionVersion)
      throw new Error(`GetAlias returned no FunctionVersion for ${functionName}:${alias}`);
    return {
      version: out.FunctionVersion,
      weights: { ...(out.RoutingConfig?.AdditionalVersionWeights ?? {}) },
      ...(out.Description ? { description: out.Description } : {}),
    };
  } catch (err) {
    if ((err as Error).name === 'ResourceNotFoundException') {
      throw new CanaryError('canary.alias-not-found', `Alias ${functionName}:${alias} was not found.`, {
        cause: err,
        details: { functionName, alias },
      });
    }
    throw err;
  }
}

/** The id of the group's deployment that has not finished, if any (CodeDeploy runs one at a time). */
export async function activeDeployment(
  codedeploy: CodeDeployApi,
  group: DeploymentGroupRef,
  signal?: AbortSignal,
): Promise<string | undefined> {
  const out = await codedeploy.send(
    new ListDeploymentsCommand({ ...group, includeOnlyStatuses: ACTIVE_STATUSES }),
    signalOption(signal),
  );
  return out.deployments?.[0];
}

export interface CreateOptions {
  /** Shown in CodeDeploy's history; `rollback` marks its deployments here. */
  description: string;
  /** Overrides the group's config (a rollback goes all at once). @default the group's */
  deploymentConfigName?: string | undefined;
  signal?: AbortSignal | undefined;
}

/** Starts the deployment that shifts the alias as `shift` says; resolves to its id. */
export async function createAliasDeployment(
  codedeploy: CodeDeployApi,
  group: DeploymentGroupRef,
  shift: AliasShift,
  options: CreateOptions,
): Promise<string> {
  try {
    const out = await codedeploy.send(
      new CreateDeploymentCommand({
        ...group,
        revision: { revisionType: 'AppSpecContent', appSpecContent: lambdaAppSpec(shift) },
        description: options.description,
        ...(options.deploymentConfigName ? { deploymentConfigName: options.deploymentConfigName } : {}),
      }),
      signalOption(options.signal),
    );
    if (!out.deploymentId) throw new Error('CreateDeployment returned no deploymentId');
    return out.deploymentId;
  } catch (err) {
    if ((err as Error).name === 'DeploymentLimitExceededException') {
      throw new CanaryError(
        'canary.in-progress',
        `Another deployment of ${group.applicationName}/${group.deploymentGroupName} is running.`,
        { cause: err, details: { ...group } },
      );
    }
    throw err;
  }
}

/** Stops a running deployment; CodeDeploy then rolls the alias back (autoRollbackEnabled). */
export async function stopDeployment(
  codedeploy: CodeDeployApi,
  deploymentId: string,
  signal?: AbortSignal,
): Promise<void> {
  await codedeploy.send(
    new StopDeploymentCommand({ deploymentId, autoRollbackEnabled: true }),
    signalOption(signal),
  );
}

export async function getDeployment(
  codedeploy: CodeDeployApi,
  deploymentId: string,
  signal?: AbortSignal,
): Promise<DeploymentInfo> {
  const out = await codedeploy.send(new GetDeploymentCommand({ deploymentId }), signalOption(signal));
  if (!out.deploymentInfo) throw new Error(`GetDeployment returned nothing for ${deploymentId}`);
  return out.deploymentInfo;
}

/** The alias shift a deployment was created with (from its inline AppSpec). */
export function shiftOf(info: DeploymentInfo): AliasShift | undefined {
  return shiftOfAppSpec(info.revision?.appSpecContent?.content);
}

/** One observation while a deployment runs. */
export interface DeploymentProgress {
  deploymentId: string;
  status: string;
  /** The alias's additional versions and weights at that moment, when the alias is known. */
  weights?: Record<string, number>;
  /** True while following the rollback CodeDeploy started for a failed deployment. */
  rollingBack: boolean;
}

export type DeploymentOutcome =
  | { result: 'succeeded'; deploymentId: string }
  | {
      /** Failed or stopped, and CodeDeploy's rollback put the alias back. */
      result: 'rolled-back';
      deploymentId: string;
      status: string;
      error?: { code?: string; message?: string };
      rollbackDeploymentId: string;
    }
  | {
      /** Failed or stopped, and no rollback finished. */
      result: 'failed';
      deploymentId: string;
      status: string;
      error?: { code?: string; message?: string };
      rollbackDeploymentId?: string;
    };

export interface WaitOptions {
  codedeploy: CodeDeployApi;
  deploymentId: string;
  clock: Clock;
  /** Between GetDeployment calls. @default 5000 */
  pollMs?: number | undefined;
  /**
   * How long a deployment may stay "Created" before it counts as never
   * started (CodeDeploy starts one within seconds; an emulator without
   * CodeDeploy deployments never does). @default 180000
   */
  startTimeoutMs?: number | undefined;
  /** To show the traffic split as it moves. @default undefined (status only) */
  alias?: { lambda: LambdaApi; functionName: string; name: string } | undefined;
  onProgress?: ((progress: DeploymentProgress) => void) | undefined;
  /** Aborting stops waiting (the deployment goes on in CodeDeploy). */
  signal?: AbortSignal | undefined;
}

const DONE: readonly string[] = ['Succeeded', 'Failed', 'Stopped'];

/** See WaitOptions.startTimeoutMs. */
export const DEFAULT_START_TIMEOUT_MS = 180_000;

async function follow(
  options: WaitOptions,
  deploymentId: string,
  rollingBack: boolean,
): Promise<DeploymentInfo> {
  const pollMs = options.pollMs ?? 5000;
  const startTimeoutMs = options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
  const since = options.clock.now();
  for (;;) {
    const info = await getDeployment(options.codedeploy, deploymentId, options.signal);
    const status = info.status ?? 'Unknown';
    if (status === 'Created' && options.clock.now() - since >= startTimeoutMs) {
      throw new CanaryError(
        'canary.not-started',
        `Deployment ${deploymentId} is still "Created" after ${Math.round(startTimeoutMs / 1000)} s: CodeDeploy never started it.`,
        { details: { deploymentId, status, waitedMs: options.clock.now() - since } },
      );
    }
    const weights = options.alias
      ? (
          await readAlias(
            options.alias.lambda,
            options.alias.functionName,
            options.alias.name,
            options.signal,
          )
        ).weights
      : undefined;
    options.onProgress?.({ deploymentId, status, rollingBack, ...(weights ? { weights } : {}) });
    if (DONE.includes(status)) return info;
    await sleep(options.clock, pollMs, options.signal);
  }
}

/**
 * Follows a deployment until it succeeds, or fails or is stopped; then follows
 * the rollback CodeDeploy starts for it (auto-rollback on DEPLOYMENT_FAILURE
 * and DEPLOYMENT_STOP_ON_ALARM) until that ends too.
 */
export async function waitForDeployment(options: WaitOptions): Promise<DeploymentOutcome> {
  const { deploymentId } = options;
  let info = await follow(options, deploymentId, false);
  if (info.status === 'Succeeded') return { result: 'succeeded', deploymentId };
  // CodeDeploy links the rollback it starts to the failed deployment; give it
  // one more poll to appear.
  if (!info.rollbackInfo?.rollbackDeploymentId) {
    await sleep(options.clock, options.pollMs ?? 5000, options.signal);
    info = await getDeployment(options.codedeploy, deploymentId, options.signal);
  }
  const status = info.status ?? 'Unknown';
  const error = info.errorInformation
    ? {
        ...(info.errorInformation.code ? { code: info.errorInformation.code } : {}),
        ...(info.errorInformation.message ? { message: info.errorInformation.message } : {}),
      }
    : undefined;
  const rollbackDeploymentId = info.rollbackInfo?.rollbackDeploymentId;
  if (!rollbackDeploymentId) return { result: 'failed', deploymentId, status, ...(error ? { error } : {}) };
  const rollback = await follow(options, rollbackDeploymentId, true);
  return {
    result: rollback.status === 'Succeeded' ? 'rolled-back' : 'failed',
    deploymentId,
    status,
    ...(error ? { error } : {}),
    rollbackDeploymentId,
  };
}
