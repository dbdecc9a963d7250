import {
  type AwsConnection,
  createDynamoDbClient,
  createStreamsClient,
  LOCAL_CREDENTIALS,
} from '../../aws/clients.js';
import { TargetError } from '../errors.js';
import { startInvoker } from '../invokers.js';
import type { Target, TargetSettings } from '../target.js';

/**
 * The stack on this machine: DynamoDB Local, the tables, the background event
 * source mapping and the local runtime, with their state in the state dir.
 * Heavy modules load inside each method, so choosing the target costs nothing.
 */
export function localTarget(settings: TargetSettings): Target {
  const { stack, stateDir } = settings;
  const { model } = settings.stackFile;
  const stackModule = () => import('./stack.js');

  const override = settings.endpointOverride;

  async function connection(): Promise<AwsConnection> {
    // An explicit --endpoint-url names where the tables are, whether or not this state dir's stack runs.
    if (override) return { region: settings.aws.region, endpoint: override, credentials: LOCAL_CREDENTIALS };
    const { requireLocalStack, localConnection } = await stackModule();
    return localConnection(await requireLocalStack(stateDir));
  }

  return {
    name: 'local',

    async up(request, hooks = {}) {
      if (request.planOnly || request.planFile) {
        throw new TargetError('targets.aws-only-option', 'Saved plans are for the aws target.', {
          details: { option: request.planOnly ? 'planOnly' : 'planFile' },
        });
      }
      const { localUp, refuseExplicitEndpoint } = await stackModule();
      refuseExplicitEndpoint(override, 'up');
      const result = await localUp(
        { stack, stateDir, model: settings.stackFile.model },
        {
          port: request.port,
          persist: Boolean(request.persist),
          onStep: hooks.onStep,
          onNotice: hooks.onNotice,
          onCleanup: hooks.onCleanup,
          stackDir: settings.stackFile.dir,
          configFile: settings.stackFile.exists ? settings.stackFile.file : undefined,
          startRunner: !request.foreground,
          foreground: Boolean(request.foreground),
          signal: hooks.signal,
        },
      );
      return { kind: 'local-stack', ...result };
    },

    async down(request, hooks = {}) {
      const { localDown } = await stackModule();
      let purge = Boolean(request.purge);
      if (purge && hooks.confirmPurge && !(await hooks.confirmPurge())) {
        hooks.onNotice?.('Nothing deleted; stopping the stack only.');
        purge = false;
      }
      const result = await localDown(stateDir, { purge, signal: hooks.signal });
      return { kind: 'local-stack', ...result };
    },

    async status(_hooks, options = {}) {
      const { localStatus } = await stackModule();
      return localStatus(
        { stack, stateDir, model },
        {
          ...(settings.endpointOverride ? { endpoint: settings.endpointOverride } : {}),
          function: options.function,
        },
      );
    },

    connection,

    clients: {
      dynamodb: async (options = {}) => createDynamoDbClient({ ...(await connection()), ...options }),
      streams: async () => createStreamsClient(await connection()),
    },

    async tables() {
      const { requirePipeline } = await import('../../config/select.js');
      const pipeline = requirePipeline(model);
      return { source: pipeline.sourceTable, sink: pipeline.sinkTable };
    },

    async streamArn(options = {}) {
      const [{ selectStreamTable }, { recordedStreamArn }] = await Promise.all([
        import('../../config/select.js'),
        import('./functions.js'),
      ]);
      const table = selectStreamTable(model, options);
      if (override) {
        // The stream of the table at that endpoint, not the one this state dir recorded.
        const { latestStreamArn } = await import('../../streams/streamArn.js');
        const ddb = await createDynamoDbClient(await connection());
        try {
          return await latestStreamArn(ddb, table);
        } finally {
          ddb.destroy();
        }
      }
      const { requireLocalStack } = await stackModule();
      return recordedStreamArn(await requireLocalStack(stateDir), table);
    },

    async piiKey() {
      const [{ requireLocalStack }, { readLocalPiiKey }, { piiKeyFile }] = await Promise.all([
        stackModule(),
        import('../../verify/key.js'),
        import('./secret.js'),
      ]);
      // With --endpoint-url the stack need not run here; the key `up` made in this state dir is still the one.
      if (override) return readLocalPiiKey(piiKeyFile(stateDir));
      const state = await requireLocalStack(stateDir);
      return readLocalPiiKey(state.piiKeyFile);
    },

    async onFailureQueue(options = {}) {
      const [{ localDlq }, { mappingPaths }, { selectFunction }] = await Promise.all([
        import('../../replay/dlq.js'),
        import('./functions.js'),
        import('../../config/select.js'),
      ]);
      const fn = selectFunction(model, options.function);
      const dirs = fn.event_sources.map((s) => mappingPaths(stateDir, model, fn.name, s.table).dlqDir);
      return { queue: localDlq(dirs), close: () => {} };
    },

    async logSource(options = {}) {
      // functions.js and select.js are light: `logs` still loads neither the reader nor the mapping.
      const [{ functionPaths }, { selectFunction }] = await Promise.all([
        import('./functions.js'),
        import('../../config/select.js'),
      ]);
      const fn = selectFunction(model, options.function);
      return {
        source: { target: 'local', logsDir: functionPaths(stateDir, model, fn.name).logDir },
        close: () => {},
      };
    },

    invoker: (kind, hooks, options) => startInvoker(kind, settings, hooks, options),

    async bundle(hooks = {}) {
      const [{ ensureModelBundles, primaryBundle }, { requireLocalStack }, { localFunctionEnvironment }] =
        await Promise.all([import('./bundle.js'), stackModule(), import('./functions.js')]);
      const state = await requireLocalStack(stateDir);
      hooks.onStep?.(
        Object.keys(model.functions).length > 1
          ? 'Checking the handler builds'
          : 'Checking the handler build',
      );
      const bundles = await ensureModelBundles(model, settings.stackFile.dir, stateDir, {
        env: (fn) => localFunctionEnvironment(model, fn, state),
        ...(hooks.signal ? { signal: hooks.signal } : {}),
        onBundle: (b) => hooks.onBuild?.({ function: b.function, rebuilt: b.rebuilt, buildMs: b.buildMs }),
      });
      const first = primaryBundle(model, bundles);
      return {
        bundleFile: first.bundleFile,
        rebuilt: first.rebuilt,
        functions: Object.fromEntries(
          bundles.map((b) => [b.function, { bundleFile: b.bundleFile, rebuilt: b.rebuilt }]),
        ),
      };
    },

    async watch(hooks) {
      const [{ watchHandlers }, { modelBuilds }] = await Promise.all([
        import('./watch.js'),
        import('./bundle.js'),
      ]);
      await watchHandlers({
        functions: modelBuilds(model, settings.stackFile.dir, stateDir),
        signal: hooks.signal,
        onRebuilt: hooks.onRebuilt,
        onFailed: hooks.onFailed,
      });
    },

    async runInForeground(hooks) {
      const [{ runLocalPipeline }, { requireLocalStack, localDown }] = await Promise.all([
        import('./pipeline.js'),
        stackModule(),
      ]);
      const state = await requireLocalStack(stateDir);
      let failure: unknown;
      try {
        await runLocalPipeline({
          stack,
          model: settings.stackFile.model,
          stackDir: settings.stackFile.dir,
          stateDir,
          state,
          signal: hooks.signal,
          onNotice: hooks.onNotice,
          onStatus: hooks.onStatus,
        });
      } catch (err) {
        failure = err;
      }
      // Another command (a `down`) may hold the state dir: it then stops the stack itself.
      const down = await localDown(stateDir, { purge: false, lockWaitMs: 1_000 }).catch(() => undefined);
      return { stopped: down?.stopped ?? [], ...(failure !== undefined ? { failure } : {}) };
    },
  };
}
