#!/usr/bin/env node
// The SDK warns on every command that Node 20 support ends in 2027; README.md says so once instead.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const { main } = await import('../dist/src/cli.js');

const code = await main(process.argv);
// Open SDK sockets or timers must not keep a finished command alive; exit once stdout is flushed.
process.stdout.write('', () => process.exit(code));
