import { randomBytes } from 'node:crypto';
import { chmod, mkdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PII_KEY_FILE, STATE_ENTRIES } from './paths.js';

/** Where `up` keeps the local PII key of a state dir. */
export function piiKeyFile(stateDir: string): string {
  return path.join(stateDir, STATE_ENTRIES.secrets, PII_KEY_FILE);
}

/**
 * Creates the local PII key (HMAC key for `emailHash`) once, readable by the
 * owner only. The handler gets the file's path, never the key.
 */
export async function ensurePiiKeyFile(stateDir: string): Promise<string> {
  const file = piiKeyFile(stateDir);
  const dir = path.dirname(file);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  try {
    const info = await stat(file);
    if ((info.mode & 0o077) !== 0) await chmod(file, 0o600);
    return file;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await writeFile(file, randomBytes(32).toString('hex'), { mode: 0o600, flag: 'wx' }).catch((err) => {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  });
  return file;
}
