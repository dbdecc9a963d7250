import type { Stack } from '../config/stack.js';
import { EsmError } from './errors.js';
import { compileFilters, MAX_FILTER_PATTERNS, parseFilterPattern, type RecordFilter } from './filter.js';

/**
 * The event source mapping's settings under the AWS API's names, so the local
 * mapping, `status` and the aws target speak the same language. The stack file
 * uses Terraform's names; {@link esmSettingsFromStack} translates.
 */
export interface EsmSettings {
  /** Records per batch, 1-10,000; a batch also stays under the 6 MB invoke payload. */
  BatchSize: number;
  /** 0-300 s: how long to gather records before invoking with a batch that is not full. */
  MaximumBatchingWindowInSeconds: number;
  /** Where a shard without a checkpoint starts. `AT_TIMESTAMP` is not available for DynamoDB. */
  StartingPosition: 'TRIM_HORIZON' | 'LATEST';
  /** 1-10 batches in flight per shard; records of one item key stay in order. */
  ParallelizationFactor: number;
  /** On a function error, split the batch in two and retry the halves (a split uses no retry). */
  BisectBatchOnFunctionError: boolean;
  /** -1 (retry until the record expires) to 10,000 retries after the first invocation. */
  MaximumRetryAttempts: number;
  /** -1 (the stream's 24 h retention), or 60-604,800 s: older records are discarded. */
  MaximumRecordAgeInSeconds: number;
  /** `["ReportBatchItemFailures"]` turns on partial batch responses. */
  FunctionResponseTypes: 'ReportBatchItemFailures'[];
  /** Up to 5 EventBridge patterns, ORed; none means every record is delivered. */
  FilterCriteria: { Filters: { Pattern: string }[] };
  /** false pauses polling; the mapping resumes from its checkpoint. */
  Enabled: boolean;
}

type StackEsm = Stack['event_source_mapping'];

/** Translates the stack file's Terraform-named block and validates it as AWS would. */
export function esmSettingsFromStack(esm: StackEsm): EsmSettings {
  return validateEsmSettings({
    BatchSize: esm.batch_size,
    MaximumBatchingWindowInSeconds: esm.maximum_batching_window_in_seconds,
    StartingPosition: esm.starting_position,
    ParallelizationFactor: esm.parallelization_factor,
    BisectBatchOnFunctionError: esm.bisect_batch_on_function_error,
    MaximumRetryAttempts: esm.maximum_retry_attempts,
    MaximumRecordAgeInSeconds: esm.maximum_record_age_in_seconds,
    FunctionResponseTypes: [...esm.function_response_types],
    FilterCriteria: { Filters: esm.filter_criteria.filter.map((f) => ({ Pattern: f.pattern })) },
    Enabled: esm.enabled,
  });
}

function checkInt(
  name: string,
  value: number,
  min: number,
  max: number,
  extra?: (v: number) => boolean,
): void {
  const ok = Number.isInteger(value) && ((value >= min && value <= max) || (extra?.(value) ?? false));
  if (!ok) {
    throw new EsmError(
      'esm.invalid-setting',
      `Invalid ${name}: ${String(value)} (allowed: ${extra ? '-1, or ' : ''}${min} to ${max}).`,
      { details: { name, value, min, max } },
    );
  }
}

/**
 * Checks AWS's ranges and every filter pattern; returns the settings unchanged.
 * Throws {@link EsmError} (`Invalid filter pattern definition.` for patterns).
 */
export function validateEsmSettings(settings: EsmSettings): EsmSettings {
  checkInt('BatchSize', settings.BatchSize, 1, 10_000);
  checkInt('MaximumBatchingWindowInSeconds', settings.MaximumBatchingWindowInSeconds, 0, 300);
  checkInt('ParallelizationFactor', settings.ParallelizationFactor, 1, 10);
  checkInt('MaximumRetryAttempts', settings.MaximumRetryAttempts, -1, 10_000);
  checkInt('MaximumRecordAgeInSeconds', settings.MaximumRecordAgeInSeconds, 60, 604_800, (v) => v === -1);
  if (settings.StartingPosition !== 'TRIM_HORIZON' && settings.StartingPosition !== 'LATEST') {
    throw new EsmError(
      'esm.invalid-starting-position',
      `Invalid StartingPosition: ${String(settings.StartingPosition)}.`,
    );
  }
  for (const type of settings.FunctionResponseTypes) {
    if (type !== 'ReportBatchItemFailures') {
      throw new EsmError(
        'esm.invalid-response-type',
        `Invalid FunctionResponseTypes value: ${String(type)}.`,
      );
    }
  }
  const filters = settings.FilterCriteria.Filters;
  if (filters.length > MAX_FILTER_PATTERNS) {
    throw new EsmError(
      'esm.too-many-filters',
      `FilterCriteria has ${filters.length} patterns; at most ${MAX_FILTER_PATTERNS} are allowed.`,
      { details: { count: filters.length, max: MAX_FILTER_PATTERNS } },
    );
  }
  for (const filter of filters) parseFilterPattern(filter.Pattern);
  return settings;
}

/** The record predicate for these settings' FilterCriteria. */
export function recordFilterOf(settings: EsmSettings): RecordFilter {
  return compileFilters(settings.FilterCriteria.Filters.map((f) => f.Pattern));
}

/** True when the handler's `batchItemFailures` are honoured. */
export function reportsBatchItemFailures(settings: EsmSettings): boolean {
  return settings.FunctionResponseTypes.includes('ReportBatchItemFailures');
}
