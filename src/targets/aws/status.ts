import {
  GetEventSourceMappingCommand,
  type GetEventSourceMappingCommandOutput,
  type LambdaClient,
} from '@aws-sdk/client-lambda';
import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Stack } from '../../config/stack.js';
import type { EsmSettings, StatusReport } from '../types.js';
import { readAwsOutputs } from './terraform.js';

export interface AwsStatusOptions {
  stack: Stack;
  stateDir: string;
  lambda: Pick<LambdaClient, 'send'>;
  sqs: Pick<SQSClient, 'send'>;
  /** The custom DynamoDB endpoint, when one is set (shown as `endpoint`). */
  endpoint?: string | undefined;
  /** Problems reaching AWS are reported, not thrown: status shows what it can. */
  onWarning?: ((text: string) => void) | undefined;
}

/**
 * The deployed stack as AWS reports it: the mapping's state and last result
 * (Lambda GetEventSourceMapping) and the on-failure queue's depth (SQS).
 * Record counts and iterator age live in CloudWatch metrics (the dashboard),
 * so they are null here.
 */
export async function awsStatus(options: AwsStatusOptions): Promise<StatusReport> {
  const { stack } = options;
  const outputs = await readAwsOutputs(options.stateDir);
  const report: StatusReport = {
    target: 'aws',
    running: Boolean(outputs),
    endpoint: options.endpoint ?? null,
    region: outputs?.region ?? stack.region,
    tables: {
      source: outputs?.source_table_name ?? stack.source_table.name,
      sink: outputs?.sink_table_name ?? stack.sink_table.name,
      sourceExists: Boolean(outputs),
      sinkExists: Boolean(outputs),
    },
    streamArn: outputs?.stream_arn ?? null,
    function: { name: outputs?.function_name ?? stack.function.name },
    esm: {
      state: 'NotDeployed',
      lastProcessingResult: null,
      iteratorAgeMs: null,
      iteratorAgeMeasuredAt: null,
      // Without the IteratorAge metric nothing proves the mapping caught up.
      caughtUp: false,
      recordsProcessed: null,
      batchesFailed: null,
    },
    dlq: { messages: 0 },
  };
  if (!outputs) return report;
  const [mapping, queue] = await Promise.allSettled([
    options.lambda.send(new GetEventSourceMappingCommand({ UUID: outputs.event_source_mapping_uuid })),
    options.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: outputs.dlq_url,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    ),
  ]);
  if (mapping.status === 'fulfilled') {
    report.esm.state = mapping.value.State ?? 'Unknown';
    report.esm.lastProcessingResult = mapping.value.LastProcessingResult ?? null;
    report.esm.settings = esmSettings(mapping.value);
  } else {
    report.esm.state = 'Unknown';
    options.onWarning?.(`could not read the event source mapping: ${(mapping.reason as Error).message}`);
  }
  if (queue.status === 'fulfilled') {
    const attrs = queue.value.Attributes ?? {};
    report.dlq.messages =
      Number(attrs.ApproximateNumberOfMessages ?? 0) +
      Number(attrs.ApproximateNumberOfMessagesNotVisible ?? 0);
  } else {
    options.onWarning?.(`could not read the on-failure queue: ${(queue.reason as Error).message}`);
  }
  return report;
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
