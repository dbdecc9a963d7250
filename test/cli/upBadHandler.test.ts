/**
 * Bad input at `up`, as a user meets it: a clear message naming the problem,
 * exit 2, no stack trace, and nothing started (the handler and the stack file
 * are checked before DynamoDB Local or the pipeline start).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { getFreePort } from '../../src/util/net.js';
import { runCli } from '../helpers/cli.js';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'up-bad-handler-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const listening = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

let n = 0;
test.each([
  [
    'a handler file that does not exist',
    { entry: 'src/missing.js' },
    {},
    /function\.entry src\/missing\.js does not exist/,
    /Point function\.entry/,
  ],
  [
    'a syntax error',
    { entry: 'handler.js' },
    { 'handler.js': 'exports.handler = async () => {\n  return { ok: true ;\n};\n' },
    /Cannot build the handler .*handler\.js:\n {2}.*handler\.js:2:\d+: Expected "}" but found ";"/,
    /Fix the error above/,
  ],
  [
    'a missing export (CommonJS)',
    { entry: 'handler.js' },
    { 'handler.js': 'exports.main = async () => ({});\n' },
    /\(read as CommonJS: no package\.json: CommonJS\) does not export "handler" \(it exports: main\)/,
    /set function\.handler/,
  ],
  [
    'a missing export (ES module with a default export)',
    { entry: 'handler.mjs' },
    { 'handler.mjs': 'export default { handler: async () => ({}) };\n' },
    /\(read as ES module: \.mjs extension\) does not export "handler" \(it exports: default\)/,
    /"default\.handler"/,
  ],
  [
    'a reserved environment variable',
    { entry: 'handler.js', environment: { AWS_REGION: 'eu-west-1' } },
    { 'handler.js': 'exports.handler = async () => ({});\n' },
    /function\.environment: Lambda reserves AWS_REGION/,
    /Fix the keys above/,
  ],
  [
    'memory_size under 128',
    { memory_size: 64 },
    {},
    /function\.memory_size: must be >= 128/,
    /Fix the keys above/,
  ],
  [
    'memory_size over 10,240',
    { memory_size: 10241 },
    {},
    /function\.memory_size: must be <= 10240/,
    /Fix the keys above/,
  ],
  ['timeout under 1', { timeout: 0 }, {}, /function\.timeout: must be >= 1/, /Fix the keys above/],
  ['timeout over 900', { timeout: 901 }, {}, /function\.timeout: must be <= 900/, /Fix the keys above/],
])(
  '%s: exit 2, says what is wrong and what to do, nothing left running',
  async (_name, fn, files, message, hint) => {
    const cwd = path.join(root, `case-${++n}`);
    await import('node:fs/promises').then((fs) => fs.mkdir(cwd, { recursive: true }));
    for (const [name, text] of Object.entries(files)) await writeFile(path.join(cwd, name), text);
    await writeFile(path.join(cwd, 'ddb-ingest.json'), JSON.stringify({ function: fn }));
    const port = await getFreePort();
    const r = await runCli(['up', '--port', String(port)], { cwd });
    expect({ code: r.exitCode, stderr: r.stderr }).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(message),
    });
    expect(r.stderr).toMatch(hint);
    expect(r.stderr).not.toMatch(/This is a bug|\n\s+at .*\(.*:\d+:\d+\)/);
    expect(existsSync(path.join(cwd, '.ddb-ingest', 'local.json'))).toBe(false);
    expect(await listening(port)).toBe(false);
  },
);
