/**
 * No input makes `import` write outside `--out` (issue 16, item 9). Laws:
 * - the snapshot reader refuses any name or path IAM would refuse, at its place in the file, naming the rule;
 * - whatever names a snapshot holds, every file import creates is inside `--out` (random hostile names: "/", "..",
 *   "\", NUL and control characters, Unicode, very long ones), and a refused import writes nothing;
 * - valid but awkward names (a Windows device name, a leading ".") get a file name that is safe and still read
 *   back: the imported folder plans to no changes;
 * - the writer itself refuses paths that leave the folder, names that differ only by case, and symbolic links in
 *   the output folder (with --force), before writing anything.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { InputError } from '../src/core/diagnostics.js';
import { importLiveState } from '../src/importer/live-to-manifests.js';
import { writeFilesInside } from '../src/io/files.js';
import { parseSnapshot } from '../src/live/parse-snapshot.js';
import { loadActionCatalog } from '../src/catalog/iam-data-catalog.js';
import { runCli } from './helpers/run-cli.js';

const workspace = mkdtempSync(join(tmpdir(), 'iam-gitops-import-safety-'));
afterAll(() => rmSync(workspace, { recursive: true, force: true }));
const ACCOUNT = '123456789012';
let counter = 0;
const fresh = (name: string): string => {
  const dir = join(workspace, `${name}-${counter++}`);
  mkdirSync(dir, { recursive: true });
  return dir;
};

type Kind = 'user' | 'group' | 'role' | 'policy';
const TRUST = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }] };
const DOC = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }] };

/** A snapshot with one entity of `kind` named `name` (and path `path`), the ARN built as IAM would. */
function snapshotWith(kind: Kind, name: string, path = '/'): string {
  const arn = `arn:aws:iam::${ACCOUNT}:${kind}${path}${name}`;
  const base = { UserDetailList: [] as unknown[], GroupDetailList: [] as unknown[], RoleDetailList: [] as unknown[], Policies: [] as unknown[] };
  // One ordinary user, so that the account is known whatever the entity under test.
  base.UserDetailList.push({ UserName: 'anchor', Path: '/', Arn: `arn:aws:iam::${ACCOUNT}:user/anchor` });
  if (kind === 'user') base.UserDetailList.push({ UserName: name, Path: path, Arn: arn });
  if (kind === 'group') base.GroupDetailList.push({ GroupName: name, Path: path, Arn: arn });
  if (kind === 'role') base.RoleDetailList.push({ RoleName: name, Path: path, Arn: arn, AssumeRolePolicyDocument: TRUST });
  if (kind === 'policy') base.Policies.push({ PolicyName: name, Path: path, Arn: arn, DefaultVersionId: 'v1', PolicyVersionList: [{ VersionId: 'v1', IsDefaultVersion: true, Document: DOC }] });
  return `${JSON.stringify(base, null, 2)}\n`;
}

/** Every file and folder under `dir`, relative to it. */
function listAll(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: false }).map(String).sort();
}

describe('the snapshot reader holds names and paths to IAM\'s rules', () => {
  it.each([
    ['user', '../../victim', /"\.\.\/\.\.\/victim" is not a valid IAM user name/, /ASCII letters, digits and _\+=,\.@-/],
    ['role', 'a/b', /is not a valid IAM role name/, /no "\/"/],
    ['group', '', /is not a valid IAM group name/, /never empty/],
    ['policy', 'p'.repeat(129), /is not a valid IAM policy name/, /at most 128 characters \(this one has 129\)/],
    ['user', 'u'.repeat(65), /is not a valid IAM user name/, /at most 64 characters/],
    ['user', 'tab\there', /"tab\\there" is not a valid IAM user name/, /ASCII letters/],
    ['role', 'résumé', /is not a valid IAM role name/, /ASCII letters/],
  ] as const)('%s %j is refused at its place', (kind, name, summary, rule) => {
    const text = snapshotWith(kind, name);
    let thrown: unknown;
    try {
      parseSnapshot('snap.json', text);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(InputError);
    const [d] = (thrown as InputError).diagnostics;
    expect(d!.summary).toMatch(summary);
    expect(d!.detail).toMatch(rule);
    // Located at the name's line in the file.
    const line = text.split('\n').findIndex((l) => l.includes(`Name": ${JSON.stringify(name)}`)) + 1;
    expect(line).toBeGreaterThan(0);
    expect(d!.at).toMatchObject({ file: 'snap.json', line });
  });

  it('paths, inline policy names, group memberships and instance profiles too', () => {
    const bad = (mutate: (s: Record<string, unknown[]>) => void): string => {
      const s = JSON.parse(snapshotWith('role', 'r')) as Record<string, unknown[]>;
      mutate(s);
      try {
        parseSnapshot('snap.json', JSON.stringify(s, null, 1));
      } catch (e) {
        return (e as InputError).diagnostics.map((d) => d.summary).join('\n');
      }
      return 'accepted';
    };
    const role = (s: Record<string, unknown[]>): Record<string, unknown> => s['RoleDetailList']![0] as Record<string, unknown>;
    expect(bad((s) => (role(s)['Path'] = '/../'))).toBe('accepted'); // a valid IAM path: it never reaches a file name
    expect(bad((s) => (role(s)['Path'] = 'no-slashes'))).toMatch(/RoleDetailList\[0\]\.Path: "no-slashes" is not a valid IAM path/);
    expect(bad((s) => (role(s)['Path'] = '/a b/'))).toMatch(/is not a valid IAM path/);
    expect(bad((s) => (role(s)['Path'] = `/${'p'.repeat(511)}/`))).toMatch(/is not a valid IAM path/);
    expect(bad((s) => (role(s)['RolePolicyList'] = [{ PolicyName: '../x', PolicyDocument: DOC }]))).toMatch(/RolePolicyList\[0\]\.PolicyName: "\.\.\/x" is not a valid IAM inline policy name/);
    expect(bad((s) => (role(s)['InstanceProfileList'] = [{ InstanceProfileName: 'a/b' }]))).toMatch(/is not a valid IAM instance profile name/);
    expect(bad((s) => ((s['UserDetailList']![0] as Record<string, unknown>)['GroupList'] = ['../g']))).toMatch(/UserDetailList\[0\]\.GroupList\[0\]: "\.\.\/g" is not a valid IAM group name/);
    // The ARN agrees with the kind, path and name, and its account is 12 digits (it ends up in every ARN written).
    expect(bad((s) => (role(s)['Arn'] = 'arn:aws:iam::(a+)+$:role/r'))).toMatch(/RoleDetailList\[0\]\.Arn: "arn:aws:iam::\(a\+\)\+\$:role\/r" is not the ARN of role "r"/);
    expect(bad((s) => (role(s)['Arn'] = `arn:aws:iam::${ACCOUNT}:role/../../victim`))).toMatch(/is not the ARN of role "r"/);
    expect(bad((s) => (role(s)['Arn'] = `arn:aws:iam::${ACCOUNT}:user/r`))).toMatch(/is not the ARN of role "r"/);
    expect(bad((s) => (role(s)['Arn'] = 'arn:aws:iam::aws:role/r'))).toMatch(/is not the ARN of role "r"/);
  });
});

describe('import writes inside --out, whatever the names', () => {
  it('the issue\'s example: a user named ../../victim is refused and nothing is written', async () => {
    const parent = fresh('victim');
    const state = join(parent, 'snap.json');
    writeFileSync(state, snapshotWith('user', '../../victim'));
    const out = join(parent, 'a', 'b', 'out');
    const run = await runCli(['import', '--state', state, '--out', out]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/snap\.json:\d+:\d+: error: snapshot UserDetailList\[1\]\.UserName: "\.\.\/\.\.\/victim" is not a valid IAM user name/);
    expect(listAll(parent)).toEqual(['snap.json']);
  });

  it('on random hostile names of every kind', async () => {
    const hostile = fc.oneof(
      fc.string({ maxLength: 80 }),
      fc.string({ unit: fc.constantFrom('.', '/', '\\', 'a', 'A', '\u0000', '\n', ':', 'C', 'O', 'N', '~', '%', 'é'), maxLength: 20 }),
      fc.constantFrom('..', '.', '../../x', '..\\..\\x', '/etc/passwd', 'CON', 'nul.txt', '.hidden', 'a'.repeat(300), 'x/../../y', 'COM1', '~root', '%2e%2e'),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom<Kind>('user', 'group', 'role', 'policy'), hostile, async (kind, name) => {
        const parent = fresh('random');
        const state = join(parent, 'snap.json');
        writeFileSync(state, snapshotWith(kind, name));
        const out = join(parent, 'deep', 'out');
        const run = await runCli(['import', '--state', state, '--out', out]);
        expect(run.stderr).not.toMatch(/internal error/);
        for (const entry of listAll(parent)) expect(entry === 'snap.json' || entry === 'deep' || relative(join(parent, 'deep'), join(parent, entry)).startsWith('out'), entry).toBe(true);
        if (run.code === 0) expect(listAll(out)).toContain('account.yaml');
        else expect(listAll(parent)).toEqual(['snap.json']);
      }),
      { numRuns: 40 },
    );
  }, 60_000);

  it('valid names that make poor file names get a safe one, and the folder still plans to no changes', async () => {
    const parent = fresh('awkward');
    const state = join(parent, 'snap.json');
    const snapshot = JSON.parse(snapshotWith('user', 'CON')) as Record<string, Record<string, unknown>[]>;
    snapshot['UserDetailList']!.push({ UserName: '.hidden', Path: '/', Arn: `arn:aws:iam::${ACCOUNT}:user/.hidden` }, { UserName: 'nul.backup', Path: '/', Arn: `arn:aws:iam::${ACCOUNT}:user/nul.backup` }, { UserName: '..', Path: '/', Arn: `arn:aws:iam::${ACCOUNT}:user/..` });
    snapshot['GroupDetailList']!.push({ GroupName: 'lpt1', Path: '/', Arn: `arn:aws:iam::${ACCOUNT}:group/lpt1` });
    writeFileSync(state, JSON.stringify(snapshot));
    const out = join(parent, 'out');
    const run = await runCli(['import', '--state', state, '--out', out]);
    expect(run.stderr).toBe('');
    expect(listAll(join(out, 'users'))).toEqual(['_...yaml', '_.hidden.yaml', '_CON.yaml', '_nul.backup.yaml', 'anchor.yaml']);
    expect(listAll(join(out, 'groups'))).toEqual(['_lpt1.yaml']);
    expect(readFileSync(join(out, 'users/_.hidden.yaml'), 'utf8')).toContain('name: .hidden');
    const plan = await runCli(['plan', '--manifests', out, '--state', state, '--format', 'json']);
    expect(plan.stderr).toBe('');
    expect((JSON.parse(plan.stdout) as { changes: unknown[]; unmanaged: unknown[] })).toMatchObject({ changes: [], unmanaged: [] });
  });

  it('the importer refuses invalid names from any live source, not only snapshots', async () => {
    const live = parseSnapshot('snap.json', snapshotWith('user', 'fine'));
    const user = live.state.users.get('fine')!;
    (live.state.users as Map<string, typeof user>).set('evil', { ...user, name: '../evil' });
    expect(() => importLiveState(live, { catalog: {} as never, awsManagedPolicies: { byArn: new Map() } })).toThrow(/cannot import user "\.\.\/evil" \(path "\/"\) from snap\.json: IAM user names hold only/);
    await loadActionCatalog();
  });
});

describe('the writer', () => {
  const role = { what: 'output folder', flag: '--out', hint: 'Pass --out DIR.' };
  const refuses = (root: string, files: Record<string, string>, message: RegExp): void => {
    const before = listAll(join(root, '..'));
    expect(() => writeFilesInside(root, new Map(Object.entries(files)), role)).toThrow(message);
    expect(listAll(join(root, '..'))).toEqual(before);
  };

  it('refuses paths out of the folder, absolute paths and case twins, writing nothing', () => {
    const root = join(fresh('writer'), 'out');
    mkdirSync(root);
    refuses(root, { 'ok.yaml': 'x', '../escape.yaml': 'x' }, /"\.\.\/escape\.yaml": it would land outside/);
    refuses(root, { 'ok.yaml': 'x', '/tmp/abs.yaml': 'x' }, /would land outside/);
    refuses(root, { 'users/a/../../../x.yaml': 'x' }, /would land outside/);
    refuses(root, { 'users\\..\\..\\x.yaml': 'x' }, /would land outside/);
    refuses(root, { 'users/Admin.yaml': 'x', 'users/admin.yaml': 'y' }, /both "users\/Admin\.yaml" and "users\/admin\.yaml": they differ only by case/);
  });

  it('refuses symbolic links in the output folder (a --force import into a prepared folder)', () => {
    const parent = fresh('links');
    const root = join(parent, 'out');
    const outside = join(parent, 'outside');
    mkdirSync(root);
    mkdirSync(outside);
    symlinkSync(outside, join(root, 'users'));
    refuses(root, { 'account.yaml': 'x', 'users/alice.yaml': 'x' }, /"users\/alice\.yaml".*the folder "users" is a link out of it/);
    rmSync(join(root, 'users'));
    mkdirSync(join(root, 'users'));
    writeFileSync(join(outside, 'target'), 'keep');
    symlinkSync(join(outside, 'target'), join(root, 'users', 'alice.yaml'));
    refuses(root, { 'users/alice.yaml': 'x' }, /"users\/alice\.yaml".*it is a symbolic link/);
    expect(readFileSync(join(outside, 'target'), 'utf8')).toBe('keep');
  });

  it('writes ordinary files, replacing files of the same name', () => {
    const root = join(fresh('plain'), 'out');
    mkdirSync(join(root, 'users'), { recursive: true });
    writeFileSync(join(root, 'users', 'alice.yaml'), 'old');
    expect(writeFilesInside(root, new Map([['users/alice.yaml', 'new'], ['groups/g.yaml', 'g']]), role)).toEqual([join(root, 'users/alice.yaml'), join(root, 'groups/g.yaml')]);
    expect(readFileSync(join(root, 'users', 'alice.yaml'), 'utf8')).toBe('new');
  });
});
