/**
 * Renames in place (issue 18 item 5): a user or group declares the name it has in IAM today (`previousName`); the
 * plan renames it (UpdateUser / UpdateGroup) instead of deleting and creating it, so it keeps its access keys,
 * password, MFA devices and memberships; the access analysis reads it as the same principal under a new ARN; roles
 * and policies cannot be renamed in IAM, and validate says so. In memory, and applied to the emulator through the SDK.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateAccessKeyCommand, CreateLoginProfileCommand, CreateRoleCommand, GetGroupCommand, GetRoleCommand, ListAccessKeysCommand, GetLoginProfileCommand, UpdateGroupCommand, UpdateUserCommand } from '@aws-sdk/client-iam';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { planChanges } from '../src/app/use-cases.js';
import { lockoutRisks } from '../src/apply/lockout.js';
import { PHASES, scheduleSteps } from '../src/apply/steps.js';
import { principalsLine } from '../src/render/access.js';
import { manifestsFromFiles } from '../src/manifest/files-source.js';
import type { Plan } from '../src/plan/plan.js';
import { emulatorsClosedAfterEachTest, exampleSnapshotJson, iamClientFor, refusalOf } from './helpers/emulator.js';
import { editedExample, exampleManifestFiles, exampleSnapshot, NOW, planFiles, snapshotReader } from './helpers/example.js';
import { PROJECT_ROOT } from './helpers/fixtures.js';
import { runCli } from './helpers/run-cli.js';

const emulator = emulatorsClosedAfterEachTest();
const ACCOUNT = '123456789012';

async function plan(files: Map<string, string>): Promise<Plan> {
  const result = await planChanges(manifestsFromFiles('manifests', 'manifests', files), snapshotReader(exampleSnapshot()), NOW);
  expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return result.plan!;
}

const renameBob = (files: Map<string, string>): Map<string, string> => {
  const text = files.get('manifests/users/bob.yaml')!;
  files.delete('manifests/users/bob.yaml');
  files.set('manifests/users/robert.yaml', text.replace('name: bob', 'name: robert\npreviousName: bob'));
  return files;
};
const renameDevelopers = (files: Map<string, string>): Map<string, string> => {
  for (const [path, text] of files) if (/^manifests\/(users|groups)\//.test(path)) files.set(path, text.replace(/\bdevelopers\b/g, 'engineers'));
  files.set('manifests/groups/developers.yaml', files.get('manifests/groups/developers.yaml')!.replace('name: engineers', 'name: engineers\npreviousName: developers'));
  return files;
};

describe('renames in place', () => {
  it('a user: one update that renames it, compared with itself (no access change from the rename), never a delete and a create', async () => {
    const before = await plan(editedExample('users/bob.yaml', (t) => t));
    const after = await plan(renameBob(editedExample('users/bob.yaml', (t) => t)));
    const bobWas = before.changes.find((c) => c.kind === 'user' && c.name === 'bob')!;
    const robert = after.changes.filter((c) => c.kind === 'user' && (c.name === 'robert' || c.name === 'bob'));
    expect(robert).toHaveLength(1);
    expect(robert[0]).toMatchObject({ action: 'update', name: 'robert', arn: `arn:aws:iam::${ACCOUNT}:user/people/robert`, previousArn: `arn:aws:iam::${ACCOUNT}:user/people/bob` });
    expect(robert[0]!.details[0]).toEqual({ field: 'name', before: 'bob', after: 'robert' });
    // The rest of bob's change is the same change as without the rename.
    expect(robert[0]!.details.slice(1)).toEqual(bobWas.details);
    // Access: what bob gains and loses is what robert gains and loses, and the rename adds nothing.
    const delta = (p: Plan, arn: string) => p.access.filter((d) => d.principals.includes(arn)).map((d) => ({ granted: d.granted.map((e) => e.actions), revoked: d.revoked.map((e) => e.actions) }));
    expect(delta(after, `arn:aws:iam::${ACCOUNT}:user/people/robert`)).toEqual(delta(before, `arn:aws:iam::${ACCOUNT}:user/people/bob`));
    expect(after.summary).toMatchObject({ create: before.summary.create, delete: before.summary.delete });
  });

  it('a group: its members follow it, so they are not moved out and back in', async () => {
    const before = await plan(editedExample('groups/developers.yaml', (t) => t));
    const after = await plan(renameDevelopers(editedExample('groups/developers.yaml', (t) => t)));
    const group = after.changes.find((c) => c.kind === 'group' && c.name === 'engineers')!;
    expect(group).toMatchObject({ action: 'update', previousArn: `arn:aws:iam::${ACCOUNT}:group/developers` });
    const developersWas = before.changes.find((c) => c.kind === 'group' && c.name === 'developers');
    expect(group.details).toEqual([{ field: 'name', before: 'developers', after: 'engineers' }, ...(developersWas?.details ?? [])]);
    // No user leaves or joins a group because of the rename.
    const memberships = (p: Plan) => p.changes.flatMap((c) => c.details.filter((d) => d.field === 'group').map((d) => `${c.name} ${JSON.stringify(d)}`));
    expect(memberships(after)).toEqual(memberships(before).map((m) => m.replace('developers', 'engineers')));
    expect(after.access.map((d) => d.principals)).toEqual(before.access.map((d) => d.principals));
  });

  it('roles and policies cannot be renamed in IAM: validate says so and how to move; bad previous names are refused at their place', async () => {
    const files = editedExample('roles/ci-readonly.yaml', (t) => t.replace('name: ci-readonly', 'name: ci-reader\npreviousName: ci-readonly'));
    const result = await planChanges(manifestsFromFiles('manifests', 'manifests', files), snapshotReader(exampleSnapshot()), NOW);
    expect(result.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.at?.file}:${d.at?.line}: ${d.summary}`)).toEqual(['manifests/roles/ci-readonly.yaml:4: IAM cannot rename a role: previousName is for users and groups']);
    const same = editedExample('users/bob.yaml', (t) => t.replace('name: bob', 'name: bob\npreviousName: BOB'));
    expect((await planChanges(manifestsFromFiles('manifests', 'manifests', same), snapshotReader(exampleSnapshot()), NOW)).diagnostics.map((d) => d.summary)).toContain('previousName "BOB" is the User\'s own name');
    const taken = editedExample('users/bob.yaml', (t) => t.replace('name: bob', 'name: bob\npreviousName: alice'));
    expect((await planChanges(manifestsFromFiles('manifests', 'manifests', taken), snapshotReader(exampleSnapshot()), NOW)).diagnostics.map((d) => d.summary)).toContain('previousName "alice" is declared too');
  });

  it('applied to the emulator through the SDK: the renamed user keeps its key and password, the renamed group its members; then nothing is left to do', async () => {
    const e = await emulator(exampleSnapshotJson());
    const dir = mkdtempSync(join(tmpdir(), 'iam-gitops-rename-'));
    cpSync(join(PROJECT_ROOT, 'manifests'), join(dir, 'manifests'), { recursive: true });
    const manifests = join(dir, 'manifests');
    const iam = iamClientFor(e.url);
    const key = (await iam.send(new CreateAccessKeyCommand({ UserName: 'bob' }))).AccessKey!.AccessKeyId;
    await iam.send(new CreateLoginProfileCommand({ UserName: 'bob', Password: 'Correct-horse-battery-9' }));
    const original = readDir(manifests);
    const renamed = renameDevelopers(renameBob(new Map(original)));
    for (const path of original.keys()) if (!renamed.has(path)) rmSync(join(dir, path));
    for (const [path, text] of renamed) writeFileSync(join(dir, path), text);
    const applied = await runCli(['apply', ...e.awsArgs, '--manifests', manifests, '--auto-approve'], e.env);
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toContain('rename user bob to robert');
    expect(applied.stdout).toContain('rename group developers to engineers');
    expect((await iam.send(new ListAccessKeysCommand({ UserName: 'robert' }))).AccessKeyMetadata?.map((k) => k.AccessKeyId)).toEqual([key]);
    expect((await iam.send(new GetLoginProfileCommand({ UserName: 'robert' }))).LoginProfile?.UserName).toBe('robert');
    expect((await iam.send(new GetGroupCommand({ GroupName: 'engineers' }))).Users?.map((u) => u.UserName).sort()).toEqual(['alice', 'robert']);
    const again = await runCli(['plan', ...e.awsArgs, '--manifests', manifests, '--format', 'json'], e.env);
    expect((JSON.parse(again.stdout) as Plan).changes).toEqual([]);
  }, 60_000);
});

/** The files of a copied manifests folder, keyed as the in-memory helpers key them (`manifests/...`). */
function readDir(root: string): Map<string, string> {
  const files = new Map<string, string>();
  for (const [path] of new Map([...editedExample('users/bob.yaml', (t) => t)])) files.set(path, readFileSync(join(root, '..', path), 'utf8'));
  return files;
}

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

describe('renames: laws over random renames', () => {
  it('a plan with renames is the plan without them plus one name detail each (same access, same memberships), renames scheduled before any step that names them', async () => {
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
        // Every step that names a principal runs in a later phase than the renames (policies: the first after replace-delete).
        const steps = scheduleSteps(plan);
        const renames = steps.filter((s) => s.op.op === 'rename');
        expect(renames).toHaveLength([...users, ...groups].filter((n) => base.changes.find((x) => x.name === n)?.action !== 'create').length);
        const firstOther = Math.min(...steps.filter((s) => s.op.op !== 'rename' && s.phase !== 'replace-delete' && s.phase !== 'policies').map((s) => PHASES.indexOf(s.phase)));
        for (const r of renames) expect(PHASES.indexOf(r.phase)).toBeLessThan(firstOther);
      }),
      { numRuns: 6 },
    );
  });

  it('shown as the same principal under a new ARN; a trust policy still naming the old ARN is an error, a condition naming it a warning', async () => {
    const errorsOf = async (files: ReadonlyMap<string, string>) => {
      const result = await planChanges(manifestsFromFiles('manifests', 'manifests', files), snapshotReader(exampleSnapshot()), NOW);
      return result.diagnostics.map((d) => `${d.severity}: ${d.summary}`);
    };
    const renamedPlan = await planFiles(renamed(['alice'], []));
    const aliceArn = 'arn:aws:iam::123456789012:user/people/alice.renamed';
    expect(renamedPlan.access.flatMap((d) => d.principals)).not.toContain('arn:aws:iam::123456789012:user/people/alice');
    expect(principalsLine([aliceArn], { [aliceArn]: 'arn:aws:iam::123456789012:user/people/alice' })).toBe('user alice.renamed (renamed from arn:aws:iam::123456789012:user/people/alice)');
    const trustRole = (principal: string, condition = ''): string => `kind: Role\nname: alice-assumes\ntrustPolicy:\n  Version: "2012-10-17"\n  Statement:\n    - Effect: Allow\n      Principal: {AWS: "${principal}"}\n      Action: sts:AssumeRole\n${condition}`;
    const trusting = renamed(['alice'], []);
    trusting.set('manifests/roles/alice-assumes.yaml', trustRole('arn:aws:iam::123456789012:user/people/alice'));
    expect((await errorsOf(trusting)).filter((d) => d.includes('alice-assumes'))).toEqual(['error: role "alice-assumes" trusts arn:aws:iam::123456789012:user/people/alice, which this plan renames to alice.renamed']);
    trusting.set('manifests/roles/alice-assumes.yaml', trustRole(aliceArn));
    expect((await errorsOf(trusting)).filter((d) => d.includes('alice-assumes'))).toEqual([]);
    trusting.set('manifests/roles/alice-assumes.yaml', trustRole('arn:aws:iam::123456789012:root', '      Condition: {ArnEquals: {"aws:PrincipalArn": "arn:aws:iam::123456789012:user/people/alice"}}\n'));
    expect((await errorsOf(trusting)).filter((d) => d.includes('alice-assumes'))).toEqual([expect.stringMatching(/^warning: role "alice-assumes"'s trust policy mentions .*user\/people\/alice outside its principals/)]);
  });
});

describe('renames in the emulator and the lockout guard', () => {
  it('the emulator refuses a rename to a taken or invalid name, as IAM does, and shows trust policies naming the user with its new ARN', async () => {
    const e = await emulator(exampleSnapshotJson());
    const iam = iamClientFor(e.url);
    expect(await refusalOf(iam, new UpdateUserCommand({ UserName: 'alice', NewUserName: 'BOB' }))).toMatch(/^EntityAlreadyExists 409: User with name BOB already exists/);
    expect(await refusalOf(iam, new UpdateGroupCommand({ GroupName: 'developers', NewGroupName: 'platform-admins' }))).toMatch(/^EntityAlreadyExists 409/);
    expect(await refusalOf(iam, new UpdateUserCommand({ UserName: 'alice', NewUserName: 'bad/name' }))).toMatch(/^ValidationError 400/);
    const oldArn = e.model.user('alice').arn;
    await iam.send(new CreateRoleCommand({ RoleName: 'alice-assumes', AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: oldArn }, Action: 'sts:AssumeRole' }] }) }));
    await iam.send(new UpdateUserCommand({ UserName: 'alice', NewUserName: 'alicia' }));
    const trust = decodeURIComponent((await iam.send(new GetRoleCommand({ RoleName: 'alice-assumes' }))).Role!.AssumeRolePolicyDocument!);
    expect(trust).toContain(oldArn.replace(/alice$/, 'alicia'));
    expect(trust).not.toContain(`${oldArn}"`);
  });

  it('the caller renamed in place is judged under its new ARN: a rename that also takes its permissions is a lockout', async () => {
    const OPS = 'arn:aws:iam::123456789012:user/ops';
    const stateOf = async (name: string, statements: readonly Record<string, unknown>[]) =>
      (await snapshotReader({ UserDetailList: [{ UserName: name, Path: '/', Arn: `arn:aws:iam::123456789012:user/${name}`, UserPolicyList: [{ PolicyName: 'own', PolicyDocument: { Version: '2012-10-17', Statement: statements } }] }], GroupDetailList: [], RoleDetailList: [], Policies: [] }).read()).state;
    const before = await stateOf('ops', [{ Effect: 'Allow', Action: '*', Resource: '*' }]);
    const rename = { id: 1, phase: 'policies' as const, title: 'rename user ops to ops2', target: OPS, alsoTouches: ['arn:aws:iam::123456789012:user/ops2'], op: { op: 'rename' as const, kind: 'user' as const, name: 'ops', newName: 'ops2', path: '/' } };
    const guard = (after: typeof before) => lockoutRisks({ before, after, steps: [rename], trust: [], caller: OPS, protected: [], managedPaths: ['/'], options: { isWildcardOnlyAction: () => false } });
    expect(guard(await stateOf('ops2', [{ Effect: 'Allow', Action: '*', Resource: '*' }]))).toEqual([]);
    expect(guard(await stateOf('ops2', [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }])).map((r) => r.summary)).toEqual([expect.stringContaining('the caller (arn:aws:iam::123456789012:user/ops) would lose')]);
  });
});
