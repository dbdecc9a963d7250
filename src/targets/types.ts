/** The `status --json` document (fields fixed by the CLI contract). */
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
  };
  dlq: { messages: number };
  /** Processes the local target started (absent on aws). */
  processes?: { dynamodb: number | null; runner: number | null };
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
