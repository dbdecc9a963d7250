import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { BuildResult } from '../../bundle/build.js';
import type { FunctionModel, StackModel } from '../../config/model.js';
import type { Stack } from '../../config/stack.js';
import {
  entryKey,
  functionPaths,
  isPipelineFunction,
  resolveEntry,
  stackFunctionEnvironment,
} from './functions.js';
import { pipelinePaths, resolveHandlerEntry } from './pipeline.js';

export interface CurrentBundle {
  bundleFile: string;
  /** True when this call built it (the sources changed, or there was no build). */
  rebuilt: boolean;
  /** The build, when one ran. */
  build?: BuildResult;
  /** How long the build took, in ms (0 when nothing was built). */
  buildMs: number;
}

/**
 * The handler bundle for the stack's current sources: the one in the state
 * dir if every file it was built from still has the same content, else a new
 * build. `env` is the function's environment (the export check of a
 * CommonJS handler loads it).
 */
export async function ensureCurrentBundle(
  stack: Stack,
  stackDir: string,
  stateDir: string,
  env: Record<string, string> = {},
): Promise<CurrentBundle> {
  return ensureFunctionBundle(
    { entry: resolveHandlerEntry(stack, stackDir), handler: stack.function.handler },
    pipelinePaths(stateDir).buildDir,
    env,
  );
}

/** ensureCurrentBundle for any function: its resolved entry and handler, built into `buildDir`. */
export async function ensureFunctionBundle(
  fn: { entry: string; handler: string },
  buildDir: string,
  env: Record<string, string> = {},
): Promise<CurrentBundle> {
  const { buildBundle, isBuildStale, readBuildManifest } = await import('../../bundle/build.js');
  const { entry, handler: handlerExport } = fn;
  if (!(await isBuildStale({ entry, outDir: buildDir, handlerExport }))) {
    const manifest = await readBuildManifest(buildDir);
    if (manifest) return { bundleFile: manifest.bundleFile, rebuilt: false, buildMs: 0 };
  }
  const started = performance.now();
  const build = await buildBundle({ entry, outDir: buildDir, handlerExport, env });
  return { bundleFile: build.bundleFile, rebuilt: true, build, buildMs: performance.now() - started };
}

/** What one function's bundle is built from, and where it goes. */
export interface FunctionBuild {
  name: string;
  /** The resolved entry file. */
  entry: string;
  /** The exported handler name, checked by each build. */
  handler: string;
  /** Its build dir (bundle and manifest): the runner follows the builds there. */
  buildDir: string;
  /** The function's environment, for the export check of a CommonJS handler. */
  env: Record<string, string>;
}

/**
 * Every function of the stack as a build: the built-in pipeline's in `build/`,
 * the others in `functions/<fn>/build/`. A missing entry is a TargetError
 * naming the stack file key.
 */
export function modelBuilds(model: StackModel, stackDir: string, stateDir: string): FunctionBuild[] {
  return Object.values(model.functions).map((fn) => functionBuild(model, fn, stackDir, stateDir));
}

function functionBuild(
  model: StackModel,
  fn: FunctionModel,
  stackDir: string,
  stateDir: string,
): FunctionBuild {
  return {
    name: fn.name,
    entry: resolveEntry(fn.entry, stackDir, entryKey(model, fn.name)),
    handler: fn.handler,
    buildDir: functionPaths(stateDir, model, fn.name).buildDir,
    env: stackFunctionEnvironment(model, fn),
  };
}

export interface FunctionBundle extends CurrentBundle {
  function: string;
}

/**
 * Every function's bundle for its current sources (ensureFunctionBundle each,
 * in the stack file's order), so no function runs code older than its sources.
 */
export async function ensureModelBundles(
  model: StackModel,
  stackDir: string,
  stateDir: string,
  options: {
    /** The environment of the export check. @default the stack file's (stackFunctionEnvironment) */
    env?: (fn: FunctionModel) => Record<string, string>;
    signal?: AbortSignal;
    /** After each function's build was checked. */
    onBundle?: (bundle: FunctionBundle) => void | Promise<void>;
  } = {},
): Promise<FunctionBundle[]> {
  const bundles: FunctionBundle[] = [];
  for (const fn of Object.values(model.functions)) {
    options.signal?.throwIfAborted();
    const build = functionBuild(model, fn, stackDir, stateDir);
    const env = options.env ? options.env(fn) : build.env;
    const bundle = { function: build.name, ...(await ensureFunctionBundle(build, build.buildDir, env)) };
    bundles.push(bundle);
    await options.onBundle?.(bundle);
  }
  options.signal?.throwIfAborted();
  return bundles;
}

/** The bundle that stands for the stack where one is asked for: the built-in pipeline's, else the first function's. */
export function primaryBundle<B extends { function: string }>(
  model: Pick<StackModel, 'pipeline'>,
  bundles: B[],
): B {
  const found = bundles.find((b) => isPipelineFunction(model, b.function)) ?? bundles[0];
  if (!found) throw new Error('bug: a stack model without functions');
  return found;
}

/**
 * Calls `onBuild` with each new bundle a build (by `up`, `up --watch` or
 * `replay`, in any process) leaves in the state dir: the manifest is written
 * last, so a changed manifest is a finished build. Polls, because the build
 * replaces the file (a watch on it would go stale) and 300 ms is well under
 * the time between two batches that matter here.
 */
export function followBuilds(
  stateDir: string,
  onBuild: (bundleFile: string) => Promise<void> | void,
  intervalMs = 300,
): { stop(): void } {
  return followBuildDir(pipelinePaths(stateDir).buildDir, onBuild, intervalMs);
}

/** followBuilds for the builds of one function, in its `buildDir`. */
export function followBuildDir(
  buildDir: string,
  onBuild: (bundleFile: string) => Promise<void> | void,
  intervalMs = 300,
): { stop(): void } {
  const file = path.join(buildDir, 'manifest.json');
  let lastMtime = -1;
  let lastDigest: string | undefined;
  let busy = false;
  const check = async () => {
    const info = await stat(file).catch(() => undefined);
    if (!info || info.mtimeMs === lastMtime) return;
    const first = lastMtime === -1;
    lastMtime = info.mtimeMs;
    const { readBuildManifest } = await import('../../bundle/build.js');
    const manifest = await readBuildManifest(path.dirname(file));
    if (!manifest || manifest.bundleSha256 === lastDigest) return;
    lastDigest = manifest.bundleSha256;
    if (!first) await onBuild(manifest.bundleFile);
  };
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    void check()
      .catch(() => {})
      .finally(() => {
        busy = false;
      });
  }, intervalMs);
  timer.unref();
  void check().catch(() => {});
  return { stop: () => clearInterval(timer) };
}
