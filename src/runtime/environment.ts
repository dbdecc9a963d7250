/**
 * The environment Lambda gives a Node.js function ("Defined runtime
 * environment variables" in the Lambda developer guide), with the value forms
 * Lambda uses. One source of truth for the local runtime (which sets them) and
 * stack validation (which refuses the reserved ones in `function.environment`).
 */

/**
 * Keys Lambda reserves: a function configuration that sets one is refused
 * ("Reserved keys used in this request: ..."). TZ, LANG, PATH, NODE_PATH and
 * the other unreserved variables may be set by the user.
 */
export const RESERVED_ENVIRONMENT_VARIABLES = [
  '_HANDLER',
  '_X_AMZN_TRACE_ID',
  'AWS_DEFAULT_REGION',
  'AWS_REGION',
  'AWS_EXECUTION_ENV',
  'AWS_LAMBDA_FUNCTION_NAME',
  'AWS_LAMBDA_FUNCTION_MEMORY_SIZE',
  'AWS_LAMBDA_FUNCTION_VERSION',
  'AWS_LAMBDA_INITIALIZATION_TYPE',
  'AWS_LAMBDA_LOG_GROUP_NAME',
  'AWS_LAMBDA_LOG_STREAM_NAME',
  'AWS_ACCESS_KEY',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_LAMBDA_RUNTIME_API',
  'LAMBDA_TASK_ROOT',
  'LAMBDA_RUNTIME_DIR',
] as const;

/** Lambda's rule for environment variable names: a letter, then letters, digits or `_`. */
export const ENVIRONMENT_KEY_PATTERN = /^[a-zA-Z][a-zA-Z0-9_]+$/;

/** The reserved keys among `keys`, in the order given. */
export function reservedKeysIn(keys: Iterable<string>): string[] {
  const reserved = new Set<string>(RESERVED_ENVIRONMENT_VARIABLES);
  return [...keys].filter((key) => reserved.has(key));
}

export interface LambdaEnvironmentOptions {
  functionName: string;
  memoryMb: number;
  /** `nodejs22.x` or `nodejs20.x`: gives `AWS_EXECUTION_ENV`. @default 'nodejs22.x' */
  runtime?: string | undefined;
  /** The handler setting, e.g. `index.handler` or `index.handlers.main`. */
  handler: string;
  logGroupName: string;
  logStreamName: string;
  /** Where the bundle is (`/var/task` on Lambda). */
  taskRoot: string;
  /** Where the runtime's own files are (`/var/runtime` on Lambda). */
  runtimeDir: string;
}

/**
 * The variables the runtime defines, keyed by name. Credentials and the region
 * come from the caller's `env` (the local target passes DynamoDB Local's); the
 * X-Ray variables are only set with active tracing, which the stack does not
 * enable; `AWS_LAMBDA_RUNTIME_API`, `NODE_EXTRA_CA_CERTS` and
 * `LD_LIBRARY_PATH` name things of the Lambda host (the runtime API, its CA
 * file, its library folders) that do not exist here and would mislead or
 * break the local Node.
 */
export function definedVariables(options: LambdaEnvironmentOptions): Record<string, string> {
  return {
    _HANDLER: options.handler,
    AWS_EXECUTION_ENV: `AWS_Lambda_${options.runtime ?? 'nodejs22.x'}`,
    AWS_LAMBDA_FUNCTION_NAME: options.functionName,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(options.memoryMb),
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_LAMBDA_LOG_GROUP_NAME: options.logGroupName,
    AWS_LAMBDA_LOG_STREAM_NAME: options.logStreamName,
    LAMBDA_TASK_ROOT: options.taskRoot,
    LAMBDA_RUNTIME_DIR: options.runtimeDir,
  };
}

/** Unreserved variables with Lambda's values; the user's setting wins. */
export function unreservedDefaults(runtime = 'nodejs22.x'): Record<string, string> {
  const major = /^nodejs(\d+)/.exec(runtime)?.[1] ?? '22';
  return {
    // The leading colon is the POSIX form Lambda uses: "the UTC zone file".
    TZ: ':UTC',
    LANG: 'en_US.UTF-8',
    PATH: '/usr/local/bin:/usr/bin/:/bin:/opt/bin',
    NODE_PATH: `/opt/nodejs/node${major}/node_modules:/opt/nodejs/node_modules:/var/runtime/node_modules`,
  };
}

/**
 * The whole environment of a worker: Lambda's defaults, then the function's
 * own variables, then the reserved ones (which nothing can override, as on
 * AWS). Nothing comes from the CLI's own environment.
 */
export function lambdaEnvironment(
  options: LambdaEnvironmentOptions,
  env: Record<string, string>,
): Record<string, string> {
  return { ...unreservedDefaults(options.runtime), ...env, ...definedVariables(options) };
}
