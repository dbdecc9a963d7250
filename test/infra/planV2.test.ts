import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseStackModel } from '../../src/config/stack.js';
import {
  type TerraformOptions,
  type TerraformPlanJson,
  terraformInit,
  terraformPlan,
  terraformShowPlan,
} from '../../src/targets/aws/terraform.js';
import { grants, implied, planned } from '../helpers/offlinePlan.js';
import { FAKE_ACCOUNT_ID, makeWorkDir, OFFLINE_ENV, requireTerraform } from './env.js';

// Offline plans of version 2 stack files (tables, functions): every table,
// function and mapping, each function's IAM policy derived from its `tables`.

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
let work: { dir: string; zip: string };
let tf: TerraformOptions;

async function planStack(stack: unknown, functions: string[]): Promise<TerraformPlanJson> {
  const stackFile = path.join(work.dir, `stack-${Math.random().toString(36).slice(2)}.json`);
  await writeFile(stackFile, JSON.stringify(stack));
  const result = await terraformPlan({
    ...tf,
    vars: {
      stack_file: stackFile,
      lambda_zip_path: work.zip,
      function_zip_paths: Object.fromEntries(functions.map((f) => [f, work.zip])),
      account_id: FAKE_ACCOUNT_ID,
      skip_aws_checks: true,
    },
  });
  return terraformShowPlan(tf, result.planFile);
}

let fanOut: TerraformPlanJson;
let fanOutStack: unknown;

beforeAll(async () => {
  const { pluginDir, infraDir } = requireTerraform();
  work = await makeWorkDir();
  tf = { infraDir, stateDir: path.join(work.dir, 'state'), env: OFFLINE_ENV, pluginDir };
  await terraformInit(tf);
  fanOutStack = JSON.parse(await readFile(path.join(root, 'examples', 'fan-out', 'ddb-ingest.json'), 'utf8'));
  fanOut = await planStack(fanOutStack, ['fanout-ingest', 'fanout-audit']);
}, 600_000);

afterAll(async () => {
  if (work) await rm(work.dir, { recursive: true, force: true });
});

describe('examples/fan-out planned offline', () => {
  test('every table, function and mapping, and nothing of the built-in pipeline', () => {
    const addresses = (fanOut.resource_changes ?? []).map((r) => r.address);
    const top = [...new Set(addresses.map((a) => a.replace(/\]\..*$/, ']')))].sort();
    expect(top).toEqual([
      'aws_cloudwatch_dashboard.this',
      'module.event_source_mapping["fanout-audit/fanout-customers"]',
      'module.event_source_mapping["fanout-audit/fanout-orders"]',
      'module.event_source_mapping["fanout-ingest/fanout-orders"]',
      'module.function["fanout-audit"]',
      'module.function["fanout-ingest"]',
      'module.table["fanout-app"]',
      'module.table["fanout-customers"]',
      'module.table["fanout-orders"]',
    ]);
    for (const rc of fanOut.resource_changes ?? []) expect(rc.change.actions).toEqual(['create']);
    // The single-pipeline outputs are null; the maps name every function and mapping.
    const out = fanOut.output_changes ?? {};
    expect(out.function_name?.after).toBeNull();
    expect(out.source_table_name?.after).toBeNull();
    // (Their values are URLs and UUIDs, known only after apply: test/aws/v2.moto.test.ts reads them.)
    for (const name of ['dlq_urls', 'functions', 'tables', 'mappings']) expect(out[name]).toBeDefined();
  });

  test('per-function IAM: exactly the actions its `tables` and streams imply, on those ARNs only', () => {
    // ingest: "tables": ["fanout-app"] (a list: read and write), on the orders stream; the table has a GSI.
    expect(grants(fanOut, 'fanout-ingest')).toEqual(
      implied(
        'fanout-ingest',
        { 'fanout-app': 'read_write' },
        ['fanout-app'],
        ['fanout-orders'],
        'fan-out-fanout-ingest-on-failure',
      ),
    );
    // audit: { "fanout-app": "write" }: no read action at all, two streams.
    expect(grants(fanOut, 'fanout-audit')).toEqual(
      implied(
        'fanout-audit',
        { 'fanout-app': 'write' },
        ['fanout-app'],
        ['fanout-orders', 'fanout-customers'],
        'fan-out-fanout-audit-on-failure',
      ),
    );
    for (const fn of ['fanout-ingest', 'fanout-audit']) {
      const wildcards = grants(fanOut, fn).filter((g) => g.endsWith(' *'));
      expect(wildcards).toEqual(['dynamodb:ListStreams *']);
    }
  });

  test('mappings carry their settings and filters, on the function alias, reporting to the function queue', () => {
    const { model } = parseStackModel(fanOutStack);
    const audit = planned(
      fanOut,
      'module.event_source_mapping["fanout-audit/fanout-orders"].aws_lambda_event_source_mapping.this',
    );
    const source = model.functions['fanout-audit']?.event_sources[0];
    expect(audit).toMatchObject({
      batch_size: source?.batch_size,
      starting_position: source?.starting_position,
      filter_criteria: [{ filter: source?.filter_criteria.filter.map((f) => ({ pattern: f.pattern })) }],
    });
    expect(
      planned(
        fanOut,
        'module.event_source_mapping["fanout-ingest/fanout-orders"].aws_lambda_event_source_mapping.this',
      ),
    ).toMatchObject({ batch_size: 25, filter_criteria: [] });
  });

  test('each function gets TABLE_<NAME> for its tables and the defaults of the CLI', () => {
    const { model } = parseStackModel(fanOutStack);
    for (const name of ['fanout-ingest', 'fanout-audit']) {
      const fn = planned(fanOut, `module.function["${name}"].aws_lambda_function.this`);
      const m = model.functions[name];
      expect(fn).toMatchObject({
        function_name: name,
        handler: `index.${m?.handler}`,
        runtime: m?.runtime,
        timeout: m?.timeout,
        memory_size: m?.memory_size,
        tracing_config: [{ mode: m?.tracing }],
        reserved_concurrent_executions: -1,
      });
      expect((fn.environment as { variables: Record<string, string> }[])[0]?.variables).toEqual({
        TABLE_FANOUT_APP: 'fanout-app',
        POWERTOOLS_SERVICE_NAME: 'fan-out',
        POWERTOOLS_METRICS_NAMESPACE: 'fan-out',
        POWERTOOLS_LOG_LEVEL: 'INFO',
        NODE_OPTIONS: '--enable-source-maps',
      });
    }
  });
});

test('a table with range key, GSI, LSI, TTL and provisioned capacity is planned as declared; mapping defaults are the CLI defaults', async () => {
  const stack = {
    name: 'store',
    tables: {
      'store-items': {
        hash_key: 'pk',
        range_key: 'sk',
        attributes: { pk: 'S', sk: 'S', gsi1pk: 'S', gsi1sk: 'N', created: 'N' },
        global_secondary_indexes: [
          { name: 'gsi1', hash_key: 'gsi1pk', range_key: 'gsi1sk', read_capacity: 2, write_capacity: 3 },
          {
            name: 'gsi2',
            hash_key: 'gsi1pk',
            projection_type: 'INCLUDE',
            non_key_attributes: ['title'],
            read_capacity: 1,
            write_capacity: 1,
          },
        ],
        local_secondary_indexes: [{ name: 'by-created', range_key: 'created', projection_type: 'KEYS_ONLY' }],
        ttl_attribute: 'expiresAt',
        stream_view_type: 'NEW_IMAGE',
        billing_mode: 'PROVISIONED',
        read_capacity: 5,
        write_capacity: 4,
        deletion_protection: true,
      },
      'store-plain': { hash_key: 'id', attributes: { id: 'N' } },
    },
    functions: {
      'store-reader': {
        entry: 'reader.mjs',
        tables: { 'store-items': 'read', 'store-plain': 'write' },
        event_sources: [{ table: 'store-items' }],
      },
    },
  };
  const plan = await planStack(stack, ['store-reader']);
  const { model } = parseStackModel(stack);
  const items = planned(plan, 'module.table["store-items"].aws_dynamodb_table.this');
  expect(items).toMatchObject({
    name: 'store-items',
    hash_key: 'pk',
    range_key: 'sk',
    billing_mode: 'PROVISIONED',
    read_capacity: 5,
    write_capacity: 4,
    deletion_protection_enabled: true,
    stream_enabled: true,
    stream_view_type: 'NEW_IMAGE',
    ttl: [{ attribute_name: 'expiresAt', enabled: true }],
    local_secondary_index: [
      { name: 'by-created', range_key: 'created', projection_type: 'KEYS_ONLY', non_key_attributes: [] },
    ],
  });
  const attrs = (items.attribute as { name: string; type: string }[])
    .map((a) => `${a.name}:${a.type}`)
    .sort();
  expect(attrs).toEqual(['created:N', 'gsi1pk:S', 'gsi1sk:N', 'pk:S', 'sk:S']);
  const gsis = (items.global_secondary_index as Record<string, unknown>[]).sort((a, b) =>
    String(a.name).localeCompare(String(b.name)),
  );
  expect(gsis).toMatchObject([
    {
      name: 'gsi1',
      hash_key: 'gsi1pk',
      range_key: 'gsi1sk',
      projection_type: 'ALL',
      read_capacity: 2,
      write_capacity: 3,
    },
    { name: 'gsi2', hash_key: 'gsi1pk', projection_type: 'INCLUDE', non_key_attributes: ['title'] },
  ]);
  expect(planned(plan, 'module.table["store-plain"].aws_dynamodb_table.this')).toMatchObject({
    hash_key: 'id',
    range_key: null,
    billing_mode: 'PAY_PER_REQUEST',
    deletion_protection_enabled: false,
    stream_enabled: null,
    global_secondary_index: [],
    local_secondary_index: [],
  });
  // read on an indexed table: Query/Scan on its indexes too; write on the plain one; nothing more.
  expect(grants(plan, 'store-reader')).toEqual(
    implied(
      'store-reader',
      { 'store-items': 'read', 'store-plain': 'write' },
      ['store-items'],
      ['store-items'],
      'store-store-reader-on-failure',
    ),
  );
  // The module's defaults are the CLI's (src/config/blocks.ts): one mapping with no settings written.
  const esm = planned(
    plan,
    'module.event_source_mapping["store-reader/store-items"].aws_lambda_event_source_mapping.this',
  );
  const s = model.functions['store-reader']?.event_sources[0];
  expect(esm).toMatchObject({
    batch_size: s?.batch_size,
    maximum_batching_window_in_seconds: s?.maximum_batching_window_in_seconds,
    starting_position: s?.starting_position,
    parallelization_factor: s?.parallelization_factor,
    bisect_batch_on_function_error: s?.bisect_batch_on_function_error,
    maximum_retry_attempts: s?.maximum_retry_attempts,
    maximum_record_age_in_seconds: s?.maximum_record_age_in_seconds,
    function_response_types: s?.function_response_types,
    enabled: s?.enabled,
  });
  const fn = model.functions['store-reader'];
  expect(planned(plan, 'module.function["store-reader"].aws_lambda_function.this')).toMatchObject({
    handler: `index.${fn?.handler}`,
    runtime: fn?.runtime,
    timeout: fn?.timeout,
    memory_size: fn?.memory_size,
  });
}, 600_000);

test('Terraform refuses bad values itself, naming the key (for plans run without the CLI)', async () => {
  const err: unknown = await planStack(
    {
      tables: {
        bad: {
          hash_key: 'pk',
          attributes: { pk: 'X' },
          billing_mode: 'SOMETIMES',
          stream_view_type: 'EVERYTHING',
        },
      },
      functions: {
        f: { entry: 'f.mjs', timeout: 5000 },
      },
    },
    ['f'],
  ).catch((e) => e);
  const message = (err as Error).message.replace(/\s+/g, ' ');
  expect(message).toContain('attributes values must be S, N or B');
  expect(message).toContain('billing_mode must be PAY_PER_REQUEST or PROVISIONED');
  expect(message).toContain('stream_view_type must be NEW_AND_OLD_IMAGES');
  expect(message).toContain('timeout must be a whole number of seconds from 1 to 900');
}, 600_000);
