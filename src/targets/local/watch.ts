import { createHash } from 'node:crypto';
import { type FSWatcher, watch } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Stack } from '../../config/stack.js';
import { pipelinePaths, resolveHandlerEntry } from './pipeline.js';

export interface HandlerWatchOptions {
  stack: Stack;
  /** Directory of the stack file: `function.entry` is relative to it. */
  stackDir: string;
  stateDir: string;
  /** The function's environment, for the export check of a CommonJS handler. */
  env?: Record<string, string>;
  /** Stops watching. */
  signal: AbortSignal;
  /** A new bundle is in place (the running pipeline swaps to it between invocations). */
  onRebuilt(info: { ms: number; changed: string[] }): void;
  /** The build failed; the previous bundle stays in place and keeps running. */
  onFailed(info: { error: unknown; changed: string[] }): void;
  /** Wait after the last change before building: editors write a file in several steps. @default 80 */
  debounceMs?: number;
}

const sha256 = (content: Buffer) => createHash('sha256').update(content).digest('hex');

/**
 * Watches the files the handler was built from (esbuild's metafile inputs,
 * outside node_modules: a dependency changes with `npm install`, and then `up`
 * rebuilds) and rebuilds when one's content changes. Folders are watched, not
 * files, because editors save by writing a new file and renaming it over the
 * old one, which ends a watch on the file. Resolves when `signal` aborts.
 */
export async function watchHandler(options: HandlerWatchOptions): Promise<void> {
  const { buildBundle, readBuildManifest } = await import('../../bundle/build.js');
  const { buildDir } = pipelinePaths(options.stateDir);
  const entry = resolveHandlerEntry(options.stack, options.stackDir);
  const debounceMs = options.debounceMs ?? 80;
  /** Content last built (or last failed to build), per watched file. */
  let known = new Map<string, string | undefined>();
  const watchers = new Map<string, FSWatcher>();
  let timer: NodeJS.Timeout | undefined;
  let building: Promise<void> = Promise.resolve();

  const sourcesOf = (inputs: Iterable<string>) =>
    [...inputs].filter((file) => !file.split(path.sep).includes('node_modules'));

  const rewatch = (files: string[]) => {
    const dirs = new Set(files.map((file) => path.dirname(file)));
    for (const [dir, watcher] of watchers) {
      if (!dirs.has(dir)) {
        watcher.close();
        watchers.delete(dir);
      }
    }
    for (const dir of dirs) {
      if (watchers.has(dir)) continue;
      try {
        const watcher = watch(dir, () => schedule());
        watcher.on('error', () => {});
        watchers.set(dir, watcher);
      } catch {
        // A folder that went away: its files count as changed on the next check.
      }
    }
  };

  const contentOf = (file: string) => readFile(file).then(sha256, () => undefined);

  const check = async () => {
    const changed: string[] = [];
    for (const [file, digest] of known) if ((await contentOf(file)) !== digest) changed.push(file);
    if (changed.length === 0 || options.signal.aborted) return;
    const started = performance.now();
    try {
      await buildBundle({
        entry,
        outDir: buildDir,
        handlerExport: options.stack.function.handler,
        env: options.env,
      });
      const manifest = await readBuildManifest(buildDir);
      known = new Map(sourcesOf(Object.keys(manifest?.inputs ?? {})).map((f) => [f, manifest?.inputs[f]]));
      rewatch([...known.keys()]);
      options.onRebuilt({ ms: performance.now() - started, changed });
    } catch (error) {
      // Remember the broken content so the same save does not fail again on every event.
      for (const file of changed) known.set(file, await contentOf(file));
      options.onFailed({ error, changed });
    }
  };

  function schedule(): void {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      building = building.then(check).catch(() => {});
    }, debounceMs);
  }

  const manifest = await readBuildManifest(buildDir);
  known = new Map(sourcesOf(Object.keys(manifest?.inputs ?? {})).map((f) => [f, manifest?.inputs[f]]));
  if (known.size === 0) known.set(entry, undefined);
  rewatch([...known.keys()]);
  // A change made before the watch began counts too.
  schedule();
  await new Promise<void>((resolve) => {
    if (options.signal.aborted) return resolve();
    options.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  if (timer) clearTimeout(timer);
  for (const watcher of watchers.values()) watcher.close();
  await building;
}
