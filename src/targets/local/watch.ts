import { createHash } from 'node:crypto';
import { type FSWatcher, watch } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { FunctionBuild } from './bundle.js';

export interface HandlerWatchOptions {
  /** Every function of the stack: each is rebuilt on its own when one of its sources changes. */
  functions: FunctionBuild[];
  /** Stops watching. */
  signal: AbortSignal;
  /** A new bundle of `function` is in place (the running mapping swaps to it between invocations). */
  onRebuilt(info: { function: string; ms: number; changed: string[] }): void;
  /** The build of `function` failed; its previous bundle stays in place and keeps running. */
  onFailed(info: { function: string; error: unknown; changed: string[] }): void;
  /** Wait after the last change before building: editors write a file in several steps. @default 80 */
  debounceMs?: number;
}

const sha256 = (content: Buffer) => createHash('sha256').update(content).digest('hex');

/**
 * Watches the files each function was built from (esbuild's metafile inputs,
 * outside node_modules: a dependency changes with `npm install`, and then `up`
 * rebuilds) and rebuilds a function when one of its files changes; a file two
 * functions share rebuilds both. Folders are watched, not files, because
 * editors save by writing a new file and renaming it over the old one, which
 * ends a watch on the file. Resolves when `signal` aborts.
 */
export async function watchHandlers(options: HandlerWatchOptions): Promise<void> {
  const { buildBundle, readBuildManifest } = await import('../../bundle/build.js');
  await Promise.all(
    options.functions.map((fn) => watchFunction(fn, options, { buildBundle, readBuildManifest })),
  );
}

type BuildModule = Pick<typeof import('../../bundle/build.js'), 'buildBundle' | 'readBuildManifest'>;

async function watchFunction(
  fn: FunctionBuild,
  options: HandlerWatchOptions,
  { buildBundle, readBuildManifest }: BuildModule,
): Promise<void> {
  const { buildDir, entry } = fn;
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
        handlerExport: fn.handler,
        ...(fn.env ? { env: fn.env } : {}),
      });
      const manifest = await readBuildManifest(buildDir);
      known = new Map(sourcesOf(Object.keys(manifest?.inputs ?? {})).map((f) => [f, manifest?.inputs[f]]));
      rewatch([...known.keys()]);
      options.onRebuilt({ function: fn.name, ms: performance.now() - started, changed });
    } catch (error) {
      // Remember the broken content so the same save does not fail again on every event.
      for (const file of changed) known.set(file, await contentOf(file));
      options.onFailed({ function: fn.name, error, changed });
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
