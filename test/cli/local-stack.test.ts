import { mkdtemp, stat } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { getFreePort } from '../../src/util/net.js';
import { runCli } from '../helpers/cli.js';

let cwd: string;
let port: number;
beforeAll(async () => {
  cwd = await mkdtemp(path.join(os.tmpdir(), 'cli-stack-'));
  port = await getFreePort();
});
afterAll(async () => {
  await runCli(['down', '--purge'], { cwd });
});

test('up, up again, seed, status, down: the local lifecycle a user runs', async () => {
  const up = await runCli(['up', '--port', String(port), '--json'], { cwd });
  expect({ code: up.exitCode, stderr: up.stderr }).toMatchObject({ code: 0 });
  const started = JSON.parse(up.stdout);
  expect(started).toMatchObject({
    target: 'local',
    endpoint: `http://127.0.0.1:${port}`,
    tables: { source: 'ddb-ingest-orders', sink: 'ddb-ingest-ingested' },
    alreadyRunning: false,
    persist: false,
  });
  expect(started.streamArn).toMatch(/table\/ddb-ingest-orders\/stream\//);

  const key = await stat(path.join(cwd, '.ddb-ingest', 'secrets', 'pii-key'));
  expect(key.mode & 0o777).toBe(0o600);

  const again = await runCli(['up', '--port', String(port), '--json'], { cwd });
  expect(again.exitCode).toBe(0);
  expect(JSON.parse(again.stdout)).toMatchObject({ alreadyRunning: true, streamArn: started.streamArn });

  const seed = await runCli(
    ['seed', '--count', '200', '--updates', '20', '--deletes', '10', '--seed', '1', '--json'],
    {
      cwd,
    },
  );
  expect(seed.exitCode).toBe(0);
  const seeded = JSON.parse(seed.stdout);
  expect(seeded).toMatchObject({ inserted: 200, updated: 20, deleted: 10, retries: 0 });
  expect(Object.keys(seeded).sort()).toEqual(
    ['deleted', 'durationMs', 'inserted', 'itemsPerSecond', 'retries', 'seed', 'updated'].sort(),
  );

  const status = JSON.parse((await runCli(['status', '--json'], { cwd })).stdout);
  expect(status).toMatchObject({
    running: true,
    endpoint: `http://127.0.0.1:${port}`,
    streamArn: started.streamArn,
    tables: { sourceExists: true, sinkExists: true },
  });

  const down = await runCli(['down'], { cwd });
  expect(down.exitCode).toBe(0);
  expect(down.stderr).toContain('Stopped DynamoDB Local');
  const after = JSON.parse((await runCli(['status', '--json'], { cwd })).stdout);
  expect(after.running).toBe(false);
});

test('a port in use is reported with what to do', async () => {
  const server = net.createServer();
  const busy = await getFreePort();
  await new Promise<void>((resolve) => server.listen(busy, '127.0.0.1', resolve));
  try {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'cli-busy-'));
    const r = await runCli(['up', '--port', String(busy)], { cwd: dir });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain(`Port ${busy} is already in use`);
    expect(r.stderr).toContain('--port');
  } finally {
    server.close();
  }
});

test('missing Java is reported with how to install it', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'cli-nojava-'));
  const r = await runCli(['up', '--port', String(await getFreePort())], {
    cwd: dir,
    env: { JAVA_HOME: path.join(dir, 'no-such-jdk') },
  });
  expect(r.exitCode).toBe(1);
  expect(r.stderr).toMatch(/Java was not found .*DynamoDB Local needs Java 17 or newer/);
  expect(r.stderr).toContain('openjdk-17');
});
