import { decide } from '../../src/esm/decide.js';

const settings = { BisectBatchOnFunctionError: true, MaximumRetryAttempts: 2 };
const thrown = { kind: 'failure', functionError: 'Unhandled', detail: 'Error: boom' } as const;
const badResponse = {
  kind: 'failure',
  functionError: null,
  detail: 'Invalid partial batch response',
} as const;

test('a success is done; a partial response keeps its done prefix and retries the rest', () => {
  expect(decide({ records: 5, retries: 0 }, { kind: 'success' }, settings)).toEqual({ action: 'done' });
  expect(decide({ records: 5, retries: 0 }, { kind: 'partial', failedFrom: 3 }, settings)).toEqual({
    action: 'retry',
    succeeded: 3,
  });
});

test('function errors bisect while more than one record fails; partial responses never do', () => {
  expect(decide({ records: 4, retries: 0 }, thrown, settings)).toEqual({ action: 'split', succeeded: 0 });
  expect(decide({ records: 1, retries: 0 }, thrown, settings)).toEqual({ action: 'retry', succeeded: 0 });
  expect(
    decide({ records: 4, retries: 0 }, thrown, { ...settings, BisectBatchOnFunctionError: false }),
  ).toEqual({
    action: 'retry',
    succeeded: 0,
  });
  expect(decide({ records: 4, retries: 0 }, badResponse, settings)).toEqual({
    action: 'retry',
    succeeded: 0,
  });
  expect(decide({ records: 4, retries: 0 }, { kind: 'partial', failedFrom: 2 }, settings)).toEqual({
    action: 'retry',
    succeeded: 2,
  });
});

test('retries run out at MaximumRetryAttempts (never with -1); a split uses none', () => {
  expect(decide({ records: 1, retries: 2 }, thrown, settings)).toEqual({ action: 'discard', succeeded: 0 });
  expect(decide({ records: 3, retries: 2 }, { kind: 'partial', failedFrom: 1 }, settings)).toEqual({
    action: 'discard',
    succeeded: 1,
  });
  // Bisection comes first: halves are tried before the retries are counted against them.
  expect(decide({ records: 2, retries: 2 }, thrown, settings)).toEqual({ action: 'split', succeeded: 0 });
  expect(decide({ records: 1, retries: 10_000 }, thrown, { ...settings, MaximumRetryAttempts: -1 })).toEqual({
    action: 'retry',
    succeeded: 0,
  });
});
