import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { toCliError } from '../../src/errorMessages.js';
import { DdbIngestError, RuntimeError, UsageError } from '../../src/errors.js';
import { EsmError } from '../../src/esm/errors.js';
import { SeedError } from '../../src/seed/errors.js';
import { StreamsError } from '../../src/streams/errors.js';
import { TargetError } from '../../src/targets/errors.js';

const SRC = path.resolve(import.meta.dirname, '../../src');

test('a module error becomes its user message, hint and exit code in one place', () => {
  const notFound = toCliError(
    new StreamsError('streams.stream-not-found', 'Stream arn:x was not found.', {
      details: { streamArn: 'arn:x' },
    }),
  );
  expect(notFound).toBeInstanceOf(RuntimeError);
  expect(notFound).toMatchObject({ message: 'Stream arn:x was not found.', exitCode: 1 });
  expect(notFound?.hint).toMatch(/ddb-ingest status/);

  const bad = toCliError(
    new EsmError('esm.invalid-filter-pattern', 'Invalid filter pattern definition.', {
      details: { detail: 'x' },
    }),
  );
  expect(bad).toBeInstanceOf(UsageError);
  expect(bad).toMatchObject({ exitCode: 2, hint: 'Filter pattern: x.' });

  // The module says it in its own words; the flag names are the CLI's.
  const counts = new SeedError('seed.too-many-updates', '6 updates cannot exceed 5 orders.', {
    details: { updates: 6, count: 5 },
  });
  expect(counts.message).not.toMatch(/--/);
  expect(toCliError(counts)?.message).toBe('--updates (6) cannot exceed --count (5).');
});

test('a failed CodeDeploy resource in an apply points at the emulator switch; other apply failures do not', () => {
  const output =
    'Error: reading CodeDeploy Application (x:ddb-ingest-ingest): operation error CodeDeploy: GetApplication, deserialization failed, expected Timestamp to be a JSON Number, got string instead\n\n  with aws_codedeploy_app.this[0],\n  on codedeploy.tf line 8';
  const shown = toCliError(
    new TargetError('targets.terraform-failed', `terraform apply failed:\n${output}`, {
      details: { command: 'apply', output },
    }),
  );
  expect(shown?.hint).toContain('"deployment": { "codedeploy": false }');
  const other = toCliError(
    new TargetError('targets.terraform-failed', 'terraform apply failed', {
      details: { command: 'apply', output: 'Error: creating SQS Queue\n\n  with aws_sqs_queue.on_failure,' },
    }),
  );
  expect(other?.hint).toMatch(/^Fix the problem above and run `up --target aws` again/);
});

test('an unknown code or a plain error is not rendered (the CLI reports it as a bug)', () => {
  expect(toCliError(new DdbIngestError('nobody.knows', 'x'))).toBeUndefined();
  expect(toCliError(new Error('boom'))).toBeUndefined();
});

async function sourceFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await sourceFiles(full)));
    else if (/\.(ts|mjs)$/.test(entry.name)) out.push(full);
  }
  return out;
}

test('work modules throw their own errors and name no CLI command', async () => {
  const cliSide = new Set(['cli.ts', 'errorMessages.ts', 'errors.ts', 'context.ts']);
  const offenders: string[] = [];
  for (const file of await sourceFiles(SRC)) {
    const rel = path.relative(SRC, file);
    if (cliSide.has(rel) || rel.startsWith(`commands${path.sep}`)) continue;
    const text = await readFile(file, 'utf8');
    // Code only: comments may say which command a module serves.
    const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
    if (/\b(UsageError|RuntimeError|CliError)\b/.test(code)) offenders.push(`${rel}: throws a CLI error`);
    if (/[`'"]ddb-ingest [a-z]/.test(code)) offenders.push(`${rel}: names a CLI command`);
    if (/\.test\(\s*\(?err/.test(code)) offenders.push(`${rel}: matches on an error's message`);
  }
  expect(offenders).toEqual([]);
});
