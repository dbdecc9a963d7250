import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadStack, parseStack } from '../../src/config/stack.js';
import { UsageError } from '../../src/errors.js';
import { shownError, shownRejection } from '../helpers/errors.js';

test('an empty object is the default stack from the CLI contract', () => {
  expect(parseStack({})).toEqual({
    name: 'ddb-ingest',
    region: 'us-east-1',
    source_table: { name: 'ddb-ingest-orders', hash_key: 'orderId', stream_view_type: 'NEW_AND_OLD_IMAGES' },
    sink_table: { name: 'ddb-ingest-ingested', hash_key: 'pk' },
    function: {
      name: 'ddb-ingest-ingest',
      entry: 'lambda/src/handler.ts',
      handler: 'handler',
      runtime: 'nodejs22.x',
      timeout: 30,
      memory_size: 256,
      environment: {},
      tracing: 'PassThrough',
      reserved_concurrency: null,
    },
    event_source_mapping: {
      batch_size: 100,
      maximum_batching_window_in_seconds: 0,
      starting_position: 'TRIM_HORIZON',
      parallelization_factor: 1,
      bisect_batch_on_function_error: true,
      maximum_retry_attempts: 5,
      maximum_record_age_in_seconds: 3600,
      function_response_types: ['ReportBatchItemFailures'],
      filter_criteria: { filter: [] },
      enabled: true,
    },
    deployment: {
      codedeploy: null,
      config: 'CodeDeployDefault.LambdaCanary10Percent5Minutes',
      pre_traffic_check: null,
      pre_traffic_records: 10,
    },
  });
});

test('production options: tracing, reserved concurrency and the deployment config are validated by name', () => {
  const stack = parseStack({
    function: { tracing: 'Active', reserved_concurrency: 5 },
    deployment: { config: 'CodeDeployDefault.LambdaAllAtOnce', pre_traffic_check: true },
  });
  expect(stack.function).toMatchObject({ tracing: 'Active', reserved_concurrency: 5 });
  expect(stack.deployment).toEqual({
    codedeploy: null,
    config: 'CodeDeployDefault.LambdaAllAtOnce',
    pre_traffic_check: true,
    pre_traffic_records: 10,
  });
  const refused = (raw: unknown) => {
    try {
      parseStack(raw);
    } catch (err) {
      return (err as Error).message;
    }
    throw new Error(`accepted ${JSON.stringify(raw)}`);
  };
  expect(refused({ function: { tracing: 'On' } })).toContain(
    'function.tracing: must be one of "PassThrough", "Active"',
  );
  expect(refused({ function: { reserved_concurrency: 0 } })).toContain(
    'function.reserved_concurrency: must be >= 1',
  );
  expect(refused({ function: { reserved_concurrency: 2.5 } })).toContain('function.reserved_concurrency:');
  expect(refused({ deployment: { config: 'AllAtOnce' } })).toMatch(
    /deployment\.config: must be one of "CodeDeployDefault\.LambdaCanary10Percent5Minutes", .*"CodeDeployDefault\.LambdaAllAtOnce"/,
  );
  expect(refused({ deployment: { pre_traffic_records: 0 } })).toContain(
    'deployment.pre_traffic_records: must be >= 1',
  );
  expect(refused({ deployment: { canary: true } })).toContain('deployment: unknown key "canary"');
  // The emulator switch is a boolean, not a string Terraform would also read as one.
  expect(parseStack({ deployment: { codedeploy: false } }).deployment.codedeploy).toBe(false);
  expect(refused({ deployment: { codedeploy: 'false' } })).toContain(
    'deployment.codedeploy: must be boolean',
  );
});

test('partial sections keep the other defaults', () => {
  const stack = parseStack({ event_source_mapping: { batch_size: 10 }, source_table: { name: 'my-orders' } });
  expect(stack.event_source_mapping.batch_size).toBe(10);
  expect(stack.event_source_mapping.maximum_retry_attempts).toBe(5);
  expect(stack.source_table).toEqual({
    name: 'my-orders',
    hash_key: 'orderId',
    stream_view_type: 'NEW_AND_OLD_IMAGES',
  });
});

test.each([
  [{ event_source_mapping: { batch_size: 0 } }, /event_source_mapping\.batch_size: must be >= 1/],
  [{ event_source_mapping: { batch_size: 10001 } }, /event_source_mapping\.batch_size: must be <= 10000/],
  [
    { event_source_mapping: { starting_position: 'AT_TIMESTAMP' } },
    /starting_position: must be one of "TRIM_HORIZON", "LATEST"/,
  ],
  [
    { event_source_mapping: { maximum_record_age_in_seconds: 30 } },
    /maximum_record_age_in_seconds: -1, or 60 to 604800/,
  ],
  [{ event_source_mapping: { parallelization_factor: 11 } }, /parallelization_factor: must be <= 10/],
  [{ function: { runtime: 'nodejs24.x' } }, /function\.runtime: must be one of "nodejs22.x", "nodejs20.x"/],
  [{ function: { timeout: '30' } }, /function\.timeout: must be number/],
  [{ function: { memory_size: 64 } }, /function\.memory_size: must be >= 128/],
  [{ source_table: { nme: 'x' } }, /source_table: unknown key "nme"/],
  [
    { sink_table: { hash_key: 'id' } },
    /sink_table\.hash_key: must be "pk" with the built-in handler, not "id"/,
  ],
  [{ extra: true }, /\(top level\): unknown key "extra"/],
  [{ source_table: { name: 'a' } }, /source_table\.name: 3-255 characters/],
  [{ region: 'mars' }, /region: an AWS region/],
  [{ function: { memory_size: 10241 } }, /function\.memory_size: must be <= 10240/],
  [{ function: { timeout: 0 } }, /function\.timeout: must be >= 1/],
  [{ function: { timeout: 901 } }, /function\.timeout: must be <= 900/],
  [
    { function: { handler: 'handlers..main' } },
    /function\.handler: a JavaScript identifier, or a dotted property path/,
  ],
  [{ function: { handler: 'index.js' } }, null],
  [
    { function: { environment: { AWS_REGION: 'eu-west-1', _HANDLER: 'x', MY_SETTING: '1' } } },
    /function\.environment: Lambda reserves AWS_REGION, _HANDLER: the runtime sets them, a function cannot/,
  ],
  [
    { function: { environment: { '1ST': 'x' } } },
    /function\.environment\.1ST: a letter, then letters, digits or "_"/,
  ],
  [
    { event_source_mapping: { filter_criteria: { filter: Array(6).fill({ pattern: '{}' }) } } },
    /filter_criteria\.filter: must be <= 5 entries/,
  ],
])('invalid stack %j is refused naming the key', (raw, message) => {
  if (message === null) {
    // A dotted path whose segments are identifiers is a valid property path ("index" then "js").
    expect(() => parseStack(raw)).not.toThrow();
    return;
  }
  expect(shownError(() => parseStack(raw))).toBeInstanceOf(UsageError);
  expect(() => parseStack(raw)).toThrow(message);
});

test("the source key is the stack's; a sink key other than pk is the own handler's business", () => {
  expect(parseStack({ source_table: { hash_key: 'id' } }).source_table.hash_key).toBe('id');
  const own = parseStack({ sink_table: { hash_key: 'id' }, function: { entry: 'src/mine.ts' } });
  expect(own.sink_table.hash_key).toBe('id');
});

test('a dotted handler path and the unreserved variables Lambda lets users set are accepted', () => {
  const stack = parseStack({
    function: {
      handler: 'handlers.main',
      environment: { TZ: 'Europe/Paris', LANG: 'fr_FR.UTF-8', NODE_OPTIONS: '--enable-source-maps', A1: 'x' },
    },
  });
  expect(stack.function.handler).toBe('handlers.main');
  expect(stack.function.environment.TZ).toBe('Europe/Paris');
});

describe('loadStack', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'stack-'));
  });

  test('a missing default file means the default stack', async () => {
    const loaded = await loadStack(undefined, dir);
    expect(loaded.exists).toBe(false);
    expect(loaded.stack.name).toBe('ddb-ingest');
  });

  test('a missing --config file is a usage error', async () => {
    await expect(loadStack('nope.json', dir)).rejects.toThrow(/Cannot read stack file .*nope\.json/);
  });

  test('invalid JSON is a usage error naming the file', async () => {
    await writeFile(path.join(dir, 'bad.json'), '{ "name": ');
    const err = await shownRejection(loadStack('bad.json', dir));
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toMatch(/bad\.json is not valid JSON/);
  });
});
