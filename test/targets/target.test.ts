import { cp, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ConfigError } from '../../src/config/errors.js';
import { loadStack, parseStackModel } from '../../src/config/stack.js';
import { toCliError } from '../../src/errorMessages.js';
import { UsageError } from '../../src/errors.js';
import { functionZipPaths } from '../../src/targets/aws/vars.js';
import { TargetError } from '../../src/targets/errors.js';
import { createTarget, type TargetSettings } from '../../src/targets/target.js';
import { ORDERS_TABLE } from '../helpers/stacks.js';

let dir: string;
let settings: TargetSettings;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'ddb-ingest-target-'));
  const { stack, model } = parseStackModel({});
  settings = {
    stack,
    stackFile: { stack, model, file: path.join(dir, 'ddb-ingest.json'), dir, exists: false },
    stateDir: path.join(dir, '.ddb-ingest'),
    aws: { region: 'eu-west-1' },
  };
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('the target is chosen by name once; each says where its stack lives', async () => {
  const local = await createTarget('local', settings);
  const aws = await createTarget('aws', settings);
  expect([local.name, aws.name]).toEqual(['local', 'aws']);
  expect(await local.tables()).toEqual({ source: 'ddb-ingest-orders', sink: 'ddb-ingest-ingested' });
  expect((await local.logSource()).source).toEqual({
    target: 'local',
    logsDir: path.join(settings.stateDir, 'logs'),
  });
  // Nothing deployed from this state dir: no client is made, the user is told.
  const none = await aws.logSource().catch((e: unknown) => e);
  expect(none).toBeInstanceOf(TargetError);
  expect((none as TargetError).code).toBe('targets.no-deployment');
  // Deployed: the logs are the deployed function's (its name as Terraform output it).
  const outputsFile = path.join(settings.stateDir, 'aws-outputs.json');
  await mkdir(settings.stateDir, { recursive: true });
  await writeFile(outputsFile, JSON.stringify({ function_name: 'deployed-fn' }));
  try {
    const cloud = await aws.logSource();
    expect(cloud.source).toMatchObject({ target: 'aws', functionName: 'deployed-fn' });
    cloud.close();
  } finally {
    await rm(outputsFile, { force: true });
  }
  expect(await aws.connection()).toEqual({ region: 'eu-west-1' });
  expect(typeof local.runInForeground).toBe('function');
  expect(aws.runInForeground).toBeUndefined();
});

test('the local target refuses saved plans and needs its stack for tables and keys', async () => {
  const local = await createTarget('local', settings);
  const plan = await local.up({ port: 1, planOnly: true }).catch((e: unknown) => e);
  expect(plan).toBeInstanceOf(TargetError);
  expect(toCliError(plan)).toBeInstanceOf(UsageError);
  expect(toCliError(plan)?.message).toBe('--plan-only is for the aws target.');
  const conn = await local.connection().catch((e: unknown) => e);
  expect((conn as TargetError).code).toBe('targets.local-not-running');
  expect(((await local.streamArn().catch((e: unknown) => e)) as TargetError).code).toBe(
    'targets.local-not-running',
  );
});

test('the aws target reads names and the queue from the saved outputs', async () => {
  const aws = await createTarget('aws', settings);
  expect(((await aws.tables().catch((e: unknown) => e)) as TargetError).code).toBe('targets.no-deployment');
  const { mkdir } = await import('node:fs/promises');
  await mkdir(settings.stateDir, { recursive: true });
  await writeFile(
    path.join(settings.stateDir, 'aws-outputs.json'),
    JSON.stringify({ source_table_name: 'src-x', sink_table_name: 'sink-x' }),
  );
  expect(await aws.tables()).toEqual({ source: 'src-x', sink: 'sink-x' });
  const noQueue = await aws.onFailureQueue().catch((e: unknown) => e);
  expect((noQueue as TargetError).code).toBe('targets.outputs-no-dlq');
  await writeFile(
    path.join(settings.stateDir, 'aws-outputs.json'),
    JSON.stringify({ dlq_url: 'https://sqs.eu-west-1.amazonaws.com/123456789012/dlq' }),
  );
  const queue = await aws.onFailureQueue();
  expect(queue.queue.location).toBe('https://sqs.eu-west-1.amazonaws.com/123456789012/dlq');
  queue.close();
});

test('the aws target refuses source and sink tables for a stack without the built-in pipeline, as local does', async () => {
  const v2dir = await mkdtemp(path.join(os.tmpdir(), 'ddb-ingest-target-v2-'));
  try {
    const { stack, model } = parseStackModel({
      tables: { 'v2-orders': ORDERS_TABLE },
      functions: {
        'v2-fn': { entry: 'fn.mjs', tables: ['v2-orders'], event_sources: [{ table: 'v2-orders' }] },
      },
    });
    const v2: TargetSettings = {
      stack,
      stackFile: { stack, model, file: path.join(v2dir, 'ddb-ingest.json'), dir: v2dir, exists: true },
      stateDir: path.join(v2dir, '.ddb-ingest'),
      aws: { region: 'eu-west-1' },
    };
    // What `up --target aws` saves for such a stack: the single-pipeline outputs are null.
    await mkdir(v2.stateDir, { recursive: true });
    await writeFile(
      path.join(v2.stateDir, 'aws-outputs.json'),
      JSON.stringify({ source_table_name: null, sink_table_name: null, tables: { 'v2-orders': {} } }),
    );
    for (const name of ['local', 'aws'] as const) {
      const target = await createTarget(name, v2);
      const refused = await target.tables().catch((e: unknown) => e);
      expect({ name, code: (refused as ConfigError).code }).toEqual({
        name,
        code: 'config.pipeline-required',
      });
    }
  } finally {
    await rm(v2dir, { recursive: true, force: true });
  }
});

test("the aws target's bundle() builds every function where up uploads it, and names each", async () => {
  const work = await mkdtemp(path.join(os.tmpdir(), 'ddb-ingest-target-bundle-'));
  try {
    await cp(path.resolve(import.meta.dirname, '../../examples/fan-out'), work, { recursive: true });
    const stackFile = await loadStack(undefined, work);
    const stateDir = path.join(work, '.ddb-ingest');
    const aws = await createTarget('aws', {
      stack: stackFile.stack,
      stackFile,
      stateDir,
      aws: { region: 'us-east-1' },
    });
    const steps: string[] = [];
    const bundles = await aws.bundle({ onStep: (m) => steps.push(m) });
    expect(Object.keys(bundles.functions ?? {})).toEqual(['fanout-ingest', 'fanout-audit']);
    const zips = functionZipPaths(stackFile, stateDir);
    for (const [name, b] of Object.entries(bundles.functions ?? {})) {
      // Beside the zip Terraform reads for that function (function_zip_paths).
      expect({ name, dir: path.dirname(b.bundleFile), rebuilt: b.rebuilt }).toEqual({
        name,
        dir: path.dirname(zips[name] as string),
        rebuilt: true,
      });
      expect((await stat(zips[name] as string)).size).toBeGreaterThan(0);
      expect(await readFile(b.bundleFile, 'utf8')).toContain('handler');
    }
    // No built-in pipeline: the first function's bundle is the primary one.
    expect(bundles.bundleFile).toBe(bundles.functions?.['fanout-ingest']?.bundleFile);
    expect(steps).toEqual(['Building the bundle of fanout-ingest', 'Building the bundle of fanout-audit']);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});

test('commands go through ctx.target: no SDK client, no target branch, no other command', async () => {
  const commandsDir = path.resolve(import.meta.dirname, '../../src/commands');
  // Helpers of the commands, not commands.
  const helpers = new Set([
    'action',
    'options',
    'confirm',
    'deployHooks',
    'awsRelease',
    'tailOptions',
    'timeSpec',
    'values',
    'interrupt',
    'invocation',
  ]);
  const offenders: string[] = [];
  for (const name of await readdir(commandsDir)) {
    if (helpers.has(name.replace(/\.ts$/, ''))) continue;
    const text = await readFile(path.join(commandsDir, name), 'utf8');
    if (/@aws-sdk\//.test(text)) offenders.push(`${name}: uses the AWS SDK`);
    if (/aws\/clients\.js/.test(text)) offenders.push(`${name}: builds a client`);
    if (/target(\.name)?\s*[!=]==\s*'(local|aws)'/.test(text))
      offenders.push(`${name}: branches on the target`);
    if (/targets\/(local|aws)\/(?!deploy\.js'|terraform\.js')/.test(text.replace(/import type[^;]*;/g, ''))) {
      offenders.push(`${name}: reaches into a target's modules`);
    }
    for (const m of text.matchAll(/from '\.\/(\w+)\.js'|import\('\.\/(\w+)\.js'\)/g)) {
      const other = m[1] ?? m[2];
      if (other && !helpers.has(other)) offenders.push(`${name}: imports the command ${other}`);
    }
  }
  expect(offenders).toEqual([]);
});
