/**
 * The function's environment against AWS's "Defined runtime environment
 * variables" (Lambda developer guide, configuration-envvars), row by row, as a
 * real worker sees it.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { parseStack } from '../../src/config/stack.js';
import { toCliError } from '../../src/errorMessages.js';
import { RESERVED_ENVIRONMENT_VARIABLES } from '../../src/runtime/environment.js';
import { startLocalRuntime } from '../../src/runtime/localRuntime.js';

const UUID = /[0-9a-f]{32}/;

/**
 * AWS's table. `value`: the value form the local runtime gives (a RegExp or
 * the exact text); `unset`: why this variable is not set locally.
 */
const DOCUMENTED: {
  name: string;
  reserved: boolean;
  value?: string | RegExp;
  unset?: string;
}[] = [
  { name: '_HANDLER', reserved: true, value: 'index.handler' },
  {
    name: '_X_AMZN_TRACE_ID',
    reserved: true,
    unset: 'set per invocation only with X-Ray tracing, which the stack does not enable',
  },
  { name: 'AWS_DEFAULT_REGION', reserved: true, value: 'eu-west-1' },
  { name: 'AWS_REGION', reserved: true, value: 'eu-west-1' },
  { name: 'AWS_EXECUTION_ENV', reserved: true, value: 'AWS_Lambda_nodejs22.x' },
  { name: 'AWS_LAMBDA_FUNCTION_NAME', reserved: true, value: 'env-fn' },
  { name: 'AWS_LAMBDA_FUNCTION_MEMORY_SIZE', reserved: true, value: '512' },
  { name: 'AWS_LAMBDA_FUNCTION_VERSION', reserved: true, value: '$LATEST' },
  { name: 'AWS_LAMBDA_INITIALIZATION_TYPE', reserved: true, value: 'on-demand' },
  { name: 'AWS_LAMBDA_LOG_GROUP_NAME', reserved: true, value: '/aws/lambda/env-fn' },
  {
    name: 'AWS_LAMBDA_LOG_STREAM_NAME',
    reserved: true,
    value: new RegExp(`^\\d{4}/\\d\\d/\\d\\d/\\[\\$LATEST\\]${UUID.source}$`),
  },
  {
    name: 'AWS_ACCESS_KEY',
    reserved: true,
    unset: 'a legacy alias; the local target passes AWS_ACCESS_KEY_ID',
  },
  { name: 'AWS_ACCESS_KEY_ID', reserved: true, value: 'ddblocal' },
  { name: 'AWS_SECRET_ACCESS_KEY', reserved: true, value: 'ddblocal' },
  {
    name: 'AWS_SESSION_TOKEN',
    reserved: true,
    unset: 'DynamoDB Local takes long-term fake keys; no role session exists',
  },
  {
    name: 'AWS_LAMBDA_RUNTIME_API',
    reserved: true,
    unset: 'there is no Runtime API endpoint locally: a value would point at nothing',
  },
  { name: 'LAMBDA_TASK_ROOT', reserved: true, value: 'TASK_ROOT' },
  { name: 'LAMBDA_RUNTIME_DIR', reserved: true, value: /src\/runtime$/ },
  { name: 'LANG', reserved: false, value: 'en_US.UTF-8' },
  { name: 'PATH', reserved: false, value: '/usr/local/bin:/usr/bin/:/bin:/opt/bin' },
  {
    name: 'LD_LIBRARY_PATH',
    reserved: false,
    unset: "Lambda's library folders do not exist here and would change how the local node binary links",
  },
  {
    name: 'NODE_PATH',
    reserved: false,
    value: '/opt/nodejs/node22/node_modules:/opt/nodejs/node_modules:/var/runtime/node_modules',
  },
  {
    name: 'NODE_EXTRA_CA_CERTS',
    reserved: false,
    unset: "Lambda's CA file does not exist here (Node would warn on every start)",
  },
  { name: 'AWS_XRAY_CONTEXT_MISSING', reserved: false, unset: 'X-Ray only' },
  { name: 'AWS_XRAY_DAEMON_ADDRESS', reserved: false, unset: 'X-Ray only' },
  { name: 'AUTO_INSTRUMENT', reserved: false, unset: 'X-Ray only' },
  { name: 'TZ', reserved: false, value: ':UTC' },
];

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'runtime-env-'));
  await writeFile(
    path.join(dir, 'index.mjs'),
    'export const handler = async () => ({ env: process.env, offset: new Date(Date.UTC(2026, 6, 1)).getTimezoneOffset() });\n',
  );
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function environmentOf(
  env: Record<string, string>,
): Promise<{ env: Record<string, string>; offset: number }> {
  const runtime = await startLocalRuntime({
    bundleFile: path.join(dir, 'index.mjs'),
    handlerExport: 'handler',
    functionName: 'env-fn',
    timeoutSeconds: 5,
    memoryMb: 512,
    // What the local target passes (src/targets/local/pipeline.ts functionEnvironment).
    env: {
      AWS_REGION: 'eu-west-1',
      AWS_DEFAULT_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'ddblocal',
      AWS_SECRET_ACCESS_KEY: 'ddblocal',
      ...env,
    },
    logDir: path.join(dir, 'logs'),
  });
  try {
    const outcome = await runtime.invoke({});
    if (!outcome.ok) throw new Error(outcome.errorMessage);
    return outcome.result as { env: Record<string, string>; offset: number };
  } finally {
    await runtime.stop();
  }
}

describe("Lambda's defined runtime environment variables", () => {
  let seen: Record<string, string>;
  beforeAll(async () => {
    seen = (await environmentOf({})).env;
  });

  test.each(DOCUMENTED)('$name', ({ name, value, unset }) => {
    if (unset !== undefined) {
      expect(seen[name]).toBeUndefined();
      return;
    }
    const expected = value === 'TASK_ROOT' ? dir : value;
    if (expected instanceof RegExp) expect(seen[name]).toMatch(expected);
    else expect(seen[name]).toBe(expected);
  });

  test('the reserved ones are exactly the documented reserved keys', () => {
    expect([...RESERVED_ENVIRONMENT_VARIABLES].sort()).toEqual(
      DOCUMENTED.filter((v) => v.reserved)
        .map((v) => v.name)
        .sort(),
    );
  });

  test('nothing else appears', () => {
    const documented = new Set(DOCUMENTED.map((v) => v.name));
    expect(Object.keys(seen).filter((name) => !documented.has(name))).toEqual([]);
  });
});

test('TZ is :UTC (UTC time) unless the function sets it, which Lambda allows', async () => {
  expect((await environmentOf({})).offset).toBe(0);
  const paris = await environmentOf({ TZ: 'Europe/Paris' });
  expect(paris.env.TZ).toBe('Europe/Paris');
  expect(paris.offset).toBe(-120);
});

test.each(RESERVED_ENVIRONMENT_VARIABLES.filter((name) => /^[a-zA-Z]/.test(name)))(
  'function.environment.%s is refused at validation, naming it',
  (name) => {
    const shown = (() => {
      try {
        parseStack({ function: { environment: { [name]: 'x', OK_VAR: 'y' } } });
      } catch (err) {
        return toCliError(err);
      }
      return undefined;
    })();
    expect(shown?.exitCode).toBe(2);
    expect(shown?.message).toContain(`function.environment: Lambda reserves ${name}`);
  },
);
