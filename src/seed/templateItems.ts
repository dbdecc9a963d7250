import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { Faker } from '@faker-js/faker';
import type { GenerationSpec, KeyedRequest, RequestFactory, SeedPhase } from './generate.js';
import { SEEDED_REFERENCE_DATE } from './orders.js';
import { type CompiledTemplate, compileTemplate, type TemplateSpec } from './template.js';

/** Seed parts: item #i's keys, its first attributes, its attributes after the update. */
const KEYS = 0;
const ATTRIBUTES = 1;
const UPDATED_ATTRIBUTES = 2;

/**
 * A template's items as a pure function of (seed, index), like the orders:
 * the keys come from their own seed, so an update regenerates every other
 * attribute of the same item and a delete finds its key again, with nothing
 * remembered of what was written.
 */
export class TemplateFactory implements RequestFactory {
  private readonly compiled: CompiledTemplate;
  private readonly seed: number;

  constructor(
    template: TemplateSpec,
    private readonly faker: Faker,
    probe: Faker,
    spec: Pick<GenerationSpec, 'seed' | 'reproducible' | 'now'>,
  ) {
    this.compiled = compileTemplate(template, probe);
    this.seed = spec.seed;
    // faker's dates (date.past, date.recent, ...) count from this day: a fixed one makes --seed runs repeat.
    faker.setDefaultRefDate(spec.reproducible ? SEEDED_REFERENCE_DATE : spec.now);
  }

  keys(index: number): Record<string, AttributeValue> {
    this.faker.seed([this.seed, index, KEYS]);
    return this.compiled.keys(this.faker);
  }

  item(index: number, updated: boolean): Record<string, AttributeValue> {
    const keys = this.keys(index);
    this.faker.seed([this.seed, index, updated ? UPDATED_ATTRIBUTES : ATTRIBUTES]);
    return { ...this.compiled.attributes(this.faker), ...keys };
  }

  request(phase: SeedPhase, index: number): KeyedRequest {
    if (phase === 'delete') {
      const Key = this.keys(index);
      return { request: { DeleteRequest: { Key } }, key: this.keyText(Key) };
    }
    const Item = this.item(index, phase === 'update');
    return { request: { PutRequest: { Item } }, key: this.keyText(Item) };
  }

  private keyText(item: Record<string, AttributeValue>): string {
    return this.compiled.keyNames
      .map((name) => {
        const v = item[name] as AttributeValue;
        return v.S ?? v.N ?? Buffer.from(v.B ?? new Uint8Array()).toString('base64');
      })
      .join('\u0000');
  }
}
