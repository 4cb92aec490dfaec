/**
 * Issue 18 item 4: users' credentials as policy, never as secrets. A User's `credentials` (over the Account's
 * default) says whether a console password is allowed, how many access keys, and whether console users need MFA.
 * Laws: after the plan each user holds at most what its policy allows, nothing else of its credentials changes, and
 * the tool never creates one; keys go inactive first, then oldest. In memory on random credentials, and applied to
 * the emulator through the SDK (then no changes); a deleted user's plan names its credentials; a GAAD export says it
 * cannot compare them; `snapshot --aws --manifests` writes them.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetLoginProfileCommand, ListAccessKeysCommand, UpdateAccessKeyCommand } from '@aws-sdk/client-iam';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { AccessKeyState, CredentialPolicy, UserCredentials } from '../src/core/state.js';
import { credentialDetails, keysToDelete } from '../src/plan/credential-plan.js';
import type { Plan } from '../src/plan/plan.js';
import { renderPlanText } from '../src/render/text-plan.js';
import { createAccessKey, createLoginProfile, createVirtualMfaDevice, enableMfaDevice } from '../tools/iam-emulator/credentials.js';
import { emulatorsClosedAfterEachTest, exampleSnapshotJson, iamClientFor, refusalOf } from './helpers/emulator.js';
import { exampleManifestFiles, exampleSnapshot, planFiles } from './helpers/example.js';
import { PROJECT_ROOT } from './helpers/fixtures.js';
import { runCli } from './helpers/run-cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'iam-gitops-credentials-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const emulator = emulatorsClosedAfterEachTest();

const arbKey = fc.record({ id: fc.stringMatching(/^AKIA[A-Z0-9]{4}$/), active: fc.boolean(), created: fc.option(fc.integer({ min: 0, max: 1000 }).map((d) => new Date(Date.UTC(2025, 0, 1) + d * 86_400_000).toISOString()), { nil: undefined }) });
const arbCredentials: fc.Arbitrary<UserCredentials> = fc.record({
  consolePassword: fc.boolean(),
  accessKeys: fc.uniqueArray(arbKey, { maxLength: 2, selector: (k) => k.id }).map((keys) => keys.map((k): AccessKeyState => ({ id: k.id, active: k.active, ...(k.created ? { created: k.created } : {}) }))),
  mfaDevices: fc.array(fc.constant('arn:aws:iam::123456789012:mfa/x'), { maxLength: 1 }),
});
const arbPolicy: fc.Arbitrary<CredentialPolicy> = fc.record({ console: fc.boolean(), accessKeys: fc.constantFrom(0 as const, 1 as const, 2 as const), mfa: fc.constantFrom('required' as const, 'optional' as const) }, { requiredKeys: [] });

/** The live credentials after the plan's deletions. */
function after(live: UserCredentials, details: ReturnType<typeof credentialDetails>): UserCredentials {
  const gone = new Set(details.flatMap((d) => (d.field === 'accessKey' ? [d.id] : [])));
  return { consolePassword: live.consolePassword && !details.some((d) => d.field === 'loginProfile'), accessKeys: live.accessKeys.filter((k) => !gone.has(k.id)), mfaDevices: live.mfaDevices };
}

describe('credentials policy: laws on random credentials', () => {
  it('after the plan a user holds at most what its policy allows; it only deletes, and only what is over', () => {
    fc.assert(
      fc.property(arbCredentials, arbPolicy, (live, policy) => {
        const details = credentialDetails(policy, live);
        const next = after(live, details);
        if (policy.console === false) expect(next.consolePassword).toBe(false);
        else expect(next.consolePassword).toBe(live.consolePassword);
        const allowed = policy.accessKeys ?? Infinity;
        expect(next.accessKeys.length).toBe(Math.min(live.accessKeys.length, allowed));
        expect(next.mfaDevices).toEqual(live.mfaDevices);
        expect(details.every((d) => (d.field === 'loginProfile' || d.field === 'accessKey') && d.op === 'delete')).toBe(true);
        // Inactive keys go before active ones; among the same, older before newer.
        const deleted = details.flatMap((d) => (d.field === 'accessKey' ? [live.accessKeys.find((k) => k.id === d.id)!] : []));
        for (const kept of next.accessKeys) for (const d of deleted) expect(Number(d.active) < Number(kept.active) || (d.active === kept.active && (d.created ?? '\uffff') <= (kept.created ?? '\uffff'))).toBe(true);
        // Idempotent: a second plan against the result deletes nothing.
        expect(credentialDetails(policy, next)).toEqual([]);
      }),
      { numRuns: 500 },
    );
    expect(credentialDetails(undefined, { consolePassword: true, accessKeys: [{ id: 'AKIA1', active: true }], mfaDevices: [] })).toEqual([]);
    expect(keysToDelete([{ id: 'B', active: true, created: '2025-01-01' }, { id: 'A', active: false, created: '2026-01-01' }, { id: 'C', active: true, created: '2024-01-01' }], 2).map((k) => k.id)).toEqual(['A', 'C']);
  });

  it('through the whole plan: random credentials and policies (user and Account default) give exactly those deletions on the user, and nothing else changes', async () => {
    const base = await planFiles(exampleManifestFiles());
    const bobBase = base.changes.find((c) => c.name === 'bob')?.details ?? [];
    await fc.assert(
      fc.asyncProperty(arbCredentials, arbPolicy, arbPolicy, async (live, defaults, own) => {
        const files = exampleManifestFiles();
        const block = (p: CredentialPolicy): string => `credentials: ${JSON.stringify(p)}\n`;
        if (Object.keys(defaults).length) files.set('manifests/account.yaml', files.get('manifests/account.yaml')! + block(defaults));
        if (Object.keys(own).length) files.set('manifests/users/bob.yaml', files.get('manifests/users/bob.yaml')! + block(own));
        const snapshot = exampleSnapshot();
        snapshot['UserCredentialList'] = [credentialJson('bob', live)];
        const plan = await planFiles(files, snapshot);
        const expected = credentialDetails({ ...defaults, ...own }, live);
        const bob = plan.changes.find((c) => c.name === 'bob')?.details ?? [];
        expect(bob).toEqual([...bobBase, ...expected]);
        expect(plan.changes.filter((c) => c.name !== 'bob').map((c) => [c.name, c.details])).toEqual(base.changes.filter((c) => c.name !== 'bob').map((c) => [c.name, c.details]));
      }),
      { numRuns: 8 },
    );
  });
});

function credentialJson(user: string, c: UserCredentials): Record<string, unknown> {
  return {
    UserName: user,
    LoginProfile: c.consolePassword ? { CreateDate: '2025-01-01T00:00:00Z' } : null,
    AccessKeyMetadata: c.accessKeys.map((k) => ({ AccessKeyId: k.id, Status: k.active ? 'Active' : 'Inactive', ...(k.created ? { CreateDate: k.created } : {}) })),
    MFADevices: c.mfaDevices.map((SerialNumber) => ({ SerialNumber })),
  };
}

describe('credentials policy: what the plan says', () => {
  it('a deleted user names every credential that goes with it; a GAAD export says credentials are not compared', async () => {
    const files = exampleManifestFiles();
    files.set('manifests/users/bob.yaml', files.get('manifests/users/bob.yaml')! + 'deleted: true\n');
    const snapshot = exampleSnapshot();
    snapshot['UserCredentialList'] = [credentialJson('bob', { consolePassword: true, accessKeys: [{ id: 'AKIAB1', active: true }, { id: 'AKIAB2', active: false }], mfaDevices: ['arn:aws:iam::123456789012:mfa/bob'] })];
    const plan = await planFiles(files, snapshot);
    expect(plan.changes.find((c) => c.name === 'bob')).toMatchObject({ action: 'delete', credentials: { consolePassword: true, activeAccessKeys: 1, inactiveAccessKeys: 1, mfaDevices: 1 } });
    expect(renderPlanText(plan)).toContain('- its credentials go with it: console password, 1 active access key, 1 inactive access key, 1 MFA device');

    // The same against a GAAD export: nothing known, so no count is claimed, and a managed policy is not compared.
    files.set('manifests/users/alice.yaml', files.get('manifests/users/alice.yaml')! + 'credentials: {console: false}\n');
    const blind: Plan = await planFiles(files);
    expect(blind.changes.find((c) => c.name === 'bob')!.credentials).toBeUndefined();
    expect(blind.changes.find((c) => c.name === 'alice')?.details.some((d) => d.field === 'loginProfile')).not.toBe(true);
    expect(blind.diagnostics.map((d) => d.summary)).toContain('credentials not compared for 1 user: alice');
  });

  it('invalid policies are refused at their place', async () => {
    const dir = join(tmp, 'invalid');
    cpSync(join(PROJECT_ROOT, 'manifests'), dir, { recursive: true });
    writeFileSync(join(dir, 'users/alice.yaml'), readFileSync(join(dir, 'users/alice.yaml'), 'utf8') + 'credentials:\n  accessKeys: 3\n  mfa: always\n');
    const run = await runCli(['validate', '--manifests', dir], {});
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/users\/alice\.yaml:\d+:\d+: error: .*accessKeys/);
    expect(run.stderr).toMatch(/users\/alice\.yaml:\d+:\d+: error: .*mfa/);
  });
});

describe('credentials policy against the emulator through the SDK', () => {
  it('apply deletes the password and the extra keys it must, keeps the rest, creates nothing; then no changes; the MFA a policy requires is drift', async () => {
    const e = await emulator(exampleSnapshotJson());
    const iam = iamClientFor(e.url);
    // alice: a password and two keys (the older inactive); bob: a password and a key, no MFA.
    createLoginProfile(e.model, 'alice');
    const old = createAccessKey(e.model, 'alice');
    await iam.send(new UpdateAccessKeyCommand({ UserName: 'alice', AccessKeyId: old.id, Status: 'Inactive' }));
    expect(await refusalOf(iam, new UpdateAccessKeyCommand({ UserName: 'alice', AccessKeyId: old.id, Status: 'Disabled' as 'Inactive' }))).toMatch(/^ValidationError 400/);
    const current = createAccessKey(e.model, 'alice');
    createLoginProfile(e.model, 'bob');
    const bobKey = createAccessKey(e.model, 'bob');
    const device = createVirtualMfaDevice(e.model, 'alice-phone');
    enableMfaDevice(e.model, 'alice', device.serial);

    const dir = join(tmp, 'applied');
    cpSync(join(PROJECT_ROOT, 'manifests'), dir, { recursive: true });
    rmSync(join(dir, 'aws-managed-policies.lock.json'), { force: true });
    writeFileSync(join(dir, 'account.yaml'), readFileSync(join(dir, 'account.yaml'), 'utf8') + 'credentials: {accessKeys: 1, mfa: required}\n');
    writeFileSync(join(dir, 'users/alice.yaml'), readFileSync(join(dir, 'users/alice.yaml'), 'utf8') + 'credentials: {console: false}\n');

    await e.resetCalls();
    const planned = await runCli(['plan', ...e.awsArgs, '--manifests', dir], e.env);
    expect(planned.stdout).toContain('delete the console password');
    expect(planned.stdout).toContain(`delete inactive access key ${old.id}`);
    expect(planned.stderr + planned.stdout).toContain('user "bob" signs in to the console without an MFA device, which its credentials policy requires');
    // Three calls a user whose credentials are managed: alice and bob (carol is not live yet).
    const calls = (await (await fetch(`${e.url}/_emulator/calls`)).json()) as { byAction: Record<string, number> };
    expect([calls.byAction['ListAccessKeys'], calls.byAction['GetLoginProfile'], calls.byAction['ListMFADevices']]).toEqual([2, 2, 2]);

    const applied = await runCli(['apply', ...e.awsArgs, '--manifests', dir, '--auto-approve'], e.env);
    expect(applied.code, applied.stderr + applied.stdout).toBe(0);
    expect(await refusalOf(iam, new GetLoginProfileCommand({ UserName: 'alice' }))).toMatch(/^NoSuchEntity 404/);
    expect((await iam.send(new ListAccessKeysCommand({ UserName: 'alice' }))).AccessKeyMetadata?.map((k) => k.AccessKeyId)).toEqual([current.id]);
    expect((await iam.send(new GetLoginProfileCommand({ UserName: 'bob' }))).LoginProfile?.UserName).toBe('bob');
    expect((await iam.send(new ListAccessKeysCommand({ UserName: 'bob' }))).AccessKeyMetadata?.map((k) => k.AccessKeyId)).toEqual([bobKey.id]);
    expect(e.model.user('alice').mfaDevices).toEqual([device.serial]);

    const again = await runCli(['plan', ...e.awsArgs, '--manifests', dir, '--detailed-exitcode'], e.env);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    // bob's missing MFA is drift that apply cannot revert: a finding, exit 2.
    const drift = await runCli(['drift', ...e.awsArgs, '--manifests', dir, '--format', 'json'], e.env);
    expect(drift.code, drift.stderr).toBe(2);
    const report = JSON.parse(drift.stdout) as Plan;
    expect(report.findings.filter((f) => f.code === 'CREDENTIALS_MFA_MISSING').map((f) => f.principal)).toEqual(['arn:aws:iam::123456789012:user/people/bob']);

    // snapshot --aws with the manifests holds the managed users' credentials: the plan from it has no changes either.
    const file = join(tmp, 'snapshot.json');
    const snap = await runCli(['snapshot', ...e.awsArgs, '--manifests', dir, '--out', file], e.env);
    expect(snap.code, snap.stderr).toBe(0);
    // carol, created by the apply, is managed too now.
    expect(snap.stdout).toContain('credentials read for 3 users');
    const written = JSON.parse(readFileSync(file, 'utf8')) as { UserCredentialList: { UserName: string }[] };
    expect(written.UserCredentialList.map((u) => u.UserName).sort()).toEqual(['alice', 'bob', 'carol']);
    const fromFile = await runCli(['plan', '--state', file, '--manifests', dir, '--detailed-exitcode'], e.env);
    expect(fromFile.code, fromFile.stdout + fromFile.stderr).toBe(0);

    // Deleting bob: the plan names what goes with him, and apply deletes them with him.
    writeFileSync(join(dir, 'users/bob.yaml'), readFileSync(join(dir, 'users/bob.yaml'), 'utf8') + 'deleted: true\n');
    const deleting = await runCli(['plan', ...e.awsArgs, '--manifests', dir], e.env);
    expect(deleting.stdout).toContain('its credentials go with it: console password, 1 active access key');
    const gone = await runCli(['apply', ...e.awsArgs, '--manifests', dir, '--auto-approve'], e.env);
    expect(gone.code, gone.stderr + gone.stdout).toBe(0);
    expect(e.model.users.has('bob')).toBe(false);
  }, 120_000);
});

describe('credentials policy and the lockout guard', () => {
  it("deleting the caller's (or a protected user's) own access key or password is a lockout risk", async () => {
    const { lockoutRisks } = await import('../src/apply/lockout.js');
    const { snapshotReader } = await import('./helpers/example.js');
    const state = (await snapshotReader({ UserDetailList: [{ UserName: 'ops', Path: '/', Arn: 'arn:aws:iam::123456789012:user/ops', UserPolicyList: [{ PolicyName: 'all', PolicyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] } }] }], GroupDetailList: [], RoleDetailList: [], Policies: [] }).read()).state;
    const step = (op: { op: 'deleteAccessKey'; user: string; id: string } | { op: 'deleteLoginProfile'; user: string }) => ({ id: 1, phase: 'revokes' as const, title: op.op, target: 'arn:aws:iam::123456789012:user/ops', alsoTouches: [], op });
    const guard = (steps: ReturnType<typeof step>[], caller?: string, protectedArns: string[] = []) => lockoutRisks({ before: state, after: state, steps, trust: [], ...(caller ? { caller } : {}), protected: protectedArns, managedPaths: ['/'], options: { isWildcardOnlyAction: () => false } }).map((r) => r.summary);
    expect(guard([step({ op: 'deleteAccessKey', user: 'ops', id: 'AKIAOPS' })], 'arn:aws:iam::123456789012:user/ops')).toEqual(['the caller (arn:aws:iam::123456789012:user/ops) would lose its access key AKIAOPS (credentials policy): if that is how it signs in, it is locked out']);
    expect(guard([step({ op: 'deleteLoginProfile', user: 'ops' })], undefined, ['arn:aws:iam::123456789012:user/ops'])).toEqual([expect.stringContaining('would lose its console password')]);
    expect(guard([step({ op: 'deleteAccessKey', user: 'ops', id: 'AKIAOPS' })], 'arn:aws:iam::123456789012:user/other')).toEqual([]);
  });
});

describe('credentials policy: many users are screened by the credential report', () => {
  it('law: screening then reading the rest exactly plans the same deletions as reading everyone exactly', async () => {
    const { screenWithReport } = await import('../src/plan/credential-plan.js');
    const { validateManifests } = await import('../src/app/use-cases.js');
    const { manifestsFromFiles } = await import('../src/manifest/files-source.js');
    const { snapshotReader } = await import('./helpers/example.js');
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(arbCredentials, arbPolicy), { minLength: 1, maxLength: 6 }), async (users) => {
        const files = new Map([['m/account.yaml', 'kind: Account\nid: "123456789012"\n']]);
        const snapshot = { UserDetailList: [] as Record<string, unknown>[], GroupDetailList: [], RoleDetailList: [], Policies: [] };
        users.forEach(([, policy], i) => {
          files.set(`m/users/u${i}.yaml`, `kind: User\nname: u${i}\ncredentials: ${JSON.stringify(policy)}\n`);
          snapshot.UserDetailList.push({ UserName: `u${i}`, Path: '/', Arn: `arn:aws:iam::123456789012:user/u${i}` });
        });
        const desired = (await validateManifests(manifestsFromFiles('m', 'm', files))).desired!;
        const live = (await snapshotReader(snapshot).read()).state;
        // The report as IAM writes it from the same credentials (fresh).
        const report = { generatedAt: new Date('2026-12-05T00:00:00Z'), rows: users.map(([c], i) => ({ user: `u${i}`, arn: `arn:aws:iam::123456789012:user/u${i}`, password: c.consolePassword, mfaActive: c.mfaDevices.length > 0, activeKeys: [], keyCount: c.accessKeys.length })) };
        const { exact, screened } = screenWithReport(desired, live, users.map((_, i) => `u${i}`), report);
        users.forEach(([c, policy], i) => {
          const all = credentialDetails(policy, c);
          const known = exact.includes(`u${i}`) ? c : screened.get(`u${i}`)!;
          expect(credentialDetails(policy, known)).toEqual(all);
          // A screened user is one with nothing to delete and no MFA missing.
          if (!exact.includes(`u${i}`)) expect(all).toEqual([]);
        });
      }),
      { numRuns: 60 },
    );
  });

  it('against the emulator: 60 managed users cost the report and three calls for each one over its policy, and apply deletes just those', async () => {
    const users = Array.from({ length: 60 }, (_, i) => `user-${String(i).padStart(2, '0')}`);
    const snapshot = { UserDetailList: users.map((UserName) => ({ UserName, Path: '/', Arn: `arn:aws:iam::123456789012:user/${UserName}`, UserId: `AIDA${UserName.toUpperCase().replace('-', '')}0000000` })), GroupDetailList: [], RoleDetailList: [], Policies: [] };
    const e = await emulator(snapshot);
    for (const u of users) createAccessKey(e.model, u);
    // Three users over the policy: a second key.
    for (const u of users.slice(0, 3)) createAccessKey(e.model, u);
    const dir = join(tmp, 'many');
    rmSync(dir, { recursive: true, force: true });
    cpSync(join(PROJECT_ROOT, 'manifests'), dir, { recursive: true, filter: (src) => !/manifests\/(users|groups|roles|policies|providers)/.test(src) && !src.endsWith('.lock.json') });
    writeFileSync(join(dir, 'account.yaml'), 'kind: Account\nid: "123456789012"\ncredentials: {accessKeys: 1}\n');
    for (const u of users) writeFileSync(join(dir, `${u}.yaml`), `kind: User\nname: ${u}\n`);
    await e.resetCalls();
    const planned = await runCli(['plan', ...e.awsArgs, '--manifests', dir, '--format', 'json', '--detailed-exitcode'], e.env);
    expect(planned.code, planned.stderr).toBe(2);
    const calls = (await (await fetch(`${e.url}/_emulator/calls`)).json()) as { byAction: Record<string, number> };
    expect(calls.byAction['GenerateCredentialReport']).toBeGreaterThanOrEqual(1);
    expect([calls.byAction['ListAccessKeys'], calls.byAction['GetLoginProfile'], calls.byAction['ListMFADevices']]).toEqual([3, 3, 3]);
    const plan = JSON.parse(planned.stdout) as Plan;
    expect(plan.changes.map((c) => [c.name, c.details.map((d) => d.field)])).toEqual(users.slice(0, 3).map((u) => [u, ['accessKey']]));
    const applied = await runCli(['apply', ...e.awsArgs, '--manifests', dir, '--auto-approve'], e.env);
    expect(applied.code, applied.stderr + applied.stdout).toBe(0);
    expect(users.map((u) => e.model.user(u).accessKeys.length)).toEqual(users.map(() => 1));
  }, 120_000);
});
