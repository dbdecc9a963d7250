import { UsageError } from '../errors.js';
import type { StreamStart } from '../streams/readStream.js';
import type { TailOptions } from '../streams/tail.js';
import { EVENT_NAMES, type EventName } from '../streams/wire.js';
import { isIsoTime, parseTimeSpec } from './timeSpec.js';

/** The flags as the CLI received them (strings, before validation). */
export interface RawTailOptions {
  /** `trim-horizon` (default), `latest`, an ISO time, or a sequence number. */
  from?: string | undefined;
  follow?: boolean | undefined;
  limit?: string | number | undefined;
  /** `INSERT,MODIFY` or several values; case-insensitive. */
  event?: string | string[] | undefined;
}

/**
 * Validates tail's flags. Bad values are UsageErrors that say what was wrong
 * and what is allowed.
 */
export function parseTailOptions(raw: RawTailOptions, now: number): TailOptions {
  const options: TailOptions = { from: parseFrom(raw.from, now), follow: raw.follow ?? true };
  if (raw.limit !== undefined) options.limit = parseLimit(raw.limit);
  if (raw.event !== undefined) options.events = parseEvents(raw.event);
  return options;
}

export function parseFrom(text: string | undefined, now: number): StreamStart {
  if (text === undefined) return { type: 'trim-horizon' };
  const value = text.trim();
  const lower = value.toLowerCase();
  if (lower === 'trim-horizon' || lower === 'trim_horizon') return { type: 'trim-horizon' };
  if (lower === 'latest') return { type: 'latest' };
  if (/^\d{21,40}$/.test(value)) return { type: 'sequence', sequenceNumber: value };
  if (isIsoTime(value)) return { type: 'time', time: parseTimeSpec(value, now, '--from') };
  throw new UsageError(
    `--from "${text}" is not a start position.`,
    'Use trim-horizon, latest, an ISO time such as 2026-11-25T10:00:00Z, or a stream sequence number (21 to 40 digits).',
  );
}

export function parseLimit(value: string | number): number {
  const text = String(value).trim();
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n < 1) {
    throw new UsageError(
      `--limit "${value}" is not a positive whole number.`,
      'Use a number of records such as 10.',
    );
  }
  return n;
}

export function parseEvents(value: string | string[]): EventName[] {
  const items = (Array.isArray(value) ? value : [value])
    .flatMap((v) => v.split(','))
    .map((v) => v.trim().toUpperCase())
    .filter((v) => v !== '');
  if (items.length === 0) {
    throw new UsageError(
      '--event needs at least one event name.',
      `Use one or more of ${EVENT_NAMES.join(', ')}.`,
    );
  }
  for (const item of items) {
    if (!(EVENT_NAMES as readonly string[]).includes(item)) {
      throw new UsageError(
        `--event "${item}" is not a stream event name.`,
        `Use one or more of ${EVENT_NAMES.join(', ')}, separated by commas.`,
      );
    }
  }
  return [...new Set(items as EventName[])];
}
