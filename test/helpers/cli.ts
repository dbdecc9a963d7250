import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** The built CLI (`npm test` builds dist/ before jest runs). */
export const BIN = path.join(root, 'bin', 'ddb-ingest.js');

export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Runs `ddb-ingest` as a user would, in `cwd`, never throwing on a non-zero exit. */
export async function runCli(
  args: string[],
  options: {
    cwd: string;
    env?: Record<string, string>;
    /** Kill the CLI after this long (Terraform plans take minutes on a loaded machine). @default 120000 */
    timeoutMs?: number;
  },
): Promise<CliResult> {
  const result = await execa('node', [BIN, ...args], {
    cwd: options.cwd,
    // Hints name the way the tool was run (src/commands/invocation.ts reads npm's npm_command). Jest
    // inherits `test` from `npm test` and `exec` from `npx jest`; pin it so every run of the suite sees
    // the CLI as a user of `npx ddb-ingest` does.
    env: { NO_COLOR: '1', npm_command: 'exec', ...options.env },
    reject: false,
    timeout: options.timeoutMs ?? 120_000,
  });
  return { exitCode: result.exitCode ?? 1, stdout: String(result.stdout), stderr: String(result.stderr) };
}
