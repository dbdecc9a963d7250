import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { Faker } from '@faker-js/faker';

/** An order as the source table holds it (see the ingestion contract). */
export interface Order {
  orderId: string;
  customerId: string;
  customerName: string;
  customerEmail: string;
  items: { sku: string; name: string; quantity: number; unitPriceCents: number }[];
  totalCents: number;
  currency: string;
  status: OrderStatus;
  createdAt: string;
  updatedAt: string;
}

export type OrderStatus = 'PLACED' | 'PAID' | 'SHIPPED' | 'DELIVERED' | 'CANCELLED';
const FORWARD: OrderStatus[] = ['PLACED', 'PAID', 'SHIPPED', 'DELIVERED'];
const CURRENCIES = ['USD', 'EUR', 'GBP', 'JPY', 'CAD'];
/** A seeded run dates its orders from here, so the same seed gives the same items on any day. */
export const SEEDED_REFERENCE_DATE = Date.UTC(2026, 0, 1);

/**
 * Orders are a pure function of (seed, index): order #i can be regenerated at
 * any time, so updates and deletes of seeded orders need no list of what was
 * written, and seeding a million orders holds none of them in memory.
 */
export class OrderFactory {
  private readonly customers: number;
  private readonly referenceDate: number;

  constructor(
    private readonly faker: Faker,
    /** The run's seed; a random one when the user gave none (it is reported, so runs can be repeated). */
    readonly seed: number,
    /** Number of orders in the run; customers repeat across orders (about 4 orders each). */
    count: number,
    /** Whether dates are anchored to a fixed day (for `--seed`) or to now. */
    reproducible: boolean,
    now: number,
  ) {
    this.customers = Math.max(1, Math.ceil(count / 4));
    this.referenceDate = reproducible ? SEEDED_REFERENCE_DATE : now;
  }

  order(index: number): Order {
    const f = this.faker;
    f.seed([this.seed, index, 0]);
    const customerIndex = f.number.int({ min: 0, max: this.customers - 1 });
    const customer = this.customer(customerIndex);
    f.seed([this.seed, index, 2]);
    const orderId = f.string.uuid();
    const items = this.items();
    const created = this.referenceDate - f.number.int({ min: 60_000, max: 30 * 86_400_000 });
    const createdAt = new Date(created).toISOString();
    return {
      orderId,
      ...customer,
      items,
      totalCents: items.reduce((sum, item) => sum + item.quantity * item.unitPriceCents, 0),
      currency: f.helpers.arrayElement(CURRENCIES),
      status: f.helpers.weightedArrayElement([
        { value: 'PLACED' as const, weight: 6 },
        { value: 'PAID' as const, weight: 3 },
        { value: 'SHIPPED' as const, weight: 1 },
      ]),
      createdAt,
      updatedAt: createdAt,
    };
  }

  /** The order after one update: status moves forward or to CANCELLED; items may change. */
  updated(index: number): Order {
    const order = this.order(index);
    const f = this.faker;
    f.seed([this.seed, index, 3]);
    const position = FORWARD.indexOf(order.status);
    const later = FORWARD.slice(position + 1);
    const status =
      later.length === 0 || f.number.float() < 0.2
        ? 'CANCELLED'
        : f.helpers.arrayElement(later as OrderStatus[]);
    const items = f.number.float() < 0.3 ? this.items() : order.items;
    const updatedAt = new Date(Date.parse(order.createdAt) + f.number.int({ min: 1_000, max: 86_400_000 }));
    return {
      ...order,
      status,
      items,
      totalCents: items.reduce((sum, item) => sum + item.quantity * item.unitPriceCents, 0),
      updatedAt: updatedAt.toISOString(),
    };
  }

  private customer(customerIndex: number): Pick<Order, 'customerId' | 'customerName' | 'customerEmail'> {
    const f = this.faker;
    f.seed([this.seed, customerIndex, 1]);
    const firstName = f.person.firstName();
    const lastName = f.person.lastName();
    return {
      customerId: f.string.uuid(),
      customerName: `${firstName} ${lastName}`,
      customerEmail: f.internet.email({ firstName, lastName }),
    };
  }

  private items(): Order['items'] {
    const f = this.faker;
    return Array.from({ length: f.number.int({ min: 1, max: 5 }) }, () => ({
      sku: `SKU-${f.string.alphanumeric({ length: 8, casing: 'upper' })}`,
      name: f.commerce.productName(),
      quantity: f.number.int({ min: 1, max: 5 }),
      unitPriceCents: f.number.int({ min: 100, max: 50_000 }),
    }));
  }
}

/** Exact 2-decimal rendering of an amount in cents: no float ever touches money. */
export function centsToDecimal(cents: number): string {
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(cents);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

/** The order as a DynamoDB item of the source table. */
export function toItem(order: Order): Record<string, AttributeValue> {
  return {
    orderId: { S: order.orderId },
    customerId: { S: order.customerId },
    customerName: { S: order.customerName },
    customerEmail: { S: order.customerEmail },
    items: {
      L: order.items.map((item) => ({
        M: {
          sku: { S: item.sku },
          name: { S: item.name },
          quantity: { N: String(item.quantity) },
          unitPrice: { N: centsToDecimal(item.unitPriceCents) },
        },
      })),
    },
    total: { N: centsToDecimal(order.totalCents) },
    currency: { S: order.currency },
    status: { S: order.status },
    createdAt: { S: order.createdAt },
    updatedAt: { S: order.updatedAt },
  };
}

/**
 * Visits k distinct indexes of [0, n) in a seeded pseudo-random order using an
 * affine permutation (i -> a*i + b mod n with gcd(a, n) = 1): O(1) memory.
 */
export function* pickDistinct(n: number, k: number, seed: number): Generator<number> {
  if (n === 0 || k === 0) return;
  let a = (Math.abs(seed * 2654435761) % n) + 1;
  while (gcd(a, n) !== 1) a = (a % n) + 1;
  const b = Math.abs(seed * 40503) % n;
  for (let i = 0; i < Math.min(k, n); i++) yield Number((BigInt(a) * BigInt(i) + BigInt(b)) % BigInt(n));
}

function gcd(x: number, y: number): number {
  return y === 0 ? x : gcd(y, x % y);
}
