import { open, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { sleep } from '../util/sleep.js';
import { systemClock } from '../util/time.js';
import { classify, inWindowAndLevel, type LogEvent, type LogQuery, matchesFilter } from './events.js';

export interface LocalLogOptions extends LogQuery {
  /** `<stateDir>/logs`: one `<stream>.ndjson` file per log stream. */
  logsDir: string;
}

interface FileCursor {
  offset: number;
  /** Text after the last newline: a line still being written. */
  partial: string;
  line: number;
}

/** Reads what was appended to each log file since the last call, complete lines only. */
class LogDirectory {
  private readonly cursors = new Map<string, FileCursor>();

  constructor(private readonly dir: string) {}

  async readNew(): Promise<LogEvent[]> {
    let names: string[];
    try {
      names = (await readdir(this.dir)).filter((n) => n.endsWith('.ndjson')).sort();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const events: LogEvent[] = [];
    for (const name of names) events.push(...(await this.readFile(name)));
    // Stable sort: equal timestamps keep file and line order.
    return events.sort((a, b) => a.timestamp - b.timestamp);
  }

  private async readFile(name: string): Promise<LogEvent[]> {
    const file = path.join(this.dir, name);
    let cursor = this.cursors.get(name);
    const size = (await stat(file)).size;
    if (!cursor || size < cursor.offset) {
      // New, or replaced by a shorter file: read it from the start.
      cursor = { offset: 0, partial: '', line: 0 };
      this.cursors.set(name, cursor);
    }
    if (size === cursor.offset) return [];
    const handle = await open(file, 'r');
    let chunk: string;
    try {
      const buffer = Buffer.alloc(size - cursor.offset);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, cursor.offset);
      cursor.offset += bytesRead;
      chunk = buffer.subarray(0, bytesRead).toString('utf8');
    } finally {
      await handle.close();
    }
    const lines = (cursor.partial + chunk).split('\n');
    cursor.partial = lines.pop() ?? '';
    const events: LogEvent[] = [];
    for (const line of lines) {
      cursor.line += 1;
      const event = parseLine(line, name, cursor.line);
      if (event) events.push(event);
    }
    return events;
  }
}

function parseLine(line: string, file: string, lineNo: number): LogEvent | undefined {
  if (line.trim() === '') return undefined;
  let value: { timestamp?: unknown; logStreamName?: unknown; message?: unknown };
  try {
    value = JSON.parse(line);
  } catch {
    return undefined; // A torn write from a crashed runtime; the next lines are fine.
  }
  if (typeof value.timestamp !== 'number' || typeof value.message !== 'string') return undefined;
  const message = value.message;
  return {
    timestamp: value.timestamp,
    logStreamName:
      typeof value.logStreamName === 'string' ? value.logStreamName : file.replace(/\.ndjson$/, ''),
    message,
    eventId: `${file}:${lineNo}`,
    ...classify(message),
  };
}

/**
 * The local runtime's logs (`<stateDir>/logs/*.ndjson`), all streams merged
 * by timestamp. With `follow`, new lines are picked up as they are written,
 * each exactly once; a line still being written waits for its newline.
 */
export async function* readLocalLogs(options: LocalLogOptions): AsyncGenerator<LogEvent, void, undefined> {
  const clock = options.clock ?? systemClock;
  const pollIntervalMs = options.pollIntervalMs ?? 500;
  const dir = new LogDirectory(options.logsDir);
  try {
    for (;;) {
      if (options.signal?.aborted) return;
      for (const event of await dir.readNew()) {
        if (inWindowAndLevel(event, options) && matchesFilter(event.message, options.filter)) yield event;
      }
      if (!options.follow) return;
      if (options.until !== undefined && clock.now() > options.until) return;
      await sleep(clock, pollIntervalMs, options.signal);
    }
  } catch (err) {
    if (options.signal?.aborted) return;
    throw err;
  }
}
