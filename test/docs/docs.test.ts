/**
 * Every `ddb-ingest` command shown in a ```sh block of README.md or docs/*.md
 * is checked, so the docs cannot drift from the CLI:
 * 1. every one is checked against the program's declared commands and options;
 * 2. the ones that can run here are executed, in document order, against one
 *    local stack this test starts in a temp dir on a free port (run with the
 *    default stack; the state dir is the temp dir's `.ddb-ingest/`; the
 *    repository's examples/templates/ is copied there, for seed --template);
 *    a doc with a `<!-- docs-test stack: examples/x -->` line runs against a
 *    copy of that example instead, started the same way;
 * 3. the others (see parseOnlyReason: aws target, up/down/demo, commands
 *    that run until Ctrl-C) are run with `--help` appended, which must exit 0.
 * An executed command must exit 0; `verify` and `replay` may also exit 1 (the
 * work was checked and found differences or failed records), never 2 (usage).
 * Uses the built CLI (`npm test` builds first).
 */
import { cp, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildProgram } from '../../src/cli.js';
import { getFreePort } from '../../src/util/net.js';
import { runCli } from '../helpers/cli.js';
import {
  checkAgainstProgram,
  commandName,
  type DocCommand,
  extractCommands,
  parseOnlyReason,
  readDocCommands,
  shellWords,
} from './commands.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const commands = readDocCommands(ROOT);
const where = (c: DocCommand) => `${c.file}:${c.line} \`${c.text}\``;
const MAY_FIND_DIFFERENCES = new Set(['verify', 'replay']);

describe('extraction and the rule', () => {
  test('shell words: quotes, escapes, and the end of the command at a pipe or comment', () => {
    expect(shellWords(`ddb-ingest logs --filter "record malformed" --json | jq -r .message`)).toEqual([
      'ddb-ingest',
      'logs',
      '--filter',
      'record malformed',
      '--json',
    ]);
    expect(shellWords(`ddb-ingest seed --count 10 # ten orders`)).toEqual([
      'ddb-ingest',
      'seed',
      '--count',
      '10',
    ]);
    expect(shellWords(`ddb-ingest tail --output 'a b.ndjson' > /dev/null`)).toEqual([
      'ddb-ingest',
      'tail',
      '--output',
      'a b.ndjson',
    ]);
  });

  test('only sh blocks count; prompts, env assignments, continuations and node bin/ are understood', () => {
    const doc = [
      '```json',
      'ddb-ingest not-a-command',
      '```',
      '```sh',
      '$ ddb-ingest status --json',
      'TF_VAR_x=1 ddb-ingest --target aws up \\',
      '  --yes',
      'node bin/ddb-ingest.js down',
      'npm start',
      '```',
    ].join('\n');
    expect(extractCommands('x.md', doc).map((c) => [c.line, c.argv])).toEqual([
      [5, ['status', '--json']],
      [6, ['--target', 'aws', 'up', '--yes']],
      [8, ['down']],
    ]);
    expect(extractCommands('x.md', doc).every((c) => c.stack === undefined)).toBe(true);
  });

  test('a doc may name the example stack its commands run against', () => {
    const doc = [
      '# Stacks',
      '<!-- docs-test stack: examples/fan-out -->',
      '```sh',
      'ddb-ingest status',
      '```',
    ].join('\n');
    expect(extractCommands('x.md', doc)).toEqual([
      { file: 'x.md', line: 4, text: 'ddb-ingest status', argv: ['status'], stack: 'examples/fan-out' },
    ]);
  });

  test('what cannot run here is parse-only, the rest is executed', () => {
    expect(parseOnlyReason(['--target', 'aws', 'status'])).toBe('aws target');
    expect(parseOnlyReason(['up', '--port', '8010'])).toBeDefined();
    expect(parseOnlyReason(['logs', '--follow'])).toBeDefined();
    expect(parseOnlyReason(['tail', '--from', 'latest'])).toBeDefined();
    expect(parseOnlyReason(['tail', '--from', 'trim-horizon', '--no-follow'])).toBeUndefined();
    expect(parseOnlyReason(['--json', 'status'])).toBeUndefined();
    expect(commandName(['--state-dir', 'x', '--json', 'seed', '--count', '1'])).toBe('seed');
  });

  test('the program check catches what --help lets through', () => {
    const program = buildProgram();
    expect(checkAgainstProgram(program, ['seed', '--count', '5', '--json'])).toEqual([]);
    expect(checkAgainstProgram(program, ['--json', 'tail', '--no-follow', '--from', 'trim-horizon'])).toEqual(
      [],
    );
    expect(checkAgainstProgram(program, ['seed', '--bogus'])).toEqual(['unknown option --bogus for seed']);
    expect(checkAgainstProgram(program, ['sed'])).toEqual(['unknown command sed']);
    expect(checkAgainstProgram(program, ['status', 'extra'])).toEqual([
      'unexpected argument extra for status',
    ]);
  });
});

describe('the docs', () => {
  let dir: string;
  /** The default stack's dir, then one per example a doc names; each started once. */
  const stackDirs = new Map<string | undefined, string>();
  const started: string[] = [];

  async function startStack(stack: string | undefined): Promise<void> {
    const target = await mkdtemp(path.join(os.tmpdir(), 'ddb-ingest-docs-'));
    stackDirs.set(stack, target);
    if (stack === undefined) {
      // The docs seed from the repository's example templates, by their paths in the repository.
      await cp(path.join(ROOT, 'examples', 'templates'), path.join(target, 'examples', 'templates'), {
        recursive: true,
      });
    } else {
      await cp(path.join(ROOT, stack), target, { recursive: true });
    }
    const port = await getFreePort();
    const up = await runCli(['up', '--port', String(port)], { cwd: target, timeoutMs: 180_000 });
    if (up.exitCode !== 0) throw new Error(`up${stack ? ` of ${stack}` : ''} failed: ${up.stderr}`);
    started.push(target);
  }

  beforeAll(async () => {
    await startStack(undefined);
    dir = stackDirs.get(undefined) as string;
    for (const stack of new Set(commands.map((c) => c.stack).filter((s) => s !== undefined))) {
      await startStack(stack);
    }
  }, 360_000);

  afterAll(async () => {
    for (const target of started) await runCli(['down', '--purge'], { cwd: target });
    for (const target of stackDirs.values()) await rm(target, { recursive: true, force: true });
  }, 120_000);

  test('there are command examples to check, in several files', () => {
    expect(new Set(commands.map((c) => c.file)).size).toBeGreaterThanOrEqual(3);
    expect(commands.filter((c) => parseOnlyReason(c.argv) === undefined).length).toBeGreaterThanOrEqual(10);
  });

  test('every command and option in the docs exists', () => {
    const program = buildProgram();
    const problems = commands.flatMap((c) =>
      checkAgainstProgram(program, c.argv).map((p) => `${where(c)}: ${p}`),
    );
    expect(problems).toEqual([]);
  });

  test('every command in the docs runs (or, where it cannot run here, parses)', async () => {
    const failures: string[] = [];
    for (const command of commands) {
      const reason = parseOnlyReason(command.argv);
      const argv = reason ? [...command.argv, '--help'] : command.argv;
      const result = await runCli(argv, { cwd: stackDirs.get(command.stack) ?? dir });
      const name = commandName(command.argv) ?? '';
      const accepted = reason || !MAY_FIND_DIFFERENCES.has(name) ? [0] : [0, 1];
      const bug = /This is a bug in ddb-ingest/.test(result.stderr);
      if (!accepted.includes(result.exitCode) || bug) {
        failures.push(
          `${where(command)}${reason ? ` (parse-only: ${reason})` : ''} exited ${result.exitCode}: ${result.stderr.trim().slice(-400)}`,
        );
      }
    }
    expect(failures).toEqual([]);
  }, 240_000);
});
