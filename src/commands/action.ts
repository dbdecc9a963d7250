import type { Command } from 'commander';
import { createContext, type GlobalOptions, type RunContext } from '../context.js';
import { InterruptedError } from '../errors.js';
import { handleInterrupts } from './interrupt.js';

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
    const interrupts = handleInterrupts((line) => process.stderr.write(`${line}\n`));
    try {
      const ctx = {
        ...(await createContext(options)),
        signal: interrupts.signal,
        onInterruptDescribe: (describe: () => string) => {
          interrupts.describe = describe;
        },
        invocation: { optionSource: (name: string) => command.getOptionValueSource(name) },
      };
      await run(ctx, options, positional);
    } catch (err) {
      // Work cut short by Ctrl-C often ends in an AbortError of whatever it was waiting on.
      if (interrupts.signal.aborted && !(err instanceof InterruptedError)) throw new InterruptedError();
      throw err;
    } finally {
      interrupts.dispose();
    }
    if (interrupts.signal.aborted) throw new InterruptedError();
  };
}
