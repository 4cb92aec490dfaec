/**
 * AWS managed policy versions as drift (issue 18 item 8): apply records the versions of the AWS managed policies the
 * manifests use in aws-managed-policies.lock.json; when AWS publishes a new default version, drift reports it with
 * the access it adds or removes for each holder, and exits 2; `drift --update-lock` accepts it. Through the CLI and
 * the real SDK against the emulator (AWS publishing through its `/_emulator/aws-policy-version` hook); the pure parts
 * on their own.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { awsPoliciesInUse, awsPolicyUpdates, formatPolicyLock, lockFromLive, parsePolicyLock, POLICY_LOCK_FILE } from '../src/analyze/policy-lock.js';
import type { ActionCatalog } from '../src/catalog/action-catalog.js';
import { loadActionCatalog } from '../src/catalog/iam-data-catalog.js';
import { parseSnapshot } from '../src/live/parse-snapshot.js';
import type { Plan } from '../src/plan/plan.js';
import { emulatorsClosedAfterEachTest, exampleSnapshotJson } from './helpers/emulator.js';
import { PROJECT_ROOT } from './helpers/fixtures.js';
import { runCli } from './helpers/run-cli.js';

const S3_READ = 'arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess';
type Json = Record<string, unknown>;

let catalog: ActionCatalog;
beforeAll(async () => {
  catalog = await loadActionCatalog();
});

const emulator = emulatorsClosedAfterEachTest();

function exampleCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'iam-gitops-lock-'));
  cpSync(join(PROJECT_ROOT, 'manifests'), join(dir, 'manifests'), { recursive: true });
  cpSync(join(PROJECT_ROOT, 'schema'), join(dir, 'schema'), { recursive: true });
  // Without the example's lock file: each test starts before any apply.
  rmSync(join(dir, 'manifests', POLICY_LOCK_FILE));
  return join(dir, 'manifests');
}

describe('the lock file', () => {
  it('refuses what is not a lock, naming the file and what to do', () => {
    for (const [text, said] of [['{', 'not JSON'], ['{"formatVersion": 2, "policies": {}}', 'not a lock file'], ['{"formatVersion": 1, "policies": {"arn:aws:iam::123456789012:policy/mine": {}}}', 'not an AWS managed policy ARN'], [`{"formatVersion": 1, "policies": {"${S3_READ}": {"name": "x", "version": "latest", "document": {}}}}`, 'needs a name, a version']] as const) {
      const parsed = parsePolicyLock('m/aws-managed-policies.lock.json', text);
      expect(parsed.lock).toBeUndefined();
      expect(parsed.diagnostics[0]!.summary).toContain(said);
      expect(parsed.diagnostics[0]!.summary).toContain('m/aws-managed-policies.lock.json');
      expect(parsed.diagnostics[0]!.detail).toContain('drift --update-lock');
    }
  });

  it('reads back what it writes, in a stable order', () => {
    const live = parseSnapshot('s', JSON.stringify(exampleSnapshotJson())).state;
    const { lock } = lockFromLive([S3_READ], live);
    const text = formatPolicyLock(lock);
    expect(parsePolicyLock('f', text).lock).toEqual(lock);
    expect(formatPolicyLock(parsePolicyLock('f', text).lock!)).toBe(text);
  });

  it('a new version of a policy is what each holder gains and loses with it; the locked version is no update', () => {
    const snapshot = exampleSnapshotJson();
    const live = parseSnapshot('s', JSON.stringify(snapshot)).state;
    const inUse = awsPoliciesInUse(live);
    expect(inUse).toContain(S3_READ);
    const { lock } = lockFromLive(inUse, live);
    const options = { catalog, isWildcardOnlyAction: (a: string) => catalog.isWildcardOnly(a) };
    expect(awsPolicyUpdates(lock, live, inUse, options).updates).toEqual([]);
    // AWS widens the policy: s3:PutObject on every bucket, and drops s3:List*.
    const widened = structuredClone(snapshot) as { Policies: Json[] };
    const entry = widened.Policies.find((p) => p['Arn'] === S3_READ)!;
    entry['DefaultVersionId'] = 'v99';
    entry['PolicyVersionList'] = [{ VersionId: 'v99', IsDefaultVersion: true, Document: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['s3:Get*', 's3:PutObject'], Resource: '*' }] } }];
    const after = parseSnapshot('s', JSON.stringify(widened)).state;
    const { updates } = awsPolicyUpdates(lock, after, inUse, options);
    expect(updates.map((u) => [u.name, u.lockedVersion, u.liveVersion])).toEqual([['AmazonS3ReadOnlyAccess', lock.policies[S3_READ]!.version, 'v99']]);
    const members = [...after.users.values()].filter((u) => u.groups.some((g) => after.groups.get(g.toLowerCase())?.managedPolicies.includes(S3_READ))).map((u) => u.arn);
    expect(members.length).toBeGreaterThan(0);
    expect(updates[0]!.holders).toEqual(expect.arrayContaining(members));
    const granted = updates[0]!.access.flatMap((d) => d.granted.flatMap((e) => e.actions ?? []));
    const revoked = updates[0]!.access.flatMap((d) => d.revoked.flatMap((e) => e.actions ?? []));
    expect(granted).toContain('s3:PutObject');
    expect(revoked.some((a) => a.startsWith('s3:List'))).toBe(true);
    expect(new Set(updates[0]!.access.flatMap((d) => d.principals))).toEqual(new Set(updates[0]!.holders.filter((h) => updates[0]!.access.some((d) => d.principals.includes(h)))));
  });
});

describe('apply records the versions; drift reports a newer one; --update-lock accepts it', () => {
  it('through the CLI against the emulator', async () => {
    const e = await emulator(exampleSnapshotJson());
    // The roles are in use (sessions issued today): hygiene has no unused role to report.
    for (const role of e.model.roles.values()) role.lastUsed = { date: e.model.now(), region: 'us-east-1' };
    const manifests = exampleCopy();
    const lockPath = join(manifests, POLICY_LOCK_FILE);
    const applied = await runCli(['apply', ...e.awsArgs, '--manifests', manifests, '--auto-approve'], e.env);
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stderr).toContain(`Recorded the AWS managed policy versions applied in ${lockPath}: commit it`);
    // The example's own lock file is what applying the example to its snapshot records.
    expect(readFileSync(lockPath, 'utf8')).toBe(readFileSync(join(PROJECT_ROOT, 'manifests', POLICY_LOCK_FILE), 'utf8'));
    const lock = parsePolicyLock(lockPath, readFileSync(lockPath, 'utf8')).lock!;
    expect(Object.keys(lock.policies)).toContain(S3_READ);
    // The emulator's own caller is an unmanaged administrator: drift exits 2 for it throughout; versions are apart.
    const updatesNow = async (): Promise<Plan['awsManagedPolicyUpdates']> => (JSON.parse((await runCli(['drift', ...e.awsArgs, '--manifests', manifests, '--format', 'json'], e.env)).stdout) as Plan).awsManagedPolicyUpdates;
    expect(await updatesNow()).toBeUndefined();

    // AWS publishes a new default version that adds s3:PutObject.
    const published = await fetch(`${e.url}/_emulator/aws-policy-version`, { method: 'POST', body: JSON.stringify({ arn: S3_READ, document: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['s3:Get*', 's3:List*', 's3:PutObject'], Resource: '*' }] } }) });
    const { versionId } = (await published.json()) as { versionId: string };
    expect(versionId).not.toBe(lock.policies[S3_READ]!.version);
    const json = await runCli(['drift', ...e.awsArgs, '--manifests', manifests, '--format', 'json'], e.env);
    expect(json.code, json.stderr).toBe(2);
    const report = JSON.parse(json.stdout) as Plan;
    expect(report.changes).toEqual([]);
    expect(report.awsManagedPolicyUpdates?.map((u) => [u.name, u.lockedVersion, u.liveVersion])).toEqual([['AmazonS3ReadOnlyAccess', lock.policies[S3_READ]!.version, versionId]]);
    expect(report.awsManagedPolicyUpdates![0]!.access.flatMap((d) => d.granted.flatMap((g) => g.actions ?? []))).toEqual(['s3:PutObject']);
    const text = await runCli(['drift', ...e.awsArgs, '--manifests', manifests], e.env);
    expect(text.stdout).toContain(`AmazonS3ReadOnlyAccess: ${lock.policies[S3_READ]!.version} locked, ${versionId} in force`);
    expect(text.stdout).toContain('Drift: every managed entity matches its manifest, but live IAM holds 1 risk the manifests do not (see the findings). AWS published new versions of 1 policy the manifests use.');
    const markdown = await runCli(['drift', ...e.awsArgs, '--manifests', manifests, '--format', 'markdown'], e.env);
    expect(markdown.stdout).toContain('AWS published new versions of a policy the manifests use');

    // Accepted: the lock records the new version, and the drift is gone.
    const accepted = await runCli(['drift', ...e.awsArgs, '--manifests', manifests, '--update-lock'], e.env);
    expect(accepted.stderr).toContain(`Wrote ${lockPath}`);
    expect(parsePolicyLock(lockPath, readFileSync(lockPath, 'utf8')).lock!.policies[S3_READ]!.version).toBe(versionId);
    expect(await updatesNow()).toBeUndefined();
    // Applying again with nothing new leaves the file as it is (nothing to commit).
    const before = readFileSync(lockPath, 'utf8');
    const again = await runCli(['apply', ...e.awsArgs, '--manifests', manifests, '--auto-approve'], e.env);
    expect(again.stderr).not.toContain('Recorded');
    expect(readFileSync(lockPath, 'utf8')).toBe(before);
  }, 60_000);

  it('a lock file that cannot be read stops drift with its name; without one, versions are not compared and nothing is written', async () => {
    const manifests = exampleCopy();
    const state = join(PROJECT_ROOT, 'example/live-snapshot.json');
    const unlocked = await runCli(['drift', '--manifests', manifests, '--state', state, '--format', 'json']);
    expect(unlocked.code).toBe(2); // the bundled example's snapshot differs from its manifests
    expect((JSON.parse(unlocked.stdout) as Plan).awsManagedPolicyUpdates).toBeUndefined();
    expect(existsSync(join(manifests, POLICY_LOCK_FILE))).toBe(false);
    writeFileSync(join(manifests, POLICY_LOCK_FILE), '{"formatVersion": 1');
    const broken = await runCli(['drift', '--manifests', manifests, '--state', state]);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain(`${join(manifests, POLICY_LOCK_FILE)}: not JSON`);
  });
});
