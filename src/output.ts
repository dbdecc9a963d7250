import { Chalk } from 'chalk';
import type { Ora } from 'ora';

/** How the user asked for output: set once from the global options. */
export interface OutputOptions {
  /** Machine-readable output on stdout (one document, or one object per line when streaming). */
  json: boolean;
  /** Suppress messages and progress on stderr; data on stdout is unaffected. */
  quiet: boolean;
  /** Colour on stderr/stdout; false with --no-color, NO_COLOR, or a non-TTY. */
  color: boolean;
  stdout?: NodeJS.WriteStream | NodeJS.WritableStream;
  stderr?: NodeJS.WriteStream | NodeJS.WritableStream;
}

type Paint = (text: string) => string;

/** The styles commands use; plain text when colour is off. */
export interface Styles {
  dim: Paint;
  bold: Paint;
  red: Paint;
  green: Paint;
  yellow: Paint;
  cyan: Paint;
  magenta: Paint;
}

/**
 * Data goes to stdout, messages and progress to stderr, so `--json | jq`
 * always sees clean JSON. Spinners appear only when stderr is a TTY.
 */
export class Output {
  readonly json: boolean;
  readonly quiet: boolean;
  readonly color: boolean;
  readonly style: Styles;
  private readonly out: NodeJS.WritableStream;
  private readonly err: NodeJS.WritableStream;

  constructor(options: OutputOptions) {
    this.json = options.json;
    this.quiet = options.quiet;
    this.color = options.color;
    this.out = options.stdout ?? process.stdout;
    this.err = options.stderr ?? process.stderr;
    const chalk = new Chalk({ level: this.color ? 1 : 0 });
    this.style = {
      dim: chalk.dim,
      bold: chalk.bold,
      red: chalk.red,
      green: chalk.green,
      yellow: chalk.yellow,
      cyan: chalk.cyan,
      magenta: chalk.magenta,
    };
  }

  /** True when stderr is an interactive terminal (spinners, prompts). */
  get interactive(): boolean {
    return Boolean((this.err as NodeJS.WriteStream).isTTY) && !this.quiet;
  }

  /** A line of data on stdout. */
  line(text: string): void {
    this.out.write(`${text}\n`);
  }

  /** One JSON document (or one NDJSON line) on stdout. */
  jsonLine(value: unknown): void {
    this.out.write(`${JSON.stringify(value)}\n`);
  }

  /** A message on stderr, hidden by --quiet. */
  info(text: string): void {
    if (!this.quiet) this.err.write(`${text}\n`);
  }

  /** A warning on stderr; shown even with --quiet. */
  warn(text: string): void {
    this.err.write(`${this.style.yellow('warning:')} ${text}\n`);
  }

  /** A line on stderr that --quiet does not hide (what an interruption left done). */
  notice(text: string): void {
    this.err.write(`${text}\n`);
  }

  /** An error on stderr; always shown. */
  error(text: string): void {
    this.err.write(`${this.style.red('error:')} ${text}\n`);
  }

  /** A spinner on a TTY; elsewhere start/stop messages as plain lines. */
  async spinner(text: string): Promise<Spinner> {
    if (!this.interactive) {
      this.info(text);
      return {
        update: () => {},
        succeed: (t) => this.info(t ?? text),
        fail: (t) => this.info(t ?? text),
        stop: () => {},
      };
    }
    const { default: ora } = await import('ora');
    const spin: Ora = ora({
      text,
      stream: this.err as NodeJS.WriteStream,
      color: 'cyan',
      isEnabled: true,
      // ora's default puts stdin in raw mode, so the terminal no longer turns Ctrl-C into SIGINT.
      discardStdin: false,
    }).start();
    return {
      // After a stop (to ask a question), the next update spins again.
      update: (t) => {
        spin.text = t;
        if (!spin.isSpinning) spin.start();
      },
      succeed: (t) => spin.succeed(t),
      fail: (t) => spin.fail(t),
      stop: () => spin.stop(),
    };
  }
}

export interface Spinner {
  update(text: string): void;
  succeed(text?: string): void;
  fail(text?: string): void;
  stop(): void;
}

/** Colour follows --no-color, NO_COLOR and FORCE_COLOR, then whether stdout is a TTY. */
export function colorWanted(
  flag: boolean,
  env: NodeJS.ProcessEnv = process.env,
  isTty = process.stdout.isTTY,
): boolean {
  if (!flag) return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined) return env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false';
  return Boolean(isTty);
}
