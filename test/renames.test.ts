/**
 * Law: renaming users and groups (`previousName:`) is one in-place rename per entity: the plan is the plan without the
 * renames plus a `name` detail (same details, same access under the new ARN, no membership churn), apply calls
 * UpdateUser/UpdateGroup and the user keeps its id, keys, MFA and groups; roles and policies cannot be renamed.
 */
import { cpSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UpdateGroupCommand, UpdateUserCommand } from '@aws-sdk/client-iam';
import { planChanges } from '../src/app/use-cases.js';
import { lockoutRisks } from '../src/apply/lockout.js';
import { scheduleSteps } from '../src/apply/steps.js';
import { principalsLine } from '../src/render/access.js';
import { manifestsFromFiles } from '../src/manifest/files-source.js';
import type { Plan } from '../src/plan/plan.js';
import { createAccessKey, createVirtualMfaDevice, enableMfaDevice } from '../tools/iam-emulator/credentials.js';
import { emulatorsClosedAfterEachTest, exampleSnapshotJson, iamClientFor, refusalOf } from './helpers/emulator.js';
import { exampleManifestFiles, exampleSnapshot, NOW, planFiles, snapshotReader } from './helpers/example.js';
import { PROJECT_ROOT } from './helpers/fixtures.js';
import { runCli } from './helpers/run-cli.js';

const USERS = ['alice', 'bob', 'carol'] as const;
const GROUPS = ['developers', 'platform-admins'] as const;
const newName = (name: string): string => `${name}.renamed`;

/** The example with the chosen users and groups renamed (previousName: the old one) and the groups' users following. */
function renamed(users: readonly string[], groups: readonly string[]): Map<string, string> {
  const files = new Map<string, string>();
  for (const [path, text] of exampleManifestFiles()) {
    let out = text;
    for (const g of groups) {
      if (path.endsWith(`groups/${g}.yaml`)) out = out.replace(`name: ${g}\n`, `name: ${newName(g)}\npreviousName: ${g}\n`);
      out = out.replace(new RegExp(`groups: \\[${g}\\]`), `groups: [${newName(g)}]`);
    }
    for (const u of users) if (path.endsWith(`users/${u}.yaml`)) out = out.replace(`name: ${u}\n`, `name: ${newName(u)}\npreviousName: ${u}\n`);
    files.set(path, out);
  }
  return files;
}

/** A plan with every renamed name and ARN written back to the old one, and the `name` details and `previousArn` left out. */
function withoutRenames(plan: Plan, names: readonly string[]): unknown {
  let text = JSON.stringify({ changes: plan.changes, access: plan.access, trust: plan.trust, findings: plan.findings.map((f) => [f.code, f.principal]) });
  for (const name of names) text = text.split(newName(name)).join(name);
  const back = JSON.parse(text) as { changes: Record<string, unknown>[]; access: Record<string, unknown>[] };
  back.changes = back.changes
    .map((c) => ({ ...c, details: (c['details'] as { field: string }[]).filter((d) => d.field !== 'name'), reason: undefined, previousArn: c['previousArn'] === c['arn'] ? undefined : c['previousArn'] }))
    .filter((c) => (c.details as unknown[]).length > 0);
  back.access = back.access.map(({ movedFrom: _moved, ...rest }) => rest);
  return back;
}

describe('renames', () => {
  it('law: a plan with renames is the plan without them plus one name detail each (same access, same memberships)', async () => {
    const base = await planFiles(exampleManifestFiles());
    await fc.assert(
      fc.asyncProperty(fc.subarray([...USERS]), fc.subarray([...GROUPS]), async (users, groups) => {
        const plan = await planFiles(renamed(users, groups));
        for (const name of [...users, ...groups]) {
          const c = plan.changes.find((x) => x.name === newName(name))!;
          // Not live (the example creates carol): previousName names nothing, and the entity is created.
          if (base.changes.find((x) => x.name === name)?.action === 'create') {
            expect(c.action).toBe('create');
            continue;
          }
          expect(c.action).toBe('update');
          expect(c.details[0]).toEqual({ field: 'name', before: name, after: newName(name) });
          expect(c.previousArn).toMatch(new RegExp(`[:/]${name}$`));
        }
        expect(plan.unmanaged).toEqual(base.unmanaged);
        expect(withoutRenames(plan, [...users, ...groups])).toEqual(withoutRenames(base, []));
        // Apply renames first, so that every later step may name the entity by its new name.
        const steps = scheduleSteps(plan);
        const renames = steps.filter((s) => s.op.op === 'rename');
        expect(renames).toHaveLength([...users, ...groups].filter((n) => base.changes.find((x) => x.name === n)?.action !== 'create').length);
        expect(steps.slice(steps.findIndex((s) => s.phase !== 'replace-delete'), renames.length + steps.findIndex((s) => s.phase !== 'replace-delete')).every((s) => s.op.op === 'rename')).toBe(true);
      }),
      { numRuns: 5 },
    );
  });

  it('a renamed user is compared under the new name once renamed; both names live, or a role with previousName, is an error', async () => {
    const snapshot = exampleSnapshot() as { UserDetailList: Record<string, unknown>[] };
    const errorsOf = async (files: ReadonlyMap<string, string>, live: unknown = snapshot) => {
      const result = await planChanges(manifestsFromFiles('manifests', 'manifests', files), snapshotReader(live), NOW);
      return result.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.summary} | ${d.detail ?? ''}`);
    };
    // Already renamed in IAM: previousName names nothing live, and the plan is the one of the plain new name.
    const after = structuredClone(snapshot);
    const alice = after.UserDetailList.find((u) => u['UserName'] === 'alice')!;
    alice['UserName'] = newName('alice');
    alice['Arn'] = String(alice['Arn']).replace(/alice$/, newName('alice'));
    const converged = await planFiles(renamed(['alice'], []), after);
    expect(converged.changes.find((c) => c.name === newName('alice'))?.details.some((d) => d.field === 'name')).not.toBe(true);
    // Both names live.
    const both = structuredClone(snapshot);
    both.UserDetailList.push({ ...structuredClone(snapshot.UserDetailList.find((u) => u['UserName'] === 'alice')!), UserName: newName('alice'), UserId: 'AIDAEXAMPLEBOTH00001', Arn: `arn:aws:iam::123456789012:user/people/${newName('alice')}` });
    expect(await errorsOf(renamed(['alice'], []), both)).toEqual([expect.stringMatching(/user "alice.renamed" is renamed from "alice", but both names are live/)]);
    // Roles and policies.
    for (const [path, kind] of [['roles/ci-readonly.yaml', 'role'], ['policies/read-artifacts.yaml', 'managed policy']] as const) {
      const files = exampleManifestFiles();
      const key = `manifests/${path}`;
      files.set(key, files.get(key)!.replace(/^name: (.*)$/m, 'name: $1-new\npreviousName: $1'));
      expect(await errorsOf(files)).toContainEqual(expect.stringContaining(`declares "previousName", but IAM cannot rename a ${kind}`));
    }
    // Shown as the same principal under a new ARN, not as a loss and a gain.
    const renamedPlan = await planFiles(renamed(['alice'], []));
    const aliceArn = 'arn:aws:iam::123456789012:user/people/alice.renamed';
    expect(renamedPlan.access.flatMap((d) => d.principals)).not.toContain('arn:aws:iam::123456789012:user/people/alice');
    expect(principalsLine([aliceArn], { [aliceArn]: 'arn:aws:iam::123456789012:user/people/alice' })).toBe('user alice.renamed (renamed from arn:aws:iam::123456789012:user/people/alice)');
    // A trust policy still naming the old user ARN: IAM will show the new one, so the manifest must say it.
    const trusting = renamed(['alice'], []);
    trusting.set('manifests/roles/alice-assumes.yaml', 'kind: Role\nname: alice-assumes\ntrustPolicy:\n  Version: "2012-10-17"\n  Statement:\n    - Effect: Allow\n      Principal: {AWS: "arn:aws:iam::123456789012:user/people/alice"}\n      Action: sts:AssumeRole\n');
    expect(await errorsOf(trusting)).toEqual([expect.stringContaining('role "alice-assumes" trusts arn:aws:iam::123456789012:user/people/alice, which this plan renames to arn:aws:iam::123456789012:user/people/alice.renamed')]);
    trusting.set('manifests/roles/alice-assumes.yaml', trusting.get('manifests/roles/alice-assumes.yaml')!.replace('people/alice"', 'people/alice.renamed"'));
    expect(await errorsOf(trusting)).toEqual([]);
    // A previous name another manifest declares.
    const twice = renamed(['alice'], []);
    twice.set('manifests/users/alice-old.yaml', 'kind: User\nname: alice\npath: /people/\n');
    expect(await errorsOf(twice)).toEqual([expect.stringContaining('is renamed from "alice", which another manifest declares')]);
  });
});

describe('renames applied to the emulator through the SDK', () => {
  const emulator = emulatorsClosedAfterEachTest();

  it('UpdateUser/UpdateGroup keep the id, access keys, MFA and memberships; then the plan has no changes', async () => {
    const e = await emulator(exampleSnapshotJson());
    const key = createAccessKey(e.model, 'alice');
    const mfa = createVirtualMfaDevice(e.model, 'alice-phone');
    enableMfaDevice(e.model, 'alice', mfa.serial);
    const id = e.model.user('alice').id;
    e.model.createRole('alice-assumes', '/', JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: e.model.user('alice').arn }, Action: 'sts:AssumeRole' }] }));
    const dir = mkdtempSync(join(tmpdir(), 'iam-gitops-renames-'));
    cpSync(join(PROJECT_ROOT, 'manifests'), dir, { recursive: true });
    for (const [path, text] of renamed(['alice'], ['developers'])) writeFileSync(join(dir, path.replace(/^manifests\//, '')), text);
    expect(readdirSync(join(dir, 'users'))).toContain('alice.yaml');
    expect(readFileSync(join(dir, 'users/alice.yaml'), 'utf8')).toContain('previousName: alice');

    const applied = await runCli(['apply', ...e.awsArgs, '--manifests', dir, '--auto-approve'], e.env);
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toMatch(/rename user alice to alice.renamed ok/);
    expect(applied.stdout).toMatch(/rename group developers to developers.renamed ok/);
    const user = e.model.user(newName('alice'));
    expect(user.id).toBe(id);
    expect(user.accessKeys.map((k) => k.id)).toEqual([key.id]);
    expect(user.mfaDevices).toEqual([mfa.serial]);
    expect(user.groups).toEqual([newName('developers')]);
    expect(e.model.members(newName('developers')).map((u) => u.name).sort()).toEqual(['alice.renamed', 'bob']);
    expect(e.calls().byAction['UpdateUser']).toBeGreaterThan(0);
    // IAM shows a trust policy that named the user with its new ARN.
    expect(e.model.role('alice-assumes').trust).toContain('user/people/alice.renamed"');
    const again = await runCli(['plan', ...e.awsArgs, '--manifests', dir, '--detailed-exitcode'], e.env);
    expect(again.code, again.stdout + again.stderr).toBe(0);
  });

  it('the emulator refuses a rename to a taken name, as IAM does (EntityAlreadyExists)', async () => {
    const e = await emulator(exampleSnapshotJson());
    const iam = iamClientFor(e.url);
    expect(await refusalOf(iam, new UpdateUserCommand({ UserName: 'alice', NewUserName: 'BOB' }))).toMatch(/^EntityAlreadyExists 409: User with name BOB already exists/);
    expect(await refusalOf(iam, new UpdateGroupCommand({ GroupName: 'developers', NewGroupName: 'platform-admins' }))).toMatch(/^EntityAlreadyExists 409/);
    expect(await refusalOf(iam, new UpdateUserCommand({ UserName: 'alice', NewUserName: 'bad/name' }))).toMatch(/^ValidationError 400/);
    expect(e.model.user('alice').name).toBe('alice');
  });
});

describe('renames and the lockout guard', () => {
  it('the caller renamed in place is judged under its new ARN: a rename that also takes its permissions is a lockout', async () => {
    const OPS = 'arn:aws:iam::123456789012:user/ops';
    const stateOf = async (name: string, statements: readonly Record<string, unknown>[]) =>
      (await snapshotReader({ UserDetailList: [{ UserName: name, Path: '/', Arn: `arn:aws:iam::123456789012:user/${name}`, UserPolicyList: [{ PolicyName: 'own', PolicyDocument: { Version: '2012-10-17', Statement: statements } }] }], GroupDetailList: [], RoleDetailList: [], Policies: [] }).read()).state;
    const before = await stateOf('ops', [{ Effect: 'Allow', Action: '*', Resource: '*' }]);
    const rename = { id: 1, phase: 'renames' as const, title: 'rename user ops to ops2', target: OPS, alsoTouches: ['arn:aws:iam::123456789012:user/ops2'], op: { op: 'rename' as const, kind: 'user' as const, name: 'ops', newName: 'ops2' } };
    const guard = (after: typeof before) => lockoutRisks({ before, after, steps: [rename], trust: [], caller: OPS, protected: [], managedPaths: ['/'], options: { isWildcardOnlyAction: () => false } });
    expect(guard(await stateOf('ops2', [{ Effect: 'Allow', Action: '*', Resource: '*' }]))).toEqual([]);
    expect(guard(await stateOf('ops2', [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }])).map((r) => r.summary)).toEqual([expect.stringContaining('the caller (arn:aws:iam::123456789012:user/ops) would lose')]);
  });
});
