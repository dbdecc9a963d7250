import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { tableEnvironment, tableEnvironmentName } from '../../src/config/model.js';
import { loadStack, parseStack, parseStackModel } from '../../src/config/stack.js';
import { UsageError } from '../../src/errors.js';
import { shownError } from '../helpers/errors.js';
import { CUSTOMERS_TABLE, ORDERS_TABLE, SINGLE_TABLE_DESIGN } from '../helpers/stacks.js';

const ESM_DEFAULTS = {
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
};

const FUNCTION_DEFAULTS = {
  handler: 'handler',
  runtime: 'nodejs22.x',
  timeout: 30,
  memory_size: 256,
  environment: {},
  tracing: 'PassThrough',
  reserved_concurrency: null,
};

const keyTable = (name: string, hashKey: string) => ({
  name,
  hash_key: hashKey,
  attributes: { [hashKey]: 'S' },
  global_secondary_indexes: [],
  local_secondary_indexes: [],
  billing_mode: 'PAY_PER_REQUEST',
  deletion_protection: false,
  allow_more_readers: false,
});

/** Orders fan out to two functions; audit also reads a second stream; a single-table design with a GSI. */
const FAN_OUT = {
  name: 'shop',
  tables: { orders: ORDERS_TABLE, customers: CUSTOMERS_TABLE, app: SINGLE_TABLE_DESIGN },
  functions: {
    ingest: {
      entry: 'handlers/ingest.ts',
      tables: ['app'],
      event_sources: [{ table: 'orders', batch_size: 10 }],
    },
    audit: {
      entry: 'handlers/audit.ts',
      handler: 'handlers.audit',
      tables: { app: 'write', orders: 'read' },
      event_sources: [
        {
          table: 'orders',
          filter_criteria: { filter: [{ pattern: '{"eventName":["MODIFY"]}' }] },
        },
        { table: 'customers', starting_position: 'LATEST' },
      ],
    },
  },
};

test('a version 1 stack (the single-pipeline keys) becomes two tables and one function, meaning what it meant', () => {
  const { model } = parseStackModel({});
  expect(model).toEqual({
    version: 1,
    name: 'ddb-ingest',
    region: 'us-east-1',
    deployment: {
      codedeploy: null,
      config: 'CodeDeployDefault.LambdaCanary10Percent5Minutes',
      pre_traffic_check: null,
      pre_traffic_records: 10,
    },
    tables: {
      'ddb-ingest-orders': {
        ...keyTable('ddb-ingest-orders', 'orderId'),
        stream_view_type: 'NEW_AND_OLD_IMAGES',
      },
      'ddb-ingest-ingested': keyTable('ddb-ingest-ingested', 'pk'),
    },
    functions: {
      'ddb-ingest-ingest': {
        name: 'ddb-ingest-ingest',
        entry: 'lambda/src/handler.ts',
        ...FUNCTION_DEFAULTS,
        // infra/iam.tf grants the sink's item actions; the source only through its stream.
        tables: { 'ddb-ingest-ingested': 'read_write' },
        event_sources: [{ table: 'ddb-ingest-orders', ...ESM_DEFAULTS }],
      },
    },
    pipeline: {
      sourceTable: 'ddb-ingest-orders',
      sinkTable: 'ddb-ingest-ingested',
      function: 'ddb-ingest-ingest',
    },
  });
});

test('a customised version 1 stack carries every setting into the model', () => {
  const { model } = parseStackModel({
    source_table: { name: 'my-orders', hash_key: 'id', stream_view_type: 'NEW_IMAGE' },
    sink_table: { name: 'my-sink' },
    function: { name: 'fn', entry: 'src/h.ts', timeout: 5, environment: { MODE: 'x' } },
    event_source_mapping: { batch_size: 7, enabled: false },
  });
  expect(model.tables['my-orders']).toMatchObject({ hash_key: 'id', stream_view_type: 'NEW_IMAGE' });
  expect(model.tables['my-sink']).toEqual(keyTable('my-sink', 'pk'));
  expect(model.functions.fn).toMatchObject({
    entry: 'src/h.ts',
    timeout: 5,
    environment: { MODE: 'x' },
    tables: { 'my-sink': 'read_write' },
    event_sources: [{ ...ESM_DEFAULTS, table: 'my-orders', batch_size: 7, enabled: false }],
  });
  expect(model.pipeline).toEqual({ sourceTable: 'my-orders', sinkTable: 'my-sink', function: 'fn' });
});

test('a version 2 stack is its tables and functions with every default filled in', () => {
  const { model } = parseStackModel(FAN_OUT);
  expect(model.version).toBe(2);
  // The single-pipeline defaults do not add the orders demo to a stack of one's own.
  expect(model.pipeline).toBeUndefined();
  expect(Object.keys(model.tables)).toEqual(['orders', 'customers', 'app']);
  expect(Object.keys(model.functions)).toEqual(['ingest', 'audit']);
  expect(model.tables.orders).toEqual({
    ...keyTable('orders', 'orderId'),
    stream_view_type: 'NEW_AND_OLD_IMAGES',
  });
  expect(model.tables.app).toEqual({
    name: 'app',
    hash_key: 'pk',
    range_key: 'sk',
    attributes: { pk: 'S', sk: 'S', gsi1pk: 'S', createdAt: 'N' },
    global_secondary_indexes: [
      { name: 'by-gsi1', hash_key: 'gsi1pk', range_key: 'createdAt', projection_type: 'ALL' },
    ],
    local_secondary_indexes: [
      {
        name: 'by-created',
        range_key: 'createdAt',
        projection_type: 'INCLUDE',
        non_key_attributes: ['status'],
      },
    ],
    ttl_attribute: 'expiresAt',
    billing_mode: 'PAY_PER_REQUEST',
    deletion_protection: true,
    allow_more_readers: false,
  });
  expect(model.functions.ingest).toEqual({
    name: 'ingest',
    entry: 'handlers/ingest.ts',
    ...FUNCTION_DEFAULTS,
    // A list means read and write.
    tables: { app: 'read_write' },
    event_sources: [{ ...ESM_DEFAULTS, table: 'orders', batch_size: 10 }],
  });
  expect(model.functions.audit).toMatchObject({
    handler: 'handlers.audit',
    tables: { app: 'write', orders: 'read' },
    event_sources: [
      {
        ...ESM_DEFAULTS,
        table: 'orders',
        filter_criteria: { filter: [{ pattern: '{"eventName":["MODIFY"]}' }] },
      },
      { ...ESM_DEFAULTS, table: 'customers', starting_position: 'LATEST' },
    ],
  });
});

test('a version 2 stack keeps the built-in pipeline when it writes one of its keys', () => {
  const { model } = parseStackModel({ ...FAN_OUT, source_table: {} });
  expect(model.pipeline).toEqual({
    sourceTable: 'ddb-ingest-orders',
    sinkTable: 'ddb-ingest-ingested',
    function: 'ddb-ingest-ingest',
  });
  expect(Object.keys(model.tables)).toEqual([
    'ddb-ingest-orders',
    'ddb-ingest-ingested',
    'orders',
    'customers',
    'app',
  ]);
  expect(Object.keys(model.functions)).toEqual(['ddb-ingest-ingest', 'ingest', 'audit']);
  // A function of one's own may read the built-in pipeline's source stream.
  const withReader = parseStackModel({
    source_table: {},
    functions: { audit: { entry: 'a.ts', event_sources: [{ table: 'ddb-ingest-orders' }] } },
  }).model;
  expect(withReader.functions.audit?.event_sources.map((s) => s.table)).toEqual(['ddb-ingest-orders']);
});

test('TABLE_<NAME> variables: upper case, "-" and "." as "_", one per table in the function\'s tables', () => {
  expect(tableEnvironmentName('my-app.v2_x')).toBe('TABLE_MY_APP_V2_X');
  const { model } = parseStackModel(FAN_OUT);
  expect(tableEnvironment(model.functions.audit ?? { tables: {} })).toEqual({
    TABLE_APP: 'app',
    TABLE_ORDERS: 'orders',
  });
});

const withTable = (table: Record<string, unknown>) => ({ tables: { tbl: table } });
const withFunction = (fn: Record<string, unknown>, tables: Record<string, unknown> = FAN_OUT.tables) => ({
  tables,
  functions: { f1: { entry: 'f.ts', ...fn } },
});
const reader = (table: string) => ({ entry: 'r.ts', event_sources: [{ table }] });

test.each<[string, unknown, string]>([
  [
    'a mapping on a table without a stream',
    withFunction({ event_sources: [{ table: 'tbl' }] }, { tbl: { hash_key: 'id', attributes: { id: 'S' } } }),
    'functions.f1.event_sources.0.table: table "tbl" has no stream: set tables.tbl.stream_view_type',
  ],
  [
    'a mapping on an unknown table',
    withFunction({ event_sources: [{ table: 'nope' }] }),
    'functions.f1.event_sources.0.table: unknown table "nope" (declared: orders, customers, app)',
  ],
  [
    "an unknown table in a function's tables (list)",
    withFunction({ tables: ['app', 'nope'] }),
    'functions.f1.tables.1: unknown table "nope"',
  ],
  [
    "an unknown table in a function's tables (map)",
    withFunction({ tables: { nope: 'read' } }),
    'functions.f1.tables.nope: unknown table "nope"',
  ],
  [
    'a bad access level',
    withFunction({ tables: { app: 'admin' } }),
    'functions.f1.tables: must be a list of table names, or a map of table name to "read", "write" or "read_write"',
  ],
  [
    'a GSI on an undeclared attribute',
    withTable({
      hash_key: 'id',
      attributes: { id: 'S' },
      global_secondary_indexes: [{ name: 'by-email', hash_key: 'email' }],
    }),
    'tables.tbl.global_secondary_indexes.0.hash_key: "email" is not declared in attributes',
  ],
  [
    'a GSI range key on an undeclared attribute',
    withTable({
      hash_key: 'id',
      attributes: { id: 'S', email: 'S' },
      global_secondary_indexes: [{ name: 'by-email', hash_key: 'email', range_key: 'at' }],
    }),
    'tables.tbl.global_secondary_indexes.0.range_key: "at" is not declared in attributes',
  ],
  [
    'an undeclared hash key',
    withTable({ hash_key: 'id', attributes: {} }),
    'tables.tbl.hash_key: "id" is not declared in attributes',
  ],
  [
    'an undeclared range key',
    withTable({ hash_key: 'id', range_key: 'sk', attributes: { id: 'S' } }),
    'tables.tbl.range_key: "sk" is not declared in attributes',
  ],
  [
    'an attribute no key uses',
    withTable({ hash_key: 'id', attributes: { id: 'S', name: 'S' } }),
    'tables.tbl.attributes.name: no key or index uses it',
  ],
  [
    'an LSI on a table without a range key',
    withTable({
      hash_key: 'id',
      attributes: { id: 'S', at: 'N' },
      local_secondary_indexes: [{ name: 'by-at', range_key: 'at' }],
    }),
    'tables.tbl.local_secondary_indexes.0: a local secondary index needs the table to have a range_key',
  ],
  [
    'INCLUDE without non_key_attributes',
    withTable({
      hash_key: 'id',
      attributes: { id: 'S', email: 'S' },
      global_secondary_indexes: [{ name: 'by-email', hash_key: 'email', projection_type: 'INCLUDE' }],
    }),
    'tables.tbl.global_secondary_indexes.0.non_key_attributes: required when projection_type is INCLUDE',
  ],
  [
    'two indexes with one name',
    withTable({
      hash_key: 'id',
      range_key: 'sk',
      attributes: { id: 'S', sk: 'S', email: 'S' },
      global_secondary_indexes: [{ name: 'by-x', hash_key: 'email' }],
      local_secondary_indexes: [{ name: 'by-x', range_key: 'email' }],
    }),
    'tables.tbl.local_secondary_indexes.0.name: index name "by-x" is used twice',
  ],
  [
    'a TTL attribute declared as a string',
    withTable({ hash_key: 'id', attributes: { id: 'S' }, ttl_attribute: 'id' }),
    'tables.tbl.ttl_attribute: "id" is declared as S: TTL reads a Number of epoch seconds',
  ],
  [
    'PROVISIONED without capacity',
    withTable({ hash_key: 'id', attributes: { id: 'S' }, billing_mode: 'PROVISIONED', read_capacity: 5 }),
    'tables.tbl.write_capacity: required when billing_mode is PROVISIONED',
  ],
  [
    'capacity on a PAY_PER_REQUEST table',
    withTable({ hash_key: 'id', attributes: { id: 'S' }, read_capacity: 5 }),
    'tables.tbl.read_capacity: only with billing_mode PROVISIONED',
  ],
  [
    'a bad attribute type',
    withTable({ hash_key: 'id', attributes: { id: 'X' } }),
    'tables.tbl.attributes.id: must be one of "S", "N", "B"',
  ],
  [
    'an unknown table key',
    withTable({ hash_key: 'id', attributes: { id: 'S' }, ttl: 'x' }),
    'tables.tbl: unknown key "ttl"',
  ],
  [
    'a bad table name',
    { tables: { ab: { hash_key: 'id', attributes: { id: 'S' } } } },
    'tables.ab: 3-255 characters',
  ],
  [
    'a bad stream view type',
    withTable({ hash_key: 'id', attributes: { id: 'S' }, stream_view_type: 'ALL' }),
    'tables.tbl.stream_view_type: must be one of',
  ],
  ['a function without entry', withFunction({ entry: undefined }), 'functions.f1.entry: must be string'],
  [
    'a name inside a function (the key is its name)',
    withFunction({ name: 'x' }),
    'functions.f1: unknown key "name"',
  ],
  [
    'a bad mapping setting',
    withFunction({ event_sources: [{ table: 'orders', batch_size: 0 }] }),
    'functions.f1.event_sources.0.batch_size: must be >= 1',
  ],
  [
    'an unknown mapping key',
    withFunction({ event_sources: [{ table: 'orders', batch: 1 }] }),
    'functions.f1.event_sources.0: unknown key "batch"',
  ],
  [
    'two mappings of one function on one stream',
    withFunction({ event_sources: [{ table: 'orders' }, { table: 'orders', batch_size: 5 }] }),
    'functions.f1.event_sources.1.table: a second mapping of f1 on "orders": one mapping per function and stream',
  ],
  [
    'a third reader of one stream',
    { tables: FAN_OUT.tables, functions: { a: reader('orders'), b: reader('orders'), c: reader('orders') } },
    'functions.c.event_sources.0.table: the stream of "orders" would have 3 readers (a, b, c): AWS throttles a third reader of a DynamoDB stream, so its mappings fall behind; set tables.orders.allow_more_readers to true to accept that',
  ],
  [
    "a third reader of the built-in pipeline's stream",
    { source_table: {}, functions: { a: reader('ddb-ingest-orders'), b: reader('ddb-ingest-orders') } },
    'functions.b.event_sources.0.table: the stream of "ddb-ingest-orders" would have 3 readers (ddb-ingest-ingest, a, b)',
  ],
  [
    'a table declared twice',
    { source_table: { name: 'orders' }, tables: FAN_OUT.tables },
    'tables.orders: table "orders" is also the single-pipeline source_table: declare it once',
  ],
  [
    "a table named like the built-in pipeline's Terraform key, next to it",
    { source_table: {}, tables: { sink_table: { hash_key: 'id', attributes: { id: 'S' } } } },
    'tables.sink_table: "sink_table" is the key of the built-in pipeline\'s sink_table in the aws target\'s Terraform',
  ],
  [
    "a function named like the built-in pipeline's Terraform key, next to it",
    { function: {}, functions: { function: { entry: 'a.ts' } } },
    'functions.function: "function" is the key of the built-in pipeline\'s function',
  ],
  [
    'a function declared twice',
    { function: { name: 'audit' }, functions: { audit: { entry: 'a.ts' } } },
    'functions.audit: function "audit" is also the single-pipeline function.name: declare it once',
  ],
  [
    'an environment variable ddb-ingest sets',
    withFunction({ tables: ['app'], environment: { TABLE_APP: 'x' } }),
    'functions.f1.environment.TABLE_APP: set by ddb-ingest to the name of table "app" (from tables)',
  ],
  [
    'two tables with one variable',
    withFunction(
      { tables: ['my-t', 'my.t'] },
      {
        'my-t': { hash_key: 'id', attributes: { id: 'S' } },
        'my.t': { hash_key: 'id', attributes: { id: 'S' } },
      },
    ),
    'functions.f1.tables.1: "my.t" and "my-t" would both be TABLE_MY_T',
  ],
])('%s is refused with exit 2, naming the key', (_what, raw, message) => {
  const shown = shownError(() => parseStack(raw));
  expect(shown).toBeInstanceOf(UsageError);
  expect((shown as UsageError).exitCode).toBe(2);
  expect((shown as Error).message).toContain(message);
});

test('allow_more_readers lets a third function read a stream', () => {
  const tables = { ...FAN_OUT.tables, orders: { ...FAN_OUT.tables.orders, allow_more_readers: true } };
  const { model } = parseStackModel({
    tables,
    functions: { a: reader('orders'), b: reader('orders'), c: reader('orders') },
  });
  expect(Object.values(model.functions).map((f) => f.event_sources[0]?.table)).toEqual([
    'orders',
    'orders',
    'orders',
  ]);
});

test('every problem is reported at once, within and across entries', () => {
  const message = (
    shownError(() =>
      parseStack({
        tables: {
          tbl: {
            hash_key: 'id',
            attributes: { id: 'S' },
            global_secondary_indexes: [{ name: 'gsi', hash_key: 'x' }],
          },
        },
        functions: { f1: { entry: 'f.ts', tables: ['nope'] } },
      }),
    ) as Error
  ).message;
  expect(message).toContain('tables.tbl.global_secondary_indexes.0.hash_key');
  // Cross-entry checks run once each entry is valid on its own.
  expect(message).not.toContain('functions.f1.tables.0');
  const crossOnly = (
    shownError(() =>
      parseStack({
        tables: { tbl: { hash_key: 'id', attributes: { id: 'S' } } },
        functions: { f1: { entry: 'f.ts', tables: ['nope'], event_sources: [{ table: 'tbl' }] } },
      }),
    ) as Error
  ).message;
  expect(crossOnly).toContain('functions.f1.tables.0: unknown table "nope"');
  expect(crossOnly).toContain('functions.f1.event_sources.0.table: table "tbl" has no stream');
});

describe('loadStack', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'stack-model-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('gives the model of the file beside the parsed stack', async () => {
    await writeFile(path.join(dir, 'ddb-ingest.json'), JSON.stringify(FAN_OUT));
    const loaded = await loadStack(undefined, dir);
    expect(loaded.model.version).toBe(2);
    expect(Object.keys(loaded.model.functions)).toEqual(['ingest', 'audit']);
    expect(loaded.stack.functions?.ingest?.entry).toBe('handlers/ingest.ts');
  });

  test('a missing file is the default (version 1) model', async () => {
    const loaded = await loadStack(undefined, path.join(dir, 'empty'));
    expect(loaded.model.pipeline?.sourceTable).toBe('ddb-ingest-orders');
  });
});
