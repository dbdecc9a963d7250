import { UsageError } from '../errors.js';

const UNIT_MS: Record<string, number> = {
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

const DURATION = /^(?:\d+[smhdw])+$/;
const ISO = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/i;

export const TIME_SPEC_HELP =
  'a duration ago such as 30s, 5m, 2h30m, 1d, 1w, or an ISO time such as 2026-11-25T10:00:00Z';

/** True when `text` looks like an ISO date or date-time (as opposed to a duration or a number). */
export function isIsoTime(text: string): boolean {
  return ISO.test(text.trim());
}

/**
 * `5m`, `2h30m` (that long before `now`), `now`, or an ISO date/time, as epoch
 * ms. A date-time without an offset is local time, a bare date is UTC midnight
 * (JavaScript's rules). Anything else is a UsageError naming the option.
 */
export function parseTimeSpec(text: string, now: number, option = '--since'): number {
  const value = text.trim();
  if (value.toLowerCase() === 'now') return now;
  if (DURATION.test(value)) {
    let ms = 0;
    for (const [, amount, unit] of value.matchAll(/(\d+)([smhdw])/g)) {
      ms += Number(amount) * (UNIT_MS[unit as string] ?? 0);
    }
    return now - ms;
  }
  if (ISO.test(value)) {
    const time = Date.parse(value.replace(' ', 'T'));
    if (!Number.isNaN(time)) return time;
  }
  throw new UsageError(`${option} "${text}" is not a time.`, `Use ${TIME_SPEC_HELP}.`);
}
