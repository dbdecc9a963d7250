import { existsSync } from 'node:fs';
import { lstat, readdir, readFile, rm, rmdir } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomically } from '../../util/atomicWrite.js';
import { MAPPING_FILES, MAPPINGS_DIR, PII_KEY_FILE, STATE_ENTRIES } from './paths.js';

/**
 * The tool's own entries in a state dir. Whatever else is there (a user's
 * notes, a source folder) is never the tool's to delete.
 */
export const TOOL_ENTRIES: readonly string[] = Object.values(STATE_ENTRIES);

/** What a mapping keeps in its esm/ directory, temp files of its atomic writes (not the log's) included. */
const MAPPING_STATE = [
  MAPPING_FILES.checkpoints,
  `${MAPPING_FILES.checkpoints}.tmp`,
  MAPPING_FILES.status,
  `${MAPPING_FILES.status}.tmp`,
  MAPPING_FILES.runnerLog,
];

/** What a bundle build leaves in build/ (bundle/build.ts, targets/local/bundle.ts). */
const BUILD_OUTPUT = [
  '**/*.mjs',
  '**/*.cjs',
  '**/*.js',
  '**/*.map',
  '**/function.zip',
  '**/manifest.json',
  '.staging-*/**',
] as const;

/** On-failure messages `<time>-<request id>.json` and their `.<name>.<hex>.tmp` while written. */
const DLQ_FILES = ['*.json', '.*.tmp'];
/** The function's log store (runtime/logStream.ts). */
const LOG_FILES = ['*.ndjson'];

/**
 * What the tool (or a program it runs: DynamoDB Local, Terraform) writes
 * inside each of its directories, as globs relative to that directory (`*`
 * stays within one name, a leading `**\/` matches any depth). `--purge` walks a
 * tool-made directory and deletes only what matches; anything else there (a
 * user's notes in esm/) stays, with the directories that hold it. A file the
 * tool starts writing elsewhere must be added here: test/cli/ownership.test.ts
 * purges a stack that ran and fails on anything left over.
 */
export const TOOL_LAYOUT: Readonly<Record<string, readonly string[]>> = {
  // Exactly the files the mapping writes (esm/checkpointStore.ts, targets/local/mappings.ts, paths.ts):
  // a user's own `.json` or `.log` put beside them is not the tool's and stays.
  // At any depth: a checkpoint store may be given a subdirectory of esm/ (one per mapping).
  [STATE_ENTRIES.esm]: MAPPING_STATE.map((glob) => `**/${glob}`),
  // Every `.json` here is read as a message (esm/onFailureQueue.ts), so the queue's directory is the tool's.
  [STATE_ENTRIES.dlq]: DLQ_FILES,
  [STATE_ENTRIES.logs]: LOG_FILES,
  [STATE_ENTRIES.build]: BUILD_OUTPUT,
  // Other functions' build/, logs/ and mappings/<table>/{esm,dlq}/ (targets/local/functions.ts).
  [STATE_ENTRIES.functions]: [
    ...BUILD_OUTPUT.map((glob) => `*/${STATE_ENTRIES.build}/${glob}`),
    ...LOG_FILES.map((glob) => `*/${STATE_ENTRIES.logs}/${glob}`),
    ...MAPPING_STATE.map((glob) => `*/${MAPPINGS_DIR}/*/${STATE_ENTRIES.esm}/${glob}`),
    ...DLQ_FILES.map((glob) => `*/${MAPPINGS_DIR}/*/${STATE_ENTRIES.dlq}/${glob}`),
  ],
  [STATE_ENTRIES.secrets]: [PII_KEY_FILE, `${PII_KEY_FILE}.*`],
  // DynamoDB Local's -sharedDb file (and SQLite's journals beside it).
  [STATE_ENTRIES.data]: ['*.db', '*.db-*'],
  // aws/terraform.ts terraformPaths (not imported: purge must not load the aws target).
  [STATE_ENTRIES.terraform]: [
    'module/*.tf',
    'module/.terraform.lock.hcl',
    'module/.terraform/**',
    // TF_DATA_DIR: providers and backend settings, all Terraform's own.
    'data/**',
    'terraform.tfstate',
    'terraform.tfstate.*',
    '.terraform.tfstate.lock.info',
    '*.tfplan',
    '*.tfvars.json',
  ],
};

/** A glob of TOOL_LAYOUT as a regular expression over `/`-separated relative paths. */
function globRegExp(glob: string): RegExp {
  let source = '';
  for (let i = 0; i < glob.length; i++) {
    if (glob.startsWith('**/', i)) {
      source += '(?:.*/)?';
      i += 2;
    } else if (glob.startsWith('**', i)) {
      source += '.*';
      i += 1;
    } else if (glob[i] === '*') source += '[^/]*';
    else source += (glob[i] as string).replace(/[.+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

const LAYOUT_PATTERNS = new Map(
  Object.entries(TOOL_LAYOUT).map(([dir, globs]) => [dir, globs.map(globRegExp)] as const),
);

/** Whether `relative` (inside the tool directory `dir`) is something the tool writes there. */
export function isToolFile(dir: string, relative: string): boolean {
  const patterns = LAYOUT_PATTERNS.get(dir);
  // A tool entry without a layout (a file such as local.json) has no inside to walk.
  return patterns === undefined || patterns.some((p) => p.test(relative.split(path.sep).join('/')));
}

/**
 * Deletes what the tool wrote inside the tool-made directory `root` (entry
 * `dir` of the state dir), bottom up; returns the paths it kept (relative to
 * the state dir). A directory goes once it is empty; one holding a kept file
 * stays.
 */
async function purgeToolDir(stateDir: string, dir: string): Promise<string[]> {
  const kept: string[] = [];
  const walk = async (relative: string): Promise<boolean> => {
    const full = path.join(stateDir, dir, relative);
    const entries = await readdir(full, { withFileTypes: true }).catch(() => []);
    let empty = true;
    for (const entry of entries) {
      const child = relative ? path.join(relative, entry.name) : entry.name;
      if (entry.isDirectory() && !entry.isSymbolicLink()) {
        if (!(await walk(child))) empty = false;
      } else if (isToolFile(dir, child)) {
        await rm(path.join(stateDir, dir, child), { force: true });
      } else {
        kept.push(path.join(dir, child));
        empty = false;
      }
    }
    if (empty) await rmdir(full).catch(() => {});
    return empty && !existsSync(full);
  };
  await walk('');
  return kept;
}

/** The manifest: which entries of the state dir the tool created, in order. */
export const MANIFEST_FILE = '.ddb-ingest-manifest.json';

interface Manifest {
  version: 1;
  /** The tool created the state dir itself: it may remove it once empty. */
  createdDir: boolean;
  /** Entries (relative to the state dir) the tool created, oldest first. */
  created: string[];
}

/** Whether the manifest says the tool created `entry`, so the tool may write it. */
export async function ownsEntry(stateDir: string, entry: string): Promise<boolean> {
  return (await readManifest(stateDir))?.created.includes(entry) ?? false;
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
  await writeFileAtomically(path.join(stateDir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
}

export interface PurgeResult {
  /** Entries removed, as paths relative to the state dir. */
  removed: string[];
  /** Entries left because the tool did not create them (paths inside a tool-made dir included: `esm/notes.txt`). */
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
  const keptInside: string[] = [];
  for (const entry of [...ours].reverse()) {
    const full = path.join(stateDir, entry);
    const info = await lstat(full).catch(() => undefined);
    if (!info) continue;
    if (info.isDirectory() && TOOL_LAYOUT[entry]) {
      const kept = await purgeToolDir(stateDir, entry);
      keptInside.push(...kept);
      if (kept.length === 0) removed.push(entry);
    } else {
      await rm(full, { recursive: true, force: true });
      removed.push(entry);
    }
  }
  await rm(path.join(stateDir, MANIFEST_FILE), { force: true });
  const ignore = new Set(options.ignore ?? []);
  const holding = new Set(keptInside.map((k) => k.split(path.sep)[0]));
  const kept = [
    ...(await readdir(stateDir).catch(() => [])).filter((e) => !ignore.has(e) && !holding.has(e)),
    ...keptInside,
  ].sort();
  return { removed, kept, dirRemovable: kept.length === 0 && Boolean(manifest?.createdDir) };
}

/** Removes a directory if it is empty; says whether it is gone. */
export async function removeIfEmpty(dir: string): Promise<boolean> {
  await rmdir(dir).catch(() => {});
  return !existsSync(dir);
}
