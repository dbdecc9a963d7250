import { parseTailOptions } from '../../src/commands/tailOptions.js';
import { UsageError } from '../../src/errors.js';

const NOW = Date.UTC(2026, 10, 25, 12, 0, 0);

function usage(fn: () => unknown): UsageError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return err as UsageError;
  }
  throw new Error('expected a UsageError');
}

test('tail options: defaults, start positions, limit, events', () => {
  expect(parseTailOptions({}, NOW)).toEqual({ from: { type: 'trim-horizon' }, follow: true });
  expect(parseTailOptions({ from: 'LATEST', follow: false }, NOW)).toEqual({
    from: { type: 'latest' },
    follow: false,
  });
  expect(parseTailOptions({ from: '2026-11-25T10:00:00Z' }, NOW).from).toEqual({
    type: 'time',
    time: Date.UTC(2026, 10, 25, 10),
  });
  expect(parseTailOptions({ from: '000000000000000000012' }, NOW).from).toEqual({
    type: 'sequence',
    sequenceNumber: '000000000000000000012',
  });
  expect(parseTailOptions({ limit: '5', event: ['insert,Modify', 'INSERT'] }, NOW)).toMatchObject({
    limit: 5,
    events: ['INSERT', 'MODIFY'],
  });
});

test('bad tail options say what was wrong and what is allowed', () => {
  const from = usage(() => parseTailOptions({ from: 'yesterday' }, NOW));
  expect(from.message).toBe('--from "yesterday" is not a start position.');
  expect(from.hint).toMatch(/trim-horizon, latest, an ISO time .* sequence number/);
  expect(usage(() => parseTailOptions({ from: '12' }, NOW)).message).toMatch(/--from "12"/);
  expect(usage(() => parseTailOptions({ limit: '0' }, NOW)).message).toBe(
    '--limit "0" is not a positive whole number.',
  );
  expect(usage(() => parseTailOptions({ limit: 'ten' }, NOW)).exitCode).toBe(2);
  const event = usage(() => parseTailOptions({ event: 'INSERT,UPSERT' }, NOW));
  expect(event.message).toBe('--event "UPSERT" is not a stream event name.');
  expect(event.hint).toMatch(/INSERT, MODIFY, REMOVE/);
});
