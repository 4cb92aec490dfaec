/**
 * Adapter: IAM and STS clients from the command line's AWS options. Credentials come from the SDK's chain
 * (environment, profile, web identity, SSO, container and instance metadata), so what
 * `aws-actions/configure-aws-credentials` exports just works; `--assume-role` goes through STS first. Retries and
 * pacing are the SDK's adaptive strategy: throttling and 5xx are retried with backoff, and the client slows its own
 * sending rate when IAM throttles rather than hammering it; each retry is reported (retry.ts) and time waited on
 * throttling is kept apart. Every request has timeouts (connecting, and the whole request), the STS calls that get
 * credentials included: a server that accepts and never answers fails the request, it does not hang the run.
 */
import { IAMClient } from '@aws-sdk/client-iam';
import { STSClient } from '@aws-sdk/client-sts';
import { fromIni, fromNodeProviderChain, fromTemporaryCredentials, fromWebToken } from '@aws-sdk/credential-providers';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@aws-sdk/types';
import { SYSTEM_CLOCK, type Clock } from '../../core/clock.js';
import { error, InputError } from '../../core/diagnostics.js';
import { TOOL_NAME, TOOL_VERSION } from '../../version.js';
import { reportingRetryStrategy, UNPACED, type RetryEvent, type ThrottleLedger } from './retry.js';

export interface AwsOptions {
  /** The region for STS and the SDK (IAM is global); default us-east-1. */
  readonly region?: string;
  /** One URL for both IAM and STS (the loopback emulator, a VPC endpoint). */
  readonly endpoint?: string;
  /** A named profile of ~/.aws/config. */
  readonly profile?: string;
  readonly assumeRole?: { readonly arn: string; readonly externalId?: string; readonly sessionName?: string };
  /**
   * A role assumed with an OpenID Connect token (GitHub Actions' `core.getIDToken`): no stored secret. Takes the
   * place of the environment's credentials.
   */
  readonly webIdentity?: { readonly roleArn: string; readonly token: string; readonly sessionName?: string };
  /** The environment credentials are read from first (the process's, or a test's). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Attempts per request, retries included (default 10: enough to ride out throttling). */
  readonly maxAttempts?: number;
  /** The first retry's base delay in ms (default the SDK's); tests make it small. */
  readonly retryBaseDelayMs?: number;
  /** How long connecting may take, in ms (default 10 s). */
  readonly connectTimeoutMs?: number;
  /** How long one request may take, answer included, in ms (default 60 s). */
  readonly requestTimeoutMs?: number;
  /** Said before each retry ("throttled by IAM, retrying in 8 s"). */
  readonly onRetry?: (event: RetryEvent) => void;
  /**
   * The clock time waited on throttling is measured on (default the system's). The SDK's adaptive pacing keeps the
   * system's time itself (Date.now and timers), so on any other clock (a test's virtual time) requests go unpaced:
   * retried as the strategy says, never held back in real time.
   */
  readonly clock?: Clock;
}

/** The tuning knobs read from the environment, the same for the CLI and the Action. */
export function awsTuningFromEnv(env: Readonly<Record<string, string | undefined>>): Pick<AwsOptions, 'maxAttempts' | 'retryBaseDelayMs' | 'connectTimeoutMs' | 'requestTimeoutMs'> {
  const number = (name: string, min: number): number | undefined => {
    const raw = env[name];
    if (raw === undefined || raw.trim() === '') return undefined;
    const n = Number(raw);
    return Number.isFinite(n) && n >= min ? n : undefined;
  };
  const attempts = number('IAM_GITOPS_MAX_ATTEMPTS', 1);
  const delay = number('IAM_GITOPS_RETRY_BASE_DELAY_MS', 0);
  const connect = number('IAM_GITOPS_CONNECT_TIMEOUT_MS', 1);
  const request = number('IAM_GITOPS_REQUEST_TIMEOUT_MS', 1);
  return {
    ...(attempts !== undefined ? { maxAttempts: Math.floor(attempts) } : {}),
    ...(delay !== undefined ? { retryBaseDelayMs: delay } : {}),
    ...(connect !== undefined ? { connectTimeoutMs: connect } : {}),
    ...(request !== undefined ? { requestTimeoutMs: request } : {}),
  };
}

export interface AwsClients {
  readonly iam: IAMClient;
  readonly sts: STSClient;
  /** Where requests go, for messages: the endpoint URL or "AWS". */
  readonly target: string;
  /** Time these clients waited on throttling, so far. */
  readonly throttling: ThrottleLedger;
}

export const DEFAULT_REGION = 'us-east-1';
const DEFAULT_MAX_ATTEMPTS = 10;
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
export const DEFAULT_REQUEST_TIMEOUT_MS = 60_000;

export function createAwsClients(options: AwsOptions): AwsClients {
  const region = options.region ?? DEFAULT_REGION;
  if (!/^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$/.test(region)) {
    throw new InputError([error(`--region "${region}" is not an AWS region`, 'Give a region such as us-east-1 or eu-west-1 (IAM is global; the region is for STS).')]);
  }
  if (options.endpoint !== undefined && !/^https?:\/\/[^\s/]+/.test(options.endpoint)) {
    throw new InputError([error(`--endpoint "${options.endpoint}" is not a URL`, 'Give a URL such as http://127.0.0.1:4566 (IAM and STS are both sent there).')]);
  }
  silenceSdkNodeVersionWarning();
  const throttling: ThrottleLedger = { throttledMs: 0, throttledRetries: 0 };
  const maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  // The SDK's own HTTP handler, with its timeouts: connecting, and the whole request (thrown, not only warned).
  const requestHandler = {
    connectionTimeout: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    requestTimeout: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    throwOnRequestTimeout: true,
  };
  const clock = options.clock;
  const retrying = () => reportingRetryStrategy({ maxAttempts, ...(options.retryBaseDelayMs !== undefined ? { baseDelayMs: options.retryBaseDelayMs } : {}), ...(options.onRetry ? { onRetry: options.onRetry } : {}), ledger: throttling, ...(clock && clock !== SYSTEM_CLOCK ? { now: () => clock.now(), rateLimiter: UNPACED } : {}) });
  const common = {
    region,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    retryStrategy: retrying(),
    requestHandler,
    customUserAgent: `${TOOL_NAME}/${TOOL_VERSION}`,
  };
  // The STS clients that fetch credentials (web identity, assumed roles) get the same timeouts and retries.
  const credentialClientConfig = { region, ...(options.endpoint ? { endpoint: options.endpoint } : {}), requestHandler, retryStrategy: retrying() };
  const base = options.webIdentity
    ? fromWebToken({
        roleArn: options.webIdentity.roleArn,
        webIdentityToken: options.webIdentity.token,
        roleSessionName: options.webIdentity.sessionName ?? `${TOOL_NAME}-${Date.now()}`,
        clientConfig: credentialClientConfig,
      })
    : baseCredentials(options);
  const credentials = options.assumeRole
    ? fromTemporaryCredentials({
        params: {
          RoleArn: options.assumeRole.arn,
          RoleSessionName: options.assumeRole.sessionName ?? `${TOOL_NAME}-${Date.now()}`,
          ...(options.assumeRole.externalId ? { ExternalId: options.assumeRole.externalId } : {}),
        },
        masterCredentials: base,
        clientConfig: credentialClientConfig,
      })
    : base;
  return {
    iam: new IAMClient({ ...common, credentials }),
    sts: new STSClient({ ...common, credentials }),
    target: options.endpoint ?? 'AWS',
    throttling,
  };
}

/** Environment credentials first (from `options.env`, so tests can pass their own), then the SDK's chain. */
function baseCredentials(options: AwsOptions): AwsCredentialIdentity | AwsCredentialIdentityProvider {
  if (options.profile) return fromIni({ profile: options.profile });
  const id = options.env['AWS_ACCESS_KEY_ID'];
  const secret = options.env['AWS_SECRET_ACCESS_KEY'];
  if (id && secret) return { accessKeyId: id, secretAccessKey: secret, ...(options.env['AWS_SESSION_TOKEN'] ? { sessionToken: options.env['AWS_SESSION_TOKEN'] } : {}) };
  return fromNodeProviderChain();
}

/**
 * On Node.js 20 the SDK warns, on every run, that its releases after January 2027 will need Node.js 22. This tool's
 * SDK is pinned by its lock file, so the warning is about versions a user of this release never runs, and nothing
 * they can do in this tool changes it; which Node.js versions iam-gitops supports is the README's to say (20.19 and
 * later, 22, 24). A user who set the SDK's own switch keeps their choice.
 */
function silenceSdkNodeVersionWarning(): void {
  process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';
}
