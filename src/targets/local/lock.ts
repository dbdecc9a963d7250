import { mkdir, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { identify, isSameProcess, type ProcessIdentity } from '../../util/processes.js';
import { TargetError } from '../errors.js';

/** The lock file in the state dir; its holder is the one `up`/`down`/`demo` working on it. */
export const LOCK_FILE = 'owner.lock';

interface LockRecord extends ProcessIdentity {
  /** What the holder does (`up`, `down`, `demo`), for the waiting message. */
  command: string;
  since: string;
}

/** Another command holds the state dir longer than we were willing to wait. */
function busyError(holder: LockRecord, stateDir: string, waitedMs: number): TargetError {
  return new TargetError(
    'targets.state-dir-busy',
    `Another ddb-ingest ${holder.command} (pid ${holder.pid}, since ${holder.since}) still holds ${stateDir} after ${Math.round(waitedMs / 1000)} s.`,
    { details: { pid: holder.pid, command: holder.command, stateDir } },
  );
}

export interface StateDirLock {
  release(): Promise<void>;
}

export interface LockOptions {
  /** What takes the lock, shown to whoever waits. */
  command: string;
  /** How long to wait for another holder. @default 180000 ms (a cold `up` takes up to a minute) */
  waitMs?: number | undefined;
  /** Called once when the lock is held by another live process and we start waiting. */
  onWait?: ((holder: { pid: number; command: string; since: string }) => void) | undefined;
  /** Stops waiting (Ctrl-C). */
  signal?: AbortSignal | undefined;
  /** Poll interval while waiting. @default 200 ms */
  pollMs?: number | undefined;
}

async function readHolder(file: string): Promise<LockRecord | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as LockRecord;
  } catch {
    return undefined;
  }
}

async function isFresh(file: string): Promise<boolean> {
  const info = await stat(file).catch(() => undefined);
  return Boolean(info && Date.now() - info.mtimeMs < 2_000);
}

/**
 * Takes the state dir's exclusive lock: an O_EXCL file holding our pid and
 * process start time. A lock whose holder is gone (or whose pid now belongs to
 * another process) is stale and taken over; a live holder is waited for.
 */
export async function lockStateDir(stateDir: string, options: LockOptions): Promise<StateDirLock> {
  const file = path.join(stateDir, LOCK_FILE);
  const me: LockRecord = {
    ...identify(process.pid),
    command: options.command,
    since: new Date().toISOString(),
  };
  const started = Date.now();
  const waitMs = options.waitMs ?? 180_000;
  let announced = false;
  for (;;) {
    options.signal?.throwIfAborted();
    try {
      await writeFile(file, `${JSON.stringify(me)}\n`, { flag: 'wx' });
      return {
        async release() {
          const holder = await readHolder(file);
          if (holder?.pid === me.pid && holder.startTime === me.startTime) await unlink(file).catch(() => {});
        },
      };
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') {
        // A `down --purge` removed the state dir while we waited for it.
        await mkdir(stateDir, { recursive: true });
        continue;
      }
      if (code !== 'EEXIST') throw err;
    }
    const holder = await readHolder(file);
    if (!holder && (await isFresh(file))) {
      // Created a moment ago and not written yet: its holder is alive.
      await new Promise((r) => setTimeout(r, 50));
      continue;
    }
    if (!holder || !isSameProcess(holder)) {
      // Stale: its holder crashed. Remove it only if it is still the one we read, then race for it again.
      const again = await readHolder(file);
      if (JSON.stringify(again) === JSON.stringify(holder)) await unlink(file).catch(() => {});
      continue;
    }
    if (holder.pid === process.pid) {
      throw new Error(`This process already holds ${file}.`);
    }
    if (Date.now() - started > waitMs) throw busyError(holder, stateDir, Date.now() - started);
    if (!announced) {
      announced = true;
      options.onWait?.({ pid: holder.pid, command: holder.command, since: holder.since });
    }
    await new Promise((r) => setTimeout(r, options.pollMs ?? 200));
  }
}
