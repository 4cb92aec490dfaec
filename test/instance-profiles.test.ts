/**
 * Law: a role's declared instance profile is created, filled and left with it, one role per profile as IAM holds
 * them, and a role EC2 may assume without any profile is warned about (no instance can use it).
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AddRoleToInstanceProfileCommand, CreateInstanceProfileCommand, DeleteInstanceProfileCommand, GetInstanceProfileCommand, ListInstanceProfilesForRoleCommand, RemoveRoleFromInstanceProfileCommand } from '@aws-sdk/client-iam';
import fc from 'fast-check';
import { parse } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { planChanges } from '../src/app/use-cases.js';
import { scheduleSteps } from '../src/apply/steps.js';
import { manifestsFromFiles } from '../src/manifest/files-source.js';
import { emulatorsClosedAfterEachTest, exampleSnapshotJson, iamClientFor, refusalOf, type TestEmulator } from './helpers/emulator.js';
import { PROJECT_ROOT } from './helpers/fixtures.js';
import { runCli } from './helpers/run-cli.js';
import { exampleManifestFiles, exampleSnapshot, NOW, planFiles, snapshotReader } from './helpers/example.js';

type Json = Record<string, unknown>;

const EC2_TRUST = `trustPolicy:
  Version: "2012-10-17"
  Statement:
    - Effect: Allow
      Principal: {Service: [lambda.amazonaws.com, ec2.amazonaws.com]}
      Action: sts:AssumeRole
`;

function withRole(yaml: string, file = 'web'): Map<string, string> {
  const files = exampleManifestFiles();
  files.set(`manifests/roles/${file}.yaml`, yaml);
  return files;
}

/** The example snapshot with role `role` in instance profile `profile`. */
function snapshotWithProfile(role: string, profile: string): Json {
  const snapshot = exampleSnapshot();
  const roles = snapshot['RoleDetailList'] as Json[];
  const r = roles.find((x) => x['RoleName'] === role)!;
  r['InstanceProfileList'] = [{ InstanceProfileName: profile, InstanceProfileId: 'AIPAEXAMPLE1', Path: '/', Arn: `arn:aws:iam::123456789012:instance-profile/${profile}`, CreateDate: '2026-01-01T00:00:00Z', Roles: [] }];
  return snapshot;
}

async function diagnosticsOf(files: ReadonlyMap<string, string>, snapshot: Json = exampleSnapshot()) {
  const result = await planChanges(manifestsFromFiles('manifests', 'manifests', files), snapshotReader(snapshot), NOW);
  return { plan: result.plan, errors: result.diagnostics.filter((d) => d.severity === 'error').map((d) => d.summary), warnings: result.diagnostics.filter((d) => d.severity === 'warning').map((d) => d.summary) };
}

describe('instance profiles', () => {
  it('a new role with instanceProfile: true creates a profile of its name and puts the role in it, in that order', async () => {
    const plan = await planFiles(withRole(`kind: Role\nname: web\ninstanceProfile: true\n${EC2_TRUST}`));
    const create = plan.changes.find((c) => c.name === 'web')!;
    expect(create.details).toContainEqual({ field: 'instanceProfile', name: 'web', op: 'add', create: true });
    const steps = scheduleSteps(plan).filter((s) => s.title.includes('web'));
    expect(steps.map((s) => [s.phase, s.op.op])).toEqual([
      ['roles', 'createRole'],
      ['roles', 'createInstanceProfile'],
      ['grants', 'addToInstanceProfile'],
    ]);
    expect(steps[1]!.target).toBe('arn:aws:iam::123456789012:instance-profile/web');
  });

  it('a profile named differently, a profile changed and false: joins, leaves, and nothing when live agrees', async () => {
    const named = await planFiles(withRole(`kind: Role\nname: web\ninstanceProfile: {name: web-hosts}\n${EC2_TRUST}`));
    expect(named.changes.find((c) => c.name === 'web')!.details).toContainEqual({ field: 'instanceProfile', name: 'web-hosts', op: 'add', create: true });

    const edit = (field: string) => new Map([...exampleManifestFiles()].map(([k, v]) => [k, k.endsWith('roles/ci-readonly.yaml') ? `${v.trimEnd()}\n${field}\n` : v]));
    const live = snapshotWithProfile('ci-readonly', 'ci-hosts');
    const same = await planFiles(edit('instanceProfile: {name: ci-hosts}'), live);
    expect(same.changes.filter((c) => c.name === 'ci-readonly')).toEqual([]);
    const unmanaged = await planFiles(exampleManifestFiles(), live);
    expect(unmanaged.changes.filter((c) => c.name === 'ci-readonly')).toEqual([]);

    const moved = await planFiles(edit('instanceProfile: true'), live);
    const update = moved.changes.find((c) => c.name === 'ci-readonly')!;
    expect(update.action).toBe('update');
    expect(update.details.filter((d) => d.field === 'instanceProfile')).toEqual([
      { field: 'instanceProfile', name: 'ci-readonly', op: 'add', create: true },
      { field: 'instanceProfile', name: 'ci-hosts', op: 'remove' },
    ]);
    const ops = scheduleSteps(moved).filter((s) => s.title.includes('instance profile')).map((s) => [s.phase, s.op.op]);
    expect(ops).toEqual([['roles', 'createInstanceProfile'], ['grants', 'addToInstanceProfile'], ['revokes', 'removeFromInstanceProfile']]);

    const none = await planFiles(edit('instanceProfile: false'), live);
    expect(none.changes.find((c) => c.name === 'ci-readonly')!.details).toEqual([{ field: 'instanceProfile', name: 'ci-hosts', op: 'remove' }]);

    // The profile named like the role (what `true` makes) goes with it, after the role left it.
    const own = await planFiles(edit('instanceProfile: false'), snapshotWithProfile('ci-readonly', 'ci-readonly'));
    expect(own.changes.find((c) => c.name === 'ci-readonly')!.details).toEqual([{ field: 'instanceProfile', name: 'ci-readonly', op: 'remove', delete: true }]);
    expect(scheduleSteps(own).filter((s) => s.title.includes('instance profile')).map((s) => [s.phase, s.op.op])).toEqual([['revokes', 'removeFromInstanceProfile'], ['delete-principals', 'deleteInstanceProfile']]);
  });

  it('a role deleted for good takes the profile named like it (the plan says so); another profile, or a replacement, keeps it', async () => {
    const edit = (text: (v: string) => string) => new Map([...exampleManifestFiles()].map(([k, v]) => [k, k.endsWith('roles/ci-readonly.yaml') ? text(v) : v]));
    const gone = edit((v) => `${v.trimEnd()}\ndeleted: true\n`);
    const own = await planFiles(gone, snapshotWithProfile('ci-readonly', 'ci-readonly'));
    const deleted = own.changes.find((c) => c.name === 'ci-readonly')!;
    expect(deleted.action).toBe('delete');
    expect(deleted.details.filter((d) => d.field === 'instanceProfile')).toEqual([{ field: 'instanceProfile', name: 'ci-readonly', op: 'remove', delete: true }]);
    const other = await planFiles(gone, snapshotWithProfile('ci-readonly', 'ci-hosts'));
    expect(other.changes.find((c) => c.name === 'ci-readonly')!.details.filter((d) => d.field === 'instanceProfile')).toEqual([{ field: 'instanceProfile', name: 'ci-hosts', op: 'remove' }]);
    const moved = await planFiles(edit((v) => (/^path:/m.test(v) ? v.replace(/^path: .*$/m, 'path: /moved/') : `${v.trimEnd()}\npath: /moved/\n`)), snapshotWithProfile('ci-readonly', 'ci-readonly'));
    const halves = moved.changes.filter((c) => c.name === 'ci-readonly');
    expect(halves.map((c) => c.action)).toEqual(['delete', 'create']);
    expect(halves[0]!.details.filter((d) => d.field === 'instanceProfile')).toEqual([{ field: 'instanceProfile', name: 'ci-readonly', op: 'remove' }]);
  });

  it('one role per profile: a profile another live role is in, or two roles declare, is a plan error', async () => {
    const taken = await diagnosticsOf(withRole(`kind: Role\nname: web\ninstanceProfile: {name: ci-hosts}\n${EC2_TRUST}`), snapshotWithProfile('ci-readonly', 'ci-hosts'));
    expect(taken.errors).toEqual(['instance profile "ci-hosts" of role "web" holds role "ci-readonly" in live IAM']);
    const files = withRole(`kind: Role\nname: web\ninstanceProfile: {name: Hosts}\n${EC2_TRUST}`);
    files.set('manifests/roles/web2.yaml', `kind: Role\nname: web2\ninstanceProfile: {name: hosts}\n${EC2_TRUST}`);
    const twice = await diagnosticsOf(files);
    expect(twice.errors).toEqual(['roles "web" and "web2" both declare instance profile "hosts"']);
  });

  it('an invalid profile name is an error naming the place', async () => {
    const bad = await diagnosticsOf(withRole(`kind: Role\nname: web\ninstanceProfile: {name: "web hosts"}\n${EC2_TRUST}`));
    expect(bad.errors.join('\n')).toMatch(/instance profile name "web hosts" of role "web" is not valid/);
  });

  it('a role EC2 may assume with no instance profile, declared or live, is warned about; with one it is not', async () => {
    const without = await diagnosticsOf(withRole(`kind: Role\nname: web\n${EC2_TRUST}`));
    expect(without.errors).toEqual([]);
    expect(without.warnings).toContain('role "web" trusts ec2.amazonaws.com but is in no instance profile');
    const declared = await diagnosticsOf(withRole(`kind: Role\nname: web\ninstanceProfile: true\n${EC2_TRUST}`));
    expect(declared.warnings.filter((w) => w.includes('instance profile'))).toEqual([]);
    const lambdaOnly = await diagnosticsOf(withRole(`kind: Role\nname: web\n${EC2_TRUST.replace(', ec2.amazonaws.com', '')}`));
    expect(lambdaOnly.warnings.filter((w) => w.includes('instance profile'))).toEqual([]);
  });
});

describe('instance profiles in the IAM emulator, through the SDK', () => {
  const start = emulatorsClosedAfterEachTest();
  const tmp = mkdtempSync(join(tmpdir(), 'iam-gitops-profiles-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  function manifests(name: string, role: string): string {
    const dir = join(tmp, name);
    cpSync(join(PROJECT_ROOT, 'manifests'), dir, { recursive: true });
    writeFileSync(join(dir, 'roles/web.yaml'), role);
    return dir;
  }
  const profilesOf = async (e: TestEmulator, role: string): Promise<string[]> => {
    const iam = iamClientFor(e.url);
    try {
      return ((await iam.send(new ListInstanceProfilesForRoleCommand({ RoleName: role }))).InstanceProfiles ?? []).map((p) => p.InstanceProfileName!).sort();
    } finally {
      iam.destroy();
    }
  };

  it('apply creates the profile with the role, re-plans to nothing, moves it, and import writes it back', async () => {
    const e = await start(exampleSnapshotJson());
    const codeOf = async (command: object): Promise<string> => {
      const iam = iamClientFor(e.url);
      try {
        return (await refusalOf(iam, command)).split(' ')[0]!;
      } finally {
        iam.destroy();
      }
    };
    const first = manifests('first', `kind: Role\nname: web\ninstanceProfile: true\n${EC2_TRUST}`);
    const applied = await runCli(['apply', ...e.awsArgs, '--manifests', first, '--auto-approve'], e.env);
    expect(applied.code, applied.stderr).toBe(0);
    expect(await profilesOf(e, 'web')).toEqual(['web']);
    const again = await runCli(['plan', ...e.awsArgs, '--manifests', first, '--detailed-exitcode'], e.env);
    expect(again.code, again.stdout + again.stderr).toBe(0);

    const renamed = manifests('second', `kind: Role\nname: web\ninstanceProfile: {name: web-hosts}\n${EC2_TRUST}`);
    const moved = await runCli(['apply', ...e.awsArgs, '--manifests', renamed, '--auto-approve'], e.env);
    expect(moved.code, moved.stderr).toBe(0);
    expect(await profilesOf(e, 'web')).toEqual(['web-hosts']);
    expect(await codeOf(new GetInstanceProfileCommand({ InstanceProfileName: 'web' }))).toBe('NoSuchEntity');
    expect(await codeOf(new GetInstanceProfileCommand({ InstanceProfileName: 'web-hosts' }))).toBe('no');
    expect((await runCli(['plan', ...e.awsArgs, '--manifests', renamed, '--detailed-exitcode'], e.env)).code).toBe(0);

    const out = join(tmp, 'imported');
    const imported = await runCli(['import', ...e.awsArgs, '--out', out], e.env);
    expect(imported.code, imported.stderr).toBe(0);
    expect(parse(readFileSync(join(out, 'roles/web.yaml'), 'utf8'))).toMatchObject({ instanceProfile: { name: 'web-hosts' } });
  });

  it('the emulator answers as IAM: one role per profile, no deleting a profile with a role, names checked', async () => {
    const e = await start(exampleSnapshotJson());
    const iam = iamClientFor(e.url);
    const codeOf = async (client: typeof iam, command: object): Promise<string> => (await refusalOf(client, command)).split(' ')[0]!;
    try {
      await iam.send(new CreateInstanceProfileCommand({ InstanceProfileName: 'hosts' }));
      await iam.send(new AddRoleToInstanceProfileCommand({ InstanceProfileName: 'hosts', RoleName: 'ci-readonly' }));
      expect(await codeOf(iam, new AddRoleToInstanceProfileCommand({ InstanceProfileName: 'hosts', RoleName: 'github-deploy' }))).toBe('LimitExceeded');
      expect(await codeOf(iam, new DeleteInstanceProfileCommand({ InstanceProfileName: 'hosts' }))).toBe('DeleteConflict');
      expect(await codeOf(iam, new CreateInstanceProfileCommand({ InstanceProfileName: 'HOSTS' }))).toBe('EntityAlreadyExists');
      expect(await codeOf(iam, new CreateInstanceProfileCommand({ InstanceProfileName: 'web hosts' }))).toBe('ValidationError');
      expect(await codeOf(iam, new CreateInstanceProfileCommand({ InstanceProfileName: 'x'.repeat(129) }))).toBe('ValidationError');
      expect(await codeOf(iam, new RemoveRoleFromInstanceProfileCommand({ InstanceProfileName: 'hosts', RoleName: 'github-deploy' }))).toBe('NoSuchEntity');
    } finally {
      iam.destroy();
    }
  });
});

describe('law: the plan takes each role to the profiles its manifest declares, or says why it cannot', () => {
  it('on random live memberships and declarations (one role per profile, as IAM holds them)', async () => {
    const ROLES = ['github-deploy', 'ci-readonly'] as const;
    const POOL = ['hosts', 'Hosts2', 'github-deploy', 'ci-readonly'];
    const declaration = fc.oneof(fc.constant(undefined), fc.constant(true), fc.constant(false), fc.constantFrom(...POOL).map((name) => ({ name })));
    await fc.assert(
      fc.asyncProperty(
        // Live: each profile of the pool holds at most one role.
        fc.array(fc.option(fc.constantFrom(...ROLES), { nil: undefined }), { minLength: POOL.length, maxLength: POOL.length }),
        fc.tuple(declaration, declaration),
        async (holders, declared) => {
          const snapshot = exampleSnapshot();
          for (const r of snapshot['RoleDetailList'] as Json[]) {
            const names = POOL.filter((_, i) => holders[i] === r['RoleName']);
            if (names.length) r['InstanceProfileList'] = names.map((n) => ({ InstanceProfileName: n, Path: '/' }));
          }
          const files = new Map(exampleManifestFiles());
          const wanted = new Map<string, string[] | undefined>();
          ROLES.forEach((role, i) => {
            const d = declared[i];
            wanted.set(role, d === undefined ? undefined : d === false ? [] : [d === true ? role : d.name]);
            if (d === undefined) return;
            const key = `manifests/roles/${role}.yaml`;
            files.set(key, `${files.get(key)!.trimEnd()}\ninstanceProfile: ${JSON.stringify(d)}\n`);
          });
          const holderOf = (profile: string) => ROLES.find((_, r) => holders[POOL.findIndex((p) => p.toLowerCase() === profile.toLowerCase())] === ROLES[r]);
          const claims = [...wanted.entries()].flatMap(([role, ps]) => (ps ?? []).map((p) => ({ role, key: p.toLowerCase() })));
          const conflict = claims.some((c, i) => claims.some((o, j) => j !== i && o.key === c.key)) || claims.some((c) => {
            const holder = holderOf(c.key);
            return holder !== undefined && holder !== c.role;
          });
          const result = await diagnosticsOf(files, snapshot);
          const profileErrors = result.errors.filter((e) => e.includes('instance profile'));
          expect(profileErrors.length > 0, JSON.stringify({ holders, declared, errors: result.errors })).toBe(conflict);
          if (conflict) return;
          for (const role of ROLES) {
            const live = POOL.filter((_, i) => holders[i] === role);
            const details = result.plan!.changes.filter((c) => c.name === role).flatMap((c) => c.details).flatMap((d) => (d.field === 'instanceProfile' ? [d] : []));
            const after = new Set(live.map((p) => p.toLowerCase()));
            for (const d of details) d.op === 'add' ? after.add(d.name.toLowerCase()) : after.delete(d.name.toLowerCase());
            const expected = wanted.get(role) ?? live;
            expect([...after].sort(), role).toEqual(expected.map((p) => p.toLowerCase()).sort());
            // Only the profile named like the role is deleted when left.
            for (const d of details) if (d.op === 'remove') expect(d.delete === true).toBe(d.name.toLowerCase() === role);
          }
        },
      ),
      { numRuns: 15, seed: 18 },
    );
  });
});
