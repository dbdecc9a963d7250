// Validators for option values that need a work module's constants; loaded
// inside actions (unlike options.ts) so `--help` does not load those modules.
import { UsageError } from '../errors.js';
import { LOG_LEVELS, type LogLevel, toLogLevel } from '../logs/events.js';
import { MAX_BATCH_SIZE } from '../replay/source.js';

/** Validates `--level`. */
export function parseLogLevel(text: string): LogLevel {
  const level = toLogLevel(text);
  if (!level) {
    throw new UsageError(`--level "${text}" is not a log level.`, `Use one of ${LOG_LEVELS.join(', ')}.`);
  }
  return level;
}

/** Validates `--batch-size` (1 to 10,000, Lambda's range for DynamoDB Streams). */
export function parseBatchSize(value: string | number): number {
  const text = String(value).trim();
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > MAX_BATCH_SIZE) {
    throw new UsageError(
      `--batch-size "${value}" is out of range.`,
      `Use a whole number from 1 to ${MAX_BATCH_SIZE.toLocaleString('en-US')}.`,
    );
  }
  return n;
}
