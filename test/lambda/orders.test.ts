import { createHmac } from 'node:crypto';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import {
  emailHash,
  keyFromSecretText,
  normalizeDecimal,
  projectOrder,
  projectSource,
} from '../../lambda/src/domain/orders.js';
import { addDecimals, formatDecimal, parseDecimal } from '../../lambda/src/lib/decimal.js';
import { MalformedRecordError } from '../../lambda/src/pipeline/domain.js';
import { newOrder, orderImage } from './support.js';

const key = keyFromSecretText('0123456789abcdef\n');
const image = (overrides: Parameters<typeof newOrder>[0] = {}) =>
  orderImage(newOrder(overrides)) as Record<string, AttributeValue>;

test('decimals are exact and canonical', () => {
  const sum = addDecimals(
    parseDecimal('0.1') ?? { units: 0n, scale: 0 },
    parseDecimal('0.2') ?? { units: 0n, scale: 0 },
  );
  expect(formatDecimal(sum)).toBe('0.3');
  expect(
    ['5.0', '-0.00', '0.50', '007', '-12.340', '99999999999999999999999.99'].map(normalizeDecimal),
  ).toEqual(['5', '0', '0.5', '7', '-12.34', '99999999999999999999999.99']);
  expect(parseDecimal('1e3')).toBeUndefined();
  expect(parseDecimal('NaN')).toBeUndefined();
});

test('the key is the trimmed secret text; emailHash is HMAC-SHA256 hex of the normalised email', () => {
  expect(key.toString('utf8')).toBe('0123456789abcdef');
  const expected = createHmac('sha256', '0123456789abcdef').update('ada@example.com').digest('hex');
  expect(emailHash('  ADA@Example.com\t', key)).toBe(expected);
  expect(expected).toMatch(/^[0-9a-f]{64}$/);
  expect(() => keyFromSecretText(' \n')).toThrow(/empty/);
});

test('projectOrder keeps the contract fields only, and names what is malformed', () => {
  const order = projectOrder(image({ orderId: 'o-1', customerId: 'c-1', total: '20.20' }), key);
  expect(Object.keys(order).sort()).toEqual(
    [
      'createdAt',
      'currency',
      'customerId',
      'emailHash',
      'itemCount',
      'orderId',
      'pk',
      'status',
      'total',
      'updatedAt',
    ].sort(),
  );
  expect(order).toMatchObject({ pk: 'ORDER#o-1', total: '20.2', itemCount: 3 });

  const noEmail = image();
  delete noEmail.customerEmail;
  expect(() => projectOrder(noEmail, key)).toThrow(
    new MalformedRecordError('NewImage.customerEmail (S) is missing'),
  );
  const fractional = image({ items: [{ sku: 's', name: 'n', quantity: 1.5, unitPrice: '1' }] });
  expect(() => projectOrder(fractional, key)).toThrow(
    'NewImage.items[0].quantity is not a non-negative integer (N)',
  );
});

test('projectSource recomputes aggregates: cancelled orders count but do not spend', () => {
  const sink = projectSource(
    [
      image({ orderId: 'o-1', customerId: 'c-1', total: '0.10' }),
      image({ orderId: 'o-2', customerId: 'c-1', total: '0.20' }),
      image({ orderId: 'o-3', customerId: 'c-1', total: '100.00', status: 'CANCELLED' }),
      image({ orderId: 'o-4', customerId: 'c-2', total: '5.55', status: 'CANCELLED' }),
    ],
    key,
  );
  expect(sink.orders.map((o) => o.pk)).toEqual(['ORDER#o-1', 'ORDER#o-2', 'ORDER#o-3', 'ORDER#o-4']);
  expect(sink.customers).toEqual([
    { pk: 'CUSTOMER#c-1', customerId: 'c-1', orderCount: 3, totalSpent: '0.3' },
    { pk: 'CUSTOMER#c-2', customerId: 'c-2', orderCount: 1, totalSpent: '0' },
  ]);
});
