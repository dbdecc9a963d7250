import { rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { parseStack } from '../../src/config/stack.js';
import { describeTable } from '../../src/dynamo/tables.js';
import { UsageError } from '../../src/errors.js';
import {
  readAwsOutputs,
  TABLE_TARGETS,
  type TerraformOptions,
  terraformApply,
  terraformDestroy,
  terraformInit,
  terraformPlan,
} from '../../src/targets/aws/terraform.js';
import { startTestDynamo, type TestDynamo } from '../helpers/dynamodb.js';
import { shownRejection } from '../helpers/errors.js';
import { FAKE_ACCOUNT_ID, makeWorkDir, OFFLINE_ENV, requireTerraform } from './env.js';

// The tables alone, applied for real against DynamoDB Local through the AWS
// provider's endpoint override, then destroyed.

let dynamo: TestDynamo;
let work: { dir: string; zip: string };
let opts: TerraformOptions;

beforeAll(async () => {
  const { pluginDir, infraDir } = requireTerraform();
  work = await makeWorkDir();
  dynamo = await startTestDynamo();
  opts = {
    infraDir,
    stateDir: path.join(work.dir, 'state'),
    env: OFFLINE_ENV,
    pluginDir,
    targets: TABLE_TARGETS,
    vars: {
      stack_file: path.join(work.dir, 'missing-so-defaults.json'),
      lambda_zip_path: work.zip,
      account_id: FAKE_ACCOUNT_ID,
      skip_aws_checks: true,
      aws_endpoint_url: dynamo.endpoint,
      // DynamoDB Local has no continuous backups API.
      point_in_time_recovery: false,
    },
  };
  await terraformInit(opts);
}, 60_000);

afterAll(async () => {
  await dynamo?.stop();
  if (work) await rm(work.dir, { recursive: true, force: true });
});

test('apply needs an explicit confirmation', async () => {
  expect(await shownRejection(terraformApply({ ...opts, confirmed: false }))).toBeInstanceOf(UsageError);
});

// Plan, apply and destroy: 56 s on an idle machine, over 120 s at load 6 (a clean CI run): 360 s.
test('apply creates both tables with the stream; destroy removes them', async () => {
  const stack = parseStack({});
  const plan = await terraformPlan(opts);
  expect(plan.resourceChanges).toEqual([
    { address: 'module.table["sink_table"].aws_dynamodb_table.this', actions: ['create'] },
    { address: 'module.table["source_table"].aws_dynamodb_table.this', actions: ['create'] },
  ]);
  expect(plan).toMatchObject({ add: 2, change: 0, destroy: 0, hasChanges: true });

  const lines: string[] = [];
  const outputs = await terraformApply({ ...opts, confirmed: true, onOutput: (line) => lines.push(line) });
  expect(
    lines.some((l) => l.includes('module.table["source_table"].aws_dynamodb_table.this: Creation complete')),
  ).toBe(true);
  // The saved plan is used up.
  await expect(stat(plan.planFile)).rejects.toThrow();

  const source = await describeTable(dynamo.ddb, stack.source_table.name);
  expect(source?.StreamSpecification).toEqual({ StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' });
  expect(source?.KeySchema).toEqual([{ AttributeName: 'orderId', KeyType: 'HASH' }]);
  expect(source?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
  const sink = await describeTable(dynamo.ddb, stack.sink_table.name);
  expect(sink?.KeySchema).toEqual([{ AttributeName: 'pk', KeyType: 'HASH' }]);
  expect(sink?.StreamSpecification?.StreamEnabled ?? false).toBe(false);

  // Outputs are stored for the other commands (with -target, only those of the tables).
  expect(outputs).toMatchObject({
    source_table_name: stack.source_table.name,
    sink_table_name: stack.sink_table.name,
    stream_arn: source?.LatestStreamArn,
  });
  expect(await readAwsOutputs(opts.stateDir)).toEqual(outputs);
  const mode = (await stat(path.join(opts.stateDir, 'aws-outputs.json'))).mode & 0o777;
  expect(mode).toBe(0o600);
  // State stays in the state dir, not in the module.
  await stat(path.join(opts.stateDir, 'terraform', 'terraform.tfstate'));

  const destroyed = await terraformDestroy({ ...opts, confirmed: true });
  expect(destroyed?.destroy).toBe(2);
  expect(await describeTable(dynamo.ddb, stack.source_table.name)).toBeUndefined();
  expect(await describeTable(dynamo.ddb, stack.sink_table.name)).toBeUndefined();
  expect(await readAwsOutputs(opts.stateDir)).toBeUndefined();
}, 360_000);
