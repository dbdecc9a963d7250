import type { InvokeCommandOutput } from '@aws-sdk/client-lambda';
import { interpretResponse } from '../../src/esm/response.js';
import { outcomeOfInvoke, type ReplayEvent } from '../../src/replay/invoke.js';
import type { WireRecord } from '../../src/streams/wire.js';

const record = (seq: string): WireRecord => ({
  eventID: `e${seq}`,
  eventName: 'INSERT',
  eventVersion: '1.1',
  eventSource: 'aws:dynamodb',
  awsRegion: 'us-east-1',
  dynamodb: { Keys: { pk: { S: seq } }, SequenceNumber: seq, SizeBytes: 10, StreamViewType: 'KEYS_ONLY' },
  eventSourceARN: 'arn:aws:dynamodb:us-east-1:000000000000:table/t/stream/x',
});
const event: ReplayEvent = { Records: ['100', '200', '300'].map(record) };
const seqs = event.Records.map((r) => r.dynamodb.SequenceNumber);
const invoked = (response: unknown): InvokeCommandOutput => ({
  $metadata: {},
  StatusCode: 200,
  Payload: new Uint8Array(
    Buffer.from(
      response === undefined ? '' : typeof response === 'string' ? response : JSON.stringify(response),
    ),
  ) as NonNullable<InvokeCommandOutput['Payload']>,
});

// Responses the mapping does not read as a success of the whole batch.
const failing: [string, unknown][] = [
  ['an identifier of another batch', { batchItemFailures: [{ itemIdentifier: '999' }] }],
  ['a failure without an identifier', { batchItemFailures: [{}] }],
  ['an empty identifier', { batchItemFailures: [{ itemIdentifier: '' }] }],
  ['a number as identifier', { batchItemFailures: [{ itemIdentifier: 200 }] }],
  ['batchItemFailures not a list', { batchItemFailures: 'oops' }],
  ['a bare string', '"done"'],
  ['a non-empty array', [1]],
];

test.each(failing)('replay fails the batch where the mapping does: %s', (_name, response) => {
  const verdict = interpretResponse({ ok: true, result: JSON.parse(JSON.stringify(response)) }, seqs, true);
  expect(verdict.kind).toBe('failure');
  const outcome = outcomeOfInvoke(invoked(response), event);
  expect(outcome.ok).toBe(true);
  expect(outcome.batchItemFailures).toEqual(seqs);
  expect(outcome.invalidResponse).toMatch(/^Invalid partial batch response: /);
});

test('a valid partial batch response: the reported records, as the mapping retries from the lowest', () => {
  const response = { batchItemFailures: [{ itemIdentifier: '300' }, { itemIdentifier: '200' }] };
  expect(interpretResponse({ ok: true, result: response }, seqs, true)).toEqual({
    kind: 'partial',
    failedFrom: 1,
  });
  const outcome = outcomeOfInvoke(invoked(response), event);
  expect(outcome.batchItemFailures).toEqual(['300', '200']);
  expect(outcome.invalidResponse).toBeUndefined();
});

test.each([
  ['nothing', undefined],
  ['null', null],
  ['{}', {}],
  ['an empty list', { batchItemFailures: [] }],
])('a success for both: %s', (_name, response) => {
  expect(interpretResponse({ ok: true, result: response }, seqs, true)).toEqual({ kind: 'success' });
  expect(outcomeOfInvoke(invoked(response), event)).toMatchObject({ ok: true, batchItemFailures: [] });
});
