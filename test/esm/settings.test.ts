import { describe, expect, test } from '@jest/globals';
import { parseStack } from '../../src/config/stack.js';
import { UsageError } from '../../src/errors.js';
import { esmSettingsFromStack, recordFilterOf, validateEsmSettings } from '../../src/esm/settings.js';
import { shownError } from '../helpers/errors.js';
import { makeRecord } from './records.js';

describe('event source mapping settings', () => {
  test('the stack defaults under AWS names', () => {
    expect(esmSettingsFromStack(parseStack({}).event_source_mapping)).toEqual({
      BatchSize: 100,
      MaximumBatchingWindowInSeconds: 0,
      StartingPosition: 'TRIM_HORIZON',
      ParallelizationFactor: 1,
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 5,
      MaximumRecordAgeInSeconds: 3600,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      FilterCriteria: { Filters: [] },
      Enabled: true,
    });
  });

  test('filter patterns come through and filter records', () => {
    const stack = parseStack({
      event_source_mapping: {
        filter_criteria: { filter: [{ pattern: '{"dynamodb":{"NewImage":{"status":{"S":["PAID"]}}}}' }] },
      },
    });
    const settings = esmSettingsFromStack(stack.event_source_mapping);
    expect(settings.FilterCriteria.Filters).toHaveLength(1);
    const filter = recordFilterOf(settings);
    expect(filter(makeRecord(1, { status: 'PAID' }))).toBe(true);
    expect(filter(makeRecord(1, { status: 'PLACED' }))).toBe(false);
  });

  test('an invalid filter pattern is refused with AWS message', () => {
    const stack = parseStack({
      event_source_mapping: { filter_criteria: { filter: [{ pattern: '{"eventName":"INSERT"}' }] } },
    });
    const shown = shownError(() => esmSettingsFromStack(stack.event_source_mapping));
    expect(shown).toBeInstanceOf(UsageError);
    expect((shown as UsageError).message).toBe('Invalid filter pattern definition.');
  });

  test.each([
    ['BatchSize', 0],
    ['BatchSize', 10_001],
    ['MaximumBatchingWindowInSeconds', 301],
    ['ParallelizationFactor', 11],
    ['MaximumRetryAttempts', -2],
    ['MaximumRecordAgeInSeconds', 59],
    ['MaximumRecordAgeInSeconds', 604_801],
  ])('%s %d is out of range', (key, value) => {
    const settings = esmSettingsFromStack(parseStack({}).event_source_mapping);
    expect(shownError(() => validateEsmSettings({ ...settings, [key]: value }))).toBeInstanceOf(UsageError);
  });

  test('AT_TIMESTAMP is refused', () => {
    const settings = esmSettingsFromStack(parseStack({}).event_source_mapping);
    expect(
      shownError(() =>
        validateEsmSettings({ ...settings, StartingPosition: 'AT_TIMESTAMP' as unknown as 'LATEST' }),
      ),
    ).toBeInstanceOf(UsageError);
  });
});
