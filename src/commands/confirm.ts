import { createInterface } from 'node:readline/promises';
import { UsageError } from '../errors.js';
import type { Output } from '../output.js';

/**
 * Asks before a destructive step. On a TTY the user answers; elsewhere (CI,
 * scripts) only an explicit --yes proceeds, never a silent default.
 */
export async function confirm(
  output: Output,
  question: string,
  yes: boolean | undefined,
  signal?: AbortSignal,
): Promise<boolean> {
  if (yes) return true;
  if (!process.stdin.isTTY || !process.stderr.isTTY) {
    throw new UsageError(`${question} Refusing without a terminal to ask on.`, 'Pass --yes to confirm.');
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  // readline reads Ctrl-C as a key while it asks: turn it back into the signal every command handles.
  rl.on('SIGINT', () => process.kill(process.pid, 'SIGINT'));
  try {
    const answer = await rl.question(`${question} [y/N] `, signal ? { signal } : {});
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
    output.info('');
  }
}
