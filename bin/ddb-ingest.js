#!/usr/bin/env node
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
