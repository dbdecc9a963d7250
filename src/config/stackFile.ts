import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError } from './errors.js';

/**
 * Finding and reading the stack file, apart from its validation (stack.ts):
 * this module loads no schema library, so a command whose stack model is
 * cached (modelCache.ts) never loads zod.
 */
export const STACK_FILE_NAME = 'ddb-ingest.json';

/** The stack file as read: its text, or none when the default file is absent. */
export interface StackFileText {
  /** Absolute path of the stack file (it may not exist: then the defaults apply). */
  file: string;
  /** Directory that relative paths in the stack file are resolved against. */
  dir: string;
  /** The file's text; undefined when the default file does not exist. */
  text: string | undefined;
}

/** Reads `ddb-ingest.json` (or `configPath`); a missing default file is no error, a missing named one is. */
export async function readStackFile(
  configPath: string | undefined,
  cwd = process.cwd(),
): Promise<StackFileText> {
  const file = path.resolve(cwd, configPath ?? STACK_FILE_NAME);
  const dir = path.dirname(file);
  try {
    return { file, dir, text: await readFile(file, 'utf8') };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && configPath === undefined) {
      return { file, dir, text: undefined };
    }
    throw new ConfigError('config.unreadable', `Cannot read stack file ${file}: ${(err as Error).message}`, {
      cause: err,
      details: { file },
    });
  }
}

/** The file's JSON ({} for an absent default file, so the defaults apply). */
export function stackFileJson(read: StackFileText): unknown {
  if (read.text === undefined) return {};
  try {
    return JSON.parse(read.text);
  } catch (err) {
    throw new ConfigError(
      'config.bad-json',
      `Stack file ${read.file} is not valid JSON: ${(err as Error).message}`,
      { cause: err, details: { file: read.file } },
    );
  }
}
