import path from 'node:path';
import type { LoadedStack } from '../../config/stack.js';
import { packageRoot } from '../../util/packageRoot.js';
import { pipelinePaths } from '../local/paths.js';
import type { InfraVariables } from './terraform.js';

/** The `infra/` module shipped with the package. */
export function defaultInfraDir(): string {
  return path.join(packageRoot(), 'infra');
}

/** The handler bundle `up` builds: `<stateDir>/build/function.zip`. */
export function functionZipPath(stateDir: string): string {
  return path.join(pipelinePaths(stateDir).buildDir, 'function.zip');
}

/**
 * Terraform variables for a loaded stack: absolute paths of the stack file and
 * the bundle, so Terraform reads the same file as the CLI; `overrides` (from
 * flags or the environment) win.
 */
export function infraVariables(
  loaded: LoadedStack,
  stateDir: string,
  overrides: InfraVariables = {},
): InfraVariables {
  return {
    // A stack file that does not exist means the defaults on both sides.
    stack_file: loaded.file,
    lambda_zip_path: path.resolve(functionZipPath(stateDir)),
    ...overrides,
  };
}
