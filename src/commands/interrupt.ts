import { ownedProcesses } from '../util/processes.js';

/** How long a command has to stop after the first Ctrl-C before the CLI exits anyway. */
export const INTERRUPT_GRACE_MS = 1_000;
/**
 * The launcher forwards the terminal's SIGINT to its re-exec'd child, which
 * also gets the terminal's own: signals this close together are one press.
 * On a busy machine the forwarded copy arrived more than 300 ms after the
 * terminal's (a clean CI run took it for a second press); a real second press
 * inside this window still ends the command, by the grace timer, within
 * {@link INTERRUPT_GRACE_MS}.
 */
const SAME_PRESS_MS = 800;

export interface InterruptHandle {
  signal: AbortSignal;
  /** What the command has done so far, for the line a forced exit prints. */
  describe?: () => string;
  /** Removes the handlers (and the grace timer) once the command is done. */
  dispose(): void;
}

/**
 * Ctrl-C, SIGTERM and SIGHUP abort the command's signal: the work stops at a
 * consistent point and the command says what was done. If it has not
 * finished within {@link INTERRUPT_GRACE_MS}, or on a second Ctrl-C, the CLI
 * exits at once with 130, killing the processes this run started.
 */
export function handleInterrupts(
  write: (line: string) => void,
  exit: (code: number) => never = (code) => process.exit(code),
): InterruptHandle {
  const controller = new AbortController();
  const handle: InterruptHandle = { signal: controller.signal, dispose: () => {} };
  let firstAt = 0;
  let timer: NodeJS.Timeout | undefined;
  const force = (why: string) => {
    const killed = ownedProcesses.killAll();
    const done = handle.describe?.();
    write(
      `interrupted (${why}): ${done ? `${done}; ` : ''}exited without waiting for the work in flight${killed.length ? `, killed ${killed.length === 1 ? 'process' : 'processes'} ${killed.join(', ')} this run started` : ''}.`,
    );
    exit(130);
  };
  const onSignal = () => {
    const now = Date.now();
    if (!controller.signal.aborted) {
      firstAt = now;
      // The terminal echoed ^C: what we say next starts on a line of its own.
      if (process.stderr.isTTY) process.stderr.write('\n');
      controller.abort();
      timer = setTimeout(() => force('it did not stop in time'), INTERRUPT_GRACE_MS);
      timer.unref();
      return;
    }
    if (now - firstAt < SAME_PRESS_MS) return;
    force('second Ctrl-C');
  };
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  for (const s of signals) process.on(s, onSignal);
  handle.dispose = () => {
    for (const s of signals) process.removeListener(s, onSignal);
    if (timer) clearTimeout(timer);
  };
  return handle;
}
