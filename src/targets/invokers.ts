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
): Promise<Invoker> {
  const { stack } = settings;
  if (kind === 'remote') {
    const { remoteInvoker } = await import('../replay/invoke.js');
    const client = await createLambdaClient(settings.aws);
    const invoker = remoteInvoker({
      client,
      functionName: stack.function.name,
      ...(hooks.signal ? { signal: hooks.signal } : {}),
    });
    return { invoke: invoker.invoke, close: async () => client.destroy() };
  }
  const [{ startLocalInvoker }, { requireLocalStack }, pipeline, { ensureCurrentBundle }] = await Promise.all(
    [
      import('../replay/invoke.js'),
      import('./local/stack.js'),
      import('./local/pipeline.js'),
      import('./local/bundle.js'),
    ],
  );
  const state = await requireLocalStack(settings.stateDir);
  const env = pipeline.functionEnvironment(stack, state);
  hooks.onStep?.('Checking the handler build');
  const bundle = await ensureCurrentBundle(stack, settings.stackFile.dir, settings.stateDir, env);
  await hooks.onBuild?.({ rebuilt: bundle.rebuilt, buildMs: bundle.buildMs });
  return startLocalInvoker({
    bundleFile: bundle.bundleFile,
    handlerExport: stack.function.handler,
    functionName: stack.function.name,
    runtime: stack.function.runtime,
    timeoutSeconds: stack.function.timeout,
    memoryMb: stack.function.memory_size,
    env,
    logDir: pipeline.pipelinePaths(settings.stateDir).logDir,
  });
}
