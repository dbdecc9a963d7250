/**
 * The orders domain: how a source order becomes a sink `ORDER#` item and what
 * it contributes to its `CUSTOMER#` aggregate. Pure functions only (no I/O), so
 * the handler, `verify` and tests all compute the same projection.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { addDecimals, formatDecimal, normalizeDecimal, parseDecimal } from '../lib/decimal.js';
import { hmacSha256Hex, keyFromSecretText } from '../lib/secret.js';
import { type Contribution, type DomainModel, type Image, MalformedRecordError } from '../pipeline/domain.js';
import { DEFAULT_SOURCE_HASH_KEY } from './keys.js';

export { DEFAULT_SOURCE_HASH_KEY, SINK_HASH_KEY } from './keys.js';
export { keyFromSecretText, normalizeDecimal };

export const ORDER_PREFIX = 'ORDER#';
export const CUSTOMER_PREFIX = 'CUSTOMER#';
/** The status whose orders still count in `orderCount` but not in `totalSpent`. */
export const CANCELLED = 'CANCELLED';

/** A sink `ORDER#` item in plain form. No customer name, email or items. */
export interface OrderItem {
  pk: string;
  orderId: string;
  customerId: string;
  status: string;
  /** Exact decimal, canonical text (as DynamoDB normalises `N`). */
  total: string;
  currency: string;
  createdAt: string;
  updatedAt: string;
  /** Sum of `quantity` over the order's items. */
  itemCount: number;
  /** Lowercase hex HMAC-SHA256 of the lowercased, trimmed email. */
  emailHash: string;
}

/** A sink `CUSTOMER#` aggregate in plain form. */
export interface CustomerAggregate {
  pk: string;
  customerId: string;
  /** Orders of this customer that exist in the source. */
  orderCount: number;
  /** Exact decimal, canonical text: sum of `total` over the non-cancelled ones. */
  totalSpent: string;
}

/** The sink projected from a whole source table: what a converged sink holds. */
export interface ProjectedSink {
  /** Sorted by pk. */
  orders: OrderItem[];
  /** Customers with at least one order, sorted by pk. */
  customers: CustomerAggregate[];
}

export function orderPk(orderId: string): string {
  return `${ORDER_PREFIX}${orderId}`;
}

export function customerPk(customerId: string): string {
  return `${CUSTOMER_PREFIX}${customerId}`;
}

/** `emailHash`: HMAC-SHA256 (lowercase hex) of the lowercased, trimmed email. */
export function emailHash(email: string, secretKey: Buffer): string {
  return hmacSha256Hex(secretKey, email.trim().toLowerCase());
}

function str(image: Image, name: string, where: string): string {
  const value = image[name]?.S;
  if (value === undefined || value === '') throw new MalformedRecordError(`${where}.${name} (S) is missing`);
  return value;
}

function decimal(value: AttributeValue | undefined, what: string): string {
  if (value?.N === undefined) throw new MalformedRecordError(`${what} (N) is missing`);
  const parsed = parseDecimal(value.N);
  // The value itself stays out of the message: it may come from any attribute.
  if (!parsed) throw new MalformedRecordError(`${what} is not a decimal number`);
  return formatDecimal(parsed);
}

function itemCount(image: Image, where: string): number {
  const items = image.items?.L;
  if (!items) throw new MalformedRecordError(`${where}.items (L) is missing`);
  let count = 0;
  items.forEach((item, index) => {
    const quantity = item.M?.quantity?.N;
    const n = quantity === undefined ? Number.NaN : Number(quantity);
    if (!Number.isSafeInteger(n) || n < 0) {
      throw new MalformedRecordError(`${where}.items[${index}].quantity is not a non-negative integer (N)`);
    }
    count += n;
  });
  return count;
}

/**
 * The order id from a stream record's `Keys` (or any image holding the key):
 * the value of the source table's key attribute, `hashKey`.
 */
export function orderIdFromKeys(keys: Image, hashKey: string = DEFAULT_SOURCE_HASH_KEY): string {
  return str(keys, hashKey, 'Keys');
}

/**
 * The sink `ORDER#` item for a source order image (a stream NewImage or a
 * scanned source item). Throws MalformedRecordError naming the bad attribute.
 */
export function projectOrder(image: Image, secretKey: Buffer): OrderItem {
  const where = 'NewImage';
  const orderId = str(image, 'orderId', where);
  return {
    pk: orderPk(orderId),
    orderId,
    customerId: str(image, 'customerId', where),
    status: str(image, 'status', where),
    total: decimal(image.total, `${where}.total`),
    currency: str(image, 'currency', where),
    createdAt: str(image, 'createdAt', where),
    updatedAt: str(image, 'updatedAt', where),
    itemCount: itemCount(image, where),
    emailHash: emailHash(str(image, 'customerEmail', where), secretKey),
  };
}

/** What an order adds to its customer's aggregate. */
export function orderContribution(order: Pick<OrderItem, 'customerId' | 'status' | 'total'>): Contribution {
  return {
    pk: customerPk(order.customerId),
    attributes: { customerId: { S: order.customerId } },
    counters: { orderCount: '1', totalSpent: order.status === CANCELLED ? '0' : order.total },
  };
}

export function orderItemToImage(order: OrderItem): Image {
  return {
    pk: { S: order.pk },
    orderId: { S: order.orderId },
    customerId: { S: order.customerId },
    status: { S: order.status },
    total: { N: order.total },
    currency: { S: order.currency },
    createdAt: { S: order.createdAt },
    updatedAt: { S: order.updatedAt },
    itemCount: { N: String(order.itemCount) },
    emailHash: { S: order.emailHash },
  };
}

/** Reads a live `ORDER#` item as stored in the sink. */
export function orderItemFromImage(image: Image): OrderItem {
  const where = 'sink item';
  return {
    pk: str(image, 'pk', where),
    orderId: str(image, 'orderId', where),
    customerId: str(image, 'customerId', where),
    status: str(image, 'status', where),
    total: decimal(image.total, `${where}.total`),
    currency: str(image, 'currency', where),
    createdAt: str(image, 'createdAt', where),
    updatedAt: str(image, 'updatedAt', where),
    itemCount: Number(decimal(image.itemCount, `${where}.itemCount`)),
    emailHash: str(image, 'emailHash', where),
  };
}

/** Reads a `CUSTOMER#` aggregate as stored in the sink. */
export function customerAggregateFromImage(image: Image): CustomerAggregate {
  const where = 'sink aggregate';
  return {
    pk: str(image, 'pk', where),
    customerId: str(image, 'customerId', where),
    orderCount: Number(decimal(image.orderCount, `${where}.orderCount`)),
    totalSpent: decimal(image.totalSpent, `${where}.totalSpent`),
  };
}

/**
 * The converged sink for a set of source items (e.g. a full scan of the source
 * table): one `ORDER#` item per order and the aggregates recomputed from them.
 */
export function projectSource(sourceItems: Image[], secretKey: Buffer): ProjectedSink {
  const orders = sourceItems.map((image) => projectOrder(image, secretKey));
  const customers = new Map<string, { count: number; spent: ReturnType<typeof addDecimals> }>();
  for (const order of orders) {
    const { counters } = orderContribution(order);
    const spent = parseDecimal(counters.totalSpent ?? '0') ?? { units: 0n, scale: 0 };
    const current = customers.get(order.customerId) ?? { count: 0, spent: { units: 0n, scale: 0 } };
    customers.set(order.customerId, { count: current.count + 1, spent: addDecimals(current.spent, spent) });
  }
  const byPk = (a: { pk: string }, b: { pk: string }) => (a.pk < b.pk ? -1 : a.pk > b.pk ? 1 : 0);
  return {
    orders: orders.sort(byPk),
    customers: [...customers]
      .map(([customerId, { count, spent }]) => ({
        pk: customerPk(customerId),
        customerId,
        orderCount: count,
        totalSpent: formatDecimal(spent),
      }))
      .sort(byPk),
  };
}

/**
 * The orders domain as the stream pipeline consumes it, for a source table
 * keyed by `sourceHashKey` (the stack's `source_table.hash_key`; its items
 * still carry `orderId`, as seed writes them).
 */
export function createOrdersDomain(sourceHashKey: string = DEFAULT_SOURCE_HASH_KEY): DomainModel {
  return {
    itemKey: (keys) => orderPk(orderIdFromKeys(keys, sourceHashKey)),
    project: (newImage, { secretKey }) => orderItemToImage(projectOrder(newImage, secretKey)),
    contributions: (sinkItem) => [orderContribution(orderItemFromImage(sinkItem))],
  };
}

/** The orders domain of the contract's source table (keyed `orderId`). */
export const ordersDomain: DomainModel = createOrdersDomain();
