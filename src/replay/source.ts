import { readFile } from 'node:fs/promises';
import { parseWireRecord, type WireRecord, WireShapeError } from '../streams/wire.js';
import { ReplayError } from './errors.js';

/** Lambda's batch size range for DynamoDB Streams. */
export const MAX_BATCH_SIZE = 10_000;

/** 1-based line number of a character offset. */
function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text[i] === '\n') line += 1;
  return line;
}

/** Where a JSON.parse error happened, as a line number, when the engine says. */
function syntaxErrorLine(text: string, err: unknown): number | undefined {
  const message = (err as Error).message ?? '';
  const lineCol = /line (\d+) column \d+/.exec(message);
  if (lineCol) return Number(lineCol[1]);
  const position = /position (\d+)/.exec(message);
  return position ? lineAt(text, Number(position[1])) : undefined;
}

function shapeError(source: string, where: string, err: unknown): never {
  if (err instanceof WireShapeError) {
    throw new ReplayError('replay.bad-file', `${source}: ${where}: ${err.path} ${err.problem}.`, {
      cause: err,
    });
  }
  throw err;
}

/** One Lambda event `{ "Records": [...] }`: each record validated. */
function parseEvent(source: string, text: string, event: Record<string, unknown>): WireRecord[] {
  const records = event.Records;
  if (!Array.isArray(records)) {
    throw new ReplayError(
      'replay.bad-file',
      `${source}: line 1: a JSON object without a "Records" array is neither an event nor a stream record.`,
    );
  }
  if (records.length === 0)
    throw new ReplayError('replay.bad-file', `${source}: the event's "Records" array is empty.`);
  return records.map((record, i) => {
    try {
      return parseWireRecord(record, `Records[${i}]`);
    } catch (err) {
      // Point at the record's line in a pretty-printed file when we can find it.
      const id = (record as { eventID?: unknown })?.eventID;
      const at = typeof id === 'string' ? text.indexOf(JSON.stringify(id)) : -1;
      return shapeError(source, at >= 0 ? `line ${lineAt(text, at)}` : `record ${i + 1}`, err);
    }
  });
}

/**
 * Records from a replay file's text: NDJSON stream records (one per line) or
 * a Lambda event `{ "Records": [...] }`. A bad file is a ReplayError naming the
 * line and the problem; nothing is returned from a file with any bad part.
 */
export function parseReplayText(text: string, source = 'replay file'): WireRecord[] {
  const firstLine = text.split('\n').findIndex((line) => line.trim() !== '');
  if (firstLine < 0) throw new ReplayError('replay.bad-file', `${source} is empty.`);
  const lines = text.split('\n');
  const first = (lines[firstLine] as string).trim();
  let firstValue: unknown;
  let firstLineIsJson = true;
  try {
    firstValue = JSON.parse(first);
  } catch {
    firstLineIsJson = false;
  }
  if (!firstLineIsJson) {
    // A multi-line (pretty-printed) document: an event or a single record.
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (err) {
      const line = syntaxErrorLine(text, err) ?? firstLine + 1;
      throw new ReplayError(
        'replay.bad-file',
        `${source}: line ${line}: not valid JSON (${(err as Error).message}).`,
      );
    }
    return parseDocument(source, text, doc);
  }
  if (isObject(firstValue) && 'Records' in firstValue) {
    const rest = lines.slice(firstLine + 1).findIndex((line) => line.trim() !== '');
    if (rest >= 0) {
      throw new ReplayError(
        'replay.bad-file',
        `${source}: line ${firstLine + rest + 2}: text after the event; an event file holds one {"Records": [...]} object.`,
      );
    }
    return parseEvent(source, text, firstValue);
  }
  const records: WireRecord[] = [];
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (line === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      throw new ReplayError(
        'replay.bad-file',
        `${source}: line ${i + 1}: not valid JSON (${(err as Error).message}).`,
      );
    }
    try {
      records.push(parseWireRecord(value, 'record'));
    } catch (err) {
      shapeError(source, `line ${i + 1}`, err);
    }
  });
  return records;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseDocument(source: string, text: string, doc: unknown): WireRecord[] {
  if (isObject(doc) && 'Records' in doc) return parseEvent(source, text, doc);
  try {
    return [parseWireRecord(doc, 'record')];
  } catch (err) {
    return shapeError(source, 'line 1', err);
  }
}

/** Reads and validates a replay file (see parseReplayText). */
export async function readReplayFile(path: string): Promise<WireRecord[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ReplayError(
      'replay.file-unreadable',
      `Cannot read replay file ${path}${code === 'ENOENT' ? ': it does not exist' : `: ${(err as Error).message}`}.`,
      { cause: err, details: { path } },
    );
  }
  return parseReplayText(text, path);
}

/** Consecutive batches of at most `batchSize` records, order kept. */
export function toBatches<T>(records: readonly T[], batchSize: number): T[][] {
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new RangeError(`batch size must be >= 1, got ${batchSize}`);
  const batches: T[][] = [];
  for (let i = 0; i < records.length; i += batchSize) batches.push(records.slice(i, i + batchSize));
  return batches;
}

/** The event a handler receives for one batch: `{ Records }` and nothing else. */
export function toEvent(records: WireRecord[]): { Records: WireRecord[] } {
  return { Records: records };
}

/** One NDJSON line per record, as `tail --output` writes and `replay` reads. */
export function toNdjson(records: readonly WireRecord[]): string {
  return records.map((r) => `${JSON.stringify(r)}\n`).join('');
}
