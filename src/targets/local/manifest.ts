import { existsSync } from 'node:fs';
import { readdir, readFile, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * The tool's own entries in a state dir. Whatever else is there (a user's
 * notes, a source folder) is never the tool's to delete.
 */
export const TOOL_ENTRIES = [
  'local.json',
  'dynamodb.log',
  'processes.json',
  'data',
  'secrets',
  'build',
  'esm',
  'dlq',
  'logs',
  'functions',
  'terraform',
  'aws-outputs.json',
] as const;

/** The manifest: which entries of the state dir the tool created, in order. */
export const MANIFEST_FILE = '.ddb-ingest-manifest.json';

interface Manifest {
  version: 1;
  /** The tool created the state dir itself: it may remove it once empty. */
  createdDir: boolean;
  /** Entries (relative to the state dir) the tool created, oldest first. */
  created: string[];
}

async function readManifest(stateDir: string): Promise<Manifest | undefined> {
  try {
    const m = JSON.parse(await readFile(path.join(stateDir, MANIFEST_FILE), 'utf8')) as Manifest;
    return Array.isArray(m.created) ? m : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Records the tool's entries that do not exist yet (so this run is about to
 * create them) in the manifest; an entry the user made first stays theirs.
 * Call before creating anything in the state dir.
 */
export async function claimEntries(
  stateDir: string,
  options: { createdDir: boolean; entries?: readonly string[] },
): Promise<void> {
  const previous = await readManifest(stateDir);
  const manifest: Manifest = previous ?? { version: 1, createdDir: options.createdDir, created: [] };
  let changed = !previous;
  for (const entry of options.entries ?? TOOL_ENTRIES) {
    if (manifest.created.includes(entry) || existsSync(path.join(stateDir, entry))) continue;
    manifest.created.push(entry);
    changed = true;
  }
  if (!changed) return;
  const file = path.join(stateDir, MANIFEST_FILE);
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(manifest, null, 2)}\n`);
  await rename(tmp, file);
}

export interface PurgeResult {
  /** Entries removed, as paths relative to the state dir. */
  removed: string[];
  /** Entries left because the tool did not create them. */
  kept: string[];
  /** The tool made the state dir and nothing else is left: the caller removes it (after its lock). */
  dirRemovable: boolean;
}

/**
 * Deletes what the manifest says the tool created, newest first; anything
 * else in the state dir stays and is named in the result. Without a manifest
 * (a state dir of an older version) only the tool's well-known entries go.
 */
export async function purgeStateDir(
  stateDir: string,
  options: { ignore?: readonly string[] } = {},
): Promise<PurgeResult> {
  if (!existsSync(stateDir)) return { removed: [], kept: [], dirRemovable: false };
  const manifest = await readManifest(stateDir);
  const ours = manifest ? manifest.created : [...TOOL_ENTRIES];
  const removed: string[] = [];
  for (const entry of [...ours].reverse()) {
    const full = path.join(stateDir, entry);
    if (!existsSync(full)) continue;
    await rm(full, { recursive: true, force: true });
    removed.push(entry);
  }
  await rm(path.join(stateDir, MANIFEST_FILE), { force: true });
  const ignore = new Set(options.ignore ?? []);
  const kept = (await readdir(stateDir).catch(() => [])).filter((e) => !ignore.has(e)).sort();
  return { removed, kept, dirRemovable: kept.length === 0 && Boolean(manifest?.createdDir) };
}

/** Removes a directory if it is empty; says whether it is gone. */
export async function removeIfEmpty(dir: string): Promise<boolean> {
  await rmdir(dir).catch(() => {});
  return !existsSync(dir);
}
