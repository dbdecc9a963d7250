import { AWS_SERVICES, type AwsService, endpointVariable } from './endpoints.js';
import { AwsError, type AwsErrorCode } from './errors.js';

/**
 * SDK and network failures as typed errors. Every client from clients.ts
 * tags the errors it throws with where the call went (service, endpoint,
 * operation) without changing them, so code that retries on an error name
 * still sees the SDK's error; `classifyAwsFailure` then turns a failure that is
 * about reaching AWS at all (not a service's answer such as
 * ResourceNotFoundException) into an AwsError (src/aws/errors.ts) whose
 * details say where; src/errorMessages.ts adds the hint.
 */

/** Where a failed call went; attached to the SDK's error by the clients' middleware. */
export interface AwsCallSite {
  service: AwsService;
  /** The custom endpoint, or undefined for AWS's own. */
  endpoint?: string | undefined;
  region: string;
  /** The named profile the client's credentials come from (--profile, AWS_PROFILE), if any. */
  profile?: string | undefined;
  /** The SDK command without "Command", e.g. GetParameter. */
  operation?: string | undefined;
}

const CALL_SITE = Symbol.for('ddb-ingest.awsCallSite');

/** Records where a failed call went, on the error itself (not enumerable: logs and JSON stay the same). */
export function tagAwsError(err: unknown, site: AwsCallSite): void {
  if (typeof err !== 'object' || err === null || CALL_SITE in err) return;
  Object.defineProperty(err, CALL_SITE, { value: site, enumerable: false });
}

export function callSiteOf(err: unknown): AwsCallSite | undefined {
  return typeof err === 'object' && err !== null
    ? ((err as Record<symbol, AwsCallSite | undefined>)[CALL_SITE] ?? undefined)
    : undefined;
}

function failure(
  code: AwsErrorCode,
  message: string,
  site: AwsCallSite | undefined,
  cause: unknown,
): AwsError {
  return new AwsError(code, message, {
    cause,
    details: site ? { ...site, variable: endpointVariable(site.service) } : {},
  });
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'EPIPE',
  'ECONNABORTED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
]);

const CREDENTIAL_NAMES = new Set([
  'CredentialsProviderError',
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'InvalidSignatureException',
  'SignatureDoesNotMatch',
  'IncompleteSignature',
  'IncompleteSignatureException',
  'MissingAuthenticationToken',
  'MissingAuthenticationTokenException',
  'ExpiredToken',
  'ExpiredTokenException',
  'InvalidAccessKeyId',
  'AuthFailure',
  'TokenRefreshRequired',
]);

const ACCESS_DENIED_NAMES = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'UnauthorizedOperation',
  'AuthorizationError',
  'AuthorizationErrorException',
  'KMSAccessDeniedException',
  'NotAuthorized',
]);

const THROTTLING_NAMES = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'TooManyRequestsException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'LimitExceededException',
  'SlowDown',
  'BandwidthLimitExceeded',
  'PriorRequestNotComplete',
  'EC2ThrottledException',
]);

interface SdkErrorShape {
  name?: string;
  message?: string;
  code?: string;
  cause?: unknown;
  $fault?: 'client' | 'server';
  $metadata?: { httpStatusCode?: number; attempts?: number };
  $response?: { statusCode?: number; headers?: Record<string, string> };
}

/** The Node network error code of this error (the chain is walked by classifyAwsFailure). */
function networkCode(err: SdkErrorShape): string | undefined {
  if (err.code && NETWORK_CODES.has(err.code)) return err.code;
  if (err.name === 'TimeoutError') return 'ETIMEDOUT';
  // The SDK wraps a thrown non-Error ("AWS SDK error wrapper for Error: connect ECONNREFUSED ..."), dropping `code`.
  const named = /^AWS SDK error wrapper for .*\b(E[A-Z_]+)\b/.exec(sdkText(err))?.[1];
  return named && NETWORK_CODES.has(named) ? named : undefined;
}

/**
 * The SDK's own message. Only for SDK errors that carry no name or code for
 * what went wrong (a response it could not parse, a credential chain that
 * found nothing); our own errors are always matched by code.
 */
function sdkText(err: SdkErrorShape): string {
  return err.message ?? '';
}

/** The body of a response the SDK could not parse is what "Deserialization error" / SyntaxError mean. */
function isUnparseable(err: SdkErrorShape): boolean {
  return (
    err.name === 'SyntaxError' ||
    /Deserialization error|is not valid JSON|Unexpected token|Non-whitespace before first tag|Unexpected end of JSON/.test(
      sdkText(err),
    )
  );
}

function where(site: AwsCallSite | undefined): string {
  if (!site) return 'AWS';
  const name = AWS_SERVICES[site.service].name;
  return site.endpoint ? `${name} at ${site.endpoint}` : `${name} (AWS, ${site.region})`;
}

function what(site: AwsCallSite | undefined): string {
  return site?.operation ? ` (${site.operation})` : '';
}

/**
 * The typed failure for an SDK or network error, or undefined when the error
 * is a service's own answer the caller should handle (or not an AWS error at
 * all). Follows `cause` chains, so an error wrapping an SDK error (a batch
 * writer giving up) is classified by what it wraps.
 */
export function classifyAwsFailure(err: unknown): AwsError | undefined {
  const chain: unknown[] = [];
  for (let e = err; typeof e === 'object' && e !== null && chain.length < 4; e = (e as SdkErrorShape).cause) {
    chain.push(e);
  }
  // The SDK error deep in the chain knows where the call went; a wrapper does not.
  const site = chain.map(callSiteOf).find((s) => s !== undefined);
  for (const e of chain) {
    if (e instanceof AwsError) return e;
    const found = classifyOne(e as SdkErrorShape, callSiteOf(e) ?? site);
    if (found) return found;
  }
  return undefined;
}

function classifyOne(err: SdkErrorShape, site: AwsCallSite | undefined): AwsError | undefined {
  const name = err.name ?? '';
  if (name === 'AbortError') return undefined;
  const status = err.$metadata?.httpStatusCode ?? err.$response?.statusCode;
  const attempts = err.$metadata?.attempts;
  const retried = attempts && attempts > 1 ? ` after ${attempts} attempts` : '';
  const detail = err.message ? `: ${err.message}` : '';

  const net = networkCode(err);
  if (net) {
    return failure(
      'aws.endpoint-unreachable',
      `Cannot reach ${where(site)}${what(site)}: ${net}${retried}.`,
      site,
      err,
    );
  }
  if (
    CREDENTIAL_NAMES.has(name) ||
    /Could not load credentials|credential.*(not found|missing)|Unable to locate credentials/i.test(
      sdkText(err),
    )
  ) {
    const from = site?.profile ? ` from profile "${site.profile}"` : '';
    return failure(
      'aws.credentials',
      `${where(site)} has no valid credentials${from}${what(site)}: ${name || 'credentials'}${detail}`,
      site,
      err,
    );
  }
  if (ACCESS_DENIED_NAMES.has(name) || status === 403) {
    return failure(
      'aws.access-denied',
      `${where(site)} denied the request${what(site)}: ${name || `HTTP ${status}`}${detail}`,
      site,
      err,
    );
  }
  if (THROTTLING_NAMES.has(name) || status === 429) {
    return failure(
      'aws.throttled',
      `${where(site)} throttled the request${what(site)}${retried}: ${name || `HTTP ${status}`}.`,
      site,
      err,
    );
  }
  if (isUnparseable(err)) {
    return failure(
      'aws.bad-response',
      `${where(site)} answered${status ? ` HTTP ${status}` : ''} with something that is not a ${site ? AWS_SERVICES[site.service].name : 'AWS'} API response${what(site)}.`,
      site,
      err,
    );
  }
  if ((status !== undefined && status >= 500) || err.$fault === 'server') {
    return failure(
      'aws.service-error',
      `${where(site)} failed on its side${what(site)}${retried}: ${name || 'error'} (HTTP ${status ?? '5xx'})${detail}`,
      site,
      err,
    );
  }
  return undefined;
}

/** Client middleware that tags every failure with its call site (see tagAwsError). */
export function tagFailuresMiddleware(site: Omit<AwsCallSite, 'operation'>) {
  return (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) =>
    async (args: unknown) => {
      try {
        return await next(args);
      } catch (err) {
        tagAwsError(err, { ...site, operation: context.commandName?.replace(/Command$/, '') });
        throw err;
      }
    };
}
