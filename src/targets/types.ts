/** The `status --json` document (fields fixed by the CLI contract). */
/** Event source mapping settings under the stack file's `event_source_mapping` names. */
export interface EsmSettings {
  batch_size: number | null;
  maximum_batching_window_in_seconds: number | null;
  starting_position: string | null;
  parallelization_factor: number | null;
  bisect_batch_on_function_error: boolean | null;
  maximum_retry_attempts: number | null;
  maximum_record_age_in_seconds: number | null;
  function_response_types: string[];
  filter_criteria: { filter: { pattern: string }[] };
}

export interface StatusReport {
  target: 'local' | 'aws';
  running: boolean;
  endpoint: string | null;
  region: string;
  tables: { source: string; sink: string; sourceExists: boolean; sinkExists: boolean };
  streamArn: string | null;
  function: { name: string };
  esm: {
    state: string;
    lastProcessingResult: string | null;
    /**
     * As Lambda's IteratorAge metric: the age of the newest record of the last
     * batch when it was handed to the function; it stays at that value while
     * nothing arrives (see `caughtUp`).
     */
    iteratorAgeMs: number | null;
    /** When `iteratorAgeMs` was measured (the last invocation), ISO time; null before the first. */
    iteratorAgeMeasuredAt: string | null;
    /** The mapping has read everything the stream holds and the function has it all: the pipeline is idle. */
    caughtUp: boolean;
    /** null on the aws target: the counts live in CloudWatch metrics. */
    recordsProcessed: number | null;
    batchesFailed: number | null;
    /**
     * The deployed mapping's settings as Lambda reports them, under the
     * stack file's names (aws target, once GetEventSourceMapping answered):
     * what is live, to compare with the stack file.
     */
    settings?: EsmSettings;
  };
  dlq: { messages: number };
  /**
   * Stacks with several mappings: one entry per (function, stream), with the
   * `esm` and `dlq` fields above for that mapping (the top-level ones are the
   * built-in pipeline's, or the first mapping's).
   */
  mappings?: MappingReport[];
  /** Processes the local target started (absent on aws). */
  processes?: { dynamodb: number | null; runner: number | null };
}

/** One mapping in `status --json` `mappings`. */
export interface MappingReport {
  function: string;
  table: string;
  streamArn: string | null;
  esm: StatusReport['esm'];
  dlq: { messages: number };
}

export interface UpResult {
  target: 'local' | 'aws';
  endpoint: string;
  region: string;
  tables: { source: string; sink: string };
  streamArn: string;
  /** Every table with a stream: name -> stream ARN (local target). */
  streams?: Record<string, string>;
  /** True when the stack was already up and was left running. */
  alreadyRunning: boolean;
  persist: boolean;
  /** DynamoDB Local's port (local target). */
  port?: number;
}
