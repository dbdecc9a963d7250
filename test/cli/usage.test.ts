import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runCli } from '../helpers/cli.js';

let cwd: string;
beforeAll(async () => {
  cwd = await mkdtemp(path.join(os.tmpdir(), 'cli-usage-'));
});

test('--help lists the commands and examples, exit 0', async () => {
  const r = await runCli(['--help'], { cwd });
  expect(r.exitCode).toBe(0);
  for (const command of ['up', 'down', 'status', 'seed']) expect(r.stdout).toContain(command);
  expect(r.stdout).toContain('Examples:');
});

test('seed --help shows its own examples', async () => {
  const r = await runCli(['seed', '--help'], { cwd });
  expect(r.exitCode).toBe(0);
  expect(r.stdout).toContain('--updates <n>');
  expect(r.stdout).toContain('ddb-ingest seed --count 1000 --updates 200');
});

test.each([
  [['bogus'], /unknown command 'bogus'/],
  [['status', '--bogus'], /unknown option '--bogus'/],
  [['seed', '--count', 'abc'], /--count must be a whole number, got "abc"/],
  [['seed', '--count', '-1'], /--count must be at least 0, got -1/],
  [['seed', '--concurrency', '0'], /--concurrency must be between 1 and 256, got 0/],
  [['seed', '--rate', 'fast'], /--rate must be a positive number, got "fast"/],
  [['up', '--port', '70000'], /--port must be between 1 and 65535, got 70000/],
  [['--target', 'gcp', 'status'], /argument 'gcp' is invalid\. Allowed choices are local, aws/],
  [['status', '--config', 'missing.json'], /Cannot read stack file .*missing\.json/],
  [['seed', '--count', '5', '--updates', '6'], /--updates \(6\) cannot exceed --count \(5\)/],
])('%j exits 2 with a clear message', async (args, message) => {
  const r = await runCli(args, { cwd });
  expect(r.stderr).toMatch(message);
  expect(r.exitCode).toBe(2);
  expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
});

test('an invalid stack file exits 2 naming the key and the allowed values', async () => {
  await writeFile(
    path.join(cwd, 'ddb-ingest.json'),
    JSON.stringify({ event_source_mapping: { starting_position: 'AT_TIMESTAMP' } }),
  );
  try {
    const r = await runCli(['status'], { cwd });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(
      'event_source_mapping.starting_position: must be one of "TRIM_HORIZON", "LATEST"',
    );
  } finally {
    await writeFile(path.join(cwd, 'ddb-ingest.json'), '{}');
  }
});

test('global options work before and after the command', async () => {
  const before = await runCli(['--json', 'status'], { cwd });
  const after = await runCli(['status', '--json'], { cwd });
  expect(before.exitCode).toBe(0);
  expect(JSON.parse(before.stdout)).toEqual(JSON.parse(after.stdout));
});

test('status --json of a stack that is not up has every contract field', async () => {
  const r = await runCli(['status', '--json'], { cwd });
  expect(r.exitCode).toBe(0);
  const s = JSON.parse(r.stdout);
  expect(s).toMatchObject({
    target: 'local',
    running: false,
    endpoint: null,
    region: 'us-east-1',
    tables: { source: 'ddb-ingest-orders', sink: 'ddb-ingest-ingested' },
    streamArn: null,
    function: { name: 'ddb-ingest-ingest' },
    esm: {
      state: expect.any(String),
      lastProcessingResult: null,
      iteratorAgeMs: null,
      recordsProcessed: 0,
      batchesFailed: 0,
    },
    dlq: { messages: 0 },
  });
});

test('seed against a stack that is not up exits 1 and says to run up', async () => {
  const r = await runCli(['seed', '--count', '10'], { cwd });
  expect(r.exitCode).toBe(1);
  expect(r.stderr).toContain('The local stack is not running.');
  expect(r.stderr).toContain('ddb-ingest up');
});
