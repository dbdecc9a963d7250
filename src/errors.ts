/**
 * Expected failures carry a message for the user, an optional hint saying what
 * to do, and the process exit code. The CLI's single error handler renders them
 * without a stack trace; anything else is a bug and keeps its stack.
 */
export class CliError extends Error {
  constructor(
    message: string,
    /** What the user can do about it; printed on its own line. */
    readonly hint?: string,
    /** 1 = the work failed, 2 = bad usage or bad input. */
    readonly exitCode: 1 | 2 = 1,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Bad flags, bad values, invalid stack file: exit 2. */
export class UsageError extends CliError {
  constructor(message: string, hint?: string) {
    super(message, hint, 2);
  }
}

/** The work could not be done (tool missing, port taken, stack not up): exit 1. */
export class RuntimeError extends CliError {
  constructor(message: string, hint?: string) {
    super(message, hint, 1);
  }
}

/** Ctrl-C: exit 130, as shells expect. */
export class InterruptedError extends Error {
  readonly exitCode = 130;
  constructor() {
    super('interrupted');
  }
}
