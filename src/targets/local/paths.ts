import path from 'node:path';
import { CHECKPOINTS_FILE } from '../../esm/checkpointStore.js';

/** The state dir's name beside the stack file, unless --state-dir names another. */
export const STATE_DIR_NAME = '.ddb-ingest';

/**
 * The state dir's layout, each name written once: every module that makes a
 * path in the state dir takes its name from here, and manifest.ts derives what
 * `down --purge` may delete (TOOL_ENTRIES, TOOL_LAYOUT) from the same names.
 * Apart from the pipeline so that `logs` and `dlq` find their files without
 * loading the event source mapping.
 */
export const STATE_ENTRIES = {
  /** The local stack's state (state.ts). */
  localState: 'local.json',
  /** DynamoDB Local's output. */
  dynamodbLog: 'dynamodb.log',
  /** The processes the tool started (processRegistry.ts). */
  processes: 'processes.json',
  /** DynamoDB Local's database with `up --persist`. */
  data: 'data',
  /** The PII key file (secret.ts). */
  secrets: 'secrets',
  /** The built-in pipeline's bundle, mapping state, on-failure queue and logs. */
  build: 'build',
  esm: 'esm',
  dlq: 'dlq',
  logs: 'logs',
  /** Every other function's files (functions.ts). */
  functions: 'functions',
  /** The aws target's Terraform module copy, data dir, state and plans. */
  terraform: 'terraform',
  awsOutputs: 'aws-outputs.json',
  /** The validated stack model, so that later commands need not load the validator (config/modelCache.ts). */
  stackModel: 'stack-model.json',
} as const;

/** What a mapping writes in its esm/ directory. */
export const MAPPING_FILES = {
  checkpoints: CHECKPOINTS_FILE,
  status: 'status.json',
  runnerLog: 'runner.log',
} as const;

/** Under functions/<function>/: one directory per mapping, by source table. */
export const MAPPINGS_DIR = 'mappings';

/** The PII key's file in secrets/. */
export const PII_KEY_FILE = 'pii-key';

export const pipelinePaths = (stateDir: string) => ({
  buildDir: path.join(stateDir, STATE_ENTRIES.build),
  esmDir: path.join(stateDir, STATE_ENTRIES.esm),
  statusFile: path.join(stateDir, STATE_ENTRIES.esm, MAPPING_FILES.status),
  runnerLog: path.join(stateDir, STATE_ENTRIES.esm, MAPPING_FILES.runnerLog),
  dlqDir: path.join(stateDir, STATE_ENTRIES.dlq),
  logDir: path.join(stateDir, STATE_ENTRIES.logs),
});
