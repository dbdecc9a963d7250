import path from 'node:path';
import type { LoadedStack } from '../../config/stack.js';
import { packageRoot } from '../../util/packageRoot.js';
import { functionPaths, isPipelineFunction } from '../local/functions.js';
import { pipelinePaths } from '../local/paths.js';
import type { InfraVariables } from './terraform.js';

/** The `infra/` module shipped with the package. */
export function defaultInfraDir(): string {
  return path.join(packageRoot(), 'infra');
}

/** The handler bundle `up` builds: `<stateDir>/build/function.zip`. */
export function functionZipPath(stateDir: string): string {
  return path.join(pipelinePaths(stateDir).buildDir, ZIP_FILE);
}

/**
 * The bundle of every function other than the built-in pipeline's, by name:
 * `<stateDir>/functions/<function>/build/function.zip` (the local target's build dir).
 */
export function functionZipPaths(loaded: LoadedStack, stateDir: string): Record<string, string> {
  const { model } = loaded;
  return Object.fromEntries(
    Object.keys(model.functions)
      .filter((fn) => !isPipelineFunction(model, fn))
      .map((fn) => [fn, path.resolve(functionPaths(stateDir, model, fn).buildDir, ZIP_FILE)]),
  );
}

const ZIP_FILE = 'function.zip';

/**
 * Terraform variables for a loaded stack: absolute paths of the stack file and
 * the bundles, so Terraform reads the same file as the CLI; `overrides` (from
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
    function_zip_paths: functionZipPaths(loaded, stateDir),
    ...overrides,
  };
}
