import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { writeFileAtomically } from '../util/atomicWrite.js';
import type { LoadedStack } from './stack.js';
import { readStackFile, type StackFileText } from './stackFile.js';

/**
 * The validated stack model, kept beside the state it describes. Validating
 * needs zod, whose load alone (~140 ms) costs more than the rest of a quick
 * command such as `logs` or `status`; the model of the same bytes, validated
 * by the same build of the tool, is the same, so a later command reads it back
 * and never loads zod. A build of the tool is its `dist/build.json` (written by
 * `npm run build`, a new id every build): the sources run by the tests have
 * none, so they always validate.
 */

/** Where the model is kept, and whether this command may write it there. */
export interface ModelCacheFile {
  file: string;
  /** False where the tool does not own the place (a state dir it did not make): then it is only read. */
  writable: boolean;
}

export interface LoadCachedOptions {
  /** @default process.cwd() */
  cwd?: string;
  /** The cache for a stack file in `dir` (its state dir's entry), or none. */
  cacheFor(dir: string): Promise<ModelCacheFile | undefined>;
  /** Which build of the tool validates: a cache of another build is stale. @default this build's dist/build.json id */
  buildId?: string | undefined;
}

interface CacheContent {
  key: string;
  stack: LoadedStack['stack'];
  model: LoadedStack['model'];
}

/** Like stack.ts `loadStack`, but takes the model from the cache when it is this file's, for this build. */
export async function loadStackCached(
  configPath: string | undefined,
  options: LoadCachedOptions,
): Promise<LoadedStack> {
  const read = await readStackFile(configPath, options.cwd);
  const buildId = 'buildId' in options ? options.buildId : thisBuild();
  const cache = buildId === undefined ? undefined : await options.cacheFor(read.dir);
  const key = buildId === undefined ? '' : cacheKey(read, buildId);
  if (cache) {
    const hit = await readCache(cache.file, key);
    if (hit)
      return {
        stack: hit.stack,
        model: hit.model,
        file: read.file,
        dir: read.dir,
        exists: read.text !== undefined,
      };
  }
  const { validateStackFile } = await import('./stack.js');
  const loaded = validateStackFile(read);
  if (cache?.writable) await writeCache(cache.file, { key, stack: loaded.stack, model: loaded.model });
  return loaded;
}

/** The file's path and bytes (absent: none) under one build: any change to either is another model. */
export function cacheKey(read: StackFileText, buildId: string): string {
  return createHash('sha256')
    .update(`${buildId}\0${read.file}\0${read.text === undefined ? '\0absent' : `\0${read.text}`}`)
    .digest('hex');
}

async function readCache(file: string, key: string): Promise<CacheContent | undefined> {
  try {
    const content = JSON.parse(await readFile(file, 'utf8')) as Partial<CacheContent>;
    return content.key === key && content.stack && content.model ? (content as CacheContent) : undefined;
  } catch {
    // Absent, half-written by an older tool, or not JSON: validate again and rewrite it.
    return undefined;
  }
}

async function writeCache(file: string, content: CacheContent): Promise<void> {
  try {
    await writeFileAtomically(file, JSON.stringify(content));
  } catch {
    // Only a speed-up: a state dir that cannot be written is the command's own business to report.
  }
}

let build: { id: string | undefined } | undefined;

function thisBuild(): string | undefined {
  if (build) return build.id;
  try {
    const { id } = JSON.parse(readFileSync(new URL('../../build.json', import.meta.url), 'utf8')) as {
      id?: unknown;
    };
    build = { id: typeof id === 'string' && id.length > 0 ? id : undefined };
  } catch {
    build = { id: undefined };
  }
  return build.id;
}
