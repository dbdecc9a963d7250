/**
 * Every module format and export style a Node.js Lambda handler comes in,
 * built by the same code the aws target deploys and run in the real local
 * runtime: what runs locally is what Lambda would load from the zip.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { buildBundle } from '../../src/bundle/build.js';
import { UsageError } from '../../src/errors.js';
import { startLocalRuntime } from '../../src/runtime/localRuntime.js';
import { shownRejection } from '../helpers/errors.js';

let tmp: string;
let cases = 0;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'ddb-ingest-formats-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

interface Case {
  /** Files of the project, the first one the entry. */
  files: Record<string, string>;
  handler?: string;
}

/** Writes the project, builds it, invokes the handler once in the local runtime. */
async function buildAndInvoke({ files, handler = 'handler' }: Case) {
  const project = path.join(tmp, `case-${++cases}`);
  for (const [name, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(project, name)), { recursive: true });
    await writeFile(path.join(project, name), text);
  }
  const entry = path.join(project, Object.keys(files)[0] ?? '');
  const build = await buildBundle({ entry, outDir: path.join(project, 'build'), handlerExport: handler });
  const runtime = await startLocalRuntime({
    bundleFile: build.bundleFile,
    handlerExport: handler,
    functionName: 'formats',
    timeoutSeconds: 5,
    memoryMb: 256,
    env: { AWS_REGION: 'us-east-1' },
    logDir: path.join(project, 'logs'),
  });
  try {
    const outcome = await runtime.invoke({ n: 41 });
    return { build, outcome };
  } finally {
    await runtime.stop();
  }
}

const BODY =
  'async (event) => ({ answer: event.n + 1, format: typeof module === "undefined" ? "esm" : "cjs" })';

describe('CommonJS, as Lambda reads it', () => {
  test.each([
    ['exports.handler = ...', `exports.handler = ${BODY};\n`],
    ['module.exports = { handler }', `const handler = ${BODY};\nmodule.exports = { handler };\n`],
    ['module.exports.handler = ...', `module.exports.handler = ${BODY};\n`],
    [
      'exports.handler with require()',
      `const { format } = require('node:util');\nexports.handler = async (e) => ({ answer: Number(format('%d', e.n + 1)), format: 'cjs' });\n`,
    ],
  ])('handler.js without package.json: %s', async (_style, source) => {
    const { build, outcome } = await buildAndInvoke({ files: { 'handler.js': source } });
    expect(build.format).toBe('cjs');
    expect(path.basename(build.bundleFile)).toBe('index.cjs');
    expect(build.handler).toBe('index.handler');
    expect(outcome).toMatchObject({ ok: true, result: { answer: 42, format: 'cjs' } });
  });

  test('handler.js under a package.json without "type"', async () => {
    const { build, outcome } = await buildAndInvoke({
      files: { 'src/handler.js': `exports.handler = ${BODY};\n`, 'package.json': '{"name":"app"}' },
    });
    expect(build.format).toBe('cjs');
    expect(outcome).toMatchObject({ ok: true, result: { answer: 42, format: 'cjs' } });
  });

  test('handler.cjs inside a "type": "module" package is still CommonJS', async () => {
    const { build, outcome } = await buildAndInvoke({
      files: { 'handler.cjs': `exports.handler = ${BODY};\n`, 'package.json': '{"type":"module"}' },
    });
    expect(build.format).toBe('cjs');
    expect(outcome).toMatchObject({ ok: true, result: { answer: 42, format: 'cjs' } });
  });

  test('a dotted handler path resolves a nested property (handlers.main)', async () => {
    const { build, outcome } = await buildAndInvoke({
      files: { 'handler.js': `module.exports = { handlers: { main: ${BODY} } };\n` },
      handler: 'handlers.main',
    });
    expect(build.handler).toBe('index.handlers.main');
    expect(outcome).toMatchObject({ ok: true, result: { answer: 42 } });
  });

  test('a missing export names what the CommonJS module exports', async () => {
    const failure = buildAndInvoke({
      files: { 'handler.js': `exports.main = ${BODY};\nexports.other = 1;\n` },
    });
    expect(await shownRejection(failure)).toBeInstanceOf(UsageError);
    await expect(failure).rejects.toThrow(
      /\(read as CommonJS: no package\.json: CommonJS\) does not export "handler" \(it exports: main, other\)/,
    );
  });
});

describe('ES modules, as Lambda reads them', () => {
  test.each([
    ['handler.mjs, export const', { 'handler.mjs': `export const handler = ${BODY};\n` }],
    [
      'handler.js under "type": "module", export async function',
      {
        'handler.js':
          'export async function handler(event) { return { answer: event.n + 1, format: "esm" }; }\n',
        'package.json': '{"type":"module"}',
      },
    ],
    [
      'handler.js without package.json, using export (Node 22 detects the syntax)',
      { 'handler.js': `export const handler = ${BODY};\n` },
    ],
    [
      'export { name as handler } with top-level await',
      {
        'handler.mjs': `const answer = await Promise.resolve(1);\nconst impl = async (e) => ({ answer: e.n + answer, format: "esm" });\nexport { impl as handler };\n`,
      },
    ],
  ])('%s', async (_style, files) => {
    const { build, outcome } = await buildAndInvoke({ files });
    expect(build.format).toBe('esm');
    expect(path.basename(build.bundleFile)).toBe('index.mjs');
    expect(outcome).toMatchObject({ ok: true, result: { answer: 42, format: 'esm' } });
  });

  test('export default function: handler "default"', async () => {
    const { build, outcome } = await buildAndInvoke({
      files: { 'handler.mjs': `export default ${BODY};\n` },
      handler: 'default',
    });
    expect(build.handler).toBe('index.default');
    expect(outcome).toMatchObject({ ok: true, result: { answer: 42, format: 'esm' } });
  });

  test('export default { handler }: handler "default.handler"', async () => {
    const { outcome } = await buildAndInvoke({
      files: { 'handler.mjs': `export default { handler: ${BODY} };\n` },
      handler: 'default.handler',
    });
    expect(outcome).toMatchObject({ ok: true, result: { answer: 42, format: 'esm' } });
  });

  test('export default { handler } with handler "handler" is refused as Lambda refuses it, with the path to use', async () => {
    const failure = buildAndInvoke({ files: { 'handler.mjs': `export default { handler: ${BODY} };\n` } });
    await expect(failure).rejects.toThrow(
      /\(read as ES module: \.mjs extension\) does not export "handler" \(it exports: default\)/,
    );
    expect(await shownRejection(failure)).toMatchObject({
      hint: expect.stringContaining('"default.handler"'),
    });
  });

  test('a nested ESM path (handlers.main)', async () => {
    const { outcome } = await buildAndInvoke({
      files: { 'handler.mjs': `export const handlers = { main: ${BODY} };\n` },
      handler: 'handlers.main',
    });
    expect(outcome).toMatchObject({ ok: true, result: { answer: 42 } });
  });

  test('a nested path that is not a function is refused at build', async () => {
    const failure = buildAndInvoke({
      files: { 'handler.mjs': 'export const handlers = { main: 42 };\n' },
      handler: 'handlers.main',
    });
    await expect(failure).rejects.toThrow(/exports a non-function at "handlers\.main"/);
  });

  test('import/export in a .js that package.json declares CommonJS fails as on Lambda, before deploying', async () => {
    const failure = buildAndInvoke({
      files: { 'handler.js': `export const handler = ${BODY};\n`, 'package.json': '{"type":"commonjs"}' },
    });
    expect(await shownRejection(failure)).toBeInstanceOf(UsageError);
    await expect(failure).rejects.toThrow(
      /uses import\/export but Node reads it as CommonJS \("type": "commonjs"/,
    );
  });
});

describe('TypeScript through esbuild, in the format Node would read it', () => {
  test.each([
    [
      'handler.ts under "type": "module"',
      {
        'handler.ts': 'export const handler = async (e: { n: number }) => ({ answer: e.n + 1 });\n',
        'package.json': '{"type":"module"}',
      },
      'esm',
    ],
    [
      'handler.ts under "type": "commonjs" (compiled to CommonJS, as tsc would)',
      {
        'handler.ts': 'export const handler = async (e: { n: number }) => ({ answer: e.n + 1 });\n',
        'package.json': '{"type":"commonjs"}',
      },
      'cjs',
    ],
    [
      'handler.mts',
      {
        'handler.mts':
          'export const handler = async (e: { n: number }): Promise<object> => ({ answer: e.n + 1 });\n',
      },
      'esm',
    ],
    [
      'handler.cts',
      { 'handler.cts': 'export const handler = async (e: { n: number }) => ({ answer: e.n + 1 });\n' },
      'cjs',
    ],
    [
      'handler.cts with export =',
      {
        'handler.cts':
          'const handler = async (e: { n: number }) => ({ answer: e.n + 1 });\nexport = { handler };\n',
      },
      'cjs',
    ],
  ])('%s', async (_name, files, format) => {
    const { build, outcome } = await buildAndInvoke({ files });
    expect(build.format).toBe(format);
    expect(outcome).toMatchObject({ ok: true, result: { answer: 42 } });
  });
});

test('the zip holds the bundle Lambda will load and its source map, and nothing of the other format', async () => {
  const project = path.join(tmp, 'switch');
  await mkdir(project, { recursive: true });
  const entry = path.join(project, 'handler.js');
  const outDir = path.join(project, 'build');
  await writeFile(entry, `export const handler = ${BODY};\n`);
  await buildBundle({ entry, outDir });
  await writeFile(entry, `exports.handler = ${BODY};\n`);
  const build = await buildBundle({ entry, outDir });
  const { readdir } = await import('node:fs/promises');
  expect((await readdir(outDir)).filter((f) => f.startsWith('index.')).sort()).toEqual([
    'index.cjs',
    'index.cjs.map',
  ]);
  const zip = await readFile(build.zipFile);
  expect(zip.includes(Buffer.from('index.cjs.map'))).toBe(true);
  expect(zip.includes(Buffer.from('index.mjs'))).toBe(false);
});
