/**
 * How the local runtime fails, against what Lambda does: memory over the
 * function's size kills the process, nothing a dying worker wrote is lost,
 * failures show under `logs --level ERROR`, stack traces name the source.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import { buildBundle } from '../../src/bundle/build.js';
import type { LogEvent, LogLevel } from '../../src/logs/events.js';
import { readLocalLogs } from '../../src/logs/local.js';
import {
  type LocalRuntime,
  type LocalRuntimeOptions,
  startLocalRuntime,
} from '../../src/runtime/localRuntime.js';

const HANDLER = `
import { readFileSync } from 'node:fs';

export const handler = async (event) => {
  switch (event.action) {
    case 'buffers': {
      // Outside the V8 heap: only a cap on the whole process catches this.
      const hoard = [];
      for (let i = 0; i < event.mb / 16; i++) hoard.push(Buffer.alloc(16 * 1024 * 1024, 1));
      const hwm = /^VmHWM:\\s+(\\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
      return { held: hoard.length * 16, maxRssMb: Math.ceil(Number(hwm[1]) / 1024) };
    }
    case 'late-throw':
      setTimeout(() => { throw new Error('late failure ' + event.i); }, 20);
      return 'returned';
    case 'late-reject':
      setTimeout(() => Promise.reject(new Error('late rejection ' + event.i)), 20);
      return 'returned';
    case 'log-then-exit':
      console.log('last words ' + event.i);
      process.stdout.write('raw last words ' + event.i + '\\n');
      process.exit(2);
    case 'log-then-hang':
      console.warn('about to hang ' + event.i);
      return new Promise(() => {});
    case 'log-then-buffers': {
      console.error('about to hoard ' + event.i);
      const hoard = [];
      for (;;) hoard.push(Buffer.alloc(16 * 1024 * 1024, 1));
    }
    default:
      return { pid: process.pid };
  }
};
`;

let dir: string;
let bundleFile: string;
const runtimes: LocalRuntime[] = [];

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'runtime-failures-'));
  bundleFile = path.join(dir, 'index.mjs');
  await writeFile(bundleFile, HANDLER);
});
afterEach(async () => {
  await Promise.all(runtimes.splice(0).map((r) => r.stop()));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function start(
  overrides: Partial<LocalRuntimeOptions> = {},
): Promise<LocalRuntime & { logDir: string }> {
  const logDir = await mkdtemp(path.join(dir, 'logs-'));
  const runtime = await startLocalRuntime({
    bundleFile,
    handlerExport: 'handler',
    functionName: 'failures',
    timeoutSeconds: 5,
    memoryMb: 256,
    env: { AWS_REGION: 'us-east-1' },
    logDir,
    ...overrides,
  });
  runtimes.push(runtime);
  return Object.assign(runtime, { logDir });
}

/** The log store as `ddb-ingest logs` reads it (optionally `--level`). */
async function logs(logDir: string, level?: LogLevel): Promise<LogEvent[]> {
  const events: LogEvent[] = [];
  for await (const event of readLocalLogs({ logsDir: logDir, ...(level ? { level } : {}) }))
    events.push(event);
  return events;
}

async function waitForLine(logDir: string, pattern: RegExp, ms = 5000): Promise<LogEvent | undefined> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const found = (await logs(logDir)).find((e) => pattern.test(e.message));
    if (found) return found;
    await new Promise((r) => setTimeout(r, 50));
  }
  return undefined;
}

const reportOf = (events: LogEvent[], requestId: string | undefined) =>
  events.find((e) => e.message.startsWith(`REPORT RequestId: ${requestId}`))?.message ?? '';
const maxMemoryUsed = (report: string) => Number(/Max Memory Used: (\d+) MB/.exec(report)?.[1]);

describe('memory as Lambda enforces it', () => {
  test('512 MB of Buffers at memory_size 128 is killed: Runtime.OutOfMemory, Lambda log lines, next invoke cold', async () => {
    const runtime = await start({ memoryMb: 128 });
    const warm = await runtime.invoke({ action: 'noop' });
    expect(warm.ok).toBe(true);
    const before = (warm.ok && (warm.result as { pid: number }).pid) || 0;
    const outcome = await runtime.invoke({ action: 'buffers', mb: 512 });
    expect(outcome).toMatchObject({
      ok: false,
      functionError: 'Unhandled',
      errorType: 'Runtime.OutOfMemory',
      reason: 'crash',
    });
    expect(outcome.ok || outcome.errorMessage).toBe(
      `RequestId: ${outcome.requestId} Error: Runtime exited with error: signal: killed`,
    );
    const events = await logs(runtime.logDir);
    const messages = events.map((e) => e.message);
    expect(messages).toEqual(
      expect.arrayContaining([
        `RequestId: ${outcome.requestId} Error: Runtime exited with error: signal: killed`,
        'Runtime.OutOfMemory',
      ]),
    );
    // The peak is real: over the size (it was killed for it), far under what the handler asked for.
    const peak = maxMemoryUsed(reportOf(events, outcome.requestId));
    expect(peak).toBeGreaterThan(128);
    expect(peak).toBeLessThan(512);

    const next = await runtime.invoke({ action: 'noop' });
    expect(next.ok && (next.result as { pid: number }).pid).not.toBe(before);
    expect(reportOf(await logs(runtime.logDir), next.requestId)).toMatch(/\tInit Duration: /);
    // The OOM shows where an operator looks first.
    const errors = (await logs(runtime.logDir, 'ERROR')).map((e) => e.message);
    expect(errors).toContain('Runtime.OutOfMemory');
  });

  test('a CLI holding 300 MB forks a 128 MB worker: its own peak counts, not the parent’s', async () => {
    // Linux carries getrusage's maxRSS over fork and exec: a worker that trusted it
    // was killed on its first invoke whenever the process that forked it was big.
    const ballast = Buffer.alloc(300 * 1024 * 1024, 1);
    const runtime = await start({ memoryMb: 128 });
    const outcome = await runtime.invoke({ action: 'noop' });
    expect(ballast.length).toBeGreaterThan(0);
    expect(outcome).toMatchObject({ ok: true });
    const peak = maxMemoryUsed(reportOf(await logs(runtime.logDir), outcome.requestId));
    expect(peak).toBeGreaterThan(0);
    expect(peak).toBeLessThan(128);
  });

  test('under the size, Buffers are fine and REPORT shows the process peak, not the heap', async () => {
    const runtime = await start({ memoryMb: 512 });
    const outcome = await runtime.invoke({ action: 'buffers', mb: 128 });
    expect(outcome).toMatchObject({ ok: true, result: { held: 128 } });
    const selfReported = outcome.ok ? (outcome.result as { maxRssMb: number }).maxRssMb : 0;
    const peak = maxMemoryUsed(reportOf(await logs(runtime.logDir), outcome.requestId));
    expect(selfReported).toBeGreaterThan(128);
    expect(peak).toBeGreaterThanOrEqual(selfReported);
    expect(peak).toBeLessThan(512);
  });
});

describe('no lost lines', () => {
  test('a crash after the handler returned always leaves its line (20 runs)', async () => {
    const runtime = await start();
    for (let i = 0; i < 20; i++) {
      const outcome = await runtime.invoke({ action: i % 2 === 0 ? 'late-throw' : 'late-reject', i });
      expect(outcome).toMatchObject({ ok: true, result: 'returned' });
      const pattern =
        i % 2 === 0
          ? new RegExp(`\\tERROR\\tUncaught Exception \\t.*late failure ${i}"`)
          : new RegExp(`\\tERROR\\tUnhandled Promise Rejection \\t.*late rejection ${i}"`);
      const line = await waitForLine(runtime.logDir, pattern);
      expect(line?.message ?? `run ${i}: no line`).toMatch(pattern);
    }
    // Each crash is reported as the runtime exiting, at ERROR.
    const exits = (await logs(runtime.logDir, 'ERROR')).filter((e) =>
      e.message.startsWith('Error: Runtime exited'),
    );
    expect(exits.length).toBeGreaterThanOrEqual(19);
  });

  test.each([
    ['process.exit', 'log-then-exit', /^\S+\t\S+\tINFO\tlast words 0$/, 'Runtime.ExitError', 'crash'],
    ['a timeout', 'log-then-hang', /^\S+\t\S+\tWARN\tabout to hang 0$/, 'Sandbox.Timedout', 'timeout'],
    [
      'an OOM kill',
      'log-then-buffers',
      /^\S+\t\S+\tERROR\tabout to hoard 0$/,
      'Runtime.OutOfMemory',
      'crash',
    ],
  ])(
    'what the handler wrote before %s is in the log store, and the failure is under --level ERROR',
    async (_name, action, written, errorType, reason) => {
      const runtime = await start({ memoryMb: 128, timeoutSeconds: reason === 'timeout' ? 1 : 10 });
      const outcome = await runtime.invoke({ action, i: 0 });
      expect(outcome).toMatchObject({ ok: false, errorType, reason });
      const messages = (await logs(runtime.logDir)).map((e) => e.message);
      expect(messages).toContainEqual(expect.stringMatching(written));
      if (action === 'log-then-exit') expect(messages).toContain('raw last words 0');
      const errors = (await logs(runtime.logDir, 'ERROR')).map((e) => e.message);
      const warnings = (await logs(runtime.logDir, 'WARN')).map((e) => e.message);
      const failureLine =
        reason === 'timeout'
          ? expect.stringMatching(/ Task timed out after 1\.00 seconds$/)
          : expect.stringMatching(/^RequestId: \S+ Error: Runtime exited with error: /);
      expect(errors).toContainEqual(failureLine);
      expect(warnings).toContainEqual(failureLine);
      // START/END/REPORT stay out of a level query.
      expect(errors.some((m) => /^(START|END|REPORT) /.test(m))).toBe(false);
    },
  );

  test('an init error is logged at ERROR with its type', async () => {
    const broken = path.join(dir, 'broken-init.mjs');
    await writeFile(broken, "throw new Error('no config at init');\nexport const handler = async () => 1;\n");
    const runtime = await start({ bundleFile: broken });
    expect(await runtime.invoke({})).toMatchObject({ ok: false, errorType: 'Runtime.ImportModuleError' });
    const errors = (await logs(runtime.logDir, 'ERROR')).map((e) => e.message);
    expect(errors).toContainEqual(expect.stringMatching(/\tERROR\tUncaught Exception \t.*no config at init/));
    expect(errors).toContainEqual(
      expect.stringMatching(
        /^INIT_REPORT Init Duration: [\d.]+ ms\tPhase: init\tStatus: error\tError Type: Runtime\.ImportModuleError$/,
      ),
    );
  });
});

test("a stack trace names the handler's source file and line, not the bundle", async () => {
  const project = await mkdtemp(path.join(dir, 'maps-'));
  const entry = path.join(project, 'handler.ts');
  await writeFile(
    entry,
    [
      'interface Event { n: number }',
      'function check(event: Event): void {',
      "  if (event.n < 0) throw new RangeError('n must not be negative');",
      '}',
      'export const handler = async (event: Event) => {',
      '  check(event);',
      '  return event.n;',
      '};',
      '',
    ].join('\n'),
  );
  const build = await buildBundle({ entry, outDir: path.join(project, 'build') });
  const runtime = await start({ bundleFile: build.bundleFile });
  const outcome = await runtime.invoke({ n: -1 });
  expect(outcome).toMatchObject({ ok: false, errorType: 'RangeError' });
  const line = (await logs(runtime.logDir, 'ERROR')).find((e) => e.message.includes('Invoke Error'));
  const stack =
    (JSON.parse(line?.message.split('Invoke Error \t')[1] ?? '{}') as { stack?: string[] }).stack ?? [];
  expect(stack[1]).toMatch(/handler\.ts:3:\d+\)?$/);
  expect(stack.join('\n')).toMatch(/handler\.ts:6:\d+/);
  expect(stack.join('\n')).not.toMatch(/index\.mjs:\d+/);
});
