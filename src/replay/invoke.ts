import { InvokeCommand, type InvokeCommandOutput, type LambdaClient } from '@aws-sdk/client-lambda';
import { parsePartialBatchResponse } from '../esm/response.js';
import { type LocalRuntimeOptions, startLocalRuntime } from '../runtime/localRuntime.js';
import type { WireRecord } from '../streams/wire.js';
import { MAX_SYNC_PAYLOAD_BYTES } from '../util/lambda.js';
import { ReplayError } from './errors.js';

/** The event one batch is sent as: what Lambda hands a stream function. */
export interface ReplayEvent {
  Records: WireRecord[];
}

/** What one invocation came to, the same for the local runtime and the deployed function. */
export interface BatchOutcome {
  /** false when the function failed (threw, timed out, crashed): `functionError` says how. */
  ok: boolean;
  /** The handler's response (a partial batch response for our handler); error payload on failure. */
  result?: unknown;
  /** Lambda's FunctionError (`Unhandled`, `Handled`), absent on success. */
  functionError?: string;
  errorType?: string;
  errorMessage?: string;
  /**
   * Records that failed by the event source mapping's reading of the response
   * (esm/response.ts): the `itemIdentifier`s reported, or every record of the
   * batch when the response is not a valid partial batch response.
   */
  batchItemFailures: string[];
  /** Why the response fails the whole batch (not a valid partial batch response). */
  invalidResponse?: string;
  requestId?: string;
  /** Remote only: the last 4 KB of the invocation's log, decoded from LogResult. */
  logTail?: string;
  /** Remote only: the version the alias pointed at. */
  executedVersion?: string;
}

/** Sends one batch to a function; `close` releases what it holds (workers, clients stay the caller's). */
export interface Invoker {
  invoke(event: ReplayEvent): Promise<BatchOutcome>;
  close(): Promise<void>;
}

/** The failed records of a response, read as the event source mapping reads it. */
function failuresOf(
  result: unknown,
  event: ReplayEvent,
): Pick<BatchOutcome, 'batchItemFailures' | 'invalidResponse'> {
  const sequenceNumbers = event.Records.map((r) => r.dynamodb.SequenceNumber);
  const response = parsePartialBatchResponse(result, sequenceNumbers);
  if (response.kind === 'success') return { batchItemFailures: [] };
  if (response.kind === 'partial') return { batchItemFailures: response.failed };
  return { batchItemFailures: sequenceNumbers, invalidResponse: response.detail };
}

/**
 * The handler bundle in the local runtime, one warm worker, so a replay runs
 * the code, environment and log store the event source mapping uses and its
 * invocations show in `ddb-ingest logs`.
 */
export async function startLocalInvoker(options: LocalRuntimeOptions): Promise<Invoker> {
  const runtime = await startLocalRuntime({ ...options, maxConcurrency: options.maxConcurrency ?? 1 });
  return {
    async invoke(event) {
      const outcome = await runtime.invoke(event);
      const requestId = outcome.requestId ? { requestId: outcome.requestId } : {};
      if (outcome.ok) {
        return {
          ok: true,
          result: outcome.result,
          ...failuresOf(outcome.result, event),
          ...requestId,
        };
      }
      return {
        ok: false,
        result: { errorType: outcome.errorType, errorMessage: outcome.errorMessage },
        functionError: outcome.functionError,
        errorType: outcome.errorType,
        errorMessage: outcome.errorMessage,
        batchItemFailures: [],
        ...requestId,
      };
    },
    close: () => runtime.stop(),
  };
}

export interface RemoteInvokerOptions {
  client: Pick<LambdaClient, 'send'>;
  functionName: string;
  /** The alias or version invoked; the deployed stack serves traffic through `live`. */
  qualifier?: string | undefined;
  signal?: AbortSignal | undefined;
}

function decodeText(bytes: Uint8Array | undefined): string {
  return bytes ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8') : '';
}

function parsePayload(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Turns an Invoke response into a BatchOutcome (exported for tests of odd responses). */
export function outcomeOfInvoke(out: InvokeCommandOutput, event: ReplayEvent): BatchOutcome {
  const result = parsePayload(decodeText(out.Payload));
  const logTail = out.LogResult ? Buffer.from(out.LogResult, 'base64').toString('utf8') : undefined;
  const common = {
    result,
    ...(logTail !== undefined ? { logTail } : {}),
    ...(out.ExecutedVersion ? { executedVersion: out.ExecutedVersion } : {}),
    ...(out.$metadata?.requestId ? { requestId: out.$metadata.requestId } : {}),
  };
  if (out.FunctionError) {
    const error = (result ?? {}) as { errorType?: unknown; errorMessage?: unknown };
    return {
      ok: false,
      functionError: out.FunctionError,
      ...(typeof error.errorType === 'string' ? { errorType: error.errorType } : {}),
      ...(typeof error.errorMessage === 'string' ? { errorMessage: error.errorMessage } : {}),
      batchItemFailures: [],
      ...common,
    };
  }
  return { ok: true, ...failuresOf(result, event), ...common };
}

/**
 * The deployed function, through Lambda Invoke (RequestResponse, LogType
 * Tail): the same synchronous call shape the event source mapping makes, with
 * the log tail so the user sees what the function said.
 */
export function remoteInvoker(options: RemoteInvokerOptions): Invoker {
  const qualifier = options.qualifier ?? 'live';
  return {
    async invoke(event) {
      const payload = Buffer.from(JSON.stringify(event), 'utf8');
      if (payload.byteLength > MAX_SYNC_PAYLOAD_BYTES) {
        throw new ReplayError(
          'replay.payload-too-large',
          `A batch of ${event.Records.length} records is ${payload.byteLength} bytes, over Lambda's 6 MB limit for a synchronous invocation.`,
          { details: { records: event.Records.length, bytes: payload.byteLength } },
        );
      }
      let out: InvokeCommandOutput;
      try {
        out = await options.client.send(
          new InvokeCommand({
            FunctionName: options.functionName,
            Qualifier: qualifier,
            InvocationType: 'RequestResponse',
            LogType: 'Tail',
            Payload: new Uint8Array(payload),
          }),
          options.signal ? { abortSignal: options.signal } : {},
        );
      } catch (err) {
        if ((err as Error).name === 'ResourceNotFoundException') {
          throw new ReplayError(
            'replay.function-not-found',
            `Function ${options.functionName}:${qualifier} was not found.`,
            { cause: err, details: { functionName: options.functionName, qualifier } },
          );
        }
        throw err;
      }
      return outcomeOfInvoke(out, event);
    },
    close: async () => {},
  };
}
