/**
 * AWS credentials in a GitHub Actions job. With a role to assume and an OIDC token available (`permissions: id-token:
 * write`), the role is assumed with GitHub's token, no secret stored; with a role and credentials in the environment,
 * through STS AssumeRole; otherwise the environment's credentials (aws-actions/configure-aws-credentials). The token
 * itself comes from the runner (the entry's port); this decides what to do with it and what to say when it fails.
 */
import { AwsLiveReader } from '../live/aws/aws-live-reader.js';
import { DEFAULT_REQUEST_TIMEOUT_MS, type AwsClients } from '../live/aws/connection.js';
import type { LiveReader } from '../live/live-state.js';
import { connectAws, openLiveReader, readTuning, type RunEnvironment } from './live-source.js';
import { SetupError } from './setup-error.js';

/** The audience AWS STS expects in GitHub's OIDC token. */
export const STS_AUDIENCE = 'sts.amazonaws.com';

export interface WorkflowAwsRequest {
  readonly roleToAssume?: string;
  readonly region?: string;
  readonly run: RunEnvironment;
  /** Asks the runner for GitHub's OIDC token for an audience (`core.getIDToken`). */
  readonly requestIdToken: (audience: string) => Promise<string>;
  /** A token fetched already for this run (apply fetches it once, to check its environment first). */
  readonly idToken?: string;
  readonly warn: (message: string) => void;
}

/** Whether the job may ask for an OIDC token (the runner sets the endpoint with `permissions: id-token: write`). */
export function canRequestIdToken(env: RunEnvironment['env']): boolean {
  return Boolean(env['ACTIONS_ID_TOKEN_REQUEST_URL']);
}

/** GitHub's OIDC token, or a failure after the run's request timeout: `core.getIDToken` itself has no timeout. */
export async function idTokenWithin(requestIdToken: WorkflowAwsRequest['requestIdToken'], env: RunEnvironment['env']): Promise<string> {
  const ms = readTuning(env).aws.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer from GitHub's OIDC token endpoint within ${ms / 1000} s`)), ms);
  });
  try {
    return await Promise.race([requestIdToken(STS_AUDIENCE), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export async function connectWorkflowAws(request: WorkflowAwsRequest): Promise<AwsClients> {
  const { run, roleToAssume: role } = request;
  const env = run.env;
  const region = request.region ? { region: request.region } : {};
  const hasEnvCredentials = Boolean(env['AWS_ACCESS_KEY_ID'] && env['AWS_SECRET_ACCESS_KEY']);
  if (role && canRequestIdToken(env)) {
    let token: string;
    try {
      token = request.idToken ?? (await idTokenWithin(request.requestIdToken, env));
    } catch (e) {
      throw new SetupError(`cannot get GitHub's OIDC token to assume ${role}: ${e instanceof Error ? e.message : String(e)}. Give the job \`permissions: id-token: write\`.`);
    }
    const clients = connectAws({ ...region, webIdentity: { roleArn: role, token, sessionName: sessionName(env) } }, run);
    try {
      // Assume now: a refusal here is about the role's trust policy, and the message should say so.
      await clients.iam.config.credentials();
    } catch (e) {
      const sub = claimOf(token, 'sub');
      throw new SetupError(`cannot assume ${role} with GitHub's OIDC token (sub: ${sub ?? 'unknown'}): ${e instanceof Error ? e.message : String(e)}. The role's trust policy must allow sts:AssumeRoleWithWebIdentity for the token.actions.githubusercontent.com provider with aud sts.amazonaws.com and this sub (examples/workflows/iam-roles.yaml shows both roles).`);
    }
    return clients;
  }
  if (role && hasEnvCredentials) return connectAws({ ...region, assumeRole: { arn: role, sessionName: sessionName(env) } }, run);
  if (role) throw new SetupError(`cannot assume ${role}: no OIDC token (give the job \`permissions: id-token: write\`) and no AWS credentials in the environment`);
  if (!hasEnvCredentials && !env['AWS_PROFILE'] && !env['AWS_WEB_IDENTITY_TOKEN_FILE'] && !env['AWS_CONTAINER_CREDENTIALS_FULL_URI'] && !env['AWS_CONTAINER_CREDENTIALS_RELATIVE_URI']) {
    request.warn('iam-gitops: no role-to-assume and no AWS credentials in the environment; trying the SDK default chain (instance metadata). Give role-to-assume, or state for a plan without AWS.');
  }
  return connectAws(region, run);
}

/** Live IAM for a job: its `state` snapshot, or AWS with the job's credentials. */
export async function openWorkflowLive(request: WorkflowAwsRequest & { readonly state?: string }): Promise<LiveReader> {
  if (request.state !== undefined) return openLiveReader({ from: 'snapshot', file: request.state }, request.run);
  return new AwsLiveReader(await connectWorkflowAws(request));
}

/** A claim of a JWT (not verified: only to say which subject a trust policy refused, or which environment a job runs in). */
export function claimOf(token: string, claim: 'sub' | 'environment'): string | undefined {
  try {
    const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
    return typeof claims[claim] === 'string' ? claims[claim] : undefined;
  } catch {
    return undefined;
  }
}

/** CloudTrail shows who did what: the session is named after the run. */
function sessionName(env: RunEnvironment['env']): string {
  return `iam-gitops-${env['GITHUB_RUN_ID'] ?? Date.now()}-${env['GITHUB_RUN_ATTEMPT'] ?? '1'}`.slice(0, 64);
}
