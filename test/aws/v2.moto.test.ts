import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  GetAliasCommand,
  GetEventSourceMappingCommand,
  type GetEventSourceMappingCommandOutput,
  LambdaClient,
} from '@aws-sdk/client-lambda';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import {
  type AwsOutputs,
  type TerraformOptions,
  terraformApply,
  terraformInit,
  terraformPlan,
} from '../../src/targets/aws/terraform.js';
import { type CliResult, runCli } from '../helpers/cli.js';
import { MOTO_ENV, startTestMoto, type TestMoto } from '../helpers/moto.js';
import { makeWorkDir, requireTerraform } from '../infra/env.js';

// The aws target with version 2 stacks, against moto server:
// - a state the single-pipeline module (before infra/modules/) applied moves
//   to the current module without destroying or replacing anything;
// - examples/fan-out (two functions, three mappings on two streams) deploys
//   with `up --target aws`, and `status` shows every mapping;
// - a second `up` releases a new version of each function, and
//   `rollback --function` moves back only the one it names (moto runs no
//   CodeDeploy deployments: on a custom endpoint the stack has none, so
//   live moves at once).

const { pluginDir, infraDir } = requireTerraform();
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const fixture = path.join(repoRoot, 'test', 'fixtures', 'infra-single-pipeline');

let moto: TestMoto;
let cwd: string;
let upResult: CliResult;
let outputs: AwsOutputs;

const env = () => ({ ...MOTO_ENV, TF_PLUGIN_DIR: pluginDir });
const cli = (args: string[]) =>
  runCli(['--target', 'aws', '--endpoint-url', moto.endpoint, ...args], {
    cwd,
    env: env(),
    timeoutMs: 480_000,
  });
const ok = (r: CliResult) => ({ code: r.exitCode, stderr: r.exitCode === 0 ? '' : r.stderr });

beforeAll(async () => {
  moto = await startTestMoto();
  cwd = await mkdtemp(path.join(os.tmpdir(), 'ddb-ingest-v2-moto-'));
  await cp(path.join(repoRoot, 'examples', 'fan-out'), cwd, { recursive: true });
  upResult = await cli(['up', '--yes']);
  if (upResult.exitCode === 0) {
    outputs = JSON.parse(
      await readFile(path.join(cwd, '.ddb-ingest', 'aws-outputs.json'), 'utf8'),
    ) as AwsOutputs;
  }
}, 600_000);

afterAll(async () => {
  await moto?.stop();
  if (cwd) await rm(cwd, { recursive: true, force: true });
});

test('up --target aws deploys every table, function and mapping of examples/fan-out', async () => {
  expect(ok(upResult)).toEqual({ code: 0, stderr: '' });
  // Each function is listed with the version live points at, its streams and its queue; no pipeline lines.
  expect(upResult.stdout).toContain('function    fanout-ingest (live -> version 1)');
  expect(upResult.stdout).toContain('function    fanout-audit (live -> version 1)');
  expect(upResult.stdout).toContain(`  dlq       ${outputs.dlq_urls?.['fanout-audit']}`);
  expect(upResult.stdout).not.toContain('null');
  expect(Object.keys(outputs.functions ?? {}).sort()).toEqual(['fanout-audit', 'fanout-ingest']);
  expect(Object.keys(outputs.tables ?? {}).sort()).toEqual([
    'fanout-app',
    'fanout-customers',
    'fanout-orders',
  ]);
  expect(Object.keys(outputs.dlq_urls ?? {}).sort()).toEqual(['fanout-audit', 'fanout-ingest']);
  const mappings = Object.values(outputs.mappings ?? {});
  expect(mappings.map((m) => `${m.function}/${m.table}`).sort()).toEqual([
    'fanout-audit/fanout-customers',
    'fanout-audit/fanout-orders',
    'fanout-ingest/fanout-orders',
  ]);
  const lambda = new LambdaClient({
    region: MOTO_ENV.AWS_REGION,
    endpoint: moto.endpoint,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  });
  try {
    for (const m of mappings) {
      const got: GetEventSourceMappingCommandOutput = await lambda.send(
        new GetEventSourceMappingCommand({ UUID: m.uuid }),
      );
      expect({ m: `${m.function}/${m.table}`, stream: got.EventSourceArn }).toEqual({
        m: `${m.function}/${m.table}`,
        stream: outputs.tables?.[m.table]?.stream_arn,
      });
      // Each function's mappings report to that function's own queue.
      expect(m.dlq_url).toBe(outputs.dlq_urls?.[m.function]);
    }
  } finally {
    lambda.destroy();
  }
});

test("status --json shows every mapping; --function only that function's", async () => {
  const sqs = new SQSClient({
    region: MOTO_ENV.AWS_REGION,
    endpoint: moto.endpoint,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  });
  try {
    // One on-failure message on audit's queue: its mappings show it, ingest's does not.
    await sqs.send(
      new SendMessageCommand({ QueueUrl: outputs.dlq_urls?.['fanout-audit'], MessageBody: '{}' }),
    );
  } finally {
    sqs.destroy();
  }
  const all = await cli(['status', '--json']);
  expect(ok(all)).toEqual({ code: 0, stderr: '' });
  const report = JSON.parse(all.stdout) as {
    target: string;
    mappings: {
      function: string;
      table: string;
      streamArn: string;
      esm: { state: string };
      dlq: { messages: number };
    }[];
  };
  expect(report.target).toBe('aws');
  const summary = report.mappings
    .map((m) => ({
      m: `${m.function}/${m.table}`,
      stream: m.streamArn,
      deployed: m.esm.state !== 'NotDeployed' && m.esm.state !== 'Unknown',
      dlq: m.dlq.messages,
    }))
    .sort((a, b) => a.m.localeCompare(b.m));
  expect(summary).toEqual([
    {
      m: 'fanout-audit/fanout-customers',
      stream: outputs.tables?.['fanout-customers']?.stream_arn,
      deployed: true,
      dlq: 1,
    },
    {
      m: 'fanout-audit/fanout-orders',
      stream: outputs.tables?.['fanout-orders']?.stream_arn,
      deployed: true,
      dlq: 1,
    },
    {
      m: 'fanout-ingest/fanout-orders',
      stream: outputs.tables?.['fanout-orders']?.stream_arn,
      deployed: true,
      dlq: 0,
    },
  ]);
  const one = await cli(['status', '--json', '--function', 'fanout-ingest']);
  expect(ok(one)).toEqual({ code: 0, stderr: '' });
  expect((JSON.parse(one.stdout) as typeof report).mappings.map((m) => `${m.function}/${m.table}`)).toEqual([
    'fanout-ingest/fanout-orders',
  ]);
  const unknown = await cli(['status', '--json', '--function', 'nope']);
  expect(unknown.exitCode).toBe(2);
  expect(unknown.stderr).toContain('nope');
}, 300_000);

test('rollback --function moves back only that function; a second version of each went live with up', async () => {
  // A second version of both functions (an environment change publishes one), so rolling back
  // the wrong function, or both, would show.
  const file = path.join(cwd, 'ddb-ingest.json');
  const stack = JSON.parse(await readFile(file, 'utf8')) as { functions: Record<string, object> };
  for (const fn of Object.values(stack.functions)) Object.assign(fn, { environment: { RELEASE: '2' } });
  await writeFile(file, JSON.stringify(stack, null, 2));
  const second = await cli(['up', '--yes']);
  expect(ok(second)).toEqual({ code: 0, stderr: '' });
  expect(second.stdout).toContain('function    fanout-ingest (live -> version 2)');
  expect(second.stdout).toContain('function    fanout-audit (live -> version 2)');

  const lambda = new LambdaClient({
    region: MOTO_ENV.AWS_REGION,
    endpoint: moto.endpoint,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  });
  const live = async (name: string) => {
    const alias = await lambda.send(new GetAliasCommand({ FunctionName: name, Name: 'live' }));
    return { version: alias.FunctionVersion, description: alias.Description };
  };
  try {
    const ingestBefore = await live('fanout-ingest');
    expect(ingestBefore.version).toBe('2');
    expect((await live('fanout-audit')).version).toBe('2');

    // Two functions: which one must be said, and the message lists both; nothing moves.
    const unnamed = await cli(['rollback', '--yes', '--json']);
    expect(unnamed.exitCode).toBe(2);
    expect(unnamed.stderr).toContain('fanout-ingest');
    expect(unnamed.stderr).toContain('fanout-audit');
    expect(unnamed.stderr).toContain('--function');
    const unknown = await cli(['rollback', '--function', 'nope', '--yes']);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toContain('"nope"');
    expect(unknown.stderr).not.toMatch(/\n\s+at /);

    const back = await cli(['rollback', '--function', 'fanout-audit', '--yes', '--json']);
    expect(ok(back)).toEqual({ code: 0, stderr: '' });
    expect(back.stderr).toContain('live was moved back at once');
    expect(JSON.parse(back.stdout)).toEqual({
      target: 'aws',
      function: 'fanout-audit',
      result: 'moved-back',
      from: '2',
      to: '1',
    });
    expect((await live('fanout-audit')).version).toBe('1');
    // The other function's alias is exactly as it was: same version, same recorded move.
    expect(await live('fanout-ingest')).toEqual(ingestBefore);
    // audit's mappings invoke its alias, so they now run version 1.
    const auditMappings = Object.values(outputs.mappings ?? {}).filter((m) => m.function === 'fanout-audit');
    expect(auditMappings).toHaveLength(2);
    for (const m of auditMappings) {
      const got = await lambda.send(new GetEventSourceMappingCommand({ UUID: m.uuid }));
      expect(got.FunctionArn).toMatch(/function:fanout-audit:(live|1)$/);
    }
  } finally {
    lambda.destroy();
  }
}, 600_000);

test('a state the single-pipeline module applied moves to the current module: nothing destroyed or replaced', async () => {
  const work = await makeWorkDir();
  try {
    const stackFile = path.join(work.dir, 'ddb-ingest.json');
    await writeFile(
      stackFile,
      JSON.stringify({
        name: 'moved-v1',
        source_table: { name: 'moved-orders' },
        sink_table: { name: 'moved-copy' },
        function: { name: 'moved-ingest' },
      }),
    );
    const vars = { stack_file: stackFile, lambda_zip_path: work.zip, aws_endpoint_url: moto.endpoint };
    const stateDir = path.join(work.dir, 'state');
    const old: TerraformOptions = { infraDir: fixture, stateDir, env: MOTO_ENV, pluginDir, vars };
    await terraformInit(old);
    await terraformPlan(old);
    await terraformApply({ ...old, confirmed: true });
    // The same state dir (state file), now with the current module.
    const now: TerraformOptions = { ...old, infraDir };
    await terraformInit(now);
    const plan = await terraformPlan(now);
    const destructive = plan.resourceChanges.filter((rc) => rc.actions.includes('delete'));
    expect(destructive).toEqual([]);
    expect(plan.destroy).toBe(0);
    expect(plan.add).toBe(0);
  } finally {
    await rm(work.dir, { recursive: true, force: true });
  }
}, 600_000);
