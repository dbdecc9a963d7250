// CLI start: wall time of `ddb-ingest --help`, of a local `ddb-ingest logs`
// and of `ddb-ingest status` against a running stack, with hyperfine when it is installed (apt package
// `hyperfine`), else repeated timed runs.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { BIN, log, makeStackDir, round, SIZES, summarize } from './lib.mjs';

function withHyperfine(dir, commands) {
  const out = path.join(dir, 'hyperfine.json');
  const run = spawnSync(
    'hyperfine',
    ['--warmup', '2', '--runs', String(SIZES.cliRuns), '--export-json', out, '--style', 'none', ...commands],
    { cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } },
  );
  if (run.status !== 0) throw new Error(`hyperfine failed: ${run.stderr}`);
  return JSON.parse(readFileSync(out, 'utf8')).results.map((r) =>
    summarize(r.times.map((t) => round(t * 1000))),
  );
}

function withLoop(dir, commands) {
  return commands.map((command) => {
    const times = [];
    for (let i = 0; i < SIZES.cliRuns + 2; i++) {
      const t = performance.now();
      spawnSync('sh', ['-c', command], { cwd: dir, stdio: 'ignore' });
      if (i >= 2) times.push(round(performance.now() - t));
    }
    return summarize(times);
  });
}

export async function benchCli() {
  const stack = await makeStackDir({ esm: { enabled: false } });
  try {
    await stack.up();
    const node = process.execPath;
    const commands = [
      `${node} ${BIN} --help`,
      `${node} ${BIN} logs --since 5m`,
      `${node} ${BIN} status`,
      `${node} -e 0`,
    ];
    const tool = existsSync('/usr/bin/hyperfine') ? 'hyperfine' : 'loop';
    const [help, logs, status, bareNode] =
      tool === 'hyperfine' ? withHyperfine(stack.dir, commands) : withLoop(stack.dir, commands);
    log(
      `cli: --help ${help.median} ms, logs ${logs.median} ms, status ${status.median} ms, node -e 0 ${bareNode.median} ms (${tool})`,
    );
    return { tool, runs: SIZES.cliRuns, helpMs: help, logsMs: logs, statusMs: status, bareNodeMs: bareNode };
  } finally {
    await stack.down();
  }
}
