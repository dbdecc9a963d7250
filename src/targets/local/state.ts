import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomically } from '../../util/atomicWrite.js';
import { STATE_ENTRIES } from './paths.js';

/** What `up` started, recorded so that later commands (and `down`) find it. */
export interface LocalState {
  version: 1;
  region: string;
  dynamodb: {
    pid: number;
    port: number;
    endpoint: string;
    /** Data directory when started with --persist; absent = in memory. */
    dbPath?: string;
    startedAt: string;
    /** Process start time (see util/processes.ts): tells our process from a later one with the same pid. */
    startTime?: string;
  };
  /**
   * The built-in pipeline's tables and stream; on a stack without it, the
   * first mapping's table and stream (sink: the first other table its
   * function names, or "").
   */
  tables: { source: string; sink: string; streamArn: string };
  /** Every table of the stack with a stream: name -> stream ARN (absent in states of an older `up`). */
  streams?: Record<string, string>;
  runner?: {
    pid: number;
    startedAt: string;
    startTime?: string;
    /** The mapping runs inside an `up --foreground` CLI process, not a background runner. */
    foreground?: boolean;
  };
  /** Path of the 0600 file holding the local PII key (never the key itself). */
  piiKeyFile: string;
}

export const stateFile = (stateDir: string) => path.join(stateDir, STATE_ENTRIES.localState);

export async function readLocalState(stateDir: string): Promise<LocalState | undefined> {
  try {
    return JSON.parse(await readFile(stateFile(stateDir), 'utf8')) as LocalState;
  } catch (err) {
    // No state (or a state dir that is a file): nothing was started here.
    if (['ENOENT', 'ENOTDIR'].includes((err as NodeJS.ErrnoException).code ?? '')) return undefined;
    if (err instanceof SyntaxError) return undefined;
    throw err;
  }
}

/** Written to a temp file and renamed, so a crash never leaves half a state file. */
export async function writeLocalState(stateDir: string, state: LocalState): Promise<void> {
  await mkdir(stateDir, { recursive: true });
  await writeFileAtomically(stateFile(stateDir), `${JSON.stringify(state, null, 2)}\n`);
}
