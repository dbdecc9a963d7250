import {
  BatchGetDeploymentsCommand,
  type DeploymentInfo,
  ListDeploymentsCommand,
} from '@aws-sdk/client-codedeploy';
import { ListVersionsByFunctionCommand, UpdateAliasCommand } from '@aws-sdk/client-lambda';
import type { Clock } from '../../../util/time.js';
import type { AliasShift } from './appspec.js';
import {
  activeDeployment,
  type CodeDeployApi,
  createAliasDeployment,
  type DeploymentGroupRef,
  type DeploymentOutcome,
  type DeploymentProgress,
  getDeployment,
  type LambdaApi,
  readAlias,
  shiftOf,
  stopDeployment,
  waitForDeployment,
} from './deployment.js';
import { CanaryError } from './errors.js';
import type { PreTrafficResult } from './preTraffic.js';

/**
 * Deploying a published version to `live` and rolling it back, on top of the
 * CodeDeploy calls in deployment.ts. The record of a rollback is CodeDeploy's
 * own history (it outlives a CI runner's state dir): a deployment this module
 * creates to roll back carries ROLLBACK_MARK in its description, and
 * CodeDeploy's automatic rollbacks are deployments whose `creator` is
 * `codeDeployRollback`.
 */
export const DEPLOY_MARK = 'ddb-ingest:deploy';
export const ROLLBACK_MARK = 'ddb-ingest:rollback';

/** The deployment config of a rollback: back to a known version at once. */
export const ROLLBACK_CONFIG = 'CodeDeployDefault.LambdaAllAtOnce';

export interface ReleaseTarget {
  codedeploy: CodeDeployApi;
  lambda: LambdaApi;
  group: DeploymentGroupRef;
  functionName: string;
  /** @default "live" */
  alias?: string | undefined;
  clock: Clock;
  /** @default 5000 */
  pollMs?: number | undefined;
  /** @default DEFAULT_START_TIMEOUT_MS (deployment.ts) */
  startTimeoutMs?: number | undefined;
  onProgress?: ((progress: DeploymentProgress) => void) | undefined;
  signal?: AbortSignal | undefined;
}

/** The latest deployments of the group, newest first, with what they shifted. */
export async function recentDeployments(
  target: ReleaseTarget,
  limit = 10,
): Promise<(DeploymentInfo & { shift?: AliasShift })[]> {
  const signal = target.signal ? { abortSignal: target.signal } : {};
  const ids =
    (await target.codedeploy.send(new ListDeploymentsCommand({ ...target.group }), signal)).deployments ?? [];
  if (ids.length === 0) return [];
  // ListDeployments has no order; BatchGetDeployments takes at most 25 ids.
  const infos: DeploymentInfo[] = [];
  for (let i = 0; i < ids.length; i += 25) {
    const out = await target.codedeploy.send(
      new BatchGetDeploymentsCommand({ deploymentIds: ids.slice(i, i + 25) }),
      signal,
    );
    infos.push(...(out.deploymentsInfo ?? []));
  }
  const time = (d: DeploymentInfo) => (d.createTime ? new Date(d.createTime).getTime() : 0);
  return infos
    .sort((a, b) => time(b) - time(a))
    .slice(0, limit)
    .map((d) => {
      const shift = shiftOf(d);
      return shift ? { ...d, shift } : d;
    });
}

/** A version that went out and was rolled back, per CodeDeploy's history. */
export interface RolledBackVersion {
  version: string;
  /** The CodeDeploy deployment that recorded it; none without CodeDeploy (the alias's description did). */
  deploymentId?: string;
  at?: Date;
  /** `automatic`: CodeDeploy rolled it back (alarm or failure); `rollback`: `ddb-ingest rollback`. */
  how: 'automatic' | 'rollback';
}

/**
 * Whether `version` was rolled back by the latest deployment that touched it:
 * a failed or stopped deployment to it (CodeDeploy rolled back), or a rollback
 * away from it. A later successful deployment to it clears the mark.
 */
export function rolledBack(
  history: (DeploymentInfo & { shift?: AliasShift })[],
  version: string,
): RolledBackVersion | undefined {
  for (const d of history) {
    // CodeDeploy's own rollback deployments may carry either revision; the
    // failed deployment they answer is the record.
    if (!d.shift || !d.deploymentId || d.creator === 'codeDeployRollback') continue;
    const at = d.createTime ? { at: new Date(d.createTime) } : {};
    const ours = d.description?.startsWith(ROLLBACK_MARK) ?? false;
    if (ours && d.shift.currentVersion === version && d.status === 'Succeeded') {
      return { version, deploymentId: d.deploymentId, how: 'rollback', ...at };
    }
    if (d.shift.targetVersion === version) {
      if (d.status === 'Succeeded') return undefined;
      if (d.status === 'Failed' || d.status === 'Stopped') {
        return { version, deploymentId: d.deploymentId, how: 'automatic', ...at };
      }
    }
  }
  return undefined;
}

export type DeployResult =
  | { result: 'up-to-date'; version: string }
  /** Without CodeDeploy: the alias was moved at once, no canary, no automatic rollback. */
  | { result: 'moved'; from: string; to: string }
  | {
      result: 'succeeded';
      deploymentId: string;
      from: string;
      to: string;
      preTraffic?: PreTrafficResult;
    };

export interface DeployOptions extends ReleaseTarget {
  /** The published version to move `live` to (Terraform output function_version). */
  version: string;
  /** Runs before the deployment is created; throws to stop it. undefined: no check. */
  preTraffic?: ((version: string) => Promise<PreTrafficResult>) | undefined;
  /** Called when the version was rolled back before; resolves true to deploy it anyway. */
  confirmRolledBack: (info: RolledBackVersion) => Promise<boolean>;
  /** Before the deployment is created, with its shift. */
  onStart?: ((shift: AliasShift, deploymentId: string) => void) | undefined;
}

function failure(
  outcome: Exclude<DeploymentOutcome, { result: 'succeeded' }>,
  shift: AliasShift,
): CanaryError {
  const why = outcome.error?.message ? `: ${outcome.error.message}` : '';
  if (outcome.result === 'rolled-back') {
    return new CanaryError(
      'canary.rolled-back',
      `Deployment ${outcome.deploymentId} of version ${shift.targetVersion} ${outcome.status.toLowerCase()}${why}. CodeDeploy rolled ${shift.alias} back to version ${shift.currentVersion} (deployment ${outcome.rollbackDeploymentId}).`,
      { details: { ...outcome, shift } },
    );
  }
  return new CanaryError(
    'canary.failed',
    `Deployment ${outcome.deploymentId} of version ${shift.targetVersion} ${outcome.status.toLowerCase()}${why}${outcome.rollbackDeploymentId ? `, and its rollback ${outcome.rollbackDeploymentId} did not succeed` : ''}.`,
    { details: { ...outcome, shift } },
  );
}

/**
 * Moves `live` to `version` through a CodeDeploy deployment: nothing when it
 * is there already; refused while another deployment runs; asks before a
 * version that was rolled back; the pre-traffic check; then the deployment,
 * followed to its end. A failed or rolled-back deployment throws.
 */
export async function deployVersion(options: DeployOptions): Promise<DeployResult> {
  const alias = options.alias ?? 'live';
  const live = await readAlias(options.lambda, options.functionName, alias, options.signal);
  if (live.version === options.version && Object.keys(live.weights).length === 0) {
    return { result: 'up-to-date', version: live.version };
  }
  const running = await activeDeployment(options.codedeploy, options.group, options.signal);
  if (running) {
    throw new CanaryError(
      'canary.in-progress',
      `Deployment ${running} of ${options.group.applicationName}/${options.group.deploymentGroupName} is still running.`,
      { details: { deploymentId: running } },
    );
  }
  const before = rolledBack(await recentDeployments(options), options.version);
  if (before && !(await options.confirmRolledBack(before))) {
    throw new CanaryError(
      'canary.declined',
      `Version ${options.version} was rolled back (deployment ${before.deploymentId}); not deploying it again.`,
      { details: { ...before } },
    );
  }
  const preTraffic = options.preTraffic ? await options.preTraffic(options.version) : undefined;
  const shift: AliasShift = {
    functionName: options.functionName,
    alias,
    currentVersion: live.version,
    targetVersion: options.version,
  };
  const deploymentId = await createAliasDeployment(options.codedeploy, options.group, shift, {
    description: `${DEPLOY_MARK}: ${options.functionName} ${alias} ${shift.currentVersion} -> ${shift.targetVersion}`,
    signal: options.signal,
  });
  options.onStart?.(shift, deploymentId);
  const outcome = await follow(options, deploymentId, alias);
  if (outcome.result !== 'succeeded') throw failure(outcome, shift);
  return {
    result: 'succeeded',
    deploymentId,
    from: shift.currentVersion,
    to: shift.targetVersion,
    ...(preTraffic ? { preTraffic } : {}),
  };
}

function follow(target: ReleaseTarget, deploymentId: string, alias: string): Promise<DeploymentOutcome> {
  return waitForDeployment({
    codedeploy: target.codedeploy,
    deploymentId,
    clock: target.clock,
    pollMs: target.pollMs,
    startTimeoutMs: target.startTimeoutMs,
    alias: { lambda: target.lambda, functionName: target.functionName, name: alias },
    onProgress: target.onProgress,
    signal: target.signal,
  });
}

export type RollbackResult =
  | {
      /** A deployment was running: it was stopped and CodeDeploy rolled it back. */
      result: 'stopped';
      deploymentId: string;
      rollbackDeploymentId?: string;
      version: string;
    }
  | {
      /** No deployment was running: a new one moved live back. */
      result: 'rolled-back';
      deploymentId: string;
      from: string;
      to: string;
    }
  | {
      /** Without CodeDeploy: the alias was moved back at once. */
      result: 'moved-back';
      from: string;
      to: string;
    };

export interface RollbackOptions extends ReleaseTarget {
  /** The version to go back to. @default the version live had before its last successful deployment */
  toVersion?: string | undefined;
  /** Shown what will happen; resolves true to go ahead. */
  confirm: (plan: { stop: string } | { from: string; to: string }) => Promise<boolean>;
}

/**
 * Stops the running deployment (CodeDeploy rolls back), or with none running
 * moves `live` back to the previous version through a new deployment (all at
 * once), whose description records the rollback for the next `up`.
 */
export async function rollback(options: RollbackOptions): Promise<RollbackResult | { result: 'declined' }> {
  const alias = options.alias ?? 'live';
  const running = await activeDeployment(options.codedeploy, options.group, options.signal);
  if (running) {
    if (!(await options.confirm({ stop: running }))) return { result: 'declined' };
    await stopDeployment(options.codedeploy, running, options.signal);
    const outcome = await follow(options, running, alias);
    const info = await getDeployment(options.codedeploy, running, options.signal);
    const live = await readAlias(options.lambda, options.functionName, alias, options.signal);
    if (outcome.result === 'failed' && outcome.rollbackDeploymentId) {
      throw new CanaryError(
        'canary.failed',
        `Deployment ${running} was stopped, but its rollback ${outcome.rollbackDeploymentId} did not succeed.`,
        { details: { deploymentId: running } },
      );
    }
    return {
      result: 'stopped',
      deploymentId: running,
      ...(outcome.result === 'rolled-back' ? { rollbackDeploymentId: outcome.rollbackDeploymentId } : {}),
      version: shiftOf(info)?.currentVersion ?? live.version,
    };
  }
  const live = await readAlias(options.lambda, options.functionName, alias, options.signal);
  const to = options.toVersion ?? previousVersion(await recentDeployments(options), live.version);
  if (!to || to === live.version) {
    throw new CanaryError(
      'canary.nothing-to-roll-back',
      `No version to roll ${options.functionName}:${alias} back to from version ${live.version}.`,
      { details: { version: live.version } },
    );
  }
  if (!(await options.confirm({ from: live.version, to }))) return { result: 'declined' };
  const shift: AliasShift = {
    functionName: options.functionName,
    alias,
    currentVersion: live.version,
    targetVersion: to,
  };
  const deploymentId = await createAliasDeployment(options.codedeploy, options.group, shift, {
    description: `${ROLLBACK_MARK}: ${options.functionName} ${alias} ${live.version} -> ${to}`,
    deploymentConfigName: ROLLBACK_CONFIG,
    signal: options.signal,
  });
  const outcome = await follow(options, deploymentId, alias);
  if (outcome.result !== 'succeeded') throw failure(outcome, shift);
  return { result: 'rolled-back', deploymentId, from: live.version, to };
}

/** The version `live` served before the successful deployment that brought it to `current`. */
export function previousVersion(
  history: (DeploymentInfo & { shift?: AliasShift })[],
  current: string,
): string | undefined {
  const last = history.find(
    (d) =>
      d.status === 'Succeeded' && d.creator !== 'codeDeployRollback' && d.shift?.targetVersion === current,
  );
  return last?.shift?.currentVersion;
}

/**
 * Without CodeDeploy (the stack file's deployment.codedeploy = false, for
 * emulators) the CLI moves `live` itself, with UpdateAlias, and records each
 * move in the alias's description with the same marks as CodeDeploy's
 * history: Lambda keeps it, so the record outlives a CI runner's state dir
 * (Terraform ignores the description after creating the alias).
 */
export interface AliasMove {
  kind: 'deploy' | 'rollback';
  from: string;
  to: string;
  at?: Date;
}

export function aliasMoveDescription(move: AliasMove & { functionName: string; alias: string }): string {
  const mark = move.kind === 'deploy' ? DEPLOY_MARK : ROLLBACK_MARK;
  const at = move.at ? ` at ${move.at.toISOString()}` : '';
  return `${mark}: ${move.functionName} ${move.alias} ${move.from} -> ${move.to}${at}`;
}

const MOVE_PATTERN = /^(ddb-ingest:deploy|ddb-ingest:rollback): \S+ \S+ (\S+) -> (\S+)(?: at (\S+))?$/;

/** The move recorded in an alias description, or undefined for any other text. */
export function parseAliasMove(description: string | undefined): AliasMove | undefined {
  const m = MOVE_PATTERN.exec(description ?? '');
  if (!m?.[1] || !m[2] || !m[3]) return undefined;
  const at = m[4] ? new Date(m[4]) : undefined;
  return {
    kind: m[1] === DEPLOY_MARK ? 'deploy' : 'rollback',
    from: m[2],
    to: m[3],
    ...(at && !Number.isNaN(at.getTime()) ? { at } : {}),
  };
}

export interface DirectReleaseTarget {
  lambda: LambdaApi;
  functionName: string;
  /** @default "live" */
  alias?: string | undefined;
  clock: Clock;
  signal?: AbortSignal | undefined;
}

async function updateAlias(target: DirectReleaseTarget, alias: string, move: AliasMove): Promise<void> {
  await target.lambda.send(
    new UpdateAliasCommand({
      FunctionName: target.functionName,
      Name: alias,
      FunctionVersion: move.to,
      RoutingConfig: { AdditionalVersionWeights: {} },
      Description: aliasMoveDescription({ ...move, functionName: target.functionName, alias }),
    }),
    target.signal ? { abortSignal: target.signal } : {},
  );
}

/**
 * Moves `live` to `version` at once: nothing when it is there already; asks
 * before a version the last `rollback` moved away from.
 */
export async function moveAliasAtOnce(
  options: DirectReleaseTarget & {
    version: string;
    confirmRolledBack: DeployOptions['confirmRolledBack'];
  },
): Promise<DeployResult> {
  const alias = options.alias ?? 'live';
  const live = await readAlias(options.lambda, options.functionName, alias, options.signal);
  if (live.version === options.version && Object.keys(live.weights).length === 0) {
    return { result: 'up-to-date', version: live.version };
  }
  const last = parseAliasMove(live.description);
  if (last?.kind === 'rollback' && last.from === options.version) {
    const info: RolledBackVersion = {
      version: options.version,
      how: 'rollback',
      ...(last.at ? { at: last.at } : {}),
    };
    if (!(await options.confirmRolledBack(info))) {
      throw new CanaryError(
        'canary.declined',
        `Version ${options.version} was rolled back; not deploying it again.`,
        { details: { ...info } },
      );
    }
  }
  const move: AliasMove = {
    kind: 'deploy',
    from: live.version,
    to: options.version,
    at: new Date(options.clock.now()),
  };
  await updateAlias(options, alias, move);
  return { result: 'moved', from: move.from, to: move.to };
}

/** The function's published versions (no $LATEST), in ascending order. */
async function publishedVersions(target: DirectReleaseTarget): Promise<number[]> {
  const versions: number[] = [];
  let marker: string | undefined;
  do {
    const out = await target.lambda.send(
      new ListVersionsByFunctionCommand({
        FunctionName: target.functionName,
        ...(marker ? { Marker: marker } : {}),
      }),
      target.signal ? { abortSignal: target.signal } : {},
    );
    for (const v of out.Versions ?? []) {
      const n = Number(v.Version);
      if (Number.isInteger(n)) versions.push(n);
    }
    marker = out.NextMarker;
  } while (marker);
  return versions.sort((a, b) => a - b);
}

/**
 * Moves `live` back at once: to `toVersion`, else to the version the CLI's
 * last deploy moved it from, else to the newest published version below it.
 */
export async function rollbackAtOnce(
  options: DirectReleaseTarget & Pick<RollbackOptions, 'toVersion' | 'confirm'>,
): Promise<RollbackResult | { result: 'declined' }> {
  const alias = options.alias ?? 'live';
  const live = await readAlias(options.lambda, options.functionName, alias, options.signal);
  const versions = await publishedVersions(options);
  const last = parseAliasMove(live.description);
  const to =
    options.toVersion ??
    (last?.kind === 'deploy' && last.to === live.version
      ? last.from
      : versions
          .filter((v) => v < Number(live.version))
          .pop()
          ?.toString());
  if (!to || to === live.version) {
    throw new CanaryError(
      'canary.nothing-to-roll-back',
      `No version to roll ${options.functionName}:${alias} back to from version ${live.version}.`,
      { details: { version: live.version } },
    );
  }
  if (!versions.includes(Number(to))) {
    throw new CanaryError(
      'canary.no-such-version',
      `${options.functionName} has no published version ${to} (published: ${versions.join(', ') || 'none'}).`,
      { details: { version: to, published: versions } },
    );
  }
  if (!(await options.confirm({ from: live.version, to }))) return { result: 'declined' };
  await updateAlias(options, alias, {
    kind: 'rollback',
    from: live.version,
    to,
    at: new Date(options.clock.now()),
  });
  return { result: 'moved-back', from: live.version, to };
}
