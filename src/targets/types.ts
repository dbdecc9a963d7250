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
    iteratorAgeMs: number | null;
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
  /** True when the stack was already up and was left running. */
  alreadyRunning: boolean;
  persist: boolean;
}
