import { readFile } from 'node:fs/promises';
import { BUILT_IN_HANDLER_ENTRY } from '../../config/constants.js';
import { pipelineModel, type StackModel, singlePipelineModel } from '../../config/model.js';
import type { Stack } from '../../config/stack.js';
import { countMessages } from '../../esm/onFailureQueue.js';
import { isSameProcess, type ProcessIdentity } from '../../util/processes.js';
import { TargetError } from '../errors.js';
import type { StatusReport } from '../types.js';
import { localFunctionEnvironment, resolveEntry, stackFunctionEnvironment } from './functions.js';
import { type LocalMappingsOptions, type RunnerStatus, runLocalMappings } from './mappings.js';
import { pipelinePaths } from './paths.js';
import type { LocalState } from './state.js';

export type { RunnerStatus } from './mappings.js';
export { pipelinePaths } from './paths.js';

/**
 * The handler source to bundle: `function.entry` relative to the stack file.
 * Without a handler of their own (the default entry is absent), users get the
 * orders handler that ships with ddb-ingest.
 */
export function resolveHandlerEntry(
  stack: Pick<Stack, 'function'>,
  stackDir: string,
  defaultEntry = BUILT_IN_HANDLER_ENTRY,
): string {
  return resolveEntry(stack.function.entry, stackDir, 'function.entry', defaultEntry);
}

/** The built-in pipeline's view of a stack (its function and the model parts its environment needs). */
function pipelineUnit(stack: Stack) {
  const model = { name: stack.name, region: stack.region, ...pipelineModel(stack) };
  const fn = model.functions[stack.function.name];
  if (!fn) throw new Error(`bug: the pipeline model lacks function ${stack.function.name}`);
  return { model, fn };
}

/** The part of the built-in pipeline function's environment the stack file alone decides. */
export function handlerEnvironment(stack: Stack): Record<string, string> {
  const { model, fn } = pipelineUnit(stack);
  return stackFunctionEnvironment(model, fn);
}

/** The built-in pipeline function's environment: where the key is (never the key), and DynamoDB Local for the SDK. */
export function functionEnvironment(stack: Stack, state: LocalState): Record<string, string> {
  const { model, fn } = pipelineUnit(stack);
  return localFunctionEnvironment(model, fn, state);
}

export interface LocalPipelineOptions extends Omit<LocalMappingsOptions, 'model'> {
  stack: Stack;
  /** Every table and function of the stack; without it, the single pipeline of `stack`. */
  model?: StackModel | undefined;
}

/**
 * Runs the local event source mappings until `signal` aborts: each stream ->
 * mapping -> the function's bundle in the local runtime; on-failure messages
 * to the mapping's local queue; live totals to its `status.json` (the
 * built-in pipeline's: `esm/status.json`). See runLocalMappings.
 */
export async function runLocalPipeline(options: LocalPipelineOptions): Promise<void> {
  const { stack, model, ...rest } = options;
  await runLocalMappings({ ...rest, model: model ?? singlePipelineModel(stack) });
}

/** The bundle to run: rebuilt from the sources when they changed (with `stackDir`), else the last build's. */
export async function currentBundleFile(
  stack: Stack,
  stateDir: string,
  stackDir: string | undefined,
  env: Record<string, string>,
): Promise<string> {
  if (stackDir !== undefined) {
    const { ensureCurrentBundle } = await import('./bundle.js');
    return (await ensureCurrentBundle(stack, stackDir, stateDir, env)).bundleFile;
  }
  const { readBuildManifest } = await import('../../bundle/build.js');
  const manifest = await readBuildManifest(pipelinePaths(stateDir).buildDir);
  if (!manifest) {
    throw new TargetError('targets.bundle-not-built', 'The handler has not been built yet.', {
      details: { stateDir },
    });
  }
  return manifest.bundleFile;
}

/** The runner's last snapshot of the built-in pipeline's mapping, if it ever wrote one. */
export async function readRunnerStatus(stateDir: string): Promise<RunnerStatus | undefined> {
  return readStatusFile(pipelinePaths(stateDir).statusFile);
}

async function readStatusFile(file: string): Promise<RunnerStatus | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as RunnerStatus;
  } catch {
    return undefined;
  }
}

/** `status`'s view of the built-in pipeline's mapping: its last snapshot and its on-failure queue's depth. */
export async function readPipelineStatus(
  stateDir: string,
  runner: ProcessIdentity | undefined,
): Promise<Pick<StatusReport, 'esm' | 'dlq'>> {
  return readMappingStatus(pipelinePaths(stateDir), runner);
}

/** `status`'s view of one mapping: its last snapshot (while `runner` lives) and its on-failure queue's depth. */
export async function readMappingStatus(
  paths: { statusFile: string; dlqDir: string },
  runner: ProcessIdentity | undefined,
): Promise<Pick<StatusReport, 'esm' | 'dlq'>> {
  const status = await readStatusFile(paths.statusFile);
  const alive = isSameProcess(runner) && status?.pid === runner?.pid;
  return {
    esm: {
      state: alive && status ? status.state : 'Disabled',
      lastProcessingResult: status?.batchesInvoked ? status.lastProcessingResult : null,
      iteratorAgeMs: status?.iteratorAgeMs ?? null,
      iteratorAgeMeasuredAt:
        status?.lastInvokedAt !== null && status?.lastInvokedAt !== undefined
          ? new Date(status.lastInvokedAt).toISOString()
          : null,
      caughtUp: Boolean(alive && status?.state === 'Enabled' && status.caughtUp),
      recordsProcessed: status?.recordsProcessed ?? 0,
      batchesFailed: status?.batchesFailed ?? 0,
    },
    dlq: { messages: await countMessages(paths.dlqDir) },
  };
}
