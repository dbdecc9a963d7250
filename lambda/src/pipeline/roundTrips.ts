/**
 * The sink's round trips of one invocation (SDK retries included): the cost
 * grouping saves, reported as the SinkRoundTrips metric.
 */
import type { SinkClient } from './apply.js';

/** Counts the sink's round trips (SDK retries included), the cost grouping saves. */
export function countingSink(ddb: SinkClient): { sink: SinkClient; roundTrips: () => number } {
  let trips = 0;
  const attemptsOf = (value: unknown) =>
    (value as { $metadata?: { attempts?: number } } | undefined)?.$metadata?.attempts ?? 1;
  const send = (async (command: never) => {
    try {
      const out = await ddb.send(command);
      trips += attemptsOf(out);
      return out;
    } catch (err) {
      trips += attemptsOf(err);
      throw err;
    }
  }) as SinkClient['send'];
  return { sink: { send }, roundTrips: () => trips };
}
