import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { BuildResult } from '../../bundle/build.js';
import type { Stack } from '../../config/stack.js';
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
