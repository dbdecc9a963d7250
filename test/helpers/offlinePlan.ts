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
