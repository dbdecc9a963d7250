/**
 * source_table.hash_key is honoured end to end: a source table keyed `id`
 * instead of the contract's `orderId` is created with that key, seeded, read
 * by the built-in handler (told the key as SOURCE_HASH_KEY) and verified. The
 * built-in handler's sink key is the contract's `pk`: another one is refused
 * before anything starts.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { getFreePort } from '../../src/util/net.js';
import { runCli } from '../helpers/cli.js';

let cwd: string;
beforeAll(async () => {
  cwd = await mkdtemp(path.join(os.tmpdir(), 'hash-keys-'));
});
afterAll(async () => {
  await runCli(['down', '--purge'], { cwd });
});

test('a source table keyed "id": up, seed, and the sink converges so that verify passes', async () => {
  await writeFile(
    path.join(cwd, 'ddb-ingest.json'),
    JSON.stringify({ name: 'hash-keys', source_table: { name: 'hk-orders', hash_key: 'id' } }),
  );
  const port = await getFreePort();
  const up = await runCli(['up', '--port', String(port), '--json'], { cwd });
  expect({ code: up.exitCode, stderr: up.stderr }).toMatchObject({ code: 0 });

  const seed = await runCli(['seed', '--count', '120', '--updates', '30', '--deletes', '15', '--seed', '7'], {
    cwd,
  });
  expect({ code: seed.exitCode, stderr: seed.stderr }).toMatchObject({ code: 0 });

  let report: { ok?: boolean } = {};
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const verify = await runCli(['verify', '--json'], { cwd });
    report = JSON.parse(verify.stdout || '{}');
    if (report.ok) break;
    await new Promise((r) => setTimeout(r, 2000));
  }
  expect(report).toMatchObject({ ok: true, orders: { source: 105, sink: 105, matched: 105 } });
  const status = JSON.parse((await runCli(['status', '--json'], { cwd })).stdout);
  expect(status).toMatchObject({ esm: { batchesFailed: 0 }, dlq: { messages: 0 } });
}, 300_000);

test('the built-in handler with a sink key other than "pk" is refused, naming the key, before anything starts', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'hash-keys-sink-'));
  await writeFile(path.join(dir, 'ddb-ingest.json'), JSON.stringify({ sink_table: { hash_key: 'id' } }));
  const up = await runCli(['up', '--port', String(await getFreePort())], { cwd: dir });
  expect(up.exitCode).toBe(2);
  expect(up.stderr).toContain('sink_table.hash_key');
  expect(up.stderr).toContain('"pk"');
  expect(up.stderr).not.toMatch(/DynamoDB Local/);
});
