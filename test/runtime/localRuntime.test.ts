import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import {
  type LocalRuntime,
  type LocalRuntimeOptions,
  startLocalRuntime,
} from '../../src/runtime/localRuntime.js';
import type { LogEvent } from '../../src/runtime/logStream.js';

const HANDLER = `
export const handler = async (event, context) => {
  switch (event.action) {
    case 'echo':
      return {
        event,
        pid: process.pid,
        env: process.env,
        context: {
          awsRequestId: context.awsRequestId,
          functionName: context.functionName,
          functionVersion: context.functionVersion,
          invokedFunctionArn: context.invokedFunctionArn,
          memoryLimitInMB: context.memoryLimitInMB,
          logGroupName: context.logGroupName,
          logStreamName: context.logStreamName,
          remaining: context.getRemainingTimeInMillis(),
          callbackWaitsForEmptyEventLoop: context.callbackWaitsForEmptyEventLoop,
        },
      };
    case 'log':
      console.log('hello %s', 'world', { n: 1 });
      console.error('two\\nlines');
      process.stdout.write(JSON.stringify({ level: 'INFO', message: 'structured' }) + '\\n');
      return 'logged';
    case 'throw':
      throw new TypeError('bad input');
    case 'sleep':
      await new Promise((resolve) => setTimeout(resolve, event.ms));
      return { pid: process.pid };
    case 'exit':
      process.exit(3);
    case 'oom': {
      const hoard = [];
      for (;;) hoard.push(new Array(100000).fill(Math.random()));
    }
    case 'uncaught':
      setTimeout(() => { throw new Error('late failure'); }, 0);
      return new Promise(() => {});
    default:
      return { pid: process.pid };
  }
};
export function callbackHandler(event, context, callback) {
  setTimeout(() => callback(null, { via: 'callback', echo: event }), 1);
}
`;

let dir: string;
let bundleFile: string;
const runtimes: LocalRuntime[] = [];

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'runtime-'));
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
    functionName: 'ingest-fn',
    timeoutSeconds: 5,
    memoryMb: 256,
    env: { SINK_TABLE_NAME: 'sink', AWS_REGION: 'eu-west-1' },
    logDir,
    ...overrides,
  });
  runtimes.push(runtime);
  return Object.assign(runtime, { logDir });
}

async function readLogs(logDir: string): Promise<Map<string, LogEvent[]>> {
  const streams = new Map<string, LogEvent[]>();
  for (const name of (await readdir(logDir)).sort()) {
    const text = await readFile(path.join(logDir, name), 'utf8');
    streams.set(
      name,
      text
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as LogEvent),
    );
  }
  return streams;
}

function resultOf(outcome: Awaited<ReturnType<LocalRuntime['invoke']>>): Record<string, unknown> {
  if (!outcome.ok) throw new Error(`invocation failed: ${outcome.errorType} ${outcome.errorMessage}`);
  return outcome.result as Record<string, unknown>;
}

describe('local Lambda runtime', () => {
  test('passes the event through with a Lambda context, in a warm worker', async () => {
    const runtime = await start();
    const event = { action: 'echo', Records: [{ eventID: '1', dynamodb: { SequenceNumber: '100' } }] };
    const first = resultOf(await runtime.invoke(event));
    const second = resultOf(await runtime.invoke(event));
    expect(first.event).toEqual(event);
    expect(second.pid).toBe(first.pid);
    expect(first.pid).not.toBe(process.pid);
    const context = first.context as Record<string, unknown>;
    expect(context).toMatchObject({
      functionName: 'ingest-fn',
      functionVersion: '$LATEST',
      invokedFunctionArn: 'arn:aws:lambda:eu-west-1:000000000000:function:ingest-fn',
      memoryLimitInMB: '256',
      logGroupName: '/aws/lambda/ingest-fn',
      callbackWaitsForEmptyEventLoop: true,
    });
    expect(context.awsRequestId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(context.logStreamName).toMatch(/^\d{4}\/\d\d\/\d\d\/\[\$LATEST\][0-9a-f]{32}$/);
    expect(context.remaining).toBeGreaterThan(0);
    expect(context.remaining).toBeLessThanOrEqual(5000);
    expect(runtime.functionArn).toBe(context.invokedFunctionArn);
  });

  test('the worker environment is built explicitly: no secrets from the parent', async () => {
    process.env.AWS_SECRET_ACCESS_KEY = 'parent-secret-key';
    process.env.AWS_SESSION_TOKEN = 'parent-session-token';
    process.env.DDB_INGEST_TEST_SECRET = 'parent-other-secret';
    try {
      const runtime = await start();
      const env = resultOf(await runtime.invoke({ action: 'echo' })).env as Record<string, string>;
      expect(Object.values(env)).not.toEqual(
        expect.arrayContaining([expect.stringMatching(/parent-(secret-key|session-token|other-secret)/)]),
      );
      expect(Object.keys(env).sort()).toEqual(
        [
          'AWS_EXECUTION_ENV',
          'AWS_LAMBDA_INITIALIZATION_TYPE',
          'LAMBDA_RUNTIME_DIR',
          'NODE_PATH',
          'AWS_LAMBDA_FUNCTION_MEMORY_SIZE',
          'AWS_LAMBDA_FUNCTION_NAME',
          'AWS_LAMBDA_FUNCTION_VERSION',
          'AWS_LAMBDA_LOG_GROUP_NAME',
          'AWS_LAMBDA_LOG_STREAM_NAME',
          'AWS_REGION',
          'LAMBDA_TASK_ROOT',
          'LANG',
          'PATH',
          'SINK_TABLE_NAME',
          'TZ',
          '_HANDLER',
        ].sort(),
      );
      expect(env).toMatchObject({ SINK_TABLE_NAME: 'sink', AWS_LAMBDA_FUNCTION_NAME: 'ingest-fn' });
    } finally {
      delete process.env.AWS_SECRET_ACCESS_KEY;
      delete process.env.AWS_SESSION_TOKEN;
      delete process.env.DDB_INGEST_TEST_SECRET;
    }
  });

  test('logs START, console lines in Lambda format, raw structured lines, END and REPORT', async () => {
    const runtime = await start();
    const outcome = await runtime.invoke({ action: 'log' });
    expect(outcome).toMatchObject({ ok: true, result: 'logged' });
    await runtime.invoke({ action: 'noop' });
    const streams = await readLogs(runtime.logDir);
    expect(streams.size).toBe(1);
    const [file, events] = [...streams][0] as [string, LogEvent[]];
    const streamName = events[0]?.logStreamName ?? '';
    expect(streamName).toMatch(/^\d{4}\/\d\d\/\d\d\/\[\$LATEST\][0-9a-f]{32}$/);
    expect(file).toBe(`${streamName.replace(/[^A-Za-z0-9._-]/g, '_')}.ndjson`);
    const id = outcome.requestId ?? '';
    const messages = events.map((e) => e.message);
    expect(messages.slice(0, 6)).toEqual([
      `START RequestId: ${id} Version: $LATEST`,
      expect.stringMatching(
        new RegExp(`^\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z\\t${id}\\tINFO\\thello world { n: 1 }$`),
      ),
      expect.stringMatching(new RegExp(`^\\S+Z\\t${id}\\tERROR\\ttwo\\nlines$`)),
      '{"level":"INFO","message":"structured"}',
      `END RequestId: ${id}`,
      expect.stringMatching(
        new RegExp(
          `^REPORT RequestId: ${id}\\tDuration: \\d+\\.\\d\\d ms\\tBilled Duration: \\d+ ms\\tMemory Size: 256 MB\\tMax Memory Used: \\d+ MB\\tInit Duration: \\d+\\.\\d\\d ms$`,
        ),
      ),
    ]);
    // The warm second invocation has no Init Duration.
    expect(messages.at(-1)).toMatch(
      /^REPORT RequestId: \S+\tDuration: [\d.]+ ms\tBilled Duration: \d+ ms\tMemory Size: 256 MB\tMax Memory Used: \d+ MB$/,
    );
    for (const event of events) {
      expect(typeof event.timestamp).toBe('number');
      expect(event.logStreamName).toBe(streamName);
    }
  });

  test('a thrown error fails the invocation as Unhandled and keeps the worker warm', async () => {
    const runtime = await start();
    const before = resultOf(await runtime.invoke({ action: 'noop' })).pid;
    const outcome = await runtime.invoke({ action: 'throw' });
    expect(outcome).toMatchObject({
      ok: false,
      functionError: 'Unhandled',
      errorType: 'TypeError',
      errorMessage: 'bad input',
      reason: 'error',
    });
    expect(resultOf(await runtime.invoke({ action: 'noop' })).pid).toBe(before);
    const messages = [...(await readLogs(runtime.logDir)).values()].flat().map((e) => e.message);
    expect(messages).toContainEqual(
      expect.stringMatching(/\tERROR\tInvoke Error \t\{"errorType":"TypeError"/),
    );
  });

  test('a timeout kills the worker; the next invocation is a cold start in a new log stream', async () => {
    const runtime = await start({ timeoutSeconds: 1 });
    const before = resultOf(await runtime.invoke({ action: 'noop' })).pid;
    const outcome = await runtime.invoke({ action: 'sleep', ms: 5000 });
    expect(outcome).toMatchObject({
      ok: false,
      functionError: 'Unhandled',
      errorType: 'Sandbox.Timedout',
      reason: 'timeout',
    });
    expect(outcome.ok || outcome.errorMessage).toMatch(/Task timed out after 1\.00 seconds/);
    const after = resultOf(await runtime.invoke({ action: 'noop' })).pid;
    expect(after).not.toBe(before);
    const streams = [...(await readLogs(runtime.logDir)).values()];
    expect(streams).toHaveLength(2);
    const timedOut = streams.find((s) => s.some((e) => e.message.includes('Task timed out')));
    const messages = timedOut?.map((e) => e.message) ?? [];
    expect(messages.slice(-3)).toEqual([
      `END RequestId: ${outcome.requestId}`,
      expect.stringMatching(/^REPORT RequestId: /),
      expect.stringMatching(
        new RegExp(
          `^\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z ${outcome.requestId} Task timed out after 1\\.00 seconds$`,
        ),
      ),
    ]);
    const fresh = streams.find((s) => s !== timedOut);
    expect(fresh?.some((e) => /\tInit Duration: /.test(e.message))).toBe(true);
  });

  test.each([
    ['process.exit', 'exit', 'Runtime.ExitError', /exit status 3/],
    ['an uncaught exception', 'uncaught', 'Error', /exit status 129/],
  ])('%s is a crash; the worker is replaced', async (_name, action, errorType, message) => {
    const runtime = await start();
    const before = resultOf(await runtime.invoke({ action: 'noop' })).pid;
    const outcome = await runtime.invoke({ action });
    expect(outcome).toMatchObject({ ok: false, functionError: 'Unhandled', reason: 'crash', errorType });
    expect(outcome.ok || outcome.errorMessage).toMatch(message);
    expect(resultOf(await runtime.invoke({ action: 'noop' })).pid).not.toBe(before);
  });

  test('running out of memory is a crash', async () => {
    // 128 MB, Lambda's smallest size: a bare Node process alone is bigger than the 32 MB this used to run at.
    const runtime = await start({ memoryMb: 128 });
    const outcome = await runtime.invoke({ action: 'oom' });
    expect(outcome).toMatchObject({ ok: false, reason: 'crash', errorType: 'Runtime.OutOfMemory' });
    expect(resultOf(await runtime.invoke({ action: 'noop' })).pid).toEqual(expect.any(Number));
  });

  test('callback-style handlers are supported', async () => {
    const runtime = await start({ handlerExport: 'callbackHandler' });
    expect(await runtime.invoke({ a: 1 })).toMatchObject({
      ok: true,
      result: { via: 'callback', echo: { a: 1 } },
    });
  });

  test('a missing export fails every invocation with Runtime.HandlerNotFound', async () => {
    const runtime = await start({ handlerExport: 'nope' });
    expect(await runtime.invoke({})).toMatchObject({
      ok: false,
      errorType: 'Runtime.HandlerNotFound',
      reason: 'error',
    });
  });
});
