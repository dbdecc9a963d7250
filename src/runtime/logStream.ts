import { randomBytes } from 'node:crypto';
import { appendFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Clock } from '../util/time.js';

/** One line of `logs/<safe stream name>.ndjson`: a CloudWatch-style log event. */
export interface LogEvent {
  /** Epoch ms. */
  timestamp: number;
  logStreamName: string;
  /** The text, without its trailing newline. */
  message: string;
}

/** Lambda's stream name: `2026/11/25/[$LATEST]<32 hex>` (UTC date of the cold start). */
export function newLogStreamName(now: number): string {
  const day = new Date(now).toISOString().slice(0, 10).replace(/-/g, '/');
  return `${day}/[$LATEST]${randomBytes(16).toString('hex')}`;
}

/** File name for a stream: `/`, `[`, `]`, `$` cannot all live in file names. */
export function logFileName(logStreamName: string): string {
  return `${logStreamName.replace(/[^A-Za-z0-9._-]/g, '_')}.ndjson`;
}

/**
 * Collects one stream's log events and appends them to its NDJSON file in
 * order. Writes are batched: {@link flush} resolves once everything written
 * before it is on disk.
 */
export class LogStreamWriter {
  readonly file: string;
  private pending: LogEvent[] = [];
  private chain: Promise<void>;
  /** Unfinished line per source (the worker's IPC text, its raw stdout, its raw stderr). */
  private partial = new Map<string, string>();

  constructor(
    logDir: string,
    readonly logStreamName: string,
    private readonly clock: Clock,
  ) {
    this.file = path.join(logDir, logFileName(logStreamName));
    this.chain = mkdir(logDir, { recursive: true }).then(() => undefined);
  }

  /** Adds one event now. */
  line(message: string): void {
    this.pending.push({ timestamp: this.clock.now(), logStreamName: this.logStreamName, message });
  }

  /**
   * Adds text as it arrives from `source`: complete lines become events, a
   * trailing partial line waits for the rest. `\r` inside a line stands for a
   * line break within one message (the worker's console encoding).
   */
  text(source: string, chunk: string): void {
    const lines = ((this.partial.get(source) ?? '') + chunk).split('\n');
    this.partial.set(source, lines.pop() ?? '');
    for (const l of lines) this.line(l.replace(/\r/g, '\n'));
  }

  /** Turns unfinished lines into events (the writer is going away). */
  endPartialLines(): void {
    for (const [source, rest] of this.partial) {
      if (rest !== '') this.line(rest.replace(/\r/g, '\n'));
      this.partial.delete(source);
    }
  }

  flush(): Promise<void> {
    const events = this.pending;
    this.pending = [];
    if (events.length > 0) {
      const text = events.map((e) => `${JSON.stringify(e)}\n`).join('');
      this.chain = this.chain.then(() => appendFile(this.file, text, { mode: 0o600 }));
    }
    return this.chain;
  }
}
