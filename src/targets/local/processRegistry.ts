import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomically } from '../../util/atomicWrite.js';
import { isSameProcess, type ProcessIdentity } from '../../util/processes.js';
import { STATE_ENTRIES } from './paths.js';

/**
 * Every process the tool started for a state dir, written the moment it is
 * spawned: a crash before `local.json` is written still leaves a trace, so
 * the next `up` or `down` finds and stops it.
 */
export const REGISTRY_FILE = STATE_ENTRIES.processes;

export type ProcessRole = 'dynamodb-local' | 'runner';

export interface RegisteredProcess extends ProcessIdentity {
  role: ProcessRole;
  /** The CLI process that started it. */
  startedBy: number;
  startedAt: string;
}

const file = (stateDir: string) => path.join(stateDir, REGISTRY_FILE);

export async function readRegistry(stateDir: string): Promise<RegisteredProcess[]> {
  try {
    const list = JSON.parse(await readFile(file(stateDir), 'utf8')) as RegisteredProcess[];
    return Array.isArray(list) ? list : [];
  } catch {
    return [];
  }
}

async function writeRegistry(stateDir: string, list: RegisteredProcess[]): Promise<void> {
  await writeFileAtomically(file(stateDir), `${JSON.stringify(list, null, 2)}\n`);
}

/** Records a process just started (callers hold the state dir's lock). */
export async function registerProcess(
  stateDir: string,
  entry: Omit<RegisteredProcess, 'startedBy' | 'startedAt'>,
): Promise<void> {
  const list = (await readRegistry(stateDir)).filter((p) => p.pid !== entry.pid && isSameProcess(p));
  list.push({ ...entry, startedBy: process.pid, startedAt: new Date().toISOString() });
  await writeRegistry(stateDir, list);
}

/** Forgets stopped processes (and every entry whose process is gone). */
export async function unregisterProcesses(stateDir: string, pids: number[]): Promise<void> {
  const list = await readRegistry(stateDir);
  const kept = list.filter((p) => !pids.includes(p.pid) && isSameProcess(p));
  if (kept.length !== list.length) await writeRegistry(stateDir, kept);
}

/** The registered processes that still run (same pid and start time). */
export async function liveProcesses(stateDir: string): Promise<RegisteredProcess[]> {
  return (await readRegistry(stateDir)).filter((p) => isSameProcess(p));
}
