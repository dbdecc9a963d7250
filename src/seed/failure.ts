import { callSiteOf, classifyAwsFailure } from '../aws/failures.js';
import type { WriteFailedError } from './batchWriter.js';
import { SeedError } from './errors.js';
import type { SeedPhase } from './generate.js';

/**
 * What a batch writer that gave up means for the user. Only throttling (and
 * items DynamoDB kept returning unprocessed) is about the write rate; an
 * endpoint that does not answer, missing credentials, a missing table or a
 * key that does not fit the table each get their own code, so the hint fits
 * the cause.
 */
export function seedWriteFailure(
  err: WriteFailedError,
  where: { phase: SeedPhase; total: number; tableName: string },
): SeedError {
  const { phase, total, tableName } = where;
  const lost = `${err.notWritten} of ${total} items were not written`;
  const base = { phase, notWritten: err.notWritten, total, tableName };
  const cause = err.cause as { name?: string; message?: string } | undefined;
  const aws = classifyAwsFailure(cause);
  if (aws && aws.code !== 'aws.throttled') {
    return new SeedError(
      'seed.aws-failure',
      `Seeding stopped during ${phase}s: ${lost} (${aws.message.replace(/\.$/, '')}).`,
      {
        cause: err,
        details: { ...aws.details, ...base, failure: aws.code },
      },
    );
  }
  const site = callSiteOf(cause);
  const at = site?.endpoint ? ` at ${site.endpoint}` : site ? ` in ${site.region}` : '';
  if (cause?.name === 'ResourceNotFoundException') {
    return new SeedError(
      'seed.table-missing',
      `Seeding stopped during ${phase}s: table ${tableName} does not exist${at}; ${lost}.`,
      { cause: err, details: { ...base, endpoint: site?.endpoint } },
    );
  }
  if (cause?.name === 'ValidationException') {
    return new SeedError(
      'seed.write-rejected',
      `Seeding stopped during ${phase}s: DynamoDB refused the items for ${tableName}${at}: ${cause.message ?? 'ValidationException'}; ${lost}.`,
      { cause: err, details: base },
    );
  }
  return new SeedError('seed.write-failed', `Seeding stopped during ${phase}s: ${lost} (${err.message}).`, {
    cause: err,
    details: { ...base, throttled: Boolean(aws) || cause?.name === 'StillUnprocessed' },
  });
}
