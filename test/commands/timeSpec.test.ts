import { parseTimeSpec } from '../../src/commands/timeSpec.js';
import { UsageError } from '../../src/errors.js';

const NOW = Date.UTC(2026, 10, 25, 12, 0, 0);

test.each([
  ['5m', NOW - 5 * 60_000],
  ['2h30m', NOW - 2.5 * 3_600_000],
  ['90s', NOW - 90_000],
  ['1d', NOW - 86_400_000],
  ['1w', NOW - 7 * 86_400_000],
  ['now', NOW],
  ['2026-11-25T10:00:00Z', Date.UTC(2026, 10, 25, 10)],
  ['2026-11-25T10:00:00.250Z', Date.UTC(2026, 10, 25, 10, 0, 0, 250)],
  ['2026-11-25T10:00:00+02:00', Date.UTC(2026, 10, 25, 8)],
  ['2026-11-25', Date.UTC(2026, 10, 25)],
])('parseTimeSpec(%s)', (text, expected) => {
  expect(parseTimeSpec(text, NOW)).toBe(expected);
});

test.each(['', '5', '5 minutes', 'm5', '2026-13-45', '2026-11-25T25:00:00Z', '-5m'])(
  'parseTimeSpec refuses %j with the option name',
  (text) => {
    expect(() => parseTimeSpec(text, NOW, '--until')).toThrow(UsageError);
    expect(() => parseTimeSpec(text, NOW, '--until')).toThrow(`--until "${text}" is not a time.`);
  },
);
