import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { BIN } from './cli.js';

const quote = (word: string) => `'${word.replaceAll("'", `'\\''`)}'`;

/**
 * `ddb-ingest` in a real pseudo-terminal (a detached tmux session on a
 * private server), as a user at a terminal runs it: Ctrl-C is a key press the
 * terminal turns into SIGINT for the whole foreground process group. Fails
 * loudly when tmux is missing.
 */
export class TerminalSession {
  private constructor(
    private readonly socket: string,
    private readonly rcFile: string,
  ) {}

  static async start(args: string[], options: { cwd: string; env?: Record<string, string> }) {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'pty-'));
    const socket = `ddb-ingest-test-${process.pid}-${path.basename(dir)}`;
    const rcFile = path.join(dir, 'rc');
    const env = Object.entries({ NO_COLOR: '1', ...options.env })
      .map(([k, v]) => `${k}=${quote(v)}`)
      .join(' ');
    const command = `cd ${quote(options.cwd)} && env ${env} ${quote(process.execPath)} ${quote(BIN)} ${args.map(quote).join(' ')}; echo $? > ${quote(rcFile)}; sleep 600`;
    await execa('tmux', ['-L', socket, 'new-session', '-d', '-x', '200', '-y', '50', command]);
    return new TerminalSession(socket, rcFile);
  }

  /** What the terminal shows now (with its scrollback). */
  async screen(): Promise<string> {
    const r = await execa('tmux', ['-L', this.socket, 'capture-pane', '-p', '-J', '-S', '-500'], {
      reject: false,
    });
    return String(r.stdout);
  }

  async waitFor(pattern: RegExp, timeoutMs = 60_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const text = await this.screen();
      if (pattern.test(text)) return text;
      if (this.exitCode() !== undefined)
        throw new Error(`exited (${this.exitCode()}) before showing ${pattern}:\n${text}`);
      if (Date.now() > deadline) throw new Error(`never showed ${pattern}; the screen:\n${text}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Presses Ctrl-C. */
  async ctrlC(): Promise<void> {
    await execa('tmux', ['-L', this.socket, 'send-keys', 'C-c']);
  }

  exitCode(): number | undefined {
    if (!existsSync(this.rcFile)) return undefined;
    const text = readFileSync(this.rcFile, 'utf8').trim();
    return text === '' ? undefined : Number(text);
  }

  /** Waits for the command to end; its exit code and how long that took. */
  async exited(timeoutMs = 30_000): Promise<{ code: number; ms: number }> {
    const started = Date.now();
    for (;;) {
      const code = this.exitCode();
      if (code !== undefined) return { code, ms: Date.now() - started };
      if (Date.now() - started > timeoutMs)
        throw new Error(`still running after ${timeoutMs} ms:\n${await this.screen()}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /**
   * Presses Ctrl-C and measures the time until the command has exited, from
   * when tmux has delivered the key (starting a tmux client takes a while on a
   * loaded machine; that is not the command's time).
   */
  async interrupt(timeoutMs = 30_000): Promise<{ code: number; ms: number; screen: string }> {
    await this.ctrlC();
    const pressed = Date.now();
    const { code } = await this.exited(timeoutMs);
    return { code, ms: Date.now() - pressed, screen: await this.screen() };
  }

  async close(): Promise<void> {
    await execa('tmux', ['-L', this.socket, 'kill-server'], { reject: false });
  }
}

/** Pids of processes whose command line or working directory is inside `dir` (Linux /proc). */
export async function processesOf(dir: string): Promise<{ pid: number; cmd: string }[]> {
  const { readdir, readFile, readlink } = await import('node:fs/promises');
  const found: { pid: number; cmd: string }[] = [];
  for (const d of await readdir('/proc')) {
    if (!/^\d+$/.test(d) || Number(d) === process.pid) continue;
    const cmd = (await readFile(`/proc/${d}/cmdline`, 'utf8').catch(() => '')).replaceAll('\0', ' ');
    const cwd = await readlink(`/proc/${d}/cwd`).catch(() => '');
    if (cmd.includes(dir) || cwd === dir || cwd.startsWith(`${dir}/`)) found.push({ pid: Number(d), cmd });
  }
  return found;
}
