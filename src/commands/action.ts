import type { Command } from 'commander';
import { createContext, type GlobalOptions, type RunContext } from '../context.js';
import { InterruptedError } from '../errors.js';

/**
 * Wraps a command's work: resolves the global options (given before or after
 * the command name) into a context, turns Ctrl-C into an AbortSignal the work
 * can honour, and reports an interruption as exit 130.
 */
export function action<O extends object>(
  run: (ctx: RunContext, options: O, args: string[]) => Promise<void>,
): (...args: unknown[]) => Promise<void> {
  return async (...commanderArgs: unknown[]) => {
    const command = commanderArgs.at(-1) as Command;
    const options = command.optsWithGlobals<O & GlobalOptions>();
    const positional = commanderArgs.slice(0, -2).filter((a): a is string => typeof a === 'string');
    const controller = new AbortController();
    const onSigint = () => controller.abort();
    process.once('SIGINT', onSigint);
    try {
      const ctx = { ...(await createContext(options)), signal: controller.signal };
      await run(ctx, options, positional);
    } finally {
      process.removeListener('SIGINT', onSigint);
    }
    if (controller.signal.aborted) throw new InterruptedError();
  };
}
