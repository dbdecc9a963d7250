import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createSeedFaker } from './faker.js';
import { describeTableKeys } from './tableKeys.js';
import { compileTemplate, readTemplate, type TemplateSpec } from './template.js';

/**
 * A template file checked against the table's keys (DescribeTable) and faker
 * before anything is written: what runSeed's `template` option takes.
 */
export async function loadTemplate(
  client: DynamoDBClient,
  table: string,
  file: string,
): Promise<TemplateSpec> {
  const template = await readTemplate(file);
  const spec = { template, keys: await describeTableKeys(client, table) };
  compileTemplate(spec, await createSeedFaker());
  return spec;
}
