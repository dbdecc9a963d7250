import { constants } from 'node:fs';
import { mkdir, open, realpath, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { TargetError } from '../errors.js';

/** Why a state dir cannot be used. */
export type StateDirProblem = 'not-a-directory' | 'virtual-filesystem' | 'not-writable' | 'unresponsive';

/** The state dir cannot hold the tool's files (`targets.state-dir-<problem>`). */
function stateDirError(problem: StateDirProblem, dir: string, detail: string, cause?: unknown): TargetError {
  return new TargetError(`targets.state-dir-${problem}`, `The state dir ${dir} cannot be used: ${detail}.`, {
    ...(cause !== undefined ? { cause } : {}),
    details: { stateDir: dir, problem },
  });
}

/** Kernel filesystems: writing there hangs or fails in odd ways, never stores anything. */
const VIRTUAL_ROOTS = ['/proc', '/sys', '/dev'];

/** @default 5000 ms: a state dir on a dead network mount must not hang the command. */
export const STATE_DIR_TIMEOUT_MS = 5_000;

/** The nearest ancestor of `dir` that exists, resolved through symlinks. */
async function existingAncestor(dir: string): Promise<string> {
  let current = dir;
  for (;;) {
    try {
      return await realpath(current);
    } catch {
      const parent = path.dirname(current);
      if (parent === current) return current;
      current = parent;
    }
  }
}

const WHY: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'the filesystem is read-only',
  ENOENT: 'its parent cannot hold it',
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is used up',
};

/** A failed mkdir or write in the state dir as the typed error a user reads (or the error itself). */
export function writeError(dir: string, err: unknown, what: 'created' | 'written'): Error {
  const code = (err as NodeJS.ErrnoException).code ?? '';
  if (code === 'ENOTDIR' || code === 'EEXIST') {
    return stateDirError('not-a-directory', dir, 'a part of its path is a file', err);
  }
  const why = WHY[code];
  if (why) return stateDirError('not-writable', dir, `it cannot be ${what} (${why})`, err);
  return err as Error;
}

async function check(dir: string): Promise<{ created: boolean }> {
  const base = await existingAncestor(dir);
  const root = VIRTUAL_ROOTS.find((r) => base === r || base.startsWith(`${r}/`));
  if (root) {
    throw stateDirError(
      'virtual-filesystem',
      dir,
      `it is on ${root}, a kernel filesystem that stores no files`,
    );
  }
  const info = await stat(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw writeError(dir, err, 'created');
  });
  if (info && !info.isDirectory()) {
    throw stateDirError('not-a-directory', dir, 'it is a file, not a directory');
  }
  let created = false;
  if (!info) {
    try {
      await mkdir(dir, { recursive: true });
      created = true;
    } catch (err) {
      throw writeError(dir, err, 'created');
    }
  }
  // A read-only mount or a directory owned by someone else: find out now, not halfway through `up`.
  const probe = path.join(dir, `.write-test-${process.pid}`);
  try {
    const handle = await open(probe, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, 0o600);
    await handle.close();
    await unlink(probe);
  } catch (err) {
    throw writeError(dir, err, 'written');
  }
  return { created };
}

/**
 * Makes sure the state dir exists and can be written, within
 * {@link STATE_DIR_TIMEOUT_MS}; says whether this call created it.
 */
export async function prepareStateDir(
  dir: string,
  timeoutMs = STATE_DIR_TIMEOUT_MS,
): Promise<{ created: boolean }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          stateDirError('unresponsive', dir, `its filesystem did not answer within ${timeoutMs / 1000} s`),
        ),
      timeoutMs,
    );
    timer.unref();
  });
  try {
    return await Promise.race([check(dir), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
