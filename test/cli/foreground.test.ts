import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { getFreePort } from '../../src/util/net.js';
import { BIN, runCli } from '../helpers/cli.js';

test('up --foreground runs the pipeline attached with a live summary; Ctrl-C stops the stack and exits 130', async () => {
  const cwd = await mkdtemp(path.join(os.tmpdir(), 'cli-fg-'));
  const port = await getFreePort();
  const child = execa('node', [BIN, 'up', '--foreground', '--port', String(port)], {
    cwd,
    env: { NO_COLOR: '1' },
    reject: false,
    all: true,
  });
  let output = '';
  child.all?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  try {
    const deadline = Date.now() + 60_000;
    while (!/Enabled {2}records 0/.test(output)) {
      if (Date.now() > deadline || child.exitCode !== null)
        throw new Error(`no live summary; output:\n${output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const seeded = await runCli(['seed', '--count', '30', '--json'], { cwd });
    expect(seeded.exitCode).toBe(0);
    while (!/Enabled {2}records 30 /.test(output)) {
      if (Date.now() > deadline) throw new Error(`the summary never counted the seed; output:\n${output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    child.kill('SIGINT');
  }
  const result = await child;
  expect(result.exitCode).toBe(130);
  expect(output).toMatch(
    /interrupted: the pipeline processed 30 records in \d+ batch(es)?; stopped DynamoDB Local \(pid \d+\)/,
  );
  const status = JSON.parse((await runCli(['status', '--json'], { cwd })).stdout);
  expect(status.running).toBe(false);
  await runCli(['down', '--purge'], { cwd });
}, 120_000);
