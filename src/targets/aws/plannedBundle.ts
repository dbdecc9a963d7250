import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { TargetError } from '../errors.js';
import type { TerraformPlanJson } from './terraform.js';

/** The built-in pipeline's function (modules/function under the key "function"); the others are keyed by name. */
const PIPELINE_FUNCTION_ADDRESS = 'module.function["function"].aws_lambda_function.this';

/**
 * A saved plan records each bundle's hash (`source_code_hash`) but uploads
 * whatever file sits at its path (`lambda_zip_path` for the built-in
 * pipeline's function, `function_zip_paths[<name>]` for the others) when it
 * is applied. Before applying a plan made elsewhere (the CI plan job), make
 * sure every file is the one the plan was made with, so the code that goes
 * out is the code that was reviewed.
 */
export async function verifyPlannedBundle(plan: TerraformPlanJson): Promise<void> {
  const variables = plan.variables as Record<string, { value?: unknown }> | undefined;
  const zips = (variables?.function_zip_paths?.value ?? {}) as Record<string, unknown>;
  for (const rc of plan.resource_changes ?? []) {
    if (rc.type !== 'aws_lambda_function') continue;
    const planned = rc.change.after?.source_code_hash;
    if (typeof planned !== 'string') continue; // destroy plans
    const zipPath =
      rc.address === PIPELINE_FUNCTION_ADDRESS
        ? variables?.lambda_zip_path?.value
        : zips[String(rc.change.after?.function_name)];
    if (typeof zipPath !== 'string') {
      throw new TargetError(
        'targets.plan-names-no-bundle',
        `The saved plan does not name the handler bundle of ${rc.address} (lambda_zip_path or function_zip_paths).`,
      );
    }
    await verifyOne(zipPath, planned);
  }
}

async function verifyOne(zipPath: string, planned: string): Promise<void> {
  let bytes: Buffer;
  try {
    bytes = await readFile(zipPath);
  } catch (err) {
    throw new TargetError(
      'targets.planned-bundle-missing',
      `The handler bundle the plan was made with is missing: ${zipPath} (${(err as NodeJS.ErrnoException).code}).`,
      { cause: err, details: { zipPath } },
    );
  }
  const actual = createHash('sha256').update(bytes).digest('base64');
  if (actual !== planned) {
    throw new TargetError(
      'targets.planned-bundle-differs',
      `${zipPath} is not the bundle this plan was made with (sha256 ${actual}, the plan expects ${planned}).`,
      { details: { zipPath, actual, planned } },
    );
  }
}
