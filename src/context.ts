import path from 'node:path';
import type { AwsConnection } from './aws/clients.js';
import { checkEndpointUrl, resolveEndpoints, type ServiceEndpoints } from './aws/endpoints.js';
import type { LoadedStack, Stack } from './config/stack.js';
import { UsageError } from './errors.js';
import { colorWanted, Output } from './output.js';
import type { Target, TargetName } from './targets/target.js';

export type { TargetName } from './targets/target.js';

/** The global options of every command (see `ddb-ingest --help`). */
export interface GlobalOptions {
  config?: string;
  target?: string;
  json?: boolean;
  color?: boolean;
  quiet?: boolean;
  profile?: string;
  region?: string;
  endpointUrl?: string;
  stateDir?: string;
  /** Everything the tools underneath print (Terraform), on stderr. */
  verbose?: boolean;
}

/** Everything a command needs, resolved once from the global options. */
export interface Context {
  stack: Stack;
  stackFile: LoadedStack;
  /** Where the stack runs; everything target-specific goes through it. */
  target: Target;
  /** Where local state, logs, the bundle and the DLQ live. */
  stateDir: string;
  output: Output;
  /**
   * --profile / --region / --endpoint-url, falling back to AWS_* variables and
   * the stack file. `endpoints` holds every service with a custom endpoint
   * (aws target: the flag or AWS_ENDPOINT_URL[_<SERVICE>]; local target: the
   * flag only); `endpoint` is DynamoDB's, the one `status` shows.
   */
  aws: {
    region: string;
    profile?: string | undefined;
    endpoint?: string | undefined;
    endpoints: ServiceEndpoints;
  };
  env: NodeJS.ProcessEnv;
  /** The global options as given, for what must distinguish a flag from a default. */
  flags: GlobalOptions;
}

export function parseTarget(value: string | undefined): TargetName {
  const target = value ?? 'local';
  if (target !== 'local' && target !== 'aws') {
    throw new UsageError(`Unknown target "${target}".`, 'Use --target local (the default) or --target aws.');
  }
  return target;
}

export function createOutput(opts: GlobalOptions, env: NodeJS.ProcessEnv = process.env): Output {
  return new Output({
    json: Boolean(opts.json),
    quiet: Boolean(opts.quiet),
    color: colorWanted(opts.color !== false, env),
  });
}

export async function createContext(
  opts: GlobalOptions,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Context> {
  const target = parseTarget(opts.target);
  // One after the other: jest's ESM loader (the tests) can fail two parallel imports that share a module
  // ("request for 'node:fs/promises' is not in cache"); Node itself has no such race, and these are small.
  const { loadStackCached } = await import('./config/modelCache.js');
  const { STATE_DIR_NAME, STATE_ENTRIES } = await import('./targets/local/paths.js');
  const { ownsEntry } = await import('./targets/local/manifest.js');
  const stateDirOf = (dir: string) => path.resolve(opts.stateDir ?? path.join(dir, STATE_DIR_NAME));
  // zod (the stack file's schema) costs more to load than the whole CLI: a model validated before is read back.
  const stackFile = await loadStackCached(opts.config, {
    cacheFor: async (dir) => ({
      file: path.join(stateDirOf(dir), STATE_ENTRIES.stackModel),
      writable: await ownsEntry(stateDirOf(dir), STATE_ENTRIES.stackModel),
    }),
  });
  const stateDir = stateDirOf(stackFile.dir);
  // The local target has its own endpoint (DynamoDB Local): AWS_ENDPOINT_URL* are for AWS.
  const endpoints =
    target === 'aws'
      ? resolveEndpoints(opts.endpointUrl, env, '--endpoint-url')
      : opts.endpointUrl !== undefined
        ? { dynamodb: checkEndpointUrl(opts.endpointUrl, '--endpoint-url') }
        : {};
  const aws = {
    region: opts.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? stackFile.stack.region,
    profile: opts.profile ?? env.AWS_PROFILE,
    endpoint: endpoints.dynamodb,
    endpoints,
  };
  const { createTarget } = await import('./targets/target.js');
  return {
    stack: stackFile.stack,
    stackFile,
    // The aws connection has per-service endpoints only: `endpoint` is DynamoDB's.
    target: await createTarget(target, {
      stack: stackFile.stack,
      stackFile,
      stateDir,
      aws: { region: aws.region, profile: aws.profile, endpoints },
      ...(endpoints.dynamodb && target === 'local' ? { endpointOverride: endpoints.dynamodb } : {}),
    }),
    stateDir,
    output: createOutput(opts, env),
    aws,
    env,
    flags: opts,
  };
}

/** The connection for the aws target (the local target supplies its own endpoint). */
export function awsConnection(ctx: Context): AwsConnection {
  return { region: ctx.aws.region, profile: ctx.aws.profile, endpoints: ctx.aws.endpoints };
}

/** Context plus the command's own options; `signal` aborts on Ctrl-C. */
export interface RunContext extends Context {
  signal: AbortSignal;
  /** Where an option's value came from (`cli`, `default`, `env`...), for what must tell a flag from a default. */
  invocation?: { optionSource(name: string): string | undefined };
  /** Sets what a forced exit (work that did not stop in time) says was done. */
  onInterruptDescribe?: (describe: () => string) => void;
}
