/**
 * The cached stack model (src/config/modelCache.ts): read back only for the
 * same file bytes and build, never for a file that fails validation, and, in
 * the built CLI, a command whose model is cached does not load zod.
 */
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { loadStackCached, type ModelCacheFile } from '../../src/config/modelCache.js';
import { loadStack } from '../../src/config/stack.js';
import { claimEntries } from '../../src/targets/local/manifest.js';
import { STATE_DIR_NAME, STATE_ENTRIES } from '../../src/targets/local/paths.js';
import { prepareStateDir } from '../../src/targets/local/stateDir.js';
import { BIN } from '../helpers/cli.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

async function project(stack: unknown): Promise<{ dir: string; cache: ModelCacheFile }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'model-cache-'));
  await writeFile(path.join(dir, 'ddb-ingest.json'), JSON.stringify(stack));
  return { dir, cache: { file: path.join(dir, 'stack-model.json'), writable: true } };
}

const options = (
  dir: string,
  cache: ModelCacheFile | undefined,
  buildId: string | undefined = 'build-1',
) => ({
  cwd: dir,
  buildId,
  cacheFor: async () => cache,
});

async function cached(file: string): Promise<{ key: string; stack: { name: string }; model: unknown }> {
  return JSON.parse(await readFile(file, 'utf8'));
}

test('the first load validates and writes the model; the next one reads it back instead of validating', async () => {
  const { dir, cache } = await project({ name: 'first' });
  const first = await loadStackCached(undefined, options(dir, cache));
  expect(first).toEqual(await loadStack(undefined, dir));
  const written = await cached(cache.file);
  expect(written.stack.name).toBe('first');
  // Edit only the cache: a load that returns the edit read it rather than validating the file.
  await writeFile(
    cache.file,
    JSON.stringify({ ...written, stack: { ...written.stack, name: 'from-cache' } }),
  );
  const second = await loadStackCached(undefined, options(dir, cache));
  expect(second.stack.name).toBe('from-cache');
  expect(second.model).toEqual(first.model);
  expect({ file: second.file, dir: second.dir, exists: second.exists }).toEqual({
    file: path.join(dir, 'ddb-ingest.json'),
    dir,
    exists: true,
  });
});

test('a changed file, another build, or a corrupt cache is validated again (and rewritten)', async () => {
  const { dir, cache } = await project({ name: 'one' });
  await loadStackCached(undefined, options(dir, cache));
  await writeFile(path.join(dir, 'ddb-ingest.json'), JSON.stringify({ name: 'two' }));
  expect((await loadStackCached(undefined, options(dir, cache))).stack.name).toBe('two');
  expect((await cached(cache.file)).stack.name).toBe('two');

  const two = await cached(cache.file);
  await writeFile(cache.file, JSON.stringify({ ...two, stack: { ...two.stack, name: 'stale' } }));
  expect((await loadStackCached(undefined, options(dir, cache, 'build-2'))).stack.name).toBe('two');

  await writeFile(cache.file, '{"key": "half');
  expect((await loadStackCached(undefined, options(dir, cache))).stack.name).toBe('two');
  expect((await cached(cache.file)).stack.name).toBe('two');
});

test('every example stack comes back from the cache equal to a fresh validation', async () => {
  for (const example of ['fan-out', 'single-table']) {
    const source = path.join(root, 'examples', example, 'ddb-ingest.json');
    const { dir, cache } = await project(JSON.parse(await readFile(source, 'utf8')));
    await loadStackCached(undefined, options(dir, cache));
    const hit = await loadStackCached(undefined, options(dir, cache));
    expect(hit).toEqual(await loadStack(undefined, dir));
  }
  // No file: the default stack, cached as absent.
  const empty = await mkdtemp(path.join(os.tmpdir(), 'model-cache-'));
  const cache = { file: path.join(empty, 'stack-model.json'), writable: true };
  await loadStackCached(undefined, options(empty, cache));
  const hit = await loadStackCached(undefined, options(empty, cache));
  expect(hit).toEqual(await loadStack(undefined, empty));
  expect(hit.exists).toBe(false);
});

test('an invalid file is never cached; a read-only cache is read but not written; no build id, no cache', async () => {
  const { dir, cache } = await project({ name: 'not valid!' });
  await expect(loadStackCached(undefined, options(dir, cache))).rejects.toMatchObject({
    code: 'config.invalid',
  });
  expect(existsSync(cache.file)).toBe(false);

  const other = await project({ name: 'ro' });
  await loadStackCached(undefined, options(other.dir, { ...other.cache, writable: false }));
  expect(existsSync(other.cache.file)).toBe(false);

  let asked = false;
  await loadStackCached(undefined, {
    cwd: other.dir,
    buildId: undefined,
    cacheFor: async () => {
      asked = true;
      return other.cache;
    },
  });
  expect(asked).toBe(false);
});

describe('the built CLI', () => {
  // A loader hook that records every module the CLI loads, so the test sees whether zod was among them.
  async function modulesLoaded(cwd: string, args: string[]): Promise<string[]> {
    const hooks = path.join(cwd, 'hooks.mjs');
    const register = path.join(cwd, 'register.mjs');
    const list = path.join(cwd, `loaded-${Date.now()}.txt`);
    await writeFile(
      hooks,
      `import { appendFileSync } from 'node:fs';
export async function load(url, context, next) {
  appendFileSync(${JSON.stringify(list)}, url + '\\n');
  return next(url, context);
}
`,
    );
    await writeFile(
      register,
      `import { register } from 'node:module';\nregister('./hooks.mjs', import.meta.url);\n`,
    );
    const result = await execa('node', ['--import', register, BIN, ...args], {
      cwd,
      env: { NO_COLOR: '1', npm_command: 'exec' },
      reject: false,
    });
    expect({ exitCode: result.exitCode, stderr: result.stderr }).toEqual({
      exitCode: 0,
      stderr: expect.stringMatching(/^No log events since /),
    });
    return (await readFile(list, 'utf8')).split('\n').filter(Boolean);
  }
  const loadsZod = (urls: string[]) => urls.some((url) => url.includes('/node_modules/zod/'));

  test('a second `logs` in a state dir the tool made does not load zod; an edit to the stack file does', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'model-cache-cli-'));
    await copyFile(
      path.join(root, 'examples', 'fan-out', 'ddb-ingest.json'),
      path.join(dir, 'ddb-ingest.json'),
    );
    const stateDir = path.join(dir, STATE_DIR_NAME);
    // As `up` leaves it: the manifest names the entries the tool made (the cache among them).
    await mkdir(stateDir, { recursive: true });
    const { created } = await prepareStateDir(stateDir);
    await claimEntries(stateDir, { createdDir: created });

    const args = ['logs', '--function', 'fanout-ingest', '--json'];
    expect(loadsZod(await modulesLoaded(dir, args))).toBe(true);
    expect(existsSync(path.join(stateDir, STATE_ENTRIES.stackModel))).toBe(true);
    expect(loadsZod(await modulesLoaded(dir, args))).toBe(false);

    const stack = JSON.parse(await readFile(path.join(dir, 'ddb-ingest.json'), 'utf8'));
    await writeFile(path.join(dir, 'ddb-ingest.json'), JSON.stringify({ ...stack, name: 'edited' }));
    expect(loadsZod(await modulesLoaded(dir, args))).toBe(true);
    expect(loadsZod(await modulesLoaded(dir, args))).toBe(false);
  });

  test('a state dir the tool did not make gets no cache', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'model-cache-cli-'));
    await mkdir(path.join(dir, STATE_DIR_NAME));
    await modulesLoaded(dir, ['logs', '--json']);
    expect(loadsZod(await modulesLoaded(dir, ['logs', '--json']))).toBe(true);
    expect(existsSync(path.join(dir, STATE_DIR_NAME, STATE_ENTRIES.stackModel))).toBe(false);
  });
});
