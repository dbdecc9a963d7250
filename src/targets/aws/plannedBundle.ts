import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { TargetError } from '../errors.js';
import type { TerraformPlanJson } from './terraform.js';

const FUNCTION_ADDRESS = 'aws_lambda_function.this';

/**
 * A saved plan records the bundle's hash (`source_code_hash`) but uploads
 * whatever file sits at `lambda_zip_path` when it is applied. Before applying
 * a plan made elsewhere (the CI plan job), make sure that file is the one the
 * plan was made with, so the code that goes out is the code that was reviewed.
 */
export async function verifyPlannedBundle(plan: TerraformPlanJson): Promise<void> {
  const fn = plan.resource_changes?.find((rc) => rc.address === FUNCTION_ADDRESS);
  const planned = fn?.change.after?.source_code_hash;
  if (typeof planned !== 'string') return; // destroy plans, or a module without the function
  const variables = plan.variables as Record<string, { value?: unknown }> | undefined;
  const zipPath = variables?.lambda_zip_path?.value;
  if (typeof zipPath !== 'string') {
    throw new TargetError(
      'targets.plan-names-no-bundle',
      'The saved plan does not name the handler bundle (lambda_zip_path).',
    );
  }
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
