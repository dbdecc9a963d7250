import type { Clock } from '../util/time.js';

/** One log event, the same from the local log store and from CloudWatch Logs. */
export interface LogEvent {
  /** Epoch ms. */
  timestamp: number;
  logStreamName: string;
  /** The text, without trailing newline. */
  message: string;
  /** CloudWatch's eventId; locally `<file>:<line>`. Unique within one reader. */
  eventId: string;
  /** From a JSON line's `level` field, or the Node runtime's tab-separated text format. */
  level?: LogLevel;
  /** Lambda's own lines (START, END, REPORT, INIT_START, ...), not the function's. */
  platform: boolean;
}

export const LOG_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'CRITICAL'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const ALIASES: Record<string, LogLevel> = { WARNING: 'WARN', FATAL: 'CRITICAL' };

/** What to read; both readers take these. */
export interface LogQuery {
  /** Epoch ms, inclusive; undefined = from the oldest event. */
  since?: number | undefined;
  /** Epoch ms, inclusive; undefined = no end. With `follow`, following stops once the clock passes it. */
  until?: number | undefined;
  /**
   * Text to look for, CloudWatch style: every word must appear (case-sensitive);
   * a "double-quoted" text must appear as is.
   */
  filter?: string | undefined;
  /**
   * Only events at this level or above; lines without a level are left out,
   * and so are Lambda's platform lines except those reporting a failure
   * (timeouts, runtime exits, failed inits: ERROR).
   */
  level?: LogLevel | undefined;
  /** Keep polling for new events until `signal` aborts. */
  follow?: boolean | undefined;
  /** Ends following (and a pending wait) without error. */
  signal?: AbortSignal | undefined;
  clock?: Clock | undefined;
  /** Wait between polls while following, in ms. */
  pollIntervalMs?: number | undefined;
}

/** `warning` -> `WARN`; undefined when `text` names no level. */
export function toLogLevel(text: string): LogLevel | undefined {
  const upper = text.trim().toUpperCase();
  const level = ALIASES[upper] ?? upper;
  return (LOG_LEVELS as readonly string[]).includes(level) ? (level as LogLevel) : undefined;
}

const PLATFORM =
  /^(START|END|REPORT) RequestId:|^(INIT_START|INIT_REPORT|INIT_RUNTIME_DONE|RESTORE_START|RESTORE_REPORT|EXTENSION|TELEMETRY)\b/;
// The Node.js runtime's text format: `<ISO time>\t<request id>\t<LEVEL>\t<message>`.
const RUNTIME_TEXT = /^\d{4}-\d{2}-\d{2}T[^\t]+\t[^\t]*\t([A-Za-z]+)\t/;

/**
 * Lambda's own lines that say an invocation or the runtime failed: a timeout,
 * a runtime that exited (crash, `process.exit`, out of memory), an init that
 * failed. They carry no level of their own; they are errors, so that `logs
 * --level ERROR` (and WARN) shows why a batch failed, locally and on CloudWatch.
 */
const RUNTIME_FAILURE =
  /^\S+ \S+ Task timed out after [\d.]+ seconds|^(RequestId: \S+ )?Error: Runtime exited|^Runtime\.[A-Za-z]+$|^(INIT_REPORT|REPORT) .*\tStatus: (error|timeout)\b/;

/** Level and platform flag of a message. */
export function classify(message: string): { level?: LogLevel; platform: boolean } {
  if (RUNTIME_FAILURE.test(message.trimEnd())) return { level: 'ERROR', platform: true };
  if (PLATFORM.test(message)) return { platform: true };
  const trimmed = message.trim();
  if (trimmed.startsWith('{')) {
    try {
      const parsed = JSON.parse(trimmed) as { level?: unknown };
      const level = typeof parsed.level === 'string' ? toLogLevel(parsed.level) : undefined;
      return level ? { level, platform: false } : { platform: false };
    } catch {
      // Not JSON after all: plain text.
    }
  }
  const text = RUNTIME_TEXT.exec(message);
  const level = text?.[1] ? toLogLevel(text[1]) : undefined;
  return level ? { level, platform: false } : { platform: false };
}

/** The words (or the one quoted phrase) of a `--filter` text. */
function filterTerms(filter: string): string[] {
  const text = filter.trim();
  if (text.length >= 2 && text.startsWith('"') && text.endsWith('"')) return [text.slice(1, -1)];
  return text.split(/\s+/).filter((t) => t !== '');
}

/** True when the message has every word of the filter (CloudWatch's plain-text rule). */
export function matchesFilter(message: string, filter: string | undefined): boolean {
  if (!filter) return true;
  return filterTerms(filter).every((term) => message.includes(term));
}

/**
 * A CloudWatch filter pattern for a `--filter` text: words with characters
 * other than letters, digits and `_` must be quoted there. A text that is
 * already a pattern (`{ $.level = "ERROR" }`, `[...]`, `"..."`) is passed as is.
 */
export function toFilterPattern(filter: string): string {
  const text = filter.trim();
  if (/^[{["]/.test(text)) return text;
  return filterTerms(text)
    .map((term) => (/^\w+$/.test(term) ? term : `"${term.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`))
    .join(' ');
}

/** True when an event passes the time window and the level threshold. */
export function inWindowAndLevel(event: LogEvent, query: LogQuery): boolean {
  if (query.since !== undefined && event.timestamp < query.since) return false;
  if (query.until !== undefined && event.timestamp > query.until) return false;
  if (query.level) {
    if (!event.level) return false;
    return LOG_LEVELS.indexOf(event.level) >= LOG_LEVELS.indexOf(query.level);
  }
  return true;
}
