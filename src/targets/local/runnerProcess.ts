/**
 * Entry point of the background process `up` starts: the local event source
 * mapping and the warm handler runtime. SIGTERM (from `down`) lets the batch
 * in flight finish and keeps its checkpoint.
 *
 *   node runnerProcess.js --state-dir <dir> [--config <stack file>]
 */
import { loadStack } from '../../config/stack.js';
import { runLocalPipeline } from './pipeline.js';
import { readLocalState } from './state.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const log = (text: string) => process.stderr.write(`${new Date().toISOString()} ${text}\n`);

async function main(): Promise<number> {
  const stateDir = arg('--state-dir');
  if (!stateDir) {
    log('usage: runnerProcess --state-dir <dir> [--config <file>]');
    return 2;
  }
  const { stack, model, dir: stackDir } = await loadStack(arg('--config'));
  const state = await readLocalState(stateDir);
  if (!state) {
    log(`no local stack state in ${stateDir}`);
    return 1;
  }
  const controller = new AbortController();
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      log(`${signal}: finishing the batch in flight`);
      controller.abort();
    });
  }
  const mappings = Object.values(model.functions).flatMap((fn) =>
    fn.event_sources.map((s) => `${fn.name} <- ${s.table}`),
  );
  log(
    `event source mapping started for ${mappings.length === 1 ? state.tables.streamArn : mappings.join(', ')}`,
  );
  await runLocalPipeline({
    stack,
    model,
    stackDir,
    stateDir,
    state,
    signal: controller.signal,
    onNotice: log,
  });
  log('event source mapping stopped');
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    log(`runner failed: ${(err as Error)?.stack ?? String(err)}`);
    process.exit(1);
  },
);
