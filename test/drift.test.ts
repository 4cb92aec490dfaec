/**
 * Drift detection:
 * - a law on random accounts: the drift of live IAM B from manifests of A is exactly the access, trust and findings
 *   change of planning B's manifests against A (the same difference, read from the manifests' side);
 * - against the IAM emulator through the real SDK: changes made by hand show as drift in the right direction (an
 *   attached AdministratorAccess is access live IAM has beyond the manifests and a FULL_ADMIN the drift introduced;
 *   an administrator created by hand under a managed path is drift though no manifest names it; a protected one is
 *   not), and apply removes it all;
 * - the CLI: exit 2 on drift, 0 without, 3 with --fail-on; JSON says `perspective: drift`.
 */
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AccessDelta, AccessEntry } from '../src/analyze/access-delta.js';
import type { PlanFinding } from '../src/analyze/plan-findings.js';
import type { TrustDelta } from '../src/analyze/trust-delta.js';
import { detectDrift, driftFingerprint, hasDrift, UNMANAGED_CAUSE } from '../src/app/drift.js';
import { planChanges } from '../src/app/use-cases.js';
import { importLiveState } from '../src/importer/live-to-manifests.js';
import type { LiveReader } from '../src/live/live-state.js';
import { manifestsFromFiles } from '../src/manifest/files-source.js';
import type { Plan } from '../src/plan/plan.js';
import { CREDENTIALS_ENV, exampleSnapshotJson, startTestEmulator } from './helpers/emulator.js';
import { importOptions, snapshotReader } from './helpers/example.js';
import { PROJECT_ROOT, realWorldAvailable, realWorldSnapshot } from './helpers/fixtures.js';
import { buildUniverse, chance, pick, randomAccount, randomPolicy, seededRandom, uniqueSids, type Random, type UniverseAction } from './helpers/random-account.js';
import { expectGolden } from './helpers/golden.js';
import { runCli } from './helpers/run-cli.js';

const SEED = Number(process.env['LAW_SEED'] ?? 20261130);
// 10 runs: a planted bug (findings not turned to the drift's side) is caught at run 1; 20 runs caught nothing more.
// LAW_RUNS runs it wider.
const RUNS = Number(process.env['LAW_RUNS'] ?? 10);
const NOW = new Date('2026-11-29T12:00:00Z');
type Json = Record<string, unknown>;

let universe: UniverseAction[];
beforeAll(async () => {
  universe = await buildUniverse(seededRandom(SEED));
});

const reader = (name: string, snapshot: unknown): LiveReader => snapshotReader(snapshot, name);

/** The same entities with some policies, memberships and attachments changed: what hands do to an account. */
function mutate(random: Random, snapshot: Json): Json {
  const copy = JSON.parse(JSON.stringify(snapshot)) as Json;
  const users = copy['UserDetailList'] as Json[];
  const roles = copy['RoleDetailList'] as Json[];
  const groups = (copy['GroupDetailList'] as Json[]).map((g) => g['GroupName'] as string);
  const managed = (copy['Policies'] as Json[]).filter((p) => !(p['PolicyName'] as string).startsWith('boundary'));
  for (const principal of [...users, ...roles]) {
    for (const list of ['UserPolicyList', 'RolePolicyList']) {
      for (const inline of (principal[list] as Json[] | undefined) ?? []) if (chance(random, 0.4)) inline['PolicyDocument'] = randomPolicy(random, universe);
    }
    if (chance(random, 0.3)) {
      const policy = pick(random, managed);
      const attached = principal['AttachedManagedPolicies'] as Json[];
      principal['AttachedManagedPolicies'] = attached.some((a) => a['PolicyArn'] === policy['Arn']) ? attached.filter((a) => a['PolicyArn'] !== policy['Arn']) : [...attached, { PolicyName: policy['PolicyName'], PolicyArn: policy['Arn'] }];
    }
    if (principal['GroupList'] && chance(random, 0.3)) {
      const group = pick(random, groups);
      const list = principal['GroupList'] as string[];
      principal['GroupList'] = list.includes(group) ? list.filter((g) => g !== group) : [...list, group];
    }
  }
  for (const policy of managed) {
    if (!chance(random, 0.3)) continue;
    const versions = policy['PolicyVersionList'] as Json[];
    const current = versions.find((v) => v['IsDefaultVersion'])!;
    current['Document'] = randomPolicy(random, universe);
  }
  return uniqueSids(copy);
}

async function manifestsOf(snapshot: Json, name: string) {
  const imported = importLiveState(await reader(name, snapshot).read(), await importOptions());
  return manifestsFromFiles('m', 'm', new Map([...imported.files].map(([path, text]) => [`m/${path}`, text])));
}

/** An access item without its examples: two computations may pick different example requests for one entry. */
const comparable = (deltas: readonly AccessDelta[]) =>
  deltas
    .map((d) => ({ principals: [...d.principals].sort(), granted: d.granted.map(withoutExample), revoked: d.revoked.map(withoutExample) }))
    .sort((a, b) => a.principals.join().localeCompare(b.principals.join()));
const withoutExample = ({ example: _example, because, ...entry }: AccessEntry) => ({ ...entry, because: [...because].sort() });
const trustComparable = (trust: readonly TrustDelta[]) => trust.map((t) => ({ role: t.role, gained: t.gained, lost: t.lost })).sort((a, b) => a.role.localeCompare(b.role));
const findingsComparable = (findings: readonly PlanFinding[]) =>
  findings
    .filter((f) => !f.causes.includes(UNMANAGED_CAUSE))
    .map((f) => `${f.change} ${f.severity} ${f.code} ${f.principal}${f.severityChange ? ` ${f.severityChange.from}->${f.severityChange.to}` : ''}`)
    .sort();

describe('drift is the change from the manifests to live IAM', () => {
  it(`on random accounts changed by hand, drift from A's manifests to live B equals planning B's manifests against A (seed ${SEED})`, async () => {
    const random = seededRandom(SEED);
    let drifted = 0;
    for (let run = 0; run < RUNS; run++) {
      const a = uniqueSids(randomAccount(random, universe).snapshot);
      const b = mutate(random, a);
      const drift = await detectDrift(await manifestsOf(a, `a-${run}.json`), reader(`b-${run}.json`, b), NOW);
      const reverse = await planChanges(await manifestsOf(b, `b-${run}.json`), reader(`a-${run}.json`, a), NOW);
      expect(drift.diagnostics.filter((d) => d.severity === 'error'), `run ${run}`).toEqual([]);
      const report = drift.report!;
      const plan = reverse.plan!;
      expect(report.perspective).toBe('drift');
      expect(comparable(report.access), `run ${run}: access`).toEqual(comparable(plan.access));
      expect(trustComparable(report.trust), `run ${run}: trust`).toEqual(trustComparable(plan.trust));
      expect(findingsComparable(report.findings), `run ${run}: findings`).toEqual(findingsComparable(plan.findings));
      // No drift exactly when nothing differs and no unmanaged principal holds a risk.
      expect(hasDrift(report), `run ${run}`).toBe(report.changes.length > 0 || report.findings.some((f) => f.change === 'introduced' && !f.accepted));
      if (report.access.length) drifted++;
    }
    // The law was exercised: most runs changed access.
    expect(drifted).toBeGreaterThan(RUNS / 2);
  });

  it('the drift fingerprint tells the same drift from another: not the manifests\' line numbers, yes a change by hand', async () => {
    const random = seededRandom(SEED + 2);
    const a = uniqueSids(randomAccount(random, universe).snapshot);
    const b = mutate(random, a);
    const imported = importLiveState(await reader('a.json', a).read(), await importOptions());
    const files = new Map([...imported.files].map(([path, text]) => [`m/${path}`, text]));
    const shifted = new Map([...files].map(([path, text]) => [path, path.endsWith('.yaml') ? `# edited\n\n${text}` : text]));
    const first = (await detectDrift(manifestsFromFiles('m', 'm', files), reader('b.json', b), NOW)).report!;
    const again = (await detectDrift(manifestsFromFiles('m', 'm', shifted), reader('b-again.json', b), NOW)).report!;
    expect(first.changes.map((c) => c.reason)).not.toEqual(again.changes.map((c) => c.reason));
    expect(driftFingerprint(again)).toBe(driftFingerprint(first));
    const other = (await detectDrift(manifestsFromFiles('m', 'm', files), reader('c.json', mutate(random, b)), NOW)).report!;
    expect(driftFingerprint(other)).not.toBe(driftFingerprint(first));
  });

  it('an account that matches its manifests has no drift', async () => {
    const random = seededRandom(SEED + 1);
    for (let run = 0; run < 5; run++) {
      const a = uniqueSids(randomAccount(random, universe).snapshot);
      const drift = await detectDrift(await manifestsOf(a, 'a.json'), reader('a.json', a), NOW);
      expect(drift.report!.changes).toEqual([]);
      expect(drift.report!.access).toEqual([]);
      expect(hasDrift(drift.report!)).toBe(false);
    }
  });
});

describe('the drift report of the bundled example', () => {
  // The example's live snapshot differs from its manifests in every way a hand can make: the report is golden.
  for (const [format, file] of [['text', 'expected.txt'], ['markdown', 'expected.md']] as const) {
    it(`as ${format}`, async () => {
      const run = await runCli(['drift', '--manifests', 'manifests', '--state', 'example/live-snapshot.json', '--format', format, '--now', NOW.toISOString()]);
      expectGolden(join(PROJECT_ROOT, 'test/golden/drift/bundled-example', file), `exit ${run.code}\n--- stdout\n${run.stdout}--- stderr\n${run.stderr}`);
    });
  }
});

describe.skipIf(!realWorldAvailable)('drift on the lab account (skipped where ../shared is absent)', () => {
  it('the lab against its own import has no drift; AdministratorAccess attached by hand to a role is FULL_ADMIN the drift introduced', async () => {
    const file = realWorldSnapshot('cloudsplaining-example-account.json');
    const lab = JSON.parse(readFileSync(file, 'utf8')) as Json;
    const manifests = await manifestsOf(lab, 'lab.json');
    const same = (await detectDrift(manifests, reader('lab.json', lab), NOW)).report!;
    expect(same.changes).toEqual([]);
    expect(hasDrift(same)).toBe(false);
    const touched = JSON.parse(JSON.stringify(lab)) as Json;
    const role = (touched['RoleDetailList'] as Json[]).find((r) => r['RoleName'] === 'MyRole')!;
    role['AttachedManagedPolicies'] = [...(role['AttachedManagedPolicies'] as Json[]), { PolicyName: 'AdministratorAccess', PolicyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' }];
    const drift = (await detectDrift(manifests, reader('lab-touched.json', touched), NOW)).report!;
    expect(drift.changes.map((c) => `${c.action} ${c.kind} ${c.name}`)).toEqual(['update role MyRole']);
    expect(drift.findings.filter((f) => f.code === 'FULL_ADMIN').map((f) => `${f.change} ${f.principal}`)).toEqual(['introduced arn:aws:iam::200611803367:role/MyRole']);
    expect(hasDrift(drift)).toBe(true);
  });
});

describe('drift against the IAM emulator', () => {
  it('changes made by hand are drift in the right direction; a hand-made administrator is drift, a protected one is not; apply removes it', async () => {
    const emulator = await startTestEmulator(exampleSnapshotJson());
    // The roles are in use (sessions issued today): hygiene has no unused role to report.
    for (const role of emulator.model.roles.values()) role.lastUsed = { date: emulator.model.now(), region: 'us-east-1' };
    try {
      // The example, with the emulator's own administrator (the caller apply runs as) protected, as a real
      // config repo names the role its automation runs as.
      const manifests = join(mkdtempSync(join(tmpdir(), 'iam-gitops-drift-')), 'manifests');
      cpSync(join(PROJECT_ROOT, 'manifests'), manifests, { recursive: true });
      const account = join(manifests, 'account.yaml');
      writeFileSync(account, readFileSync(account, 'utf8').replace('protected:\n', `protected:\n  - ${emulator.caller}\n`));
      const env = { ...emulator.env, ...CREDENTIALS_ENV };
      const converge = await runCli(['apply', '--manifests', manifests, ...emulator.awsArgs, '--auto-approve'], env);
      expect(converge.code, converge.stderr).toBe(0);
      const clean = await runCli(['drift', '--manifests', manifests, ...emulator.awsArgs], env);
      expect(clean.code, clean.stderr + clean.stdout).toBe(0);
      expect(clean.stdout).toContain('Every managed entity matches its manifest.');
      expect(clean.stdout).toContain('\nNo drift. 4 unmanaged.\n');

      // By hand: AdministratorAccess on role ci-readonly (managed), and a new administrator under a managed path.
      emulator.model.attachPolicy('role', 'ci-readonly', 'arn:aws:iam::aws:policy/AdministratorAccess');
      emulator.model.createUser('shadow-admin', '/people/');
      emulator.model.attachPolicy('user', 'shadow-admin', 'arn:aws:iam::aws:policy/AdministratorAccess');

      const found = await runCli(['drift', '--manifests', manifests, ...emulator.awsArgs, '--format', 'json'], env);
      expect(found.code, found.stderr).toBe(2);
      const report = JSON.parse(found.stdout) as Plan;
      expect(report.perspective).toBe('drift');
      expect(report.changes.map((c) => `${c.action} ${c.kind} ${c.name}`)).toEqual(['update role ci-readonly']);
      const ci = report.access.find((d) => d.principals.includes('arn:aws:iam::123456789012:role/ci/ci-readonly'))!;
      expect(ci.granted.length).toBeGreaterThan(0);
      expect(ci.revoked).toEqual([]);
      const findings = report.findings;
      expect(findings.filter((f) => f.code === 'FULL_ADMIN').map((f) => `${f.change} ${f.principal} ${f.causes.join('; ')}`).sort()).toEqual([
        `introduced arn:aws:iam::123456789012:role/ci/ci-readonly update role ci-readonly`,
        `introduced arn:aws:iam::123456789012:user/people/shadow-admin ${UNMANAGED_CAUSE}`,
      ]);
      // break-glass is an administrator too, but the Account manifest protects it: known, not drift.
      expect(findings.some((f) => f.principal.endsWith(':role/break-glass'))).toBe(false);
      expect(report.unmanaged).toContain('arn:aws:iam::123456789012:user/people/shadow-admin');

      const failOn = await runCli(['drift', '--manifests', manifests, ...emulator.awsArgs, '--fail-on', 'critical'], env);
      expect(failOn.code).toBe(3);
      expect(failOn.stderr).toContain('the drift introduces 2 findings at or above critical (--fail-on critical): FULL_ADMIN on arn:aws:iam::123456789012:role/ci/ci-readonly');
      expect(failOn.stdout).toContain('+ can, though the manifests do not grant it:');
      expect(failOn.stdout).toContain('Drift: 1 change would restore the manifests (1 update).');

      const markdown = await runCli(['drift', '--manifests', manifests, ...emulator.awsArgs, '--format', 'markdown'], env);
      expect(markdown.stdout.startsWith('<!-- iam-gitops:drift:')).toBe(true);
      expect(markdown.stdout).toContain('**Can, though the manifests do not grant it:**');
      expect(markdown.stdout).toContain(`| 🟥 | critical (new) | <code>FULL\\_ADMIN</code> | <code>user shadow\\-admin</code> |`);

      // The saved drift report is a plan apply takes: exactly the restoring changes it showed, refused if IAM moved on.
      const saved = join(manifests, '..', 'drift.json');
      expect((await runCli(['drift', '--manifests', manifests, ...emulator.awsArgs, '--format', 'json', '--out', saved], env)).code).toBe(2);
      emulator.model.createGroup('meanwhile', '/');
      const stale = await runCli(['apply', '--manifests', manifests, ...emulator.awsArgs, '--plan', saved, '--auto-approve'], env);
      expect(stale.code).toBe(1);
      expect(stale.stderr).toContain('live IAM changed since this plan was made: re-run plan');
      emulator.model.deleteGroup('meanwhile');
      // Apply restores ci-readonly; the hand-made user stays (unmanaged, no prune) and stays drift while it is an admin.
      const restore = await runCli(['apply', '--manifests', manifests, ...emulator.awsArgs, '--plan', saved, '--auto-approve'], env);
      expect(restore.code, restore.stderr).toBe(0);
      // The hand-made administrator is still there: apply says so, and how to remove it, instead of "live IAM matches".
      expect(restore.stdout).not.toContain('live IAM matches the manifests');
      expect(restore.stdout).toContain('Verified: every managed entity matches its manifest.');
      expect(restore.stderr).toContain('warning: live IAM still holds 1 risk of 1 principal no manifest declares');
      expect(restore.stderr).toContain('arn:aws:iam::123456789012:user/people/shadow-admin: critical FULL_ADMIN');
      expect(restore.stderr).toContain('kind: User, name: shadow-admin, deleted: true (or prune: true in the Account manifest)');
      // Applied again, the report has nothing left to change, and still says what remains.
      const again = await runCli(['drift', '--manifests', manifests, ...emulator.awsArgs, '--format', 'json', '--out', saved], env);
      expect(again.code).toBe(2);
      const nothingLeft = await runCli(['apply', '--manifests', manifests, ...emulator.awsArgs, '--plan', saved, '--auto-approve'], env);
      expect(nothingLeft.code, nothingLeft.stderr).toBe(0);
      expect(nothingLeft.stdout).toBe('No changes. Every managed entity matches its manifest.\n');
      expect(nothingLeft.stderr).toContain('user/people/shadow-admin: critical FULL_ADMIN');
      const afterText = await runCli(['drift', '--manifests', manifests, ...emulator.awsArgs], env);
      expect(afterText.code).toBe(2);
      expect(afterText.stdout).toContain('Drift: every managed entity matches its manifest, but live IAM holds 1 risk the manifests do not (see the findings).');
      const after = JSON.parse((await runCli(['drift', '--manifests', manifests, ...emulator.awsArgs, '--format', 'json'], env)).stdout) as Plan;
      expect(after.changes).toEqual([]);
      expect(after.findings.map((f) => f.principal)).toEqual(['arn:aws:iam::123456789012:user/people/shadow-admin']);
      emulator.model.detachPolicy('user', 'shadow-admin', 'arn:aws:iam::aws:policy/AdministratorAccess');
      expect((await runCli(['drift', '--manifests', manifests, ...emulator.awsArgs], env)).code).toBe(0);
    } finally {
      await emulator.close();
    }
  }, 120_000);

  it('bad input fails clearly: manifests that do not validate exit 1 and name the file', async () => {
    const result = await runCli(['drift', '--manifests', join(PROJECT_ROOT, 'test/golden/validate/broken-yaml/manifests'), '--state', join(PROJECT_ROOT, 'example/live-snapshot.json')]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/\.yaml:\d+:\d+/);
  });
});
