import type { Faker, Randomizer } from '@faker-js/faker';

/**
 * mulberry32: a tiny 32-bit generator. Orders are regenerated from
 * (seed, index), so the generator is reseeded once or more per order; faker's
 * default Mersenne Twister rebuilds 624 words of state on every reseed, which
 * was about 70% of seeding's CPU time. Fake data needs no better randomness.
 */
export function fastRandomizer(): Randomizer {
  let state = 0x9e3779b9;
  return {
    next() {
      state = (state + 0x6d2b79f5) | 0;
      let t = Math.imul(state ^ (state >>> 15), 1 | state);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    },
    seed(seed: number | number[]) {
      // Mix every part so [s, i, 0] and [s, i, 1] start far apart.
      let h = 0x811c9dc5;
      for (const part of Array.isArray(seed) ? seed : [seed]) {
        h = Math.imul(h ^ (part >>> 0), 0x01000193);
        h = Math.imul(h ^ Math.floor(part / 4294967296), 0x01000193);
        h ^= h >>> 13;
      }
      state = h | 0;
    },
  };
}

/**
 * An English-only Faker on the fast randomizer. The package's main entry
 * loads all of faker's 60-odd locales (about 40 MB and 100 ms); its
 * `locale/en` entry loads one, and its instance's class and definitions make
 * a Faker of our own.
 */
export async function createSeedFaker(): Promise<Faker> {
  const { faker: english } = await import('@faker-js/faker/locale/en');
  const FakerClass = english.constructor as new (options: {
    locale: Faker['rawDefinitions'];
    randomizer: Randomizer;
  }) => Faker;
  return new FakerClass({ locale: english.rawDefinitions, randomizer: fastRandomizer() });
}
