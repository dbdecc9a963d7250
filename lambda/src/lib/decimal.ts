/**
 * Exact decimal arithmetic on the strings DynamoDB uses for `N` values. Money
 * never goes through a JavaScript number: a value is an integer count of units
 * of 10^-scale (BigInt), so 0.1 + 0.2 is 0.3 here.
 */
export interface Decimal {
  /** The value times 10^scale. */
  units: bigint;
  /** Digits after the decimal point. */
  scale: number;
}

const DECIMAL = /^([+-]?)(\d+)(?:\.(\d+))?$/;

/** Parses a plain decimal string ("12", "-0.50"); undefined when it is not one. */
export function parseDecimal(text: string): Decimal | undefined {
  const match = DECIMAL.exec(text.trim());
  if (!match) return undefined;
  const [, sign = '', whole = '0', fraction = ''] = match;
  const units = BigInt(`${whole}${fraction}`);
  return { units: sign === '-' ? -units : units, scale: fraction.length };
}

function rescale(value: Decimal, scale: number): bigint {
  return value.units * 10n ** BigInt(scale - value.scale);
}

export function addDecimals(a: Decimal, b: Decimal): Decimal {
  const scale = Math.max(a.scale, b.scale);
  return { units: rescale(a, scale) + rescale(b, scale), scale };
}

export function negateDecimal(value: Decimal): Decimal {
  return { units: -value.units, scale: value.scale };
}

export function isZeroDecimal(value: Decimal): boolean {
  return value.units === 0n;
}

/**
 * The canonical text of a value, as DynamoDB normalises numbers: no trailing
 * fractional zeros, no leading zeros, no "-0". Two equal values give equal text.
 */
export function formatDecimal(value: Decimal): string {
  let { units, scale } = value;
  while (scale > 0 && units % 10n === 0n) {
    units /= 10n;
    scale -= 1;
  }
  const negative = units < 0n;
  const digits = (negative ? -units : units).toString().padStart(scale + 1, '0');
  const whole = digits.slice(0, digits.length - scale);
  const fraction = digits.slice(digits.length - scale);
  return `${negative ? '-' : ''}${whole}${fraction ? `.${fraction}` : ''}`;
}

/** Canonical text of a decimal string; throws on anything that is not a plain decimal. */
export function normalizeDecimal(text: string): string {
  const value = parseDecimal(text);
  if (!value) throw new Error(`not a decimal number: ${JSON.stringify(text)}`);
  return formatDecimal(value);
}
