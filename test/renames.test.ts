/**
 * Renames in place (issue 18 item 5): a user or group declares the name it has in IAM today (`previousName`); the
 * plan renames it (UpdateUser / UpdateGroup) instead of deleting and creating it, so it keeps its access keys,
 * password, MFA devices and memberships; the access analysis reads it as the same principal under a new ARN; roles
 * and policies cannot be renamed in IAM, and validate says so. In memory, and applied to the emulator through the SDK.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateAccessKeyCommand, CreateLoginProfileCommand, GetGroupCommand, ListAccessKeysCommand, GetLoginProfileCommand } from '@aws-sdk/client-iam';
import { describe, expect, it } from 'vitest';
import { planChanges } from '../src/app/use-cases.js';
import { manifestsFromFiles } from '../src/manifest/files-source.js';
import type { Plan } from '../src/plan/plan.js';
import { emulatorsClosedAfterEachTest, exampleSnapshotJson, iamClientFor } from './helpers/emulator.js';
import { editedExample, exampleSnapshot, NOW, snapshotReader } from './helpers/example.js';
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
