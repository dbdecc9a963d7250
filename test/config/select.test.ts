import {
  mappingBatchSize,
  requirePipeline,
  selectFunction,
  selectStreamTable,
} from '../../src/config/select.js';
import { parseStackModel } from '../../src/config/stack.js';
import { UsageError } from '../../src/errors.js';
import { shownError } from '../helpers/errors.js';
import { CUSTOMERS_TABLE, ORDERS_TABLE } from '../helpers/stacks.js';

const { model } = parseStackModel({
  tables: {
    orders: ORDERS_TABLE,
    customers: CUSTOMERS_TABLE,
    sink: { hash_key: 'pk', attributes: { pk: 'S' } },
  },
  functions: {
    ingest: { entry: 'i.ts', event_sources: [{ table: 'orders' }] },
    audit: { entry: 'a.ts', event_sources: [{ table: 'orders' }, { table: 'customers' }] },
  },
});

const shown = (fn: () => unknown) => {
  const err = shownError(fn) as UsageError;
  expect(err).toBeInstanceOf(UsageError);
  expect(err.exitCode).toBe(2);
  return `${err.message}\n${err.hint ?? ''}`;
};

test('a stack with one function or one stream needs no name', () => {
  const v1 = parseStackModel({}).model;
  expect(selectFunction(v1).name).toBe('ddb-ingest-ingest');
  expect(selectStreamTable(v1)).toBe('ddb-ingest-orders');
  expect(selectStreamTable(model, { function: 'ingest' })).toBe('orders');
});

test('several functions: the name is required, and the message lists them', () => {
  expect(shown(() => selectFunction(model))).toMatch(
    /The stack has 2 functions \(ingest, audit\): say which one\.\nPass --function with one of: ingest, audit\./,
  );
  expect(shown(() => selectFunction(model, 'nope'))).toMatch(
    /no function "nope"\.\nPass --function with one of: ingest, audit\./,
  );
  expect(selectFunction(model, 'audit').name).toBe('audit');
});

test('several streams: the table is required, and the message lists the tables with streams', () => {
  expect(shown(() => selectStreamTable(model))).toMatch(
    /2 tables have streams \(orders, customers\): say which one\.\nPass --table with one of: orders, customers\./,
  );
  expect(shown(() => selectStreamTable(model, { function: 'audit' }))).toContain(
    '2 tables have streams that audit reads (orders, customers)',
  );
  expect(shown(() => selectStreamTable(model, { table: 'sink' }))).toMatch(
    /Table sink has no stream\.\nPass --table with one of: orders, customers\./,
  );
  expect(shown(() => selectStreamTable(model, { table: 'nope' }))).toContain('no table "nope"');
  expect(selectStreamTable(model, { table: 'customers' })).toBe('customers');
});

test('the orders commands need the built-in pipeline: a version 2 stack without one is refused, naming its tables', () => {
  expect(requirePipeline(parseStackModel({}).model)).toEqual({
    sourceTable: 'ddb-ingest-orders',
    sinkTable: 'ddb-ingest-ingested',
    function: 'ddb-ingest-ingest',
  });
  // A version 2 file that writes one of the single-pipeline keys keeps it.
  const kept = parseStackModel({
    source_table: {},
    tables: { extra: { hash_key: 'id', attributes: { id: 'S' } } },
  });
  expect(requirePipeline(kept.model).sourceTable).toBe('ddb-ingest-orders');

  expect(shown(() => requirePipeline(model, { command: 'seed' }))).toBe(
    'seed without --table works on the built-in orders pipeline, and this stack has none (it declares tables orders, customers, sink).\n' +
      'Fill one of its tables from a template: `ddb-ingest seed --table orders --template items.json` (docs/seeding.md). To keep the orders pipeline as well, add "source_table": {} to the stack file.',
  );
  expect(shown(() => requirePipeline(model, { command: 'verify' }))).toBe(
    'verify works on the built-in orders pipeline, and this stack has none (it declares tables orders, customers, sink).\n' +
      'To keep the orders pipeline as well, add "source_table": {} to the stack file.',
  );
  expect(shown(() => requirePipeline(model))).toMatch(/^The stack has no built-in orders pipeline/);
});

test("replay's default batch size is the function's own mapping's, chosen by --table where they differ", () => {
  expect(mappingBatchSize(parseStackModel({ event_source_mapping: { batch_size: 7 } }).model)).toBe(7);
  const { model: sized } = parseStackModel({
    tables: {
      orders: { ...ORDERS_TABLE, allow_more_readers: true },
      customers: CUSTOMERS_TABLE,
    },
    functions: {
      ingest: { entry: 'i.ts', event_sources: [{ table: 'orders', batch_size: 25 }] },
      audit: {
        entry: 'a.ts',
        event_sources: [
          { table: 'orders', batch_size: 10 },
          { table: 'customers', batch_size: 40 },
        ],
      },
      same: {
        entry: 's.ts',
        event_sources: [
          { table: 'orders', batch_size: 5 },
          { table: 'customers', batch_size: 5 },
        ],
      },
      idle: { entry: 'n.ts' },
    },
  });
  expect(mappingBatchSize(sized, { function: 'ingest' })).toBe(25);
  expect(mappingBatchSize(sized, { function: 'audit', table: 'customers' })).toBe(40);
  expect(mappingBatchSize(sized, { function: 'audit', table: 'orders' })).toBe(10);
  // Several mappings that agree need no table; a function no stream feeds gets Lambda's default.
  expect(mappingBatchSize(sized, { function: 'same' })).toBe(5);
  expect(mappingBatchSize(sized, { function: 'idle' })).toBe(100);
  expect(shown(() => mappingBatchSize(sized, { function: 'audit' }))).toBe(
    'Function audit reads 2 streams with different batch sizes (orders: 10, customers: 40): say which mapping.\n' +
      'Pass --table with one of: orders, customers.',
  );
  expect(shown(() => mappingBatchSize(sized, { function: 'ingest', table: 'customers' }))).toBe(
    'Function ingest has no mapping on table "customers".\nPass --table with one of: orders.',
  );
  // Without --function, the function is chosen as everywhere else.
  expect(shown(() => mappingBatchSize(sized))).toMatch(
    /Pass --function with one of: ingest, audit, same, idle\./,
  );
});
