import { selectFunction, selectStreamTable } from '../../src/config/select.js';
import { parseStackModel } from '../../src/config/stack.js';
import { UsageError } from '../../src/errors.js';
import { shownError } from '../helpers/errors.js';

const { model } = parseStackModel({
  tables: {
    orders: { hash_key: 'orderId', attributes: { orderId: 'S' }, stream_view_type: 'NEW_AND_OLD_IMAGES' },
    customers: { hash_key: 'customerId', attributes: { customerId: 'S' }, stream_view_type: 'NEW_IMAGE' },
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
