/**
 * Adapter: IAM and STS clients from the command line's AWS options. Credentials come from the SDK's chain
 * (environment, profile, web identity, SSO, container and instance metadata), so what
 * `aws-actions/configure-aws-credentials` exports just works; `--assume-role` goes through STS first. Retries and
 * pacing are the SDK's adaptive strategy: throttling and 5xx are retried with backoff, and the client slows its own
 * sending rate when IAM throttles rather than hammering it.
 */
import { IAMClient } from '@aws-sdk/client-iam';
import { STSClient } from '@aws-sdk/client-sts';
import { fromIni, fromNodeProviderChain, fromTemporaryCredentials, fromWebToken } from '@aws-sdk/credential-providers';
import { AdaptiveRetryStrategy } from '@smithy/core/retry';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@aws-sdk/types';
import { error, InputError } from '../../core/diagnostics.js';
import { TOOL_NAME, TOOL_VERSION } from '../../version.js';

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
}

export interface AwsClients {
  readonly iam: IAMClient;
  readonly sts: STSClient;
  /** Where requests go, for messages: the endpoint URL or "AWS". */
  readonly target: string;
}

export const DEFAULT_REGION = 'us-east-1';
const DEFAULT_MAX_ATTEMPTS = 10;

export function createAwsClients(options: AwsOptions): AwsClients {
  const region = options.region ?? DEFAULT_REGION;
  if (!/^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$/.test(region)) {
    throw new InputError([error(`--region "${region}" is not an AWS region`, 'Give a region such as us-east-1 or eu-west-1 (IAM is global; the region is for STS).')]);
  }
  if (options.endpoint !== undefined && !/^https?:\/\/[^\s/]+/.test(options.endpoint)) {
    throw new InputError([error(`--endpoint "${options.endpoint}" is not a URL`, 'Give a URL such as http://127.0.0.1:4566 (IAM and STS are both sent there).')]);
  }
  const common = {
    region,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    retryStrategy: new AdaptiveRetryStrategy(options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS, options.retryBaseDelayMs !== undefined ? { baseDelay: options.retryBaseDelayMs } : {}),
    customUserAgent: `${TOOL_NAME}/${TOOL_VERSION}`,
  };
  const base = options.webIdentity
    ? fromWebToken({
        roleArn: options.webIdentity.roleArn,
        webIdentityToken: options.webIdentity.token,
        roleSessionName: options.webIdentity.sessionName ?? `${TOOL_NAME}-${Date.now()}`,
        clientConfig: { region, ...(options.endpoint ? { endpoint: options.endpoint } : {}) },
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
        clientConfig: { region, ...(options.endpoint ? { endpoint: options.endpoint } : {}) },
      })
    : base;
  return {
    iam: new IAMClient({ ...common, credentials }),
    sts: new STSClient({ ...common, credentials }),
    target: options.endpoint ?? 'AWS',
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
