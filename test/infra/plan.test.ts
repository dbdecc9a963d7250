import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseStack } from '../../src/config/stack.js';
import {
  type InfraVariables,
  type TerraformOptions,
  type TerraformPlanJson,
  terraformInit,
  terraformPlan,
  terraformShowPlan,
  terraformValidate,
} from '../../src/targets/aws/terraform.js';
import { lambdaLogGroupName } from '../../src/util/lambda.js';
import { planned } from '../helpers/offlinePlan.js';
import { FAKE_ACCOUNT_ID, makeWorkDir, OFFLINE_ENV, requireTerraform } from './env.js';

// Offline plans of the whole module with the real provider: what would be
// deployed, read from `terraform show -json`.

interface Statement {
  Sid: string;
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

const list = (v: string | string[]) => (Array.isArray(v) ? v : [v]);
const PARTITION_REGION_ACCOUNT = `us-east-1:${FAKE_ACCOUNT_ID}`;

let work: { dir: string; zip: string };
let base: TerraformOptions;

function policyStatements(plan: TerraformPlanJson): Statement[] {
  const policy = planned(plan, 'module.function["function"].aws_iam_role_policy.this').policy;
  expect(typeof policy).toBe('string'); // known at plan time, so reviewable
  return (JSON.parse(policy as string) as { Statement: Statement[] }).Statement;
}

interface ModuleConfig {
  resources: { address: string; expressions: Record<string, unknown> }[];
  module_calls?: Record<string, { expressions: Record<string, unknown>; module: ModuleConfig }>;
  outputs?: Record<string, { expression?: unknown }>;
}

const rootConfig = (plan: TerraformPlanJson) =>
  (plan.configuration as { root_module: ModuleConfig }).root_module;
const refs = (expression: unknown) =>
  JSON.stringify(expression ?? null).match(/"[a-z_.]+(\[[0-9]\])?\.[a-z_]+(\.[a-z_]+)?"/g) ?? [];

/** References of a resource argument as written; `module.<call>[key].<address>` looks inside the module. */
function configExpression(plan: TerraformPlanJson, address: string, attr: string): string[] {
  const inModule = /^module\.(\w+)(?:\[[^\]]*\])?\.(.*)$/.exec(address);
  const config = inModule ? rootConfig(plan).module_calls?.[inModule[1] as string]?.module : rootConfig(plan);
  const local = inModule ? (inModule[2] as string) : address;
  const res = config?.resources.find((r) => r.address === local);
  return refs(res?.expressions[attr]);
}

/** References of an argument of a module call in the root module. */
function callExpression(plan: TerraformPlanJson, call: string, attr: string): string[] {
  return refs(rootConfig(plan).module_calls?.[call]?.expressions[attr]);
}

/** References of an output of a module. */
function outputExpression(plan: TerraformPlanJson, call: string, output: string): string[] {
  return refs(rootConfig(plan).module_calls?.[call]?.module.outputs?.[output]?.expression);
}

async function planWith(stack: unknown, vars: InfraVariables): Promise<TerraformPlanJson> {
  const stackFile = path.join(work.dir, `stack-${Math.random().toString(36).slice(2)}.json`);
  if (stack !== undefined) await writeFile(stackFile, JSON.stringify(stack));
  const result = await terraformPlan({
    ...base,
    vars: {
      stack_file: stackFile,
      lambda_zip_path: work.zip,
      account_id: FAKE_ACCOUNT_ID,
      skip_aws_checks: true,
      ...vars,
    },
  });
  expect(result.hasChanges).toBe(true);
  return terraformShowPlan(base, result.planFile);
}

let defaults: TerraformPlanJson;
let infraDirForText = '';

beforeAll(async () => {
  const { pluginDir, infraDir } = requireTerraform();
  // (also read by the alias-lifecycle test below)
  infraDirForText = infraDir;
  work = await makeWorkDir();
  base = { infraDir, stateDir: path.join(work.dir, 'state'), env: OFFLINE_ENV, pluginDir };
  await terraformInit(base);
  await terraformValidate(base);
  // No stack file at all: the defaults of src/config/stack.ts must apply.
  defaults = await planWith(undefined, {});
}, 300_000);

afterAll(async () => {
  if (work) await rm(work.dir, { recursive: true, force: true });
});

test('the plan creates the whole pipeline', () => {
  const addresses = (defaults.resource_changes ?? []).map((r) => r.address).sort();
  expect(addresses).toEqual(
    [
      'aws_cloudwatch_dashboard.this',
      'module.function["function"].aws_cloudwatch_log_group.this',
      'module.function["function"].aws_cloudwatch_metric_alarm.this["dlq_messages"]',
      'module.function["function"].aws_cloudwatch_metric_alarm.this["errors"]',
      'module.function["function"].aws_cloudwatch_metric_alarm.this["iterator_age"]',
      'module.function["function"].aws_cloudwatch_metric_alarm.this["throttles"]',
      'module.function["function"].aws_codedeploy_app.this[0]',
      'module.function["function"].aws_codedeploy_deployment_group.live[0]',
      'module.table["sink_table"].aws_dynamodb_table.this',
      'module.table["source_table"].aws_dynamodb_table.this',
      'module.function["function"].aws_iam_role.codedeploy[0]',
      'module.function["function"].aws_iam_role.this',
      'module.function["function"].aws_iam_role_policy.codedeploy[0]',
      'module.function["function"].aws_iam_role_policy.this',
      'module.function["function"].aws_lambda_alias.live',
      'module.event_source_mapping["function/source_table"].aws_lambda_event_source_mapping.this',
      'module.function["function"].aws_lambda_function.this',
      'module.function["function"].aws_sqs_queue.on_failure',
    ].sort(),
  );
  for (const rc of defaults.resource_changes ?? []) expect(rc.change.actions).toEqual(['create']);
});

test('without a stack file, names and settings are the CLI defaults', () => {
  const stack = parseStack({});
  const source = planned(defaults, 'module.table["source_table"].aws_dynamodb_table.this');
  expect(source).toMatchObject({
    name: stack.source_table.name,
    hash_key: stack.source_table.hash_key,
    stream_enabled: true,
    stream_view_type: 'NEW_AND_OLD_IMAGES',
    billing_mode: 'PAY_PER_REQUEST',
    point_in_time_recovery: [{ enabled: true }],
    server_side_encryption: [{ enabled: true }],
  });
  expect(planned(defaults, 'module.table["sink_table"].aws_dynamodb_table.this')).toMatchObject({
    name: stack.sink_table.name,
    hash_key: stack.sink_table.hash_key,
    point_in_time_recovery: [{ enabled: true }],
    server_side_encryption: [{ enabled: true }],
  });
  const planEsm = planned(
    defaults,
    'module.event_source_mapping["function/source_table"].aws_lambda_event_source_mapping.this',
  );
  const s = stack.event_source_mapping;
  expect(planEsm).toMatchObject({
    batch_size: s.batch_size,
    maximum_batching_window_in_seconds: s.maximum_batching_window_in_seconds,
    starting_position: s.starting_position,
    parallelization_factor: s.parallelization_factor,
    bisect_batch_on_function_error: s.bisect_batch_on_function_error,
    maximum_retry_attempts: s.maximum_retry_attempts,
    maximum_record_age_in_seconds: s.maximum_record_age_in_seconds,
    function_response_types: s.function_response_types,
    enabled: true,
    filter_criteria: [],
  });
  // The mapping invokes the alias (its checkpoints survive deploys), and
  // reports discarded batches to the queue.
  const esm = 'module.event_source_mapping["function/source_table"].aws_lambda_event_source_mapping.this';
  expect(configExpression(defaults, esm, 'function_name')).toContain('"var.function_name"');
  expect(callExpression(defaults, 'event_source_mapping', 'function_name')).toContain('"module.function"');
  expect(outputExpression(defaults, 'function', 'live_alias_arn')).toContain('"aws_lambda_alias.live.arn"');
  expect(configExpression(defaults, esm, 'destination_config')).toContain('"var.on_failure_destination_arn"');
  expect(outputExpression(defaults, 'function', 'dlq_arn')).toContain('"aws_sqs_queue.on_failure.arn"');
  expect(configExpression(defaults, esm, 'event_source_arn')).toContain('"var.event_source_arn"');
  expect(callExpression(defaults, 'event_source_mapping', 'event_source_arn')).toContain('"module.table"');
  expect(outputExpression(defaults, 'table', 'stream_arn')).toContain('"aws_dynamodb_table.this.stream_arn"');

  const fn = planned(defaults, 'module.function["function"].aws_lambda_function.this');
  expect(fn).toMatchObject({
    function_name: stack.function.name,
    handler: 'index.handler',
    runtime: 'nodejs22.x',
    timeout: stack.function.timeout,
    memory_size: stack.function.memory_size,
    publish: true,
  });
  expect(planned(defaults, 'module.function["function"].aws_lambda_alias.live')).toMatchObject({
    name: 'live',
  });
});

test('the function environment names where the key is, never a secret value', () => {
  const env = (
    planned(defaults, 'module.function["function"].aws_lambda_function.this').environment as {
      variables: Record<string, string>;
    }[]
  )[0]?.variables;
  expect(env).toEqual({
    SINK_TABLE_NAME: 'ddb-ingest-ingested',
    PII_KEY_PARAMETER: '/ddb-ingest/pii-key',
    POWERTOOLS_SERVICE_NAME: 'ddb-ingest',
    POWERTOOLS_METRICS_NAMESPACE: 'ddb-ingest',
    POWERTOOLS_LOG_LEVEL: 'INFO',
    // The zip carries the bundle's source map: stack traces name the handler's files.
    NODE_OPTIONS: '--enable-source-maps',
  });
  // Without kms_key_arn, Lambda's own key encrypts it.
  expect(
    planned(defaults, 'module.function["function"].aws_lambda_function.this').kms_key_arn ?? null,
  ).toBeNull();
  // No SSM parameter or other resource carries a value.
  const types = (defaults.resource_changes ?? []).map((r) => r.type);
  expect(types).not.toContain('aws_ssm_parameter');
});

test('outputs hold names and ARNs only', () => {
  const outputs = defaults.output_changes ?? {};
  expect(Object.keys(outputs).sort()).toEqual([
    'alarm_topic_arn',
    'codedeploy_app_name',
    'codedeploy_deployment_group_name',
    'dashboard_name',
    'dlq_arn',
    'dlq_url',
    'dlq_urls',
    'event_source_mapping_uuid',
    'function_arn',
    'function_name',
    'function_version',
    'functions',
    'live_alias_arn',
    'live_version',
    'log_group_name',
    'mappings',
    'pii_key_parameter_name',
    'pii_key_setup_command',
    'region',
    'sink_table_name',
    'source_table_name',
    'stream_arn',
    'tables',
  ]);
  for (const [name, change] of Object.entries(outputs)) {
    expect([name, change.after_sensitive]).toEqual([name, false]);
    // A 64-hex-digit value would be a key (the PII key's format).
    expect(JSON.stringify(change.after ?? null)).not.toMatch(/[0-9a-f]{64}/i);
  }
});

test('IAM: every statement is scoped to its one resource; ListStreams is the only "*"', () => {
  const statements = policyStatements(defaults);
  const table = `arn:aws:dynamodb:${PARTITION_REGION_ACCOUNT}:table`;
  const scoped = Object.fromEntries(
    statements.map((s) => [s.Sid, { actions: list(s.Action).sort(), resources: list(s.Resource) }]),
  );
  expect(scoped).toEqual({
    ReadSourceStream: {
      actions: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'],
      resources: [`${table}/ddb-ingest-orders/stream/*`],
    },
    ListStreams: { actions: ['dynamodb:ListStreams'], resources: ['*'] },
    WriteSink: {
      actions: ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
      resources: [`${table}/ddb-ingest-ingested`],
    },
    WriteOwnLogs: {
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      resources: [`arn:aws:logs:${PARTITION_REGION_ACCOUNT}:log-group:/aws/lambda/ddb-ingest-ingest:*`],
    },
    ReportFailedBatches: {
      actions: ['sqs:SendMessage'],
      resources: [`arn:aws:sqs:${PARTITION_REGION_ACCOUNT}:ddb-ingest-esm-on-failure`],
    },
    ReadPiiKeyParameter: {
      actions: ['ssm:GetParameter'],
      resources: [`arn:aws:ssm:${PARTITION_REGION_ACCOUNT}:parameter/ddb-ingest/pii-key`],
    },
  });
  // Stated once more as the rule: AWS requires "*" for ListStreams only.
  const wildcardResources = statements.flatMap((s) =>
    list(s.Resource)
      .filter((r) => r === '*')
      .flatMap(() => list(s.Action)),
  );
  expect(wildcardResources).toEqual(['dynamodb:ListStreams']);
  for (const s of statements) for (const a of list(s.Action)) expect(a).not.toMatch(/\*/);

  const assume = JSON.parse(
    planned(defaults, 'module.function["function"].aws_iam_role.this').assume_role_policy as string,
  ) as {
    Statement: { Principal: unknown; Action: string }[];
  };
  expect(assume.Statement).toHaveLength(1);
  expect(assume.Statement[0]).toMatchObject({
    Principal: { Service: 'lambda.amazonaws.com' },
    Action: 'sts:AssumeRole',
  });
});

test('logs expire and the on-failure queue is encrypted and keeps messages 14 days', () => {
  expect(planned(defaults, 'module.function["function"].aws_cloudwatch_log_group.this')).toMatchObject({
    // The same name the CLI reads logs from (one definition in src/util/lambda.ts).
    name: lambdaLogGroupName('ddb-ingest-ingest'),
    retention_in_days: 30,
  });
  expect(planned(defaults, 'module.function["function"].aws_sqs_queue.on_failure')).toMatchObject({
    name: 'ddb-ingest-esm-on-failure',
    sqs_managed_sse_enabled: true,
    message_retention_seconds: 1209600,
  });
  const alarms = (defaults.resource_changes ?? [])
    .filter((r) => r.type === 'aws_cloudwatch_metric_alarm')
    .map((r) => r.change.after?.metric_name)
    .sort();
  expect(alarms).toEqual(['ApproximateNumberOfMessagesVisible', 'Errors', 'IteratorAge', 'Throttles']);
});

test('a partial stack file and variables change the plan, with the CLI defaults for the rest', async () => {
  const partial = {
    name: 'shop',
    source_table: { name: 'shop-orders' },
    function: {
      timeout: 60,
      environment: {
        FEATURE_FLAG: 'on',
        POWERTOOLS_LOG_LEVEL: 'DEBUG',
        NODE_OPTIONS: '--max-semi-space-size=32',
      },
    },
    deployment: { codedeploy: false },
    event_source_mapping: {
      batch_size: 25,
      maximum_batching_window_in_seconds: 3,
      starting_position: 'LATEST',
      parallelization_factor: 4,
      bisect_batch_on_function_error: false,
      maximum_retry_attempts: -1,
      maximum_record_age_in_seconds: -1,
      filter_criteria: { filter: [{ pattern: '{"eventName":["INSERT"]}' }] },
      enabled: false,
    },
  };
  const key = 'arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555';
  const ssmKey = 'arn:aws:kms:us-east-1:123456789012:key/66666666-7777-8888-9999-000000000000';
  const plan = await planWith(partial, {
    log_retention_days: 14,
    kms_key_arn: key,
    pii_key_kms_key_arn: ssmKey,
    pii_key_parameter_name: '/shop/prod/pii-key',
    alarm_email: 'ops@example.com',
  });
  const stack = parseStack(partial);
  const s = stack.event_source_mapping;
  expect(
    planned(
      plan,
      'module.event_source_mapping["function/source_table"].aws_lambda_event_source_mapping.this',
    ),
  ).toMatchObject({
    batch_size: 25,
    maximum_batching_window_in_seconds: 3,
    starting_position: 'LATEST',
    parallelization_factor: 4,
    bisect_batch_on_function_error: false,
    maximum_retry_attempts: -1,
    maximum_record_age_in_seconds: -1,
    function_response_types: s.function_response_types,
    enabled: false,
    filter_criteria: [{ filter: [{ pattern: '{"eventName":["INSERT"]}' }] }],
  });
  expect(planned(plan, 'module.table["source_table"].aws_dynamodb_table.this')).toMatchObject({
    name: 'shop-orders',
    hash_key: stack.source_table.hash_key,
    server_side_encryption: [{ enabled: true, kms_key_arn: key }],
  });
  const fn = planned(plan, 'module.function["function"].aws_lambda_function.this');
  // kms_key_arn encrypts the function's environment too.
  expect(fn).toMatchObject({ timeout: 60, function_name: stack.function.name, kms_key_arn: key });
  // Without CodeDeploy (an emulator's stack file): none of its resources, null outputs.
  expect((plan.resource_changes ?? []).filter((r) => /codedeploy/.test(r.address))).toEqual([]);
  expect(plan.output_changes?.codedeploy_app_name?.after).toBeNull();
  expect(plan.output_changes?.codedeploy_deployment_group_name?.after).toBeNull();
  expect((fn.environment as { variables: Record<string, string> }[])[0]?.variables).toEqual({
    SINK_TABLE_NAME: stack.sink_table.name,
    PII_KEY_PARAMETER: '/shop/prod/pii-key',
    POWERTOOLS_SERVICE_NAME: 'shop',
    POWERTOOLS_METRICS_NAMESPACE: 'shop',
    POWERTOOLS_LOG_LEVEL: 'DEBUG',
    FEATURE_FLAG: 'on',
    // The user's options are kept, after source maps.
    NODE_OPTIONS: '--enable-source-maps --max-semi-space-size=32',
  });
  expect(planned(plan, 'module.function["function"].aws_cloudwatch_log_group.this')).toMatchObject({
    retention_in_days: 14,
  });
  expect(planned(plan, 'module.function["function"].aws_sqs_queue.on_failure')).toMatchObject({
    name: 'shop-esm-on-failure',
    kms_master_key_id: key,
  });
  expect(planned(plan, 'aws_sns_topic_subscription.alarm_email[0]')).toMatchObject({
    protocol: 'email',
    endpoint: 'ops@example.com',
  });

  const bySid = Object.fromEntries(policyStatements(plan).map((st) => [st.Sid, st]));
  expect(bySid.ReadPiiKeyParameter?.Resource).toBe(
    `arn:aws:ssm:${PARTITION_REGION_ACCOUNT}:parameter/shop/prod/pii-key`,
  );
  // Decrypting the SecureString: that one key, and only through SSM.
  expect(bySid.DecryptPiiKeyThroughSsm).toMatchObject({
    Action: 'kms:Decrypt',
    Resource: ssmKey,
    Condition: { StringEquals: { 'kms:ViaService': 'ssm.us-east-1.amazonaws.com' } },
  });
  expect(bySid.DecryptEnvironmentThroughLambda).toMatchObject({
    Action: 'kms:Decrypt',
    Resource: key,
    Condition: { StringEquals: { 'kms:ViaService': 'lambda.us-east-1.amazonaws.com' } },
  });
  const dataKey = bySid.UseDataKeyThroughSqsAndDynamoDb;
  expect(dataKey?.Resource).toBe(key);
  expect(list(dataKey?.Condition?.StringEquals?.['kms:ViaService'] ?? []).sort()).toEqual([
    'dynamodb.us-east-1.amazonaws.com',
    'sqs.us-east-1.amazonaws.com',
  ]);
  expect(list(bySid.UseDataKeyThroughSqsAndDynamoDb?.Action ?? []).sort()).toEqual([
    'kms:Decrypt',
    'kms:GenerateDataKey',
  ]);
}, 180_000);

test('production options: X-Ray Active with its permission, reserved concurrency, log retention and the log-group key', async () => {
  // Defaults: no tracing beyond pass-through, no reservation, no X-Ray grant, logs under CloudWatch's key.
  expect(planned(defaults, 'module.function["function"].aws_lambda_function.this')).toMatchObject({
    tracing_config: [{ mode: 'PassThrough' }],
    reserved_concurrent_executions: -1,
  });
  expect(
    planned(defaults, 'module.function["function"].aws_cloudwatch_log_group.this').kms_key_id,
  ).toBeNull();

  const logKey = 'arn:aws:kms:us-east-1:123456789012:key/abababab-2222-3333-4444-555555555555';
  const plan = await planWith(
    {
      function: { tracing: 'Active', reserved_concurrency: 7 },
      deployment: { config: 'CodeDeployDefault.LambdaAllAtOnce' },
    },
    { log_retention_days: 365, log_group_kms_key_arn: logKey },
  );
  expect(planned(plan, 'module.function["function"].aws_lambda_function.this')).toMatchObject({
    tracing_config: [{ mode: 'Active' }],
    reserved_concurrent_executions: 7,
  });
  expect(planned(plan, 'module.function["function"].aws_cloudwatch_log_group.this')).toMatchObject({
    retention_in_days: 365,
    kms_key_id: logKey,
  });
  expect(
    planned(plan, 'module.function["function"].aws_codedeploy_deployment_group.live[0]')
      .deployment_config_name,
  ).toBe('CodeDeployDefault.LambdaAllAtOnce');
  const traces = policyStatements(plan).find((st) => st.Sid === 'WriteTraces');
  // X-Ray's write actions accept no resource but "*"; nothing else is granted with it.
  expect({ ...traces, Action: list(traces?.Action ?? []).sort() }).toEqual({
    Sid: 'WriteTraces',
    Effect: 'Allow',
    Action: ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'],
    Resource: '*',
  });
}, 180_000);

test('bad production variables are refused, each with its own message (one plan reports them all)', async () => {
  const err: unknown = await planWith(undefined, {
    log_group_kms_key_arn: 'alias/logs',
    kms_key_arn: '1234abcd-12ab-34cd-56ef-1234567890ab',
    log_retention_days: 0,
  }).catch((e) => e);
  // Terraform wraps its messages at 80 columns.
  const message = (err as Error).message.replace(/\s+/g, ' ');
  expect(message).toContain('Invalid value for variable');
  expect(message).toContain('log_group_kms_key_arn must be a KMS key ARN');
  expect(message).toContain(
    'kms_key_arn must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>), not an alias',
  );
  expect(message).toContain('log_retention_days must be a retention CloudWatch Logs accepts');
}, 180_000);

describe('canary deployments through CodeDeploy', () => {
  const alarm = (key: string) => `ddb-ingest-dev-${key}`;

  test('a Lambda CodeDeploy app and a deployment group with the default canary and auto-rollback', () => {
    expect(planned(defaults, 'module.function["function"].aws_codedeploy_app.this[0]')).toMatchObject({
      name: 'ddb-ingest-ingest',
      compute_platform: 'Lambda',
    });
    expect(
      planned(defaults, 'module.function["function"].aws_codedeploy_deployment_group.live[0]'),
    ).toMatchObject({
      app_name: 'ddb-ingest-ingest',
      deployment_group_name: 'live',
      deployment_config_name: 'CodeDeployDefault.LambdaCanary10Percent5Minutes',
      deployment_style: [{ deployment_type: 'BLUE_GREEN', deployment_option: 'WITH_TRAFFIC_CONTROL' }],
      auto_rollback_configuration: [
        { enabled: true, events: ['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_ALARM'] },
      ],
    });
    const alarms = planned(defaults, 'module.function["function"].aws_codedeploy_deployment_group.live[0]')
      .alarm_configuration as {
      enabled: boolean;
      alarms: string[];
      ignore_poll_alarm_failure: boolean;
    }[];
    expect(alarms).toHaveLength(1);
    expect(alarms[0]?.enabled).toBe(true);
    expect(alarms[0]?.ignore_poll_alarm_failure).toBe(false);
    expect([...(alarms[0]?.alarms ?? [])].sort()).toEqual(
      [alarm('errors'), alarm('iterator-age'), alarm('throttles')].sort(),
    );
    expect(
      configExpression(
        defaults,
        'module.function["function"].aws_codedeploy_deployment_group.live',
        'service_role_arn',
      ),
    ).toContain('"aws_iam_role.codedeploy"');
  });

  test('the rollback alarms watch the live alias, not the whole function', () => {
    for (const key of ['errors', 'throttles', 'iterator_age']) {
      expect(
        planned(defaults, `module.function["function"].aws_cloudwatch_metric_alarm.this["${key}"]`),
      ).toMatchObject({
        alarm_name: alarm(key.replace('_', '-')),
        dimensions: { FunctionName: 'ddb-ingest-ingest', Resource: 'ddb-ingest-ingest:live' },
      });
    }
    // The queue alarm is about discarded batches, not a version: it does not roll back.
    expect(
      planned(defaults, 'module.function["function"].aws_cloudwatch_metric_alarm.this["dlq_messages"]')
        .dimensions,
    ).toEqual({
      QueueName: 'ddb-ingest-esm-on-failure',
    });
  });

  test('the service role: only CodeDeploy of this account may take it; the alias and its alarms, nothing else', () => {
    const trust = JSON.parse(
      planned(defaults, 'module.function["function"].aws_iam_role.codedeploy[0]')
        .assume_role_policy as string,
    ) as {
      Statement: Statement[] & { Principal: unknown }[];
    };
    expect(trust.Statement).toEqual([
      {
        Sid: 'CodeDeployAssumesRole',
        Effect: 'Allow',
        Action: 'sts:AssumeRole',
        Principal: { Service: 'codedeploy.amazonaws.com' },
        Condition: { StringEquals: { 'aws:SourceAccount': FAKE_ACCOUNT_ID } },
      },
    ]);
    const policy = JSON.parse(
      planned(defaults, 'module.function["function"].aws_iam_role_policy.codedeploy[0]').policy as string,
    ) as {
      Statement: Statement[];
    };
    const fn = `arn:aws:lambda:${PARTITION_REGION_ACCOUNT}:function:ddb-ingest-ingest`;
    const cw = `arn:aws:cloudwatch:${PARTITION_REGION_ACCOUNT}:alarm`;
    expect(
      Object.fromEntries(
        policy.Statement.map((st) => [
          st.Sid,
          { actions: list(st.Action).sort(), resources: list(st.Resource).sort() },
        ]),
      ),
    ).toEqual({
      ShiftLiveAlias: {
        actions: ['lambda:GetAlias', 'lambda:GetProvisionedConcurrencyConfig', 'lambda:UpdateAlias'],
        resources: [fn, `${fn}:live`],
      },
      ReadRollbackAlarms: {
        actions: ['cloudwatch:DescribeAlarms'],
        resources: [
          `${cw}:${alarm('errors')}`,
          `${cw}:${alarm('iterator-age')}`,
          `${cw}:${alarm('throttles')}`,
        ],
      },
    });
  });

  test('Terraform publishes the version and creates live on it once, then leaves the alias to CodeDeploy', async () => {
    expect(planned(defaults, 'module.function["function"].aws_lambda_function.this').publish).toBe(true);
    expect(
      configExpression(defaults, 'module.function["function"].aws_lambda_alias.live', 'function_version'),
    ).toContain('"aws_lambda_function.this.version"');
    // `terraform show -json` does not carry lifecycle blocks: read the module as written.
    const { readFile } = await import('node:fs/promises');
    const text = await readFile(path.join(infraDirForText, 'modules', 'function', 'lambda.tf'), 'utf8');
    const alias = /resource "aws_lambda_alias" "live" \{[\s\S]*?\n\}/.exec(text)?.[0] ?? '';
    expect(alias).toMatch(
      /lifecycle \{[^}]*ignore_changes = \[function_version, routing_config, description\]/,
    );
    expect(Object.keys(defaults.variables ?? {})).not.toContain('live_version');
  });
});

test('CodeDeploy: off by default when its endpoint is an emulator, on when the stack file says so', async () => {
  const codedeployAddresses = (plan: TerraformPlanJson) =>
    (plan.resource_changes ?? []).map((r) => r.address).filter((a) => a.includes('codedeploy'));
  const emulator = await planWith(undefined, { aws_endpoint_url: 'http://127.0.0.1:5000' });
  expect(codedeployAddresses(emulator)).toEqual([]);
  expect(emulator.output_changes?.codedeploy_app_name?.after).toBeNull();
  const forced = await planWith(
    { deployment: { codedeploy: true } },
    { aws_endpoints: { codedeploy: 'http://127.0.0.1:5000' } },
  );
  expect(codedeployAddresses(forced).sort()).toEqual([
    'module.function["function"].aws_codedeploy_app.this[0]',
    'module.function["function"].aws_codedeploy_deployment_group.live[0]',
    'module.function["function"].aws_iam_role.codedeploy[0]',
    'module.function["function"].aws_iam_role_policy.codedeploy[0]',
  ]);
}, 240_000);

test('the role name fits the 64 characters IAM allows for every function name the stack file allows', async () => {
  expect(planned(defaults, 'module.function["function"].aws_iam_role.this').name).toBe(
    'ddb-ingest-ingest-role',
  );
  const names = ['f'.repeat(59), 'h'.repeat(64), `${'h'.repeat(63)}i`];
  const roles: string[] = [];
  for (const name of names) {
    const plan = await planWith({ function: { name } }, {});
    for (const address of [
      'module.function["function"].aws_iam_role.this',
      'module.function["function"].aws_iam_role.codedeploy[0]',
    ]) {
      const role = planned(plan, address).name as string;
      expect({ name, address, fits: role.length <= 64 && /^[\w+=,.@-]+$/.test(role) }).toEqual({
        name,
        address,
        fits: true,
      });
      roles.push(role);
    }
  }
  // A name that fits keeps "<function>-role"; longer ones are cut and get a hash, so they stay distinct.
  expect(roles[0]).toBe(`${'f'.repeat(59)}-role`);
  expect(roles[1]).toMatch(new RegExp(`^${'f'.repeat(51)}-cd-[0-9a-f]{8}$`));
  expect(roles[2]).toMatch(new RegExp(`^${'h'.repeat(55)}-[0-9a-f]{8}$`));
  expect(new Set(roles).size).toBe(names.length * 2);
}, 600_000); // three plans: ~80 s each on a loaded 2-core machine
