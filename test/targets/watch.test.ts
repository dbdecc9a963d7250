/**
 * `up --watch`'s work: an edit to the handler's sources is rebuilt within 2 s,
 * a broken edit reports esbuild's message and keeps the previous bundle, and
 * the local runtime swaps to a new build between invocations. With several
 * functions, each is rebuilt from its own sources, into its own build dir.
 */
import { mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { readBuildManifest } from '../../src/bundle/build.js';
import { parseStack, parseStackModel } from '../../src/config/stack.js';
import { startLocalRuntime } from '../../src/runtime/localRuntime.js';
import {
  ensureCurrentBundle,
  ensureModelBundles,
  followBuilds,
  modelBuilds,
} from '../../src/targets/local/bundle.js';
import { pipelinePaths } from '../../src/targets/local/pipeline.js';
import { watchHandlers } from '../../src/targets/local/watch.js';

let project: string;
let stateDir: string;
const stack = parseStack({ function: { entry: 'src/handler.js' } });

const version = (n: number) =>
  `const { label } = require('./label.js');\nexports.handler = async () => ({ version: ${n}, label });\n`;

beforeAll(async () => {
  project = await mkdtemp(path.join(os.tmpdir(), 'ddb-ingest-watch-'));
  stateDir = path.join(project, '.ddb-ingest');
  await import('node:fs/promises').then((fs) => fs.mkdir(path.join(project, 'src'), { recursive: true }));
  await writeFile(path.join(project, 'src', 'handler.js'), version(1));
  await writeFile(path.join(project, 'src', 'label.js'), "exports.label = 'first';\n");
});
afterAll(async () => {
  await rm(project, { recursive: true, force: true });
});

async function until<T>(what: () => T | undefined, ms: number): Promise<T | undefined> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const value = what();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 20));
  }
  return what();
}

test('edits are rebuilt within 2 s (an imported file too, and an editor-style rename); a broken edit keeps the old bundle', async () => {
  const first = await ensureCurrentBundle(stack, project, stateDir);
  expect(first.rebuilt).toBe(true);
  expect((await ensureCurrentBundle(stack, project, stateDir)).rebuilt).toBe(false);

  const rebuilt: { function: string; ms: number; changed: string[] }[] = [];
  const failed: { function: string; error: unknown; changed: string[] }[] = [];
  const controller = new AbortController();
  const watching = watchHandlers({
    functions: [
      {
        name: 'watched',
        entry: path.join(project, 'src', 'handler.js'),
        handler: 'handler',
        buildDir: pipelinePaths(stateDir).buildDir,
        env: {},
      },
    ],
    signal: controller.signal,
    onRebuilt: (info) => rebuilt.push(info),
    onFailed: (info) => failed.push(info),
  });
  const runtime = await startLocalRuntime({
    bundleFile: first.bundleFile,
    handlerExport: 'handler',
    functionName: 'watched',
    timeoutSeconds: 5,
    memoryMb: 256,
    env: {},
    logDir: path.join(stateDir, 'logs'),
  });
  const follower = followBuilds(stateDir, (next) => runtime.swapBundle(next), 50);
  try {
    expect(await runtime.invoke({})).toMatchObject({ ok: true, result: { version: 1, label: 'first' } });
    await new Promise((r) => setTimeout(r, 300));

    // 1. The entry, edited in place.
    let edited = Date.now();
    await writeFile(path.join(project, 'src', 'handler.js'), version(2));
    expect(await until(() => rebuilt[0], 2000)).toMatchObject({
      function: 'watched',
      changed: [path.join(project, 'src', 'handler.js')],
    });
    expect(Date.now() - edited).toBeLessThan(2000);
    await until(() => undefined, 200);
    expect(await runtime.invoke({})).toMatchObject({ ok: true, result: { version: 2 } });

    // 2. A file it imports, saved the way editors do: a new file renamed over the old one.
    edited = Date.now();
    const tmp = path.join(project, 'src', '.label.js.swp');
    await writeFile(tmp, "exports.label = 'second';\n");
    await rename(tmp, path.join(project, 'src', 'label.js'));
    expect(await until(() => rebuilt[1], 2000)).toMatchObject({
      changed: [path.join(project, 'src', 'label.js')],
    });
    expect(Date.now() - edited).toBeLessThan(2000);
    await until(() => undefined, 200);
    expect(await runtime.invoke({})).toMatchObject({ ok: true, result: { version: 2, label: 'second' } });

    // 3. A broken edit: esbuild's message, and the previous bundle stays in place and keeps running.
    const before = await readFile(first.bundleFile);
    const manifestBefore = await readBuildManifest(pipelinePaths(stateDir).buildDir);
    await writeFile(
      path.join(project, 'src', 'handler.js'),
      'exports.handler = async () => ({ version: 3 ;\n',
    );
    const failure = await until(() => failed[0], 2000);
    expect(String((failure?.error as Error | undefined)?.message)).toMatch(
      /handler\.js:1:\d+: Expected "}" but found ";"/,
    );
    expect(await readFile(first.bundleFile)).toEqual(before);
    expect(await readBuildManifest(pipelinePaths(stateDir).buildDir)).toEqual(manifestBefore);
    expect(await runtime.invoke({})).toMatchObject({ ok: true, result: { version: 2, label: 'second' } });
    expect(rebuilt).toHaveLength(2);

    // 4. Fixed again: rebuilt and live.
    await writeFile(path.join(project, 'src', 'handler.js'), version(4));
    expect(await until(() => rebuilt[2], 2000)).toBeDefined();
    await until(() => undefined, 200);
    expect(await runtime.invoke({})).toMatchObject({ ok: true, result: { version: 4 } });
  } finally {
    controller.abort();
    await watching;
    follower.stop();
    await runtime.stop();
  }
  for (const r of rebuilt) expect(r.ms).toBeGreaterThan(0);
});

test('an invocation in flight finishes on the code it started with; the next one runs the new build', async () => {
  const dir = await mkdtemp(path.join(project, 'swap-'));
  const oldFile = path.join(dir, 'old.mjs');
  const newFile = path.join(dir, 'new.mjs');
  await writeFile(
    oldFile,
    'export const handler = async (e) => { await new Promise((r) => setTimeout(r, e.ms ?? 0)); return "old"; };\n',
  );
  await writeFile(newFile, 'export const handler = async () => "new";\n');
  const runtime = await startLocalRuntime({
    bundleFile: oldFile,
    handlerExport: 'handler',
    functionName: 'swap',
    timeoutSeconds: 5,
    memoryMb: 256,
    env: {},
    logDir: path.join(dir, 'logs'),
  });
  try {
    const inFlight = runtime.invoke({ ms: 500 });
    await new Promise((r) => setTimeout(r, 200));
    await runtime.swapBundle(newFile);
    expect(await inFlight).toMatchObject({ ok: true, result: 'old' });
    expect(await runtime.invoke({})).toMatchObject({ ok: true, result: 'new' });
  } finally {
    await runtime.stop();
  }
});

test('several functions: each is rebuilt from its own sources into its own build dir; a shared file rebuilds both', async () => {
  const dir = await mkdtemp(path.join(project, 'multi-'));
  const { mkdir } = await import('node:fs/promises');
  await mkdir(path.join(dir, 'handlers'));
  const source = (name: string, n: number) =>
    `const { shared } = require('./shared.js');\nexports.handler = async () => ({ fn: '${name}', version: ${n}, shared });\n`;
  await writeFile(path.join(dir, 'handlers', 'a.js'), source('a', 1));
  await writeFile(path.join(dir, 'handlers', 'b.js'), source('b', 1));
  await writeFile(path.join(dir, 'handlers', 'shared.js'), 'exports.shared = 1;\n');
  const { model } = parseStackModel({
    name: 'multi',
    tables: { items: { hash_key: 'id', attributes: { id: 'S' }, stream_view_type: 'NEW_IMAGE' } },
    functions: {
      'fn-a': { entry: 'handlers/a.js', tables: ['items'], event_sources: [{ table: 'items' }] },
      'fn-b': { entry: 'handlers/b.js', tables: ['items'], event_sources: [{ table: 'items' }] },
    },
  });
  const multiState = path.join(dir, '.ddb-ingest');
  const builds = modelBuilds(model, dir, multiState);
  expect(builds.map((b) => [b.name, path.relative(multiState, b.buildDir)])).toEqual([
    ['fn-a', path.join('functions', 'fn-a', 'build')],
    ['fn-b', path.join('functions', 'fn-b', 'build')],
  ]);
  expect(builds[0]?.env).toMatchObject({ TABLE_ITEMS: 'items' });
  // What `up` and Target.bundle() do: every function built, then current.
  const first = await ensureModelBundles(model, dir, multiState);
  expect(first.map((b) => [b.function, b.rebuilt])).toEqual([
    ['fn-a', true],
    ['fn-b', true],
  ]);
  expect((await ensureModelBundles(model, dir, multiState)).map((b) => b.rebuilt)).toEqual([false, false]);

  const rebuilt: string[] = [];
  const failed: string[] = [];
  const controller = new AbortController();
  const watching = watchHandlers({
    functions: builds,
    signal: controller.signal,
    onRebuilt: (info) => rebuilt.push(info.function),
    onFailed: (info) => failed.push(info.function),
  });
  const manifestOf = async (fn: string) =>
    readBuildManifest(builds.find((b) => b.name === fn)?.buildDir as string);
  try {
    await new Promise((r) => setTimeout(r, 300));
    // b's entry: only b is rebuilt.
    const bBefore = await manifestOf('fn-b');
    const aBefore = await manifestOf('fn-a');
    await writeFile(path.join(dir, 'handlers', 'b.js'), source('b', 2));
    expect(await until(() => (rebuilt.length > 0 ? rebuilt : undefined), 2000)).toEqual(['fn-b']);
    await until(() => undefined, 400);
    expect(rebuilt).toEqual(['fn-b']);
    expect(await manifestOf('fn-b')).not.toEqual(bBefore);
    expect(await manifestOf('fn-a')).toEqual(aBefore);

    // The shared file: both.
    await writeFile(path.join(dir, 'handlers', 'shared.js'), 'exports.shared = 2;\n');
    expect(await until(() => (rebuilt.length >= 3 ? rebuilt.slice(1).sort() : undefined), 3000)).toEqual([
      'fn-a',
      'fn-b',
    ]);

    // A broken a fails alone; b still rebuilds.
    await writeFile(path.join(dir, 'handlers', 'a.js'), 'exports.handler = async () => ({ ;\n');
    expect(await until(() => failed[0], 2000)).toBe('fn-a');
    await writeFile(path.join(dir, 'handlers', 'b.js'), source('b', 3));
    expect(await until(() => (rebuilt.length >= 4 ? rebuilt[3] : undefined), 2000)).toBe('fn-b');
    expect(failed).toEqual(['fn-a']);
  } finally {
    controller.abort();
    await watching;
  }
  // Each bundle holds its own code.
  const bundleB = await readFile((await manifestOf('fn-b'))?.bundleFile as string, 'utf8');
  expect(bundleB).toContain('version: 3');
  expect(bundleB).not.toContain("fn: 'a'");
});
