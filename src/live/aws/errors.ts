/**
 * What went wrong talking to AWS, in words a user can act on: no credentials, expired or invalid ones, access
 * denied, an endpoint that cannot be reached, throttling or failures that outlasted the retries. Never a stack trace,
 * and never a secret: SDK messages name actions and ARNs, not keys.
 */
import { error, type Diagnostic } from '../../core/diagnostics.js';

interface SdkError {
  readonly name?: string;
  readonly message?: string;
  readonly code?: string;
  readonly $metadata?: { readonly httpStatusCode?: number; readonly attempts?: number };
  readonly cause?: unknown;
}

/** An IAM or STS error code, whichever way the SDK spells it (`NoSuchEntity` or `NoSuchEntityException`). */
export function awsErrorCode(e: unknown): string | undefined {
  const name = (e as SdkError | undefined)?.name;
  return name?.replace(/Exception$/, '');
}

/** Errors worth waiting out: IAM's eventual consistency or a retry that met its own earlier attempt. */
export function isAwsError(e: unknown, ...codes: string[]): boolean {
  const code = awsErrorCode(e);
  return code !== undefined && codes.includes(code);
}

/** The caller may not make the call (IAM's AccessDenied, or a 403 from anything in between). */
export function isAccessDenied(e: unknown): boolean {
  return awsErrorCode(e) === 'AccessDenied' || (e as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode === 403;
}

/**
 * What the caller can do about a failure that depends on how it was run (flags exist per command: the entry point
 * that knows its flags says them; shared code names none).
 */
export interface AwsErrorAdvice {
  /** Added to the advice when IAM kept throttling, e.g. apply's "lower --concurrency". */
  readonly throttling?: string;
}

/** The diagnostic for a failed call made while doing `what` (e.g. "reading IAM"), against `target`. */
export function describeAwsError(e: unknown, what: string, target: string, advice: AwsErrorAdvice = {}): Diagnostic {
  const err = (e ?? {}) as SdkError;
  const code = awsErrorCode(e) ?? '';
  const message = (err.message ?? String(e)).split('\n')[0]!;
  const attempts = err.$metadata?.attempts;
  const network = networkCode(e);
  if (err.name === 'CredentialsProviderError' || /Could not load credentials/i.test(message)) {
    return error(`no AWS credentials found while ${what}`, 'Export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, set AWS_PROFILE (or pass --profile), or in GitHub Actions run aws-actions/configure-aws-credentials first.');
  }
  if (['ExpiredToken', 'RequestExpired', 'TokenRefreshRequired'].includes(code)) {
    return error(`the AWS credentials have expired (${code}) while ${what}`, 'Refresh them (aws sso login, or re-run the step that assumes the role) and try again.');
  }
  if (['InvalidClientTokenId', 'SignatureDoesNotMatch', 'UnrecognizedClient', 'InvalidAccessKeyId', 'IncompleteSignature'].includes(code)) {
    return error(`AWS refused the credentials (${code}) while ${what}`, 'They are not valid for this account or partition: check the access key, the profile, or --endpoint.');
  }
  if (code === 'AccessDenied' || err.$metadata?.httpStatusCode === 403) {
    return error(`access denied while ${what}: ${message}`, 'Grant the caller the IAM permissions iam-gitops needs (see the README: "Permissions the tool needs"), or use a role that has them (--assume-role).');
  }
  if (network === 'ETIMEDOUT' || network === 'timeout') {
    // Connected (or trying to), and no answer came within the request's timeout: a server that hangs.
    return error(`no answer from ${target} in time while ${what}${attempts ? ` (${attempts} attempts)` : ''}`, target === 'AWS' ? 'Check the network and proxy settings; AWS may be having trouble (each request may take IAM_GITOPS_REQUEST_TIMEOUT_MS, default 60 s).' : `Is the endpoint running and answering? Check --endpoint ${target}.`);
  }
  if (network) {
    return error(`cannot reach ${target} while ${what} (${network})`, target === 'AWS' ? 'Check the network and proxy settings.' : `Is the endpoint running? Check --endpoint ${target}.`);
  }
  if (code === 'Throttling' || code === 'ThrottlingException' || code === 'TooManyRequests') {
    return error(`IAM kept throttling requests while ${what}${attempts ? ` (gave up after ${attempts} attempts)` : ''}`, `IAM allows each account a limited rate of requests, shared with any other automation in it: try again later${advice.throttling ? `, or ${advice.throttling}` : ''}.`);
  }
  if (code === 'ServiceFailure' || (err.$metadata?.httpStatusCode ?? 0) >= 500) {
    return error(`IAM failed (${code || err.$metadata?.httpStatusCode}) while ${what}${attempts ? ` after ${attempts} attempts` : ''}`, 'This is on the AWS side; try again. Nothing is left half done that a new run does not finish.');
  }
  return error(`${code || 'error'} while ${what}: ${message}`, 'See the message from AWS above.');
}

function networkCode(e: unknown): string | undefined {
  for (let cause: unknown = e, depth = 0; cause && depth < 5; cause = (cause as SdkError).cause, depth++) {
    const code = (cause as SdkError).code;
    if (code && /^(ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|EPIPE)$/.test(code)) return code;
    if ((cause as SdkError).name === 'TimeoutError') return 'timeout';
  }
  return undefined;
}
