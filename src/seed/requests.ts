/**
 * The request factory of a run: the built-in orders, or a template's items.
 * Both the generator thread and the inline path build it from the same plain
 * GenerationSpec, so they give the same batches.
 */
import { createSeedFaker } from './faker.js';
import type { GenerationSpec, KeyedRequest, RequestFactory, SeedPhase } from './generate.js';
import { OrderFactory, toItem } from './orders.js';
import { TemplateFactory } from './templateItems.js';

export async function createRequestFactory(spec: GenerationSpec): Promise<RequestFactory> {
  if (spec.template) {
    const [faker, probe] = await Promise.all([createSeedFaker(), createSeedFaker()]);
    return new TemplateFactory(spec.template, faker, probe, spec);
  }
  const orders = new OrderFactory(
    await createSeedFaker(),
    spec.seed,
    spec.count,
    spec.reproducible,
    spec.now,
  );
  return { request: (phase, index) => orderRequest(orders, phase, index, spec.hashKey) };
}

function orderRequest(factory: OrderFactory, phase: SeedPhase, index: number, hashKey: string): KeyedRequest {
  if (phase === 'delete') {
    const orderId = factory.order(index).orderId;
    return { request: { DeleteRequest: { Key: { [hashKey]: { S: orderId } } } }, key: orderId };
  }
  const order = phase === 'insert' ? factory.order(index) : factory.updated(index);
  const item = toItem(order);
  if (hashKey !== 'orderId') item[hashKey] = { S: order.orderId };
  return { request: { PutRequest: { Item: item } }, key: order.orderId };
}
