#!/usr/bin/env node
import { spawn } from 'node:child_process';

// `seed` streams millions of items with a live heap of about 30 MB, but V8
// sizes its heap from the machine's memory and lets garbage pile up to
// hundreds of MB. A capped old generation keeps its footprint flat at the same
// speed; the cap can only be set when Node starts, so `seed` restarts itself
// once with it (unless the user chose a heap size already). The young
// generation is capped too: by default each of its semi-spaces grows to 16 MB,
// which V8 keeps resident; 4 MB costs more frequent, shorter scavenges and no
// speed (seed --template of 20,000 items: 178 -> 134 MB peak RSS together with
// the generator thread's cap in src/seed/ahead.ts).
const HEAP_CAP = ['--max-old-space-size=96', '--max-semi-space-size=4'];
const wantsCap =
  process.argv.slice(2).includes('seed') &&
  !process.argv.slice(2).includes('--help') &&
  !process.execArgv.some((a) => a.startsWith('--max-old-space-size')) &&
  !(process.env.NODE_OPTIONS ?? '').includes('--max-old-space-size');
if (wantsCap) {
  const child = spawn(process.execPath, [...HEAP_CAP, ...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
  });
  // Every signal is passed on (a `kill -INT` reaches only this process; the
  // child treats the terminal's own copy of a Ctrl-C and this one as one press),
  // and this process exits with the child's code.
  for (const name of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(name, () => {
      if (child.exitCode === null && child.signalCode === null) child.kill(name);
    });
  }
  const SIGNAL_NUMBERS = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };
  child.on('exit', (code, signal) => process.exit(code ?? 128 + (SIGNAL_NUMBERS[signal] ?? 1)));
} else {
  await run();
}

async function run() {
  // The SDK warns on every command that Node 20 support ends in 2027; README.md says so once instead.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  // `ddb-ingest tail --json | head` closes the pipe early: that is the reader saying "enough", not an error.
  process.stdout.on('error', (err) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  const { main } = await import('../dist/src/cli.js');
  const code = await main(process.argv);
  // Open SDK sockets or timers must not keep a finished command alive; exit once stdout is flushed.
  process.stdout.write('', () => process.exit(code));
}
