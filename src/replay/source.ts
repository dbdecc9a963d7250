import { readFile } from 'node:fs/promises';
import { UsageError } from '../errors.js';
import { parseWireRecord, type WireRecord, WireShapeError } from '../streams/wire.js';

/** Lambda's batch size range for DynamoDB Streams. */
export const MAX_BATCH_SIZE = 10_000;

const FORMATS_HINT =
  'A replay file holds one stream record per line (what `ddb-ingest tail --json` or `--output` writes) or one Lambda event {"Records": [...]}.';

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
    throw new UsageError(`${source}: ${where}: ${err.path} ${err.problem}.`, FORMATS_HINT);
  }
  throw err;
}

/** One Lambda event `{ "Records": [...] }`: each record validated. */
function parseEvent(source: string, text: string, event: Record<string, unknown>): WireRecord[] {
  const records = event.Records;
  if (!Array.isArray(records)) {
    throw new UsageError(
      `${source}: line 1: a JSON object without a "Records" array is neither an event nor a stream record.`,
      FORMATS_HINT,
    );
  }
  if (records.length === 0)
    throw new UsageError(`${source}: the event's "Records" array is empty.`, FORMATS_HINT);
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
 * a Lambda event `{ "Records": [...] }`. A bad file is a UsageError naming the
 * line and the problem; nothing is returned from a file with any bad part.
 */
export function parseReplayText(text: string, source = 'replay file'): WireRecord[] {
  const firstLine = text.split('\n').findIndex((line) => line.trim() !== '');
  if (firstLine < 0) throw new UsageError(`${source} is empty.`, FORMATS_HINT);
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
      throw new UsageError(
        `${source}: line ${line}: not valid JSON (${(err as Error).message}).`,
        FORMATS_HINT,
      );
    }
    return parseDocument(source, text, doc);
  }
  if (isObject(firstValue) && 'Records' in firstValue) {
    const rest = lines.slice(firstLine + 1).findIndex((line) => line.trim() !== '');
    if (rest >= 0) {
      throw new UsageError(
        `${source}: line ${firstLine + rest + 2}: text after the event; an event file holds one {"Records": [...]} object.`,
        FORMATS_HINT,
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
      throw new UsageError(
        `${source}: line ${i + 1}: not valid JSON (${(err as Error).message}).`,
        FORMATS_HINT,
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
    throw new UsageError(
      `Cannot read replay file ${path}${code === 'ENOENT' ? ': it does not exist' : `: ${(err as Error).message}`}.`,
      FORMATS_HINT,
    );
  }
  return parseReplayText(text, path);
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
