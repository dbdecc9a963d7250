import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { getFreePort } from '../../src/util/net.js';
import { runCli } from '../helpers/cli.js';

let cwd: string;
beforeAll(async () => {
  cwd = await mkdtemp(path.join(os.tmpdir(), 'e2e-demo-'));
});
afterAll(async () => {
  await runCli(['down', '--purge'], { cwd });
});

test('demo: up, seed with updates and deletes, the pipeline drains and the sink matches the source', async () => {
  const port = await getFreePort();
  const r = await runCli(
    [
      'demo',
      '--json',
      '--port',
      String(port),
      '--count',
      '300',
      '--updates',
      '60',
      '--deletes',
      '30',
      '--probes',
      '5',
    ],
    { cwd },
  );
  expect({ exitCode: r.exitCode, stderr: r.exitCode === 0 ? '' : r.stderr }).toEqual({
    exitCode: 0,
    stderr: '',
  });
  const summary = JSON.parse(r.stdout);
  expect(summary.seed).toMatchObject({ inserted: 300, updated: 60, deleted: 30 });
  expect(summary.records).toBe(390);
  expect(summary).toMatchObject({ batchesFailed: 0, discarded: 0 });
  expect(summary.latencyMs.samples).toBe(5);
  expect(summary.verify).toMatchObject({
    ok: true,
    orders: { source: 275, matched: 275 },
    tombstones: 30,
    missing: { count: 0 },
    extra: { count: 0 },
    mismatched: { count: 0 },
  });

  // The stack stays up for the user to look around, and the runner reports its work.
  const status = JSON.parse((await runCli(['status', '--json'], { cwd })).stdout);
  expect(status).toMatchObject({
    running: true,
    esm: { state: 'Enabled', lastProcessingResult: 'OK' },
    dlq: { messages: 0 },
  });
  expect(status.esm.recordsProcessed).toBeGreaterThanOrEqual(390);
  const verify = await runCli(['verify', '--json'], { cwd });
  expect(verify.exitCode).toBe(0);
  expect(JSON.parse(verify.stdout).ok).toBe(true);
}, 180_000);
