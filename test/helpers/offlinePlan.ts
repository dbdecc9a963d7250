import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseStackModel } from '../../src/config/stack.js';
import {
  type InfraVariables,
  type TerraformPlanJson,
  terraformInit,
  terraformPlan,
  terraformShowPlan,
} from '../../src/targets/aws/terraform.js';
import { FAKE_ACCOUNT_ID, makeWorkDir, OFFLINE_ENV, requireTerraform } from '../infra/env.js';

/**
 * An offline `terraform plan` of a stack file with the real provider (fake
 * credentials, nothing reaches AWS), as `terraform show -json` gives it.
 * Every function gets a tiny placeholder bundle (Terraform hashes it, nothing
 * runs it). Takes a minute or more on a loaded machine: give the test time.
 *
 * @example const plan = await planStackFileOffline(path.join(root, 'examples', 'single-table', 'ddb-ingest.json'));
 */
export async function planStackFileOffline(
  stackFile: string,
  vars: InfraVariables = {},
): Promise<TerraformPlanJson> {
  const { pluginDir, infraDir } = requireTerraform();
  const work = await makeWorkDir();
  try {
    const { model } = parseStackModel(JSON.parse(await readFile(stackFile, 'utf8')));
    const copy = path.join(work.dir, 'ddb-ingest.json');
    await writeFile(copy, await readFile(stackFile));
    const tf = { infraDir, stateDir: path.join(work.dir, 'state'), env: OFFLINE_ENV, pluginDir };
    await terraformInit(tf);
    const result = await terraformPlan({
      ...tf,
      vars: {
        stack_file: copy,
        lambda_zip_path: work.zip,
        function_zip_paths: Object.fromEntries(Object.keys(model.functions).map((f) => [f, work.zip])),
        account_id: FAKE_ACCOUNT_ID,
        skip_aws_checks: true,
        ...vars,
      },
    });
    return await terraformShowPlan(tf, result.planFile);
  } finally {
    await rm(work.dir, { recursive: true, force: true });
  }
}

type Resource = NonNullable<TerraformPlanJson['resource_changes']>[number];
interface Statement {
  Sid: string;
  Action: string | string[];
  Resource: string | string[];
}

const list = (v: string | string[]) => (Array.isArray(v) ? v : [v]);
const TABLE_ARN_PREFIX = `arn:aws:dynamodb:us-east-1:${FAKE_ACCOUNT_ID}:table`;

// What each access means, written out here independently of the module.
const READ = [
  'dynamodb:BatchGetItem',
  'dynamodb:ConditionCheckItem',
  'dynamodb:GetItem',
  'dynamodb:Query',
  'dynamodb:Scan',
];
const WRITE = ['dynamodb:BatchWriteItem', 'dynamodb:DeleteItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'];
const STREAM = ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'];

export function planned(plan: TerraformPlanJson, address: string): Record<string, unknown> {
  const rc = plan.resource_changes?.find((r: Resource) => r.address === address);
  if (!rc?.change.after) throw new Error(`${address} is not in the plan`);
  return rc.change.after;
}

/** Every (action, resource) pair the function's policy allows, sorted. */
export function grants(plan: TerraformPlanJson, fn: string): string[] {
  const policy = planned(plan, `module.function["${fn}"].aws_iam_role_policy.this`).policy as string;
  const statements = (JSON.parse(policy) as { Statement: Statement[] }).Statement;
  return statements
    .flatMap((s) => list(s.Action).flatMap((a) => list(s.Resource).map((r) => `${a} ${r}`)))
    .sort();
}

/** The pairs a function's `tables` and `event_sources` imply, plus what every function has. */
export function implied(
  fn: string,
  access: Record<string, 'read' | 'write' | 'read_write'>,
  indexed: string[],
  streams: string[],
  queue: string,
): string[] {
  const pairs: string[] = [];
  for (const [table, a] of Object.entries(access)) {
    if (a !== 'write') pairs.push(...READ.map((x) => `${x} ${TABLE_ARN_PREFIX}/${table}`));
    if (a !== 'write' && indexed.includes(table)) {
      pairs.push(
        `dynamodb:Query ${TABLE_ARN_PREFIX}/${table}/index/*`,
        `dynamodb:Scan ${TABLE_ARN_PREFIX}/${table}/index/*`,
      );
    }
    if (a !== 'read') pairs.push(...WRITE.map((x) => `${x} ${TABLE_ARN_PREFIX}/${table}`));
  }
  for (const table of streams) pairs.push(...STREAM.map((x) => `${x} ${TABLE_ARN_PREFIX}/${table}/stream/*`));
  // ListStreams has no resource-level permission: "*" is all IAM accepts.
  if (streams.length > 0) pairs.push('dynamodb:ListStreams *');
  pairs.push(
    `logs:CreateLogStream arn:aws:logs:us-east-1:${FAKE_ACCOUNT_ID}:log-group:/aws/lambda/${fn}:*`,
    `logs:PutLogEvents arn:aws:logs:us-east-1:${FAKE_ACCOUNT_ID}:log-group:/aws/lambda/${fn}:*`,
    `sqs:SendMessage arn:aws:sqs:us-east-1:${FAKE_ACCOUNT_ID}:${queue}`,
  );
  return pairs.sort();
}
