import { createLambdaClient } from '../aws/clients.js';
import type { Invoker } from '../replay/invoke.js';
import type { InvokerKind, TargetHooks, TargetSettings } from './target.js';

/**
 * `replay`'s invokers, the same whichever target holds the records: the local
 * runtime runs the local bundle with the local stack's environment; `remote`
 * invokes the deployed function's `live` alias with the AWS profile and region.
 */
export async function startInvoker(
  kind: InvokerKind,
  settings: TargetSettings,
  hooks: TargetHooks = {},
  options: { function?: string | undefined } = {},
): Promise<Invoker> {
  const { model } = settings.stackFile;
  const { selectFunction } = await import('../config/select.js');
  const fn = selectFunction(model, options.function);
  if (kind === 'remote') {
    const { remoteInvoker } = await import('../replay/invoke.js');
    const client = await createLambdaClient(settings.aws);
    const invoker = remoteInvoker({
      client,
      functionName: fn.name,
      signal: hooks.signal,
    });
    return { invoke: invoker.invoke, close: async () => client.destroy() };
  }
  const [{ startLocalInvoker }, { requireLocalStack }, functions, { ensureFunctionBundle }] =
    await Promise.all([
      import('../replay/invoke.js'),
      import('./local/stack.js'),
      import('./local/functions.js'),
      import('./local/bundle.js'),
    ]);
  const state = await requireLocalStack(settings.stateDir);
  const env = functions.localFunctionEnvironment(model, fn, state);
  const paths = functions.functionPaths(settings.stateDir, model, fn.name);
  hooks.onStep?.('Checking the handler build');
  const entry = functions.resolveEntry(fn.entry, settings.stackFile.dir, functions.entryKey(model, fn.name));
  const bundle = await ensureFunctionBundle({ entry, handler: fn.handler }, paths.buildDir, env);
  await hooks.onBuild?.({ rebuilt: bundle.rebuilt, buildMs: bundle.buildMs });
  return startLocalInvoker({
    bundleFile: bundle.bundleFile,
    handlerExport: fn.handler,
    functionName: fn.name,
    runtime: fn.runtime,
    timeoutSeconds: fn.timeout,
    memoryMb: fn.memory_size,
    env,
    logDir: paths.logDir,
  });
}
