import {
  GetEventSourceMappingCommand,
  type GetEventSourceMappingCommandOutput,
  type LambdaClient,
} from '@aws-sdk/client-lambda';
import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { StackModel } from '../../config/model.js';
import type { Stack } from '../../config/stack.js';
import type { EsmSettings, MappingReport, StatusReport } from '../types.js';
import { type AwsOutputs, type DeployedMapping, readAwsOutputs } from './terraform.js';

export interface AwsStatusOptions {
  stack: Stack;
  /** The stack's functions and mappings; without it, the built-in pipeline's mapping only. */
  model?: StackModel | undefined;
  stateDir: string;
  lambda: Pick<LambdaClient, 'send'>;
  sqs: Pick<SQSClient, 'send'>;
  /** The custom DynamoDB endpoint, when one is set (shown as `endpoint`). */
  endpoint?: string | undefined;
  /** Only this function's mappings (already checked against the model by the caller). */
  function?: string | undefined;
  /** Problems reaching AWS are reported, not thrown: status shows what it can. */
  onWarning?: ((text: string) => void) | undefined;
}

const notDeployed = (): StatusReport['esm'] => ({
  state: 'NotDeployed',
  lastProcessingResult: null,
  iteratorAgeMs: null,
  iteratorAgeMeasuredAt: null,
  // Without the IteratorAge metric nothing proves the mapping caught up.
  caughtUp: false,
  recordsProcessed: null,
  batchesFailed: null,
});

/**
 * The deployed mappings: the `mappings` output, or (outputs saved before
 * the module had it) the built-in pipeline's one mapping.
 */
function deployedMappings(outputs: AwsOutputs): DeployedMapping[] {
  if (outputs.mappings) return Object.values(outputs.mappings);
  if (!outputs.event_source_mapping_uuid) return [];
  return [
    {
      function: outputs.function_name,
      table: outputs.source_table_name,
      uuid: outputs.event_source_mapping_uuid,
      stream_arn: outputs.stream_arn,
      dlq_url: outputs.dlq_url,
    },
  ];
}

/**
 * The deployed stack as AWS reports it: each mapping's state and last result
 * (Lambda GetEventSourceMapping) and its function's on-failure queue depth
 * (SQS; a function's mappings share its queue). Record counts and iterator
 * age live in CloudWatch metrics (the dashboard), so they are null here.
 * The top-level `esm`/`dlq` are the built-in pipeline's mapping (or the
 * first one); `mappings` lists each when there are several or `function` is given.
 */
export async function awsStatus(options: AwsStatusOptions): Promise<StatusReport> {
  const { stack, model } = options;
  const outputs = await readAwsOutputs(options.stateDir);
  const all = outputs ? deployedMappings(outputs) : [];
  const chosen = all.filter((m) => options.function === undefined || m.function === options.function);
  const pipelineFn = model ? model.pipeline?.function : stack.function.name;
  const primary = chosen.find((m) => m.function === pipelineFn) ?? chosen[0];
  const report: StatusReport = {
    target: 'aws',
    running: Boolean(outputs),
    endpoint: options.endpoint ?? null,
    region: outputs?.region ?? stack.region,
    tables: {
      source: outputs?.source_table_name ?? primary?.table ?? stack.source_table.name,
      sink: outputs?.sink_table_name ?? '',
      sourceExists: Boolean(outputs),
      sinkExists: Boolean(outputs?.sink_table_name),
    },
    streamArn: outputs?.stream_arn ?? primary?.stream_arn ?? null,
    function: { name: primary?.function ?? outputs?.function_name ?? stack.function.name },
    esm: notDeployed(),
    dlq: { messages: 0 },
  };
  if (!outputs) return report;
  const queues = new Map<string, Promise<number>>();
  const depth = (url: string) => {
    let pending = queues.get(url);
    if (!pending) {
      pending = queueDepth(options, url);
      queues.set(url, pending);
    }
    return pending;
  };
  const reports = await Promise.all(
    chosen.map(async (m): Promise<MappingReport> => {
      const [esm, messages] = await Promise.all([mappingState(options, m), depth(m.dlq_url)]);
      return { function: m.function, table: m.table, streamArn: m.stream_arn, esm, dlq: { messages } };
    }),
  );
  const top = reports[chosen.indexOf(primary as DeployedMapping)];
  if (top) {
    report.esm = top.esm;
    report.dlq = top.dlq;
  }
  if (reports.length > 1 || options.function !== undefined) report.mappings = reports;
  return report;
}

async function mappingState(options: AwsStatusOptions, m: DeployedMapping): Promise<StatusReport['esm']> {
  const esm = notDeployed();
  try {
    const mapping = await options.lambda.send(new GetEventSourceMappingCommand({ UUID: m.uuid }));
    esm.state = mapping.State ?? 'Unknown';
    esm.lastProcessingResult = mapping.LastProcessingResult ?? null;
    esm.settings = esmSettings(mapping);
  } catch (err) {
    esm.state = 'Unknown';
    options.onWarning?.(
      `could not read the event source mapping of ${m.function} on ${m.table}: ${(err as Error).message}`,
    );
  }
  return esm;
}

async function queueDepth(options: AwsStatusOptions, url: string): Promise<number> {
  try {
    const queue = await options.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: url,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    const attrs = queue.Attributes ?? {};
    return (
      Number(attrs.ApproximateNumberOfMessages ?? 0) +
      Number(attrs.ApproximateNumberOfMessagesNotVisible ?? 0)
    );
  } catch (err) {
    options.onWarning?.(`could not read the on-failure queue ${url}: ${(err as Error).message}`);
    return 0;
  }
}

/** GetEventSourceMapping's answer under the stack file's names; null where Lambda left a field out. */
export function esmSettings(m: GetEventSourceMappingCommandOutput): EsmSettings {
  return {
    batch_size: m.BatchSize ?? null,
    maximum_batching_window_in_seconds: m.MaximumBatchingWindowInSeconds ?? null,
    starting_position: m.StartingPosition ?? null,
    parallelization_factor: m.ParallelizationFactor ?? null,
    bisect_batch_on_function_error: m.BisectBatchOnFunctionError ?? null,
    maximum_retry_attempts: m.MaximumRetryAttempts ?? null,
    maximum_record_age_in_seconds: m.MaximumRecordAgeInSeconds ?? null,
    function_response_types: [...(m.FunctionResponseTypes ?? [])],
    filter_criteria: {
      filter: (m.FilterCriteria?.Filters ?? []).flatMap((f) => (f.Pattern ? [{ pattern: f.Pattern }] : [])),
    },
  };
}
