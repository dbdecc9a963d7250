import { DdbIngestError } from '../errors.js';
import type { AwsService } from './endpoints.js';

/** Every code src/aws throws; src/errorMessages.ts gives each its hint and exit code. */
export type AwsErrorCode =
  /** An endpoint URL that cannot be one (from the flag or a variable): bad input. */
  | 'aws.endpoint-malformed'
  /** Connection refused, DNS failure, reset, timeout: nothing answered. */
  | 'aws.endpoint-unreachable'
  /** No credentials found, or the service rejected them (unknown key, bad signature, expired token). */
  | 'aws.credentials'
  /** Authenticated, but not allowed this operation. */
  | 'aws.access-denied'
  /** Throttled even after the SDK's retries. */
  | 'aws.throttled'
  /** HTTP 5xx from the service, after the SDK's retries. */
  | 'aws.service-error'
  /** An answer that is not the service's API (an HTML error page, a proxy, the wrong port). */
  | 'aws.bad-response';

/** Facts for the rendering: where the call went, never credentials. */
export interface AwsErrorDetails {
  service?: AwsService | undefined;
  /** The custom endpoint, or undefined for AWS's own. */
  endpoint?: string | undefined;
  region?: string | undefined;
  /** The named profile in use, if any (its name only). */
  profile?: string | undefined;
  operation?: string | undefined;
  /** aws.endpoint-malformed: where the URL came from (`--endpoint-url` or the variable's name). */
  source?: string | undefined;
  /** The service's AWS_ENDPOINT_URL_<SERVICE> variable. */
  variable?: string | undefined;
}

export class AwsError extends DdbIngestError<AwsErrorCode, AwsErrorDetails> {}
