import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { OnFailureMessage } from './onFailureMessage.js';

/**
 * The local target's on-failure destination: one JSON file per message in
 * `<stateDir>/dlq/`, named `<timestamp>-<requestId>.json` so that names sort
 * oldest first. Files are written to a temporary name and renamed, so a reader
 * never sees half a message.
 */

/** A message and the file that holds it. */
export interface StoredOnFailureMessage {
  file: string;
  message: OnFailureMessage;
}

/** Filesystem-safe, sortable: `2026-01-02T03-04-05.678Z`. */
function fileStamp(iso: string): string {
  return iso.replace(/:/g, '-');
}

/** Writes one message; returns the file's path. Creates `dir` when missing. */
export async function writeOnFailureMessage(dir: string, message: OnFailureMessage): Promise<string> {
  await mkdir(dir, { recursive: true });
  const safeId = message.requestContext.requestId.replace(/[^A-Za-z0-9-]/g, '_');
  const file = path.join(dir, `${fileStamp(message.timestamp)}-${safeId}.json`);
  const temp = path.join(dir, `.${path.basename(file)}.${randomBytes(4).toString('hex')}.tmp`);
  await writeFile(temp, `${JSON.stringify(message, null, 2)}\n`, { mode: 0o600 });
  await rename(temp, file);
  return file;
}

async function messageFiles(dir: string): Promise<string[]> {
  try {
    const names = await readdir(dir);
    return names.filter((n) => n.endsWith('.json') && !n.startsWith('.')).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** One file of the queue: its parsed JSON, or why it could not be read (a person may have edited it). */
export interface QueueFile {
  file: string;
  json?: unknown;
  problem?: string;
}

/** Every file of the queue in name order (oldest first); unreadable ones are reported, not thrown. */
export async function readQueueFiles(dir: string): Promise<QueueFile[]> {
  const files: QueueFile[] = [];
  for (const name of await messageFiles(dir)) {
    const file = path.join(dir, name);
    try {
      files.push({ file, json: JSON.parse(await readFile(file, 'utf8')) as unknown });
    } catch (err) {
      files.push({ file, problem: `not valid JSON (${(err as Error).message})` });
    }
  }
  return files;
}

/** Every readable message, oldest first (by timestamp, then name). A missing directory is an empty queue. */
export async function listMessages(dir: string): Promise<StoredOnFailureMessage[]> {
  const stored: StoredOnFailureMessage[] = [];
  for (const { file, json } of await readQueueFiles(dir)) {
    if (json !== undefined) stored.push({ file, message: json as OnFailureMessage });
  }
  return stored.sort(
    (a, b) =>
      Date.parse(a.message.timestamp) - Date.parse(b.message.timestamp) ||
      (a.file < b.file ? -1 : a.file > b.file ? 1 : 0),
  );
}

export async function countMessages(dir: string): Promise<number> {
  return (await messageFiles(dir)).length;
}

/** Deletes every message; returns how many there were. */
export async function purge(dir: string): Promise<number> {
  const names = await messageFiles(dir);
  await Promise.all(names.map((n) => rm(path.join(dir, n), { force: true })));
  return names.length;
}
