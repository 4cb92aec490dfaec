/**
 * No unresponsive server hangs a run (issue 16, item 12). A loopback server that accepts connections and never
 * answers stands for IAM, STS (web identity and assumed roles), GitHub's REST API and GitHub's OIDC token endpoint;
 * each client gives up after its timeout (shortened through the run's own knob, IAM_GITOPS_REQUEST_TIMEOUT_MS),
 * with a message that says so, after as many attempts as its retry policy allows (counted at the server). Nothing
 * here measures time: the laws are "it ends" and "it said why".
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { gitHubClient } from '../src/github/client.js';
import { createAwsClients } from '../src/live/aws/connection.js';
import { describeAwsError } from '../src/live/aws/errors.js';
import { runActionInProcess } from './helpers/action-port.js';
import { CREDENTIALS_ENV } from './helpers/emulator.js';
import { runCli } from './helpers/run-cli.js';

interface SilentServer {
  readonly url: string;
  /** Connections accepted so far: one per attempt. */
  accepted(): number;
  /** Drops every connection (a pending request then fails) and stops listening. */
  close(): Promise<void>;
}

const servers: SilentServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** Accepts connections, reads what is sent, and never answers. */
async function silentServer(): Promise<SilentServer> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server: Server = createServer((socket) => {
    accepted++;
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
    socket.resume();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const silent: SilentServer = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    accepted: () => accepted,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  servers.push(silent);
  return silent;
}

const FAST = { IAM_GITOPS_REQUEST_TIMEOUT_MS: '200', IAM_GITOPS_MAX_ATTEMPTS: '2', IAM_GITOPS_RETRY_BASE_DELAY_MS: '1' };

describe('AWS', () => {
  it('the CLI reading IAM from a server that never answers fails with a timeout, after its attempts', async () => {
    const silent = await silentServer();
    const run = await runCli(['plan', '--manifests', 'manifests', '--aws', '--endpoint', silent.url], { ...CREDENTIALS_ENV, ...FAST });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`error: no answer from ${silent.url} in time while reading IAM (2 attempts)\n    Is the endpoint running and answering? Check --endpoint ${silent.url}.`);
    expect(run.stderr).not.toMatch(/internal error|\n\s+at /);
    // The reader's calls, each tried twice (IAM_GITOPS_MAX_ATTEMPTS), then it gave up.
    expect(silent.accepted()).toBeGreaterThanOrEqual(2);
    expect(silent.accepted()).toBeLessThanOrEqual(40);
  });

  it('STS behind web identity (the Action\'s OIDC role) and behind an assumed role time out too', async () => {
    const silent = await silentServer();
    const common = { endpoint: silent.url, env: {}, requestTimeoutMs: 200, maxAttempts: 2, retryBaseDelayMs: 1 };
    const webIdentity = createAwsClients({ ...common, webIdentity: { roleArn: 'arn:aws:iam::123456789012:role/ci', token: 'header.payload.signature' } });
    const failure = await webIdentity.iam.config.credentials().then(() => undefined, (e: unknown) => e);
    expect(failure).toBeDefined();
    expect(describeAwsError(failure, 'assuming the role', silent.url).summary).toMatch(new RegExp(`^no answer from ${silent.url.replace(/[.]/g, '\\.')} in time while assuming the role`));
    const assumed = createAwsClients({ ...common, env: CREDENTIALS_ENV, assumeRole: { arn: 'arn:aws:iam::123456789012:role/other' } });
    const failure2 = await assumed.iam.config.credentials().then(() => undefined, (e: unknown) => e);
    expect(describeAwsError(failure2, 'assuming the role', silent.url).summary).toMatch(/^no answer from .* in time while assuming the role/);
    expect(silent.accepted()).toBe(4);
  });

  it('the default timeouts are finite', () => {
    const clients = createAwsClients({ env: CREDENTIALS_ENV });
    const handler = clients.iam.config.requestHandler as unknown as { configProvider?: Promise<{ connectionTimeout?: number; requestTimeout?: number }> };
    expect(handler.configProvider).toBeDefined();
    return handler.configProvider!.then((config) => {
      expect(config.connectionTimeout).toBeGreaterThan(0);
      expect(config.requestTimeout).toBeGreaterThan(0);
    });
  });
});

describe('GitHub', () => {
  it('Octokit gives up on a server that never answers, after the retry plugin\'s attempts', async () => {
    const silent = await silentServer();
    const client = gitHubClient({ token: 'test-token', baseUrl: silent.url, timeoutMs: 200, retryUnitMs: 1 });
    const failure = await client.rest.repos.get({ owner: 'acme', repo: 'iam' }).then(() => undefined, (e: unknown) => e as Error);
    expect(failure?.message).toMatch(/^no answer from 127\.0\.0\.1:\d+ within 0\.2 s \(GET \/repos\/acme\/iam\)$/);
    // Tried again (the retry plugin), a bounded number of times.
    expect(silent.accepted()).toBeGreaterThanOrEqual(2);
    expect(silent.accepted()).toBeLessThanOrEqual(5);
  });
});

describe("the Action's OIDC token", () => {
  const temps: string[] = [];
  afterAll(() => {
    for (const dir of temps) rmSync(dir, { recursive: true, force: true });
  });

  it('a token endpoint that never answers fails the step with the reason', async () => {
    const silent = await silentServer();
    const workspace = mkdtempSync(join(tmpdir(), 'iam-gitops-oidc-'));
    temps.push(workspace);
    mkdirSync(join(workspace, 'manifests'));
    writeFileSync(join(workspace, 'manifests', 'account.yaml'), 'kind: Account\nid: "123456789012"\n');
    const env: NodeJS.ProcessEnv = {
      HOME: workspace,
      GITHUB_ACTIONS: 'true',
      GITHUB_EVENT_NAME: 'schedule',
      GITHUB_REPOSITORY: 'acme/iam-config',
      GITHUB_WORKSPACE: workspace,
      GITHUB_STEP_SUMMARY: join(workspace, 'summary.md'),
      RUNNER_TEMP: workspace,
      INPUT_COMMAND: 'audit',
      'INPUT_ROLE-TO-ASSUME': 'arn:aws:iam::123456789012:role/automation/iam-gitops-plan',
      ACTIONS_ID_TOKEN_REQUEST_URL: `${silent.url}/token?api-version=2.0`,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'runtime-token',
      IAM_GITOPS_REQUEST_TIMEOUT_MS: '300',
    };
    // The port asks the endpoint as @actions/core does, with no timeout of its own: the Action's bound ends the step.
    const run = await runActionInProcess(env);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/::error::iam-gitops: cannot get GitHub's OIDC token to assume arn:aws:iam::123456789012:role\/automation\/iam-gitops-plan: no answer from GitHub's OIDC token endpoint within 0\.3 s/);
    expect(silent.accepted()).toBe(1);
  });
});
