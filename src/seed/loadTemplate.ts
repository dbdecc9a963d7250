import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { describeTableKeys } from './tableKeys.js';
import { readTemplate, type TemplateSpec } from './template.js';

/**
 * A template file (read and parsed) with the table's keys (DescribeTable):
 * what runSeed's `template` option takes. The template is checked against
 * the keys and faker (compileTemplate) by the generator when runSeed starts,
 * before anything is written, so faker loads on the generator thread only
 * (it is tens of MB).
 */
export async function loadTemplate(
  client: DynamoDBClient,
  table: string,
  file: string,
): Promise<TemplateSpec> {
  const template = await readTemplate(file);
  return { template, keys: await describeTableKeys(client, table) };
}
