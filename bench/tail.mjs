// tail: how fast `ddb-ingest tail --json` prints a 50,000-record stream (stdout
// to /dev/null, as when piping to a file) and how long until the first record
// is printed (process start included), on a storing-only stack.
import { spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import { BIN, log, makeStackDir, round, SIZES, summarize } from './lib.mjs';

function timeTail(dir, { countLines }) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [BIN, 'tail', '--from', 'trim-horizon', '--no-follow', '--json'], {
      cwd: dir,
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', countLines ? 'pipe' : openSync('/dev/null', 'w'), 'ignore'],
    });
    let lines = 0;
    child.stdout?.on('data', (d) => {
      for (const byte of d) if (byte === 10) lines += 1;
    });
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`tail exited ${code}`));
      resolve({ seconds: (performance.now() - started) / 1000, lines });
    });
  });
}

/** Spawn to first printed line of a following tail, then stop it. */
function timeToFirst(dir) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [BIN, 'tail', '--from', 'trim-horizon', '--json'], {
      cwd: dir,
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let done = false;
    child.stdout.on('data', (d) => {
      if (!done && d.includes(10)) {
        done = true;
        resolve((performance.now() - started) / 1000);
        child.kill('SIGINT');
      }
    });
    child.on('close', (code) => {
      if (!done) reject(new Error(`tail exited ${code} before printing a record`));
    });
  });
}

export async function benchTail() {
  const stack = await makeStackDir({ esm: { enabled: false } });
  try {
    await stack.up();
    await stack.run(['seed', '--count', String(SIZES.tailRecords), '--seed', '3', '--json']);
    const check = await timeTail(stack.dir, { countLines: true });
    if (check.lines !== SIZES.tailRecords)
      throw new Error(`tail printed ${check.lines} of ${SIZES.tailRecords} records`);
    const rates = [];
    const walls = [];
    for (let run = 0; run < SIZES.runs; run++) {
      const { seconds } = await timeTail(stack.dir, { countLines: false });
      walls.push(seconds);
      rates.push(SIZES.tailRecords / seconds);
      log(`tail run ${run + 1}: ${seconds.toFixed(2)} s`);
    }
    const firsts = [];
    for (let run = 0; run < SIZES.runs; run++) firsts.push((await timeToFirst(stack.dir)) * 1000);
    return {
      records: SIZES.tailRecords,
      recordsPerSecond: summarize(rates.map((r) => round(r))),
      wallSeconds: summarize(walls.map((w) => round(w, 2))),
      firstRecordMs: summarize(firsts.map((f) => round(f))),
    };
  } finally {
    await stack.down();
  }
}
