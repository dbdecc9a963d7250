import { describe, expect, test } from '@jest/globals';
import { toCliError } from '../../src/errorMessages.js';
import { UsageError } from '../../src/errors.js';
import { compileFilters, INVALID_FILTER_PATTERN, parseFilterPattern } from '../../src/esm/filter.js';
import { shownError } from '../helpers/errors.js';
import { makeRecord } from './records.js';

const paid = makeRecord(1, { status: 'PAID', key: 'abc-123' });
const placed = makeRecord(2, { status: 'PLACED', key: 'xyz-789' });

function matches(pattern: unknown, record: unknown = paid): boolean {
  return compileFilters([JSON.stringify(pattern)])(record);
}

describe('filter patterns on delivered records', () => {
  test('type wrappers are part of the record: leaving out S does not match', () => {
    expect(matches({ dynamodb: { NewImage: { status: { S: ['PAID'] } } } })).toBe(true);
    expect(matches({ dynamodb: { NewImage: { status: { S: ['PAID'] } } } }, placed)).toBe(false);
    expect(matches({ dynamodb: { NewImage: { status: ['PAID'] } } })).toBe(false);
  });

  test('top-level keys such as eventName and eventSource', () => {
    expect(matches({ eventName: ['INSERT'], eventSource: ['aws:dynamodb'] })).toBe(true);
    expect(matches({ eventName: ['MODIFY', 'REMOVE'] })).toBe(false);
  });

  test('arrays are OR, keys are AND', () => {
    expect(matches({ eventName: ['REMOVE', 'INSERT'] })).toBe(true);
    expect(matches({ eventName: ['INSERT'], dynamodb: { NewImage: { status: { S: ['SHIPPED'] } } } })).toBe(
      false,
    );
  });

  test('prefix, suffix and equals-ignore-case', () => {
    expect(matches({ dynamodb: { Keys: { orderId: { S: [{ prefix: 'abc-' }] } } } })).toBe(true);
    expect(matches({ dynamodb: { Keys: { orderId: { S: [{ prefix: 'ABC-' }] } } } })).toBe(false);
    expect(
      matches({ dynamodb: { Keys: { orderId: { S: [{ prefix: { 'equals-ignore-case': 'ABC-' } }] } } } }),
    ).toBe(true);
    expect(matches({ dynamodb: { Keys: { orderId: { S: [{ suffix: '-123' }] } } } })).toBe(true);
    expect(matches({ dynamodb: { Keys: { orderId: { S: [{ suffix: '-789' }] } } } })).toBe(false);
    expect(matches({ dynamodb: { NewImage: { status: { S: [{ 'equals-ignore-case': 'paid' }] } } } })).toBe(
      true,
    );
    expect(
      matches({ dynamodb: { NewImage: { status: { S: [{ 'equals-ignore-case': 'paid' }] } } } }, placed),
    ).toBe(false);
  });

  test('anything-but: a value, a list, and the prefix form', () => {
    const status = (op: unknown) => ({ dynamodb: { NewImage: { status: { S: [op] } } } });
    expect(matches(status({ 'anything-but': 'PAID' }))).toBe(false);
    expect(matches(status({ 'anything-but': 'PAID' }), placed)).toBe(true);
    expect(matches(status({ 'anything-but': ['PAID', 'SHIPPED'] }))).toBe(false);
    expect(matches(status({ 'anything-but': ['CANCELLED', 'SHIPPED'] }))).toBe(true);
    expect(matches(status({ 'anything-but': { prefix: 'PA' } }))).toBe(false);
    expect(matches(status({ 'anything-but': { prefix: 'PA' } }), placed)).toBe(true);
    // anything-but needs the field: a missing one does not match.
    expect(matches({ dynamodb: { NewImage: { missing: { S: [{ 'anything-but': 'x' }] } } } })).toBe(false);
  });

  test('numeric matches numbers (ApproximateCreationDateTime) but never N strings', () => {
    const created = paid.dynamodb.ApproximateCreationDateTime;
    expect(
      matches({
        dynamodb: { ApproximateCreationDateTime: [{ numeric: ['>', created - 1, '<=', created] }] },
      }),
    ).toBe(true);
    expect(matches({ dynamodb: { ApproximateCreationDateTime: [{ numeric: ['=', created] }] } })).toBe(true);
    expect(matches({ dynamodb: { ApproximateCreationDateTime: [{ numeric: ['<', created] }] } })).toBe(false);
    // total is {"N": "12.50"}: a string on the wire.
    expect(matches({ dynamodb: { NewImage: { total: { N: [{ numeric: ['>', 0] }] } } } })).toBe(false);
    expect(matches({ dynamodb: { NewImage: { total: { N: ['12.50'] } } } })).toBe(true);
  });

  test('exists looks at leaf values only', () => {
    expect(matches({ dynamodb: { NewImage: { status: { S: [{ exists: true }] } } } })).toBe(true);
    expect(matches({ dynamodb: { NewImage: { nope: { S: [{ exists: true }] } } } })).toBe(false);
    expect(matches({ dynamodb: { NewImage: { nope: { S: [{ exists: false }] } } } })).toBe(true);
    // status is present, but its value is an object, not a leaf.
    expect(matches({ dynamodb: { NewImage: { status: [{ exists: false }] } } })).toBe(true);
    expect(matches({ dynamodb: { NewImage: { status: [{ exists: true }] } } })).toBe(false);
  });

  test('$or combines alternatives, ANDed with the other keys', () => {
    const pattern = {
      eventName: ['INSERT'],
      $or: [
        { dynamodb: { NewImage: { status: { S: ['PAID'] } } } },
        { dynamodb: { Keys: { orderId: { S: [{ prefix: 'zzz' }] } } } },
      ],
    };
    expect(matches(pattern)).toBe(true);
    expect(matches(pattern, placed)).toBe(false);
  });

  test('several patterns are ORed; none means everything matches', () => {
    const filter = compileFilters([
      JSON.stringify({ dynamodb: { NewImage: { status: { S: ['SHIPPED'] } } } }),
      JSON.stringify({ dynamodb: { NewImage: { status: { S: ['PLACED'] } } } }),
    ]);
    expect(filter(placed)).toBe(true);
    expect(filter(paid)).toBe(false);
    expect(compileFilters([])(paid)).toBe(true);
  });

  test.each([
    ['not JSON', '{"eventName": ['],
    ['not an object', '["INSERT"]'],
    ['empty object', '{}'],
    ['scalar leaf', '{"eventName": "INSERT"}'],
    ['empty list', '{"eventName": []}'],
    ['unknown operator', '{"eventName": [{"wildcard-ish": "I*"}]}'],
    ['numeric on a string operand', '{"x": [{"numeric": [">", "5"]}]}'],
    ['numeric with two lower bounds', '{"x": [{"numeric": [">", 1, ">", 2]}]}'],
    ['exists with a string', '{"x": [{"exists": "yes"}]}'],
    ['$or with one alternative', '{"$or": [{"x": ["a"]}]}'],
  ])('refuses %s with AWS message', (_name, text) => {
    let error: unknown;
    try {
      parseFilterPattern(text);
    } catch (err) {
      error = toCliError(err) ?? err;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).message).toBe(INVALID_FILTER_PATTERN);
  });

  test('more than 5 patterns are refused', () => {
    expect(
      shownError(() => compileFilters(Array.from({ length: 6 }, () => '{"eventName":["INSERT"]}'))),
    ).toBeInstanceOf(UsageError);
  });
});
