import { existsSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_SOURCE_HASH_KEY } from '../../../lambda/src/domain/keys.js';
import { BUILT_IN_HANDLER_ENTRY } from '../../config/constants.js';
import { type FunctionModel, type StackModel, tableEnvironment } from '../../config/model.js';
import { packageRoot } from '../../util/packageRoot.js';
import { TargetError } from '../errors.js';
import { MAPPING_FILES, MAPPINGS_DIR, pipelinePaths, STATE_ENTRIES } from './paths.js';
import type { LocalState } from './state.js';

/**
 * Where each function and each mapping of a stack keeps its files in the
 * state dir. The built-in pipeline (every version 1 stack) keeps the paths it
 * always had (`build/`, `logs/`, `esm/`, `dlq/`), so a running stack and the
 * commands that read it stay as they were; every other function lives under
 * `functions/<function>/`, each mapping under its `mappings/<table>/`.
 */
export const FUNCTIONS_DIR = STATE_ENTRIES.functions;

export interface FunctionPaths {
  /** The function's bundle and build manifest. */
  buildDir: string;
  /** Its log streams (one file per worker). */
  logDir: string;
}

export interface MappingPaths {
  /** Checkpoints of the mapping's stream. */
  esmDir: string;
  /** The mapping's live totals while the runner lives. */
  statusFile: string;
  /** Its on-failure queue. */
  dlqDir: string;
}

/** Whether `fn` is the built-in pipeline's function (version 1's `function`). */
export const isPipelineFunction = (model: Pick<StackModel, 'pipeline'>, fn: string) =>
  model.pipeline?.function === fn;

export function functionPaths(
  stateDir: string,
  model: Pick<StackModel, 'pipeline'>,
  fn: string,
): FunctionPaths {
  if (isPipelineFunction(model, fn)) {
    const { buildDir, logDir } = pipelinePaths(stateDir);
    return { buildDir, logDir };
  }
  const dir = path.join(stateDir, FUNCTIONS_DIR, fn);
  return { buildDir: path.join(dir, STATE_ENTRIES.build), logDir: path.join(dir, STATE_ENTRIES.logs) };
}

export function mappingPaths(
  stateDir: string,
  model: Pick<StackModel, 'pipeline'>,
  fn: string,
  table: string,
): MappingPaths {
  if (isPipelineFunction(model, fn) && model.pipeline?.sourceTable === table) {
    const { esmDir, statusFile, dlqDir } = pipelinePaths(stateDir);
    return { esmDir, statusFile, dlqDir };
  }
  const dir = path.join(stateDir, FUNCTIONS_DIR, fn, MAPPINGS_DIR, table);
  const esmDir = path.join(dir, STATE_ENTRIES.esm);
  return {
    esmDir,
    statusFile: path.join(esmDir, MAPPING_FILES.status),
    dlqDir: path.join(dir, STATE_ENTRIES.dlq),
  };
}

/**
 * What the built-in handler is told about its tables: the sink as
 * `SINK_TABLE_NAME`, and the source's key attribute as `SOURCE_HASH_KEY` where
 * it is not the contract's `orderId` (infra/lambda.tf sets the same).
 */
export function pipelineEnvironment(model: Pick<StackModel, 'pipeline' | 'tables'>): Record<string, string> {
  if (!model.pipeline) return {};
  const sourceKey = model.tables[model.pipeline.sourceTable]?.hash_key ?? DEFAULT_SOURCE_HASH_KEY;
  return {
    SINK_TABLE_NAME: model.pipeline.sinkTable,
    ...(sourceKey !== DEFAULT_SOURCE_HASH_KEY ? { SOURCE_HASH_KEY: sourceKey } : {}),
  };
}

/**
 * The part of a function's environment the stack file alone decides: its own
 * `environment`, the name of each table in its `tables` as `TABLE_<NAME>`,
 * and for the built-in pipeline's function its tables (pipelineEnvironment).
 */
export function stackFunctionEnvironment(
  model: Pick<StackModel, 'name' | 'region' | 'pipeline' | 'tables'>,
  fn: FunctionModel,
): Record<string, string> {
  return {
    ...fn.environment,
    ...tableEnvironment(fn),
    ...(isPipelineFunction(model, fn.name) ? pipelineEnvironment(model) : {}),
    POWERTOOLS_SERVICE_NAME: model.name,
    POWERTOOLS_METRICS_NAMESPACE: model.name,
    POWERTOOLS_LOG_LEVEL: fn.environment.POWERTOOLS_LOG_LEVEL ?? 'INFO',
    AWS_REGION: model.region,
    AWS_DEFAULT_REGION: model.region,
  };
}

/**
 * A function's whole environment on the local target: the stack's part, the
 * local endpoint for DynamoDB and DynamoDB Streams (AWS_ENDPOINT_URL_<SERVICE>,
 * as the SDKs read it) with DynamoDB Local's dummy credentials, and for the
 * built-in handler where its PII key is (a path, never the key).
 */
export function localFunctionEnvironment(
  model: Pick<StackModel, 'name' | 'region' | 'pipeline' | 'tables'>,
  fn: FunctionModel,
  state: Pick<LocalState, 'region' | 'dynamodb' | 'piiKeyFile'>,
): Record<string, string> {
  return {
    ...stackFunctionEnvironment(model, fn),
    ...(isPipelineFunction(model, fn.name) || fn.entry === BUILT_IN_HANDLER_ENTRY
      ? { PII_KEY_FILE: state.piiKeyFile }
      : {}),
    AWS_REGION: state.region,
    AWS_DEFAULT_REGION: state.region,
    AWS_ACCESS_KEY_ID: 'ddblocal',
    AWS_SECRET_ACCESS_KEY: 'ddblocal',
    AWS_ENDPOINT_URL_DYNAMODB: state.dynamodb.endpoint,
    AWS_ENDPOINT_URL_DYNAMODB_STREAMS: state.dynamodb.endpoint,
    // The local runtime runs on the machine's Node (20 here), which the SDK warns about on every cold start.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
}

/** The key a function's entry is written under, for messages: `function.entry` or `functions.<name>.entry`. */
export const entryKey = (model: Pick<StackModel, 'pipeline'>, fn: string) =>
  isPipelineFunction(model, fn) ? 'function.entry' : `functions.${fn}.entry`;

/** resolveHandlerEntry for any function: `key` is where the entry is written, for the message. */
export function resolveEntry(
  entryPath: string,
  stackDir: string,
  key: string,
  defaultEntry = BUILT_IN_HANDLER_ENTRY,
): string {
  const entry = path.resolve(stackDir, entryPath);
  if (existsSync(entry)) return entry;
  const bundled = path.join(packageRoot(), defaultEntry);
  if (entryPath === defaultEntry && existsSync(bundled)) return bundled;
  throw new TargetError(
    'targets.entry-missing',
    `${key} ${entryPath} does not exist (looked for ${entry}).`,
    {
      details: { entry: entryPath, path: entry, key },
    },
  );
}

/** The stream ARN `up` recorded for `table`. */
export function recordedStreamArn(state: LocalState, table: string): string {
  const arn = state.streams?.[table] ?? (state.tables.source === table ? state.tables.streamArn : undefined);
  if (!arn) {
    throw new TargetError(
      'targets.no-stream-recorded',
      `The local stack has no stream recorded for table ${table}.`,
      {
        details: { table },
      },
    );
  }
  return arn;
}
