import { InvalidArgumentError } from 'commander';

/** Commander argument parser for integers within a range; bad input exits 2. */
export function intOption(name: string, min: number, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    if (!/^-?\d+$/.test(value.trim())) {
      throw new InvalidArgumentError(`${name} must be a whole number, got "${value}".`);
    }
    const n = Number(value);
    if (n < min || n > max) {
      throw new InvalidArgumentError(
        `${name} must be ${max === Number.MAX_SAFE_INTEGER ? `at least ${min}` : `between ${min} and ${max}`}, got ${value}.`,
      );
    }
    return n;
  };
}

/** Commander argument parser for positive numbers (rates). */
export function positiveNumberOption(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n <= 0) {
      throw new InvalidArgumentError(`${name} must be a positive number, got "${value}".`);
    }
    return n;
  };
}
