/**
 * The base of every error a work module throws on purpose. A work module says
 * what went wrong (a stable `code`, a plain message about its own data, the
 * `cause`, and `details` for whoever renders it); it never knows the CLI. The
 * one place that turns codes into what a user reads (message, hint, exit
 * code) is src/errorMessages.ts.
 *
 * To add an error: give it a code in the module's own errors.ts (the module
 * prefix, a dot, kebab-case: `streams.stream-not-found`), throw that module's
 * class, then add the code's exit code and hint to src/errorMessages.ts (the
 * compiler refuses a code without one).
 */
export class DdbIngestError<
  C extends string = string,
  D extends object = Record<string, unknown>,
> extends Error {
  readonly code: C;
  /** Facts for rendering (names, counts, paths), never secrets. */
  readonly details: Readonly<D> | undefined;

  constructor(code: C, message: string, options: { cause?: unknown; details?: D } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.details = options.details;
  }
}

/**
 * What the user reads: the message, an optional hint saying what to do, and
 * the exit code. src/commands/ throws these directly (UsageError for bad flags
 * and values); src/errorMessages.ts makes one from a work module's error. The
 * CLI's single error handler renders them without a stack trace.
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

/** Bad flags, bad values: exit 2. For src/commands/ and src/cli.ts only. */
export class UsageError extends CliError {
  constructor(message: string, hint?: string) {
    super(message, hint, 2);
  }
}

/** The work could not be done: exit 1. For src/commands/ and src/cli.ts only. */
export class RuntimeError extends CliError {
  constructor(message: string, hint?: string) {
    super(message, hint, 1);
  }
}

/** Ctrl-C: exit 130, as shells expect. */
export class InterruptedError extends Error {
  readonly exitCode = 130;
  constructor(
    /** One line of what was done before the interruption, for the user. */
    readonly done?: string,
  ) {
    super(done ? `interrupted: ${done}` : 'interrupted');
    this.name = 'InterruptedError';
  }
}
