/**
 * The live reader through the real SDK over HTTP, against the loopback IAM emulator: what it reads equals the
 * seeded snapshot (in O(N/1000) calls, following every Marker), `snapshot --aws` reads back to the same plan, and
 * every way reading can fail is a clear message with exit 1.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { stableStringify } from '../src/core/policy.js';
import type { EntityState, IamState } from '../src/core/state.js';
import { AwsLiveReader } from '../src/live/aws/aws-live-reader.js';
import { createAwsClients } from '../src/live/aws/connection.js';
import { describeAwsError } from '../src/live/aws/errors.js';
import { parseSnapshot } from '../src/live/parse-snapshot.js';
import { virtualClock } from './helpers/clock.js';
import { CREDENTIALS_ENV, exampleSnapshotJson, emulatorsClosedAfterEachTest, type TestEmulator } from './helpers/emulator.js';
import { PROJECT_ROOT, realWorldAvailable, realWorldSnapshot } from './helpers/fixtures.js';
import { runCli } from './helpers/run-cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'iam-gitops-aws-reader-'));
const emulator = emulatorsClosedAfterEachTest();

function reader(e: TestEmulator): AwsLiveReader {
  return new AwsLiveReader(createAwsClients({ endpoint: e.url, env: CREDENTIALS_ENV, retryBaseDelayMs: 5 }));
}

/**
 * A state as comparable data: everything a snapshot and IAM both say, in ARN order. Role descriptions and session
 * durations and policy tags are left out: an export lacks them (unknown) where the AWS reader knows them.
 */
function comparable(state: IamState): string {
  const entities = (map: ReadonlyMap<string, EntityState>) =>
    [...map.values()].sort((a, b) => a.arn.localeCompare(b.arn)).map((e) => {
      const { unknown: _u, ...rest } = e as EntityState & { description?: string; maxSessionDuration?: number };
      const out: Record<string, unknown> = { ...rest };
      for (const [k, v] of Object.entries(out)) if (v && typeof v === 'object' && 'key' in v && 'document' in v) out[k] = (v as { key: string }).key;
      if (out['inlinePolicies']) out['inlinePolicies'] = Object.fromEntries(Object.entries(out['inlinePolicies'] as Record<string, { key: string }>).map(([n, p]) => [n, p.key]));
      delete out['description'];
      delete out['maxSessionDuration'];
      if (e.kind === 'policy') delete out['tags'];
      return out;
    });
  // AWS managed policies are not compared: IAM lists those the account attaches, an export may hold fewer.
  return stableStringify({ account: state.account, users: entities(state.users), groups: entities(state.groups), roles: entities(state.roles), policies: entities(state.policies) });
}

describe('reading live IAM through the SDK', () => {
  it('prints no warning a user cannot act on, on any supported Node.js (the SDK warns on Node.js 20 about its future releases)', async () => {
    const e = await emulator(exampleSnapshotJson());
    const { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: _userChoice, ...env } = process.env;
    const run = await promisify(execFile)(process.execPath, [join(PROJECT_ROOT, 'bin/iam-gitops.js'), 'plan', '--manifests', 'manifests', ...e.awsArgs], { cwd: PROJECT_ROOT, env: { ...env, ...CREDENTIALS_ENV } });
    expect(run.stdout).toContain('Plan:');
    expect(run.stderr).not.toMatch(/Warning|\(node:\d+\)/);
  });

  it('reads what the emulator was seeded with, in one page per filter, plus ListRoles, GetCallerIdentity and the providers', async () => {
    const snapshot = exampleSnapshotJson();
    const e = await emulator(snapshot, { caller: 'arn:aws:iam::123456789012:user/people/alice' });
    const live = await reader(e).read();
    expect(comparable(live.state)).toBe(comparable(parseSnapshot('example', JSON.stringify(snapshot)).state));
    expect(live.source).toBe('aws:123456789012');
    expect(live.caller).toEqual({ account: '123456789012', arn: 'arn:aws:iam::123456789012:user/people/alice', principalArn: 'arn:aws:iam::123456789012:user/people/alice' });
    // Known from ListRoles: nothing is "unknown" in an account read from AWS.
    expect([...live.state.roles.values()].filter((r) => r.unknown?.length)).toEqual([]);
    const calls = e.calls();
    // Identity providers: one listing per kind and one Get per provider (the example's GitHub OIDC provider).
    expect(calls.byAction).toEqual({ GetAccountAuthorizationDetails: 5, ListRoles: 1, GetCallerIdentity: 1, ListOpenIDConnectProviders: 1, GetOpenIDConnectProvider: 1, ListSAMLProviders: 1 });
  });

  it('follows every Marker, short pages included', async () => {
    const snapshot = exampleSnapshotJson();
    const e = await emulator(snapshot, { caller: 'arn:aws:iam::123456789012:user/people/alice', maxPageItems: 2 });
    const live = await reader(e).read();
    expect(comparable(live.state)).toBe(comparable(parseSnapshot('example', JSON.stringify(snapshot)).state));
    expect(e.calls().byAction['GetAccountAuthorizationDetails']).toBeGreaterThan(5);
  });

  it.skipIf(!realWorldAvailable)('reads the real-world lab accounts as their snapshots say', async () => {
    for (const name of ['cloudsplaining-small-account.json', 'cloudsplaining-example-account.json'] as const) {
      const snapshot = JSON.parse(readFileSync(realWorldSnapshot(name), 'utf8')) as Record<string, unknown>;
      const expected = parseSnapshot(name, JSON.stringify(snapshot)).state;
      const e = await emulator(snapshot, { caller: [...expected.users.values()][0]!.arn });
      expect(comparable((await reader(e).read()).state), name).toBe(comparable(expected));
    }
  });

  it('snapshot --aws writes a file that --state reads back to the same plan', async () => {
    const e = await emulator(exampleSnapshotJson());
    const file = join(tmp, 'from-aws.json');
    // With --manifests it reads the tags of the policies the manifests tag (read-artifacts), as plan --aws does.
    const written = await runCli(['snapshot', ...e.awsArgs, '--out', file, '--manifests', 'manifests'], e.env);
    expect(written.code, written.stderr).toBe(0);
    expect(written.stdout).toMatch(/^Snapshot of account 123456789012 written to .*from-aws\.json: 4 users, 3 groups, 5 roles, \d+ policies \(tags read for 1 policy\)\.\n$/);
    const fromAws = await runCli(['plan', '--manifests', 'manifests', ...e.awsArgs, '--format', 'json', '--now', '2026-11-29T00:00:00Z'], e.env);
    const fromFile = await runCli(['plan', '--manifests', 'manifests', '--state', file, '--format', 'json', '--now', '2026-11-29T00:00:00Z'], e.env);
    expect(fromAws.code, fromAws.stderr).toBe(0);
    // The same plan; only where live IAM was read from, and the note on reading policy tags, differ.
    const strip = (text: string) => {
      const plan = JSON.parse(text) as { live: { source: string }; diagnostics: { summary: string }[] };
      plan.live.source = 'x';
      plan.diagnostics = plan.diagnostics.filter((d) => !d.summary.startsWith('read the tags of'));
      return plan;
    };
    expect(strip(fromAws.stdout)).toEqual(strip(fromFile.stdout));
  });
});

describe('reading fails clearly', () => {
  const MANIFESTS = ['--manifests', 'manifests'];

  it('refuses to plan an account other than the manifests\'', async () => {
    const e = await emulator(undefined, { account: '111111111111' });
    const run = await runCli(['plan', ...MANIFESTS, ...e.awsArgs], e.env);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('error: the live state is of account 111111111111, but the manifests are for 123456789012');
    expect(run.stderr).toContain('The AWS credentials (or --assume-role) are for account 111111111111');
  });

  it('no credentials, an unreachable endpoint, access denied, failures and throttling that outlast the retries', async () => {
    const noCreds = await runCli(['plan', ...MANIFESTS, '--aws', '--endpoint', 'http://127.0.0.1:9'], { IAM_GITOPS_MAX_ATTEMPTS: '1' });
    expect(noCreds.stderr).toMatch(/^error: no AWS credentials found while reading IAM\n {4}Export AWS_ACCESS_KEY_ID/);
    const unreachable = await runCli(['plan', ...MANIFESTS, '--aws', '--endpoint', 'http://127.0.0.1:9'], { ...CREDENTIALS_ENV, IAM_GITOPS_MAX_ATTEMPTS: '1' });
    expect(unreachable.stderr).toMatch(/^error: cannot reach http:\/\/127\.0\.0\.1:9 while reading IAM \(ECONNREFUSED\)/);
    const denied = await emulator(exampleSnapshotJson(), { caller: 'arn:aws:iam::123456789012:user/people/alice', enforce: true });
    const deniedRun = await runCli(['plan', ...MANIFESTS, ...denied.awsArgs], denied.env);
    expect(deniedRun.stderr).toMatch(/^error: access denied while reading IAM: User: arn:aws:iam::123456789012:user\/people\/alice is not authorized to perform: iam:\w+/);
    const failing = await emulator(exampleSnapshotJson(), { errorRate: 1 });
    // On virtual time: after a throttle the SDK would pace the next requests in real time.
    const clock = virtualClock();
    const failingRun = await runCli(['plan', ...MANIFESTS, ...failing.awsArgs], { ...failing.env, IAM_GITOPS_MAX_ATTEMPTS: '3' }, { clock });
    expect(failingRun.stderr).toMatch(/^error: IAM failed \(ServiceFailure\) while reading IAM after 3 attempts/);
    const throttled = await emulator(exampleSnapshotJson(), { throttleRate: 1 });
    const throttledRun = await runCli(['plan', ...MANIFESTS, ...throttled.awsArgs], { ...throttled.env, IAM_GITOPS_MAX_ATTEMPTS: '3' }, { clock });
    // Each wait is said as it starts; then the failure, whose advice names no flag plan lacks.
    expect(throttledRun.stderr).toMatch(/^ {4}throttled by IAM \(Throttling\), retrying in \d+\.\d s \(attempt 2 of 3\)\n/);
    expect(throttledRun.stderr).toMatch(/\nerror: IAM kept throttling requests while reading IAM \(gave up after 3 attempts\)\n {4}IAM allows each account a limited rate of requests, shared with any other automation in it: try again later\.\n$/);
    for (const run of [noCreds, unreachable, deniedRun, failingRun, throttledRun]) {
      expect(run.code).toBe(1);
      expect(run.stderr).not.toMatch(/\n\s+at |internal error/);
      expect(run.stderr).not.toContain(CREDENTIALS_ENV.AWS_SECRET_ACCESS_KEY);
    }
  });

  it('names expired and invalid credentials', () => {
    expect(describeAwsError({ name: 'ExpiredToken', message: 'The security token included in the request is expired' }, 'reading IAM', 'AWS').summary).toBe('the AWS credentials have expired (ExpiredToken) while reading IAM');
    expect(describeAwsError({ name: 'InvalidClientTokenId', message: 'x' }, 'reading IAM', 'AWS').summary).toBe('AWS refused the credentials (InvalidClientTokenId) while reading IAM');
  });

  it('refuses flags that do not go together', async () => {
    expect((await runCli(['plan', ...MANIFESTS, '--state', 'example/live-snapshot.json', '--aws'])).stderr).toContain('error: give --state FILE or --aws, not both');
    expect((await runCli(['plan', ...MANIFESTS])).stderr).toContain('error: say where live IAM is: --state FILE (a snapshot) or --aws');
    expect((await runCli(['plan', ...MANIFESTS, '--region', 'eu-west-1'])).stderr).toContain('error: --region needs --aws');
    expect((await runCli(['plan', ...MANIFESTS, '--aws', '--external-id', 'x'])).stderr).toContain('error: --external-id needs --assume-role');
    expect((await runCli(['plan', ...MANIFESTS, '--aws', '--region', 'mars-1'], CREDENTIALS_ENV)).stderr).toContain('error: --region "mars-1" is not an AWS region');
  });
});
