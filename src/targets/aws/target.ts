import {
  type AwsConnection,
  createCodeDeployClient,
  createDynamoDbClient,
  createLambdaClient,
  createLogsClient,
  createSqsClient,
  createSsmClient,
  createStreamsClient,
  endpointFor,
} from '../../aws/clients.js';
import { TargetError } from '../errors.js';
import { startInvoker } from '../invokers.js';
import type { Target, TargetHooks, TargetSettings } from '../target.js';

/** The clients a release or a rollback needs; `destroy` closes them all. */
async function releaseClients(conn: AwsConnection) {
  const [codedeploy, lambda, streams, dynamodb] = await Promise.all([
    createCodeDeployClient(conn),
    createLambdaClient(conn),
    createStreamsClient(conn),
    createDynamoDbClient(conn),
  ]);
  return {
    api: { codedeploy, lambda, streams, dynamodb },
    destroy() {
      for (const client of [codedeploy, lambda, streams, dynamodb]) client.destroy();
    },
  };
}

/**
 * The deployed stack: Terraform for up/down, DynamoDB, Lambda, SQS, SSM and
 * CloudWatch Logs with the profile and region of the settings, and the
 * outputs `up` saved in the state dir for names and URLs.
 */
export function awsTarget(settings: TargetSettings): Target {
  const { stack, stateDir } = settings;
  const { model } = settings.stackFile;
  const conn = settings.aws;

  function deployOptions(hooks: TargetHooks) {
    return {
      loaded: settings.stackFile,
      stateDir,
      env: { AWS_PROFILE: conn.profile, AWS_REGION: conn.region },
      ...(conn.endpoints ? { endpoints: conn.endpoints } : {}),
      confirm: hooks.confirm ?? (async () => false),
      signal: hooks.signal,
      onStep: hooks.onStep,
      onOutput: hooks.onOutput,
    };
  }

  const outputs = async () => {
    const { requireAwsOutputs } = await import('./terraform.js');
    return requireAwsOutputs(stateDir);
  };

  return {
    name: 'aws',

    async up(request, hooks = {}) {
      const [{ awsUp }, { preTrafficCheckEnabled }] = await Promise.all([
        import('./deploy.js'),
        import('../../config/stack.js'),
      ]);
      const release = request.planOnly ? undefined : request.release;
      const clients = release ? await releaseClients(conn) : undefined;
      try {
        const result = await awsUp({
          ...deployOptions(hooks),
          planOnly: Boolean(request.planOnly),
          ...(request.planFile ? { planFile: request.planFile } : {}),
          ...(clients && release
            ? {
                canary: {
                  ...clients.api,
                  ...release,
                  preTrafficCheck: request.preTrafficCheck !== false && preTrafficCheckEnabled(stack),
                },
              }
            : {}),
        });
        return { kind: 'deployment', ...result };
      } finally {
        clients?.destroy();
      }
    },

    async rollback(request, hooks) {
      const [{ rollback, rollbackAtOnce }, { systemClock }, { selectFunction }, { deployedRelease }, tf] =
        await Promise.all([
          import('./canary/release.js'),
          import('../../util/time.js'),
          import('../../config/select.js'),
          import('./deployedFunction.js'),
          import('./terraform.js'),
        ]);
      // The function is chosen before anything is read: a missing --function is a usage error either way.
      const fn = selectFunction(model, request.function).name;
      const o = await outputs();
      const release = deployedRelease(o, model, fn, tf.terraformPaths(stateDir).outputsFile);
      const clients = await releaseClients(conn);
      try {
        await hooks.onStart?.();
        const common = {
          lambda: clients.api.lambda,
          functionName: release.functionName,
          ...(release.alias ? { alias: release.alias } : {}),
          clock: systemClock,
          signal: hooks.signal,
          toVersion: request.toVersion,
          confirm: (plan: { stop: string } | { from: string; to: string }) =>
            hooks.confirm({ ...plan, function: fn }),
        };
        // Without CodeDeploy (deployment.codedeploy false) live moves back at once.
        const result = release.group
          ? await rollback({
              ...common,
              codedeploy: clients.api.codedeploy,
              group: release.group,
              onProgress: hooks.onProgress,
            })
          : await rollbackAtOnce(common);
        return { function: fn, ...result };
      } finally {
        clients.destroy();
      }
    },

    async down(_request, hooks = {}) {
      const { awsDown } = await import('./deploy.js');
      const result = await awsDown(deployOptions(hooks));
      return { kind: 'deployment', destroyed: result.destroyed };
    },

    async status(hooks = {}, options = {}) {
      const [{ awsStatus }, { selectFunction }] = await Promise.all([
        import('./status.js'),
        import('../../config/select.js'),
      ]);
      const chosen =
        options.function !== undefined ? selectFunction(model, options.function).name : undefined;
      // Nothing deployed from this state dir is an error, not a "stopped" stack: there is nothing to ask AWS about.
      await outputs();
      const [lambda, sqs] = await Promise.all([createLambdaClient(conn), createSqsClient(conn)]);
      const endpoint = endpointFor(conn, 'dynamodb');
      try {
        return await awsStatus({
          stack,
          model,
          stateDir,
          ...(chosen !== undefined ? { function: chosen } : {}),
          lambda,
          sqs,
          ...(endpoint ? { endpoint } : {}),
          onWarning: hooks.onWarning,
        });
      } finally {
        lambda.destroy();
        sqs.destroy();
      }
    },

    connection: async () => conn,

    clients: {
      dynamodb: (options = {}) => createDynamoDbClient({ ...conn, ...options }),
      streams: () => createStreamsClient(conn),
    },

    async tables() {
      // As on the local target: a stack without the built-in pipeline has no source and sink to name.
      const { requirePipeline } = await import('../../config/select.js');
      requirePipeline(model);
      const o = await outputs();
      return { source: o.source_table_name, sink: o.sink_table_name };
    },

    async streamArn(options = {}) {
      // DescribeTable, not the saved outputs: a recreated table has a new stream.
      const [{ latestStreamArn }, { selectStreamTable }] = await Promise.all([
        import('../../streams/streamArn.js'),
        import('../../config/select.js'),
      ]);
      const table = selectStreamTable(model, options);
      const ddb = await createDynamoDbClient(conn);
      try {
        return await latestStreamArn(ddb, table);
      } finally {
        ddb.destroy();
      }
    },

    async piiKey() {
      const o = await outputs();
      const { readSsmPiiKey } = await import('../../verify/key.js');
      const ssm = await createSsmClient(conn);
      try {
        const { awsCliCommand } = await import('../../aws/endpoints.js');
        // Outputs saved before the module had this output lack it: the hint then gives the generic command.
        const setup = (o as { pii_key_setup_command?: unknown }).pii_key_setup_command;
        return await readSsmPiiKey(
          ssm,
          o.pii_key_parameter_name,
          typeof setup === 'string'
            ? { setupCommand: awsCliCommand(setup, 'ssm', conn.endpoints ?? {}) }
            : {},
        );
      } finally {
        ssm.destroy();
      }
    },

    async onFailureQueue(options = {}) {
      const [{ sqsDlq }, { terraformPaths }] = await Promise.all([
        import('../../replay/dlq.js'),
        import('./terraform.js'),
      ]);
      const fn = (await import('../../config/select.js')).selectFunction(model, options.function);
      const o = (await outputs()) as { dlq_url?: unknown; dlq_urls?: Record<string, unknown> };
      // The built-in pipeline's queue is dlq_url; other functions' queues are in the dlq_urls map.
      const url = model.pipeline?.function === fn.name ? o.dlq_url : o.dlq_urls?.[fn.name];
      if (typeof url !== 'string' || url === '') {
        const file = terraformPaths(stateDir).outputsFile;
        throw new TargetError(
          'targets.outputs-no-dlq',
          `${file} has no on-failure queue URL for ${fn.name}.`,
          {
            details: { file, function: fn.name },
          },
        );
      }
      const client = await createSqsClient(conn);
      return {
        queue: sqsDlq({
          client,
          queueUrl: url,
          visibilityTimeoutSeconds: options.visibilityTimeoutSeconds,
          signal: options.signal,
        }),
        close: () => client.destroy(),
      };
    },

    async logSource(options = {}) {
      const fn = (await import('../../config/select.js')).selectFunction(model, options.function);
      // The deployed function's name, and "No deployment found" before any client is made.
      const { function_name } = await outputs();
      const client = await createLogsClient(conn);
      return {
        source: {
          target: 'aws',
          client,
          functionName: model.pipeline?.function === fn.name ? function_name : fn.name,
        },
        close: () => client.destroy(),
      };
    },

    invoker: (kind, hooks, options) => startInvoker(kind, settings, hooks, options),

    async bundle(hooks = {}) {
      // What `up` uploads, every function's: built into the directories of the zips Terraform reads.
      const { buildFunctionBundles } = await import('./deploy.js');
      const { primaryBundle } = await import('../local/bundle.js');
      const built = await buildFunctionBundles(settings.stackFile, stateDir, (m) => hooks.onStep?.(m));
      const first = primaryBundle(model, built);
      return {
        bundleFile: first.bundleFile,
        rebuilt: true,
        functions: Object.fromEntries(
          built.map((b) => [b.function, { bundleFile: b.bundleFile, rebuilt: true }]),
        ),
      };
    },
  };
}
