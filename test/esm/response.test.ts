import { describe, expect, test } from '@jest/globals';
import { interpretResponse } from '../../src/esm/response.js';

// Lengths differ on purpose: "900" > "1000" as strings, not as integers.
const batch = ['900', '1000', '1100', '1200'];
const ok = (result: unknown) => ({ ok: true as const, result });

describe('handler responses', () => {
  test.each([
    ['nothing', undefined],
    ['null', null],
    ['{}', {}],
    ['[]', []],
    ['empty batchItemFailures', { batchItemFailures: [] }],
    ['null batchItemFailures', { batchItemFailures: null }],
  ])('%s is a success', (_name, result) => {
    expect(interpretResponse(ok(result), batch, true)).toEqual({ kind: 'success' });
  });

  test('the lowest reported sequence number (as an integer) fails it and the rest', () => {
    const result = { batchItemFailures: [{ itemIdentifier: '1200' }, { itemIdentifier: '1000' }] };
    expect(interpretResponse(ok(result), batch, true)).toEqual({ kind: 'partial', failedFrom: 1 });
    const first = { batchItemFailures: [{ itemIdentifier: '1100' }, { itemIdentifier: '900' }] };
    expect(interpretResponse(ok(first), batch, true)).toEqual({ kind: 'partial', failedFrom: 0 });
  });

  test.each([
    ['a number', [{ itemIdentifier: 1000 }]],
    ['an empty string', [{ itemIdentifier: '' }]],
    ['null', [{ itemIdentifier: null }]],
    ['a missing key', [{ itemidentifier: '1000' }]],
    ['a sequence number not in the batch', [{ itemIdentifier: '1001' }]],
    ['a bare string', ['1000']],
  ])('an identifier that is %s fails the whole batch', (_name, failures) => {
    const verdict = interpretResponse(ok({ batchItemFailures: failures }), batch, true);
    expect(verdict).toMatchObject({ kind: 'failure', functionError: null });
  });

  test('one invalid identifier among valid ones still fails the whole batch', () => {
    const result = { batchItemFailures: [{ itemIdentifier: '1100' }, { itemIdentifier: '' }] };
    expect(interpretResponse(ok(result), batch, true)).toMatchObject({ kind: 'failure' });
  });

  test('without ReportBatchItemFailures the response is ignored', () => {
    const result = { batchItemFailures: [{ itemIdentifier: '1000' }] };
    expect(interpretResponse(ok(result), batch, false)).toEqual({ kind: 'success' });
    expect(interpretResponse(ok({ batchItemFailures: [{ itemIdentifier: '' }] }), batch, false)).toEqual({
      kind: 'success',
    });
  });

  test.each(['error', 'timeout', 'crash'] as const)('a %s fails the whole batch as Unhandled', (reason) => {
    const outcome = {
      ok: false as const,
      functionError: 'Unhandled' as const,
      errorType: 'Error',
      errorMessage: 'boom',
      reason,
    };
    expect(interpretResponse(outcome, batch, true)).toMatchObject({
      kind: 'failure',
      functionError: 'Unhandled',
    });
    expect(interpretResponse(outcome, batch, false)).toMatchObject({
      kind: 'failure',
      functionError: 'Unhandled',
    });
  });
});
