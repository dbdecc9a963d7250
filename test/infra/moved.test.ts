import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type TerraformOptions,
  type TerraformPlanJson,
  terraformInit,
  terraformPlan,
  terraformShowPlan,
} from '../../src/targets/aws/terraform.js';
import { FAKE_ACCOUNT_ID, makeWorkDir, OFFLINE_ENV, requireTerraform } from './env.js';

// A version 1 stack file must deploy exactly what it deployed before the
// module was split into infra/modules/: the same resources with the same
// values, under the addresses infra/moved.tf maps the old ones to (so an
// existing state moves over without a destroy; test/aws/moved.test.ts checks
// that against a real state on moto). The old module is frozen in
// test/fixtures/infra-single-pipeline/.

const fixture = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  'fixtures',
  'infra-single-pipeline',
);

/** `moved { from = X  to = Y }` pairs of infra/moved.tf. */
async function movedAddresses(infraDir: string): Promise<[string, string][]> {
  const text = await readFile(path.join(infraDir, 'moved.tf'), 'utf8');
  return [...text.matchAll(/moved \{\s*from = (\S+)\s*to\s*= (\S+)\s*\}/g)].map(
    (m) => [m[1], m[2]] as [string, string],
  );
}

/** The new address of an old one (a whole resource's instances move with it). */
function newAddress(moves: [string, string][], address: string): string {
  for (const [from, to] of moves) {
    if (address === from || address.startsWith(`${from}[`)) return to + address.slice(from.length);
  }
  return address;
}

let work: { dir: string; zip: string };
let oldTf: TerraformOptions;
let newTf: TerraformOptions;
let moves: [string, string][];

async function plan(tf: TerraformOptions, stackFile: string, vars: Record<string, unknown>) {
  const result = await terraformPlan({
    ...tf,
    vars: {
      stack_file: stackFile,
      lambda_zip_path: work.zip,
      account_id: FAKE_ACCOUNT_ID,
      skip_aws_checks: true,
      ...vars,
    },
  });
  return terraformShowPlan(tf, result.planFile);
}

function byAddress(plan: TerraformPlanJson) {
  return Object.fromEntries((plan.resource_changes ?? []).map((rc) => [rc.address, rc.change]));
}

beforeAll(async () => {
  const { pluginDir, infraDir } = requireTerraform();
  work = await makeWorkDir();
  moves = await movedAddresses(infraDir);
  oldTf = { infraDir: fixture, stateDir: path.join(work.dir, 'old'), env: OFFLINE_ENV, pluginDir };
  newTf = { infraDir, stateDir: path.join(work.dir, 'new'), env: OFFLINE_ENV, pluginDir };
  await terraformInit(oldTf);
  await terraformInit(newTf);
}, 600_000);

afterAll(async () => {
  if (work) await rm(work.dir, { recursive: true, force: true });
});

test.each([
  ['no stack file (the defaults)', undefined, {}],
  [
    'a stack file with every kind of setting, and production variables',
    {
      name: 'shop',
      source_table: { name: 'shop-orders', hash_key: 'id', stream_view_type: 'NEW_IMAGE' },
      sink_table: { name: 'shop-copy', hash_key: 'key' },
      function: {
        name: 'shop-ingest',
        timeout: 60,
        memory_size: 512,
        tracing: 'Active',
        reserved_concurrency: 3,
        environment: { FEATURE: 'on', NODE_OPTIONS: '--max-semi-space-size=32' },
      },
      event_source_mapping: {
        batch_size: 10,
        starting_position: 'LATEST',
        maximum_retry_attempts: -1,
        filter_criteria: { filter: [{ pattern: '{"eventName":["INSERT"]}' }] },
        enabled: false,
      },
      deployment: { codedeploy: true, config: 'CodeDeployDefault.LambdaAllAtOnce' },
    },
    {
      kms_key_arn: 'arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555',
      pii_key_kms_key_arn: 'arn:aws:kms:us-east-1:123456789012:key/66666666-7777-8888-9999-000000000000',
      alarm_email: 'ops@example.com',
      table_deletion_protection: true,
      environment: 'prod',
      log_level: 'DEBUG',
    },
  ],
])(
  'a version 1 stack plans the same resources and values as before the modules: %s',
  async (_, stack, vars) => {
    const stackFile = path.join(work.dir, `stack-${Math.random().toString(36).slice(2)}.json`);
    if (stack !== undefined) await writeFile(stackFile, JSON.stringify(stack));
    const before = await plan(oldTf, stackFile, vars);
    const after = await plan(newTf, stackFile, vars);
    const old = byAddress(before);
    const now = byAddress(after);
    const expected = Object.fromEntries(Object.entries(old).map(([a, c]) => [newAddress(moves, a), c.after]));
    const actual = Object.fromEntries(Object.entries(now).map(([a, c]) => [a, c.after]));
    expect(Object.keys(actual).sort()).toEqual(Object.keys(expected).sort());
    for (const address of Object.keys(expected)) {
      expect({ address, after: actual[address] }).toEqual({ address, after: expected[address] });
    }
    // Every output the CLI read before has the same planned value (new ones are only added).
    const outputsBefore = before.planned_values?.outputs ?? {};
    const outputsAfter = after.planned_values?.outputs ?? {};
    for (const [name, value] of Object.entries(outputsBefore)) {
      expect({ name, value: outputsAfter[name] }).toEqual({ name, value });
    }
    // Every old address has a `moved` target (so no old resource would be destroyed).
    for (const address of Object.keys(old)) expect(now[newAddress(moves, address)]).toBeDefined();
  },
  300_000,
);
