import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * A process as the tool recorded it: a pid alone is not enough, because the
 * OS reuses pids, and a state file left by a crash may name a pid that now
 * belongs to someone else's process. The start time tells them apart.
 */
export interface ProcessIdentity {
  pid: number;
  /** Opaque start-time token from {@link processStartTime}; absent in state files of older versions. */
  startTime?: string | undefined;
}

/** True while a process with this pid exists and has not exited (whoever owns it). */
export function isPidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  // An exited child its parent has not reaped yet (a zombie) still takes signals but is gone.
  if (process.platform === 'linux') {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
    } catch {
      return false;
    }
  }
  return true;
}

/**
 * When the process started, as a token that only compares for equality:
 * Linux, the start time in clock ticks since boot from /proc; elsewhere, what
 * `ps -o lstart=` says. Undefined when the process does not exist.
 */
export function processStartTime(pid: number): string | undefined {
  if (!isPidAlive(pid)) return undefined;
  if (process.platform === 'linux') {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // The command name may hold spaces and parentheses: the fields after the last ')' are fixed.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // Field 22 of stat is starttime; fields[0] here is field 3.
      return fields[19] ? `ticks:${fields[19]}` : undefined;
    } catch {
      return undefined;
    }
  }
  const ps = spawnSync('ps', ['-o', 'lstart=', '-p', String(pid)], { encoding: 'utf8' });
  const text = ps.stdout?.trim();
  return ps.status === 0 && text ? `ps:${text}` : undefined;
}

/** The identity of a process the caller just started (or of this process). */
export function identify(pid: number): ProcessIdentity {
  const startTime = processStartTime(pid);
  return startTime ? { pid, startTime } : { pid };
}

/** `{ startTime }` of a process, to spread into a record (empty when unknown). */
export function startTimeOf(pid: number): { startTime?: string } {
  const startTime = processStartTime(pid);
  return startTime ? { startTime } : {};
}

/**
 * True when the recorded process still runs: same pid and, when the record
 * has one, same start time (otherwise the pid was reused by another process).
 */
export function isSameProcess(record: ProcessIdentity | undefined): boolean {
  if (!record || !isPidAlive(record.pid)) return false;
  if (!record.startTime) return true;
  return processStartTime(record.pid) === record.startTime;
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
export async function stopProcess(pid: number, graceMs = 5000): Promise<void> {
  if (!isPidAlive(pid)) return;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  while (isPidAlive(pid)) {
    if (Date.now() > deadline) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        return;
      }
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Processes this CLI run started and must not outlive it if the run is cut
 * short (a second Ctrl-C, or work that does not stop in time): they are
 * killed synchronously on the forced exit. Work modules add what they start
 * and remove it once it is recorded for later commands or stopped.
 */
const owned = new Set<number>();

export const ownedProcesses = {
  add(pid: number): void {
    owned.add(pid);
  },
  delete(pid: number): void {
    owned.delete(pid);
  },
  /** SIGKILL every owned process; for the forced-exit path, where nothing can be awaited. */
  killAll(): number[] {
    const killed: number[] = [];
    for (const pid of owned) {
      try {
        process.kill(pid, 'SIGKILL');
        killed.push(pid);
      } catch {
        // already gone
      }
    }
    owned.clear();
    return killed;
  },
};
