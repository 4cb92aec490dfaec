/**
 * `plan --base`: which changes a pull request causes, and which are drift already there, from real git repositories
 * in temp folders (driven through simple-git), planned against a snapshot.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleGit, type SimpleGit } from 'simple-git';
import { afterAll, describe, expect, it } from 'vitest';
import type { Plan } from '../src/plan/plan.js';
import { verdictOf } from '../src/render/comment.js';
import { PROJECT_ROOT } from './helpers/fixtures.js';
import { seededRandom } from './helpers/random-account.js';
import { runCli, type CliRun } from './helpers/run-cli.js';

const NOW = '2026-11-24T12:00:00Z';
const SNAPSHOT = join(PROJECT_ROOT, 'example/live-snapshot.json');
const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

const AUTHOR = ['-c', 'user.name=Test', '-c', 'user.email=test@example.com'];

/** A config repo whose main branch holds `files` (path → text; the example's manifests by default). */
async function configRepo(seed: (dir: string) => void = (dir) => cpSync(join(PROJECT_ROOT, 'manifests'), join(dir, 'manifests'), { recursive: true })): Promise<{ dir: string; git: SimpleGit }> {
  const dir = mkdtempSync(join(tmpdir(), 'iam-gitops-git-'));
  made.push(dir);
  const git = simpleGit({ baseDir: dir });
  await git.init(['-b', 'main']);
  seed(dir);
  writeFileSync(join(dir, 'README.md'), 'config repo\n');
  await git.add('.');
  await git.raw([...AUTHOR, 'commit', '-q', '-m', 'base']);
  await git.checkoutLocalBranch('feature');
  return { dir, git };
}

async function commit(git: SimpleGit, message: string): Promise<void> {
  await git.add(['-A', '.']);
  await git.raw([...AUTHOR, 'commit', '-q', '-m', message]);
}

function edit(file: string, change: (text: string) => string): void {
  writeFileSync(file, change(readFileSync(file, 'utf8')));
}

async function planJson(args: readonly string[]): Promise<Plan> {
  const run = await runCli(['plan', '--state', SNAPSHOT, '--now', NOW, '--format', 'json', ...args]);
  expect(run.stderr, run.stderr).toBe('');
  expect(run.code).toBe(0);
  return JSON.parse(run.stdout) as Plan;
}

const origins = (plan: Plan): Record<string, string | undefined> => Object.fromEntries(plan.changes.map((c) => [`${c.action} ${c.kind} ${c.name}`, c.origin]));

describe('plan --base: the pull request\'s changes and drift', () => {
  it('marks drift the base already had, the pull request\'s own changes, and both, with the files behind them', async () => {
    const { dir, git } = await configRepo();
    const m = join(dir, 'manifests');
    edit(join(m, 'users/bob.yaml'), (t) => t.replace('team: payments', 'team: billing'));
    writeFileSync(join(m, 'users/dave.yaml'), 'kind: User\nname: dave\npath: /people/\ngroups: [developers]\n');
    edit(join(m, 'policies/documents/read-artifacts.json'), (t) => t.replace('"s3:GetObject"', '"s3:GetObject", "s3:GetObjectTagging"'));
    renameSync(join(m, 'roles/ci-readonly.yaml'), join(m, 'roles/ci-read-only.yaml'));
    await commit(git, 'pull request');

    const plan = await planJson(['--manifests', m, '--base', 'main']);
    expect(origins(plan)).toEqual({
      'update policy deploy-lambda': 'drift',
      'update policy read-artifacts': 'pull-request',
      'update group developers': 'drift',
      'update role github-deploy': 'drift',
      'update user bob': 'pull-request+drift',
      'create user carol': 'drift',
      'create user dave': 'pull-request',
      'delete role legacy-batch': 'drift',
    });
    const files = Object.fromEntries(plan.changes.map((c) => [c.name, c.files]));
    expect(files['bob']).toEqual(['manifests/users/bob.yaml']);
    expect(files['dave']).toEqual(['manifests/users/dave.yaml']);
    // A change to a policy's document file is the policy's change.
    expect(files['read-artifacts']).toEqual(['manifests/policies/documents/read-artifacts.json']);
    expect(files['carol']).toBeUndefined();
    expect(plan.pullRequest).toMatchObject({ base: expect.stringMatching(/^[0-9a-f]{40}$/), workingTree: true });
    expect(plan.pullRequest!.files).toEqual([
      { path: 'manifests/policies/documents/read-artifacts.json', status: 'modified' },
      { path: 'manifests/roles/ci-read-only.yaml', status: 'renamed', from: 'manifests/roles/ci-readonly.yaml' },
      { path: 'manifests/users/bob.yaml', status: 'modified' },
      { path: 'manifests/users/dave.yaml', status: 'added' },
    ]);

    // What the pull request itself does (against live IAM as the base's manifests would leave it), and per item of
    // the plan, where it comes from: carol, made an administrator by the base's manifests, is drift; dave is its own.
    const effect = plan.pullRequest!.effect!;
    expect(effect.access.flatMap((d) => d.principals).sort()).toEqual(expect.arrayContaining([`arn:aws:iam::123456789012:user/people/dave`]));
    expect(effect.access.flatMap((d) => d.principals)).not.toContain('arn:aws:iam::123456789012:user/people/carol');
    expect(effect.findings.map((f) => f.code)).not.toContain('FULL_ADMIN');
    const findingOrigins = Object.fromEntries(plan.findings.map((f) => [`${f.code} ${f.principal.split('/').pop()}`, f.origin]));
    expect(findingOrigins['FULL_ADMIN carol']).toBe('drift');
    const accessOrigins = Object.fromEntries(plan.access.flatMap((d) => d.principals.map((p) => [p.split('/').pop(), d.origin])));
    expect(accessOrigins['dave']).toBe('pull-request');
    expect(accessOrigins['carol']).toBe('drift');
    expect(verdictOf(plan)).toBe('broadening');

    // The text plan and the comment say so too.
    const text = await runCli(['plan', '--state', SNAPSHOT, '--now', NOW, '--manifests', m, '--base', 'main']);
    expect(text.stdout).toContain('# caused by this pull request, on top of drift from the base branch: manifests/users/bob.yaml');
    expect(text.stdout).toContain('Pull request: 4 changed manifest files since');
    const md = await runCli(['plan', '--state', SNAPSHOT, '--now', NOW, '--manifests', m, '--base', 'main', '--format', 'markdown']);
    expect(md.stdout).toMatch(/changes 4 manifest files and causes \*\*3\*\* of the changes\. \*\*6\*\* changes are drift already in live IAM/);
    expect(md.stdout).toContain('| this PR + drift<br><code>manifests/users/bob\\.yaml</code> |');
  });

  it('--head plans the manifests at that commit, not the working tree, and counts only committed changes', async () => {
    const { dir, git } = await configRepo();
    const m = join(dir, 'manifests');
    edit(join(m, 'users/bob.yaml'), (t) => t.replace('team: payments', 'team: billing'));
    await commit(git, 'pull request');
    // Uncommitted: not part of --head's plan.
    writeFileSync(join(m, 'users/erin.yaml'), 'kind: User\nname: erin\n');
    const atHead = await planJson(['--manifests', m, '--base', 'main', '--head', 'feature']);
    expect(atHead.changes.map((c) => c.name)).not.toContain('erin');
    expect(atHead.pullRequest!.workingTree).toBeUndefined();
    expect(atHead.pullRequest!.files.map((f) => f.path)).toEqual(['manifests/users/bob.yaml']);
    // The working tree (the default) counts untracked files as added.
    const working = await planJson(['--manifests', m, '--base', 'main']);
    expect(origins(working)['create user erin']).toBe('pull-request');
    expect(working.pullRequest!.files.map((f) => [f.path, f.status])).toEqual([
      ['manifests/users/bob.yaml', 'modified'],
      ['manifests/users/erin.yaml', 'added'],
    ]);
  });

  it('a pull request that adds the manifests folder causes every change, and says why', async () => {
    const { dir, git } = await configRepo(() => undefined);
    cpSync(join(PROJECT_ROOT, 'manifests'), join(dir, 'manifests'), { recursive: true });
    await commit(git, 'add manifests');
    const plan = await planJson(['--manifests', join(dir, 'manifests'), '--base', 'main']);
    expect(new Set(plan.changes.map((c) => c.origin))).toEqual(new Set(['pull-request']));
    expect(plan.pullRequest!.note).toMatch(/has no manifests folder: every change comes from this pull request/);
  });

  it('a pull request that deletes a manifest under prune names the deleted file behind the delete', async () => {
    const { dir, git } = await configRepo((d) => {
      cpSync(join(PROJECT_ROOT, 'manifests'), join(d, 'manifests'), { recursive: true });
      edit(join(d, 'manifests/account.yaml'), (t) => t.replace('prune: false', 'prune: true'));
    });
    const m = join(dir, 'manifests');
    rmSync(join(m, 'users/alice.yaml'));
    await commit(git, 'remove alice');
    const plan = await planJson(['--manifests', m, '--base', 'main']);
    const alice = plan.changes.find((c) => c.name === 'alice')!;
    expect(alice).toMatchObject({ action: 'delete', origin: 'pull-request', files: ['manifests/users/alice.yaml'] });
  });

  it('a base whose manifests do not validate leaves origins unknown and warns; the plan is complete', async () => {
    const { dir, git } = await configRepo((d) => {
      cpSync(join(PROJECT_ROOT, 'manifests'), join(d, 'manifests'), { recursive: true });
      writeFileSync(join(d, 'manifests/users/broken.yaml'), 'kind: User\nname: [oops\n');
    });
    const m = join(dir, 'manifests');
    rmSync(join(m, 'users/broken.yaml'));
    await commit(git, 'fix');
    const run = await runCli(['plan', '--state', SNAPSHOT, '--now', NOW, '--format', 'json', '--manifests', m, '--base', 'main']);
    expect(run.code).toBe(0);
    const plan = JSON.parse(run.stdout) as Plan;
    expect(plan.changes.every((c) => c.origin === undefined)).toBe(true);
    expect(plan.pullRequest!.note).toMatch(/do not validate \(1 error, first: .*\), so changes are not told apart from drift/);
  });

  it('bad references say what to do', async () => {
    const { dir } = await configRepo();
    const m = join(dir, 'manifests');
    const missing = await runCli(['plan', '--state', SNAPSHOT, '--manifests', m, '--base', 'origin/nope']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('error: --base "origin/nope" is not a commit in this repository');
    expect(missing.stderr).toContain('fetch-depth: 0');
    const option = await runCli(['plan', '--state', SNAPSHOT, '--manifests', m, '--base', '--upload-pack=evil']);
    expect(option.code).toBe(1);
    const headOnly = await runCli(['plan', '--state', SNAPSHOT, '--manifests', m, '--head', 'HEAD']);
    expect(headOnly.stderr).toContain('--head needs --base');
    const outside = mkdtempSync(join(tmpdir(), 'iam-gitops-nogit-'));
    made.push(outside);
    cpSync(join(PROJECT_ROOT, 'manifests'), join(outside, 'manifests'), { recursive: true });
    const noRepo = await runCli(['plan', '--state', SNAPSHOT, '--manifests', join(outside, 'manifests'), '--base', 'main']);
    expect(noRepo.code).toBe(1);
    expect(noRepo.stderr).toMatch(/is not inside a git repository/);
  });

  it('law: on random edits, a change is drift when only the base edited its entity, the pull request\'s when only the pull request did, both when both did', async () => {
    // Users and roles take tags (groups cannot).
    const entities = ['users/alice.yaml', 'users/bob.yaml', 'roles/ci-readonly.yaml', 'roles/github-deploy.yaml', 'roles/legacy-batch.yaml'];
    const tag = (file: string, key: string, value: string): void => edit(file, (t) => (/^tags:/m.test(t) ? t.replace(/^tags:\n/m, `tags:\n  ${key}: ${value}\n`) : `${t.trimEnd()}\ntags:\n  ${key}: ${value}\n`));
    const seen = new Set<string | undefined>();
    for (let seed = 1; seed <= 4; seed++) {
      const random = seededRandom(seed);
      // The live account: the example's snapshot; the base: manifests imported from it (no drift), then drift edits.
      const { dir, git } = await configRepo(() => undefined);
      const m = join(dir, 'manifests');
      const imported = await runCli(['import', '--state', SNAPSHOT, '--out', m]);
      expect(imported.code, imported.stderr).toBe(0);
      const baseEdits = entities.filter(() => random() < 0.5);
      const prEdits = entities.filter(() => random() < 0.5);
      const fileOf = (e: string): string => join(m, e);
      await git.checkout('main');
      for (const e of baseEdits) tag(fileOf(e), 'drifted', 'base');
      await commit(git, 'base with drift');
      await git.checkout('feature');
      await git.raw([...AUTHOR, 'merge', '-q', 'main']);
      for (const e of prEdits) tag(fileOf(e), 'owner', `pr-${seed}`);
      await commit(git, 'pull request');
      const plan = await planJson(['--manifests', m, '--base', 'main']);
      const expected = Object.fromEntries(
        [...new Set([...baseEdits, ...prEdits])].map((e) => {
          const name = e.split('/')[1]!.replace('.yaml', '');
          const origin = baseEdits.includes(e) && prEdits.includes(e) ? 'pull-request+drift' : baseEdits.includes(e) ? 'drift' : 'pull-request';
          return [name, origin];
        }),
      );
      for (const c of plan.changes) seen.add(c.origin);
      expect(Object.fromEntries(plan.changes.map((c) => [c.name, c.origin])), `seed ${seed}: base ${baseEdits.join(',')}; pr ${prEdits.join(',')}`).toEqual(expected);
    }
    expect(seen).toEqual(new Set(['drift', 'pull-request', 'pull-request+drift']));
  }, 60_000);
});

describe('plan --base in a shallow clone (actions/checkout\'s default depth)', () => {
  it('says to fetch history; the Action\'s fetchFrom fetches the base itself', async () => {
    const { dir, git } = await configRepo();
    edit(join(dir, 'manifests/users/bob.yaml'), (t) => t.replace('team: payments', 'team: billing'));
    await commit(git, 'pull request');
    const mainSha = (await git.revparse(['main'])).trim();
    const clone = mkdtempSync(join(tmpdir(), 'iam-gitops-shallow-'));
    made.push(clone);
    await simpleGit().clone(`file://${dir}`, clone, ['--depth', '1', '--branch', 'feature', '--no-tags']);
    const shallow = await runCli(['plan', '--state', SNAPSHOT, '--manifests', join(clone, 'manifests'), '--base', mainSha]);
    expect(shallow.code).toBe(1);
    expect(shallow.stderr).toContain(`--base "${mainSha}" is not a commit in this repository`);

    const { readPullRequest } = await import('../src/git/pull-request-git.js');
    const pr = await readPullRequest({ manifests: join(clone, 'manifests'), base: mainSha, fetchFrom: 'origin' });
    expect(pr.context.mergeBase).toBe(mainSha);
    expect(pr.context.files).toEqual([{ path: 'manifests/users/bob.yaml', status: 'modified' }]);
  });
});

describe('plan --base --state: a pull request cannot say what live IAM is (issue 16, item 8)', () => {
  // A small account (planning it is quick): alice, and the administrator a fork would add.
  const MALLORY = 'kind: User\nname: mallory\npath: /people/\nmanagedPolicies: [arn:aws:iam::aws:policy/AdministratorAccess]\n';
  const user = (name: string, id: string, admin: boolean) => ({ Path: '/people/', UserName: name, UserId: id, Arn: `arn:aws:iam::123456789012:user/people/${name}`, CreateDate: '2026-01-01T00:00:00Z', UserPolicyList: [], GroupList: [], AttachedManagedPolicies: admin ? [{ PolicyName: 'AdministratorAccess', PolicyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' }] : [], Tags: [] });
  const live = (...users: unknown[]): string => JSON.stringify({ UserDetailList: [user('alice', 'AIDAALICEEXAMPLE0001', false), ...users], GroupDetailList: [], RoleDetailList: [], Policies: [] }, null, 2);
  /** The snapshot as a fork edits it to match its change: mallory, already an administrator. */
  const forged = (): string => live(user('mallory', 'AIDAMALLORYEXAMPLE01', true));
  /** A config repo whose main branch holds alice's account and its snapshot at snapshots/live.json; on `feature`. */
  const repoWithSnapshot = (): ReturnType<typeof configRepo> =>
    configRepo((d) => {
      mkdirSync(join(d, 'manifests/users'), { recursive: true });
      writeFileSync(join(d, 'manifests/account.yaml'), 'kind: Account\nid: "123456789012"\nprune: false\nmanagedPaths: ["/"]\n');
      writeFileSync(join(d, 'manifests/users/alice.yaml'), 'kind: User\nname: alice\npath: /people/\n');
      mkdirSync(join(d, 'snapshots'));
      writeFileSync(join(d, 'snapshots/live.json'), live());
    });
  const plan = async (dir: string, extra: readonly string[] = [], state = join(dir, 'snapshots/live.json')): Promise<{ run: CliRun; plan?: Plan }> => {
    const run = await runCli(['plan', '--manifests', join(dir, 'manifests'), '--state', state, '--now', NOW, '--base', 'main', '--format', 'json', ...extra]);
    return { run, ...(run.code === 0 ? { plan: JSON.parse(run.stdout) as Plan } : {}) };
  };
  const mallory = (p: Plan | undefined) => ({
    change: p?.changes.find((c) => c.name === 'mallory')?.action,
    admin: p?.findings.some((f) => f.code === 'FULL_ADMIN' && f.principal.endsWith('/mallory') && f.change === 'introduced'),
  });

  it('a fork that adds an administrator and edits the snapshot to match is planned against the base\'s copy, and every output says so first', async () => {
    const { dir, git } = await repoWithSnapshot();
    writeFileSync(join(dir, 'manifests/users/mallory.yaml'), MALLORY);
    writeFileSync(join(dir, 'snapshots/live.json'), forged());
    await commit(git, 'add mallory; the snapshot "already" has her');
    const base = (await git.revparse(['main'])).trim();
    for (const mode of [[], ['--head', 'feature']]) {
      const { run, plan: p } = await plan(dir, mode);
      expect(run.code, run.stderr).toBe(0);
      expect(mallory(p)).toEqual({ change: 'create', admin: true });
      expect(p!.pullRequest!.snapshot).toEqual({ path: 'snapshots/live.json', base, change: 'modified' });
      expect(p!.live.source).toBe(`${base.slice(0, 7)}:snapshots/live.json`);
    }
    const text = await runCli(['plan', '--manifests', join(dir, 'manifests'), '--state', join(dir, 'snapshots/live.json'), '--now', NOW, '--base', 'main']);
    expect(text.stdout.split('\n')[2]).toBe(`warning: This pull request changes snapshots/live.json, the snapshot of live IAM it is planned against. A pull request cannot say what live IAM is: this plan is against the base's copy (${base.slice(0, 7)}), not the pull request's. A snapshot should only ever change by a fresh export of the account (iam-gitops snapshot --aws): review that change on its own.`);
    const md = await runCli(['plan', '--manifests', join(dir, 'manifests'), '--state', join(dir, 'snapshots/live.json'), '--now', NOW, '--base', 'main', '--format', 'markdown']);
    expect(md.stdout.split('\n').slice(3, 5)).toEqual(['> [!CAUTION]', expect.stringMatching(/^> \*\*This pull request changes snapshots\/live\\\.json, the snapshot of live IAM it is planned against\\\. A pull request cannot say what live IAM is\\: this plan is against the base&apos;s copy \\\(/)]);
    expect(md.stdout).toMatch(/FULL\\_ADMIN<\/code> on <code>user mallory<\/code>/);
    expect(md.stdout).toMatch(/^### 🔺 iam-gitops: broadening/m);
    // What the fork hoped for: against its own copy, mallory would be no change at all.
    const own = await runCli(['plan', '--manifests', join(dir, 'manifests'), '--state', join(dir, 'snapshots/live.json'), '--now', NOW, '--format', 'json']);
    expect(mallory(JSON.parse(own.stdout) as Plan)).toEqual({ change: undefined, admin: false });
  });

  it('whatever the pull request does to the file (deletes, moves, links it, links its folder, moves the link out of the repository), the base\'s copy is planned', async () => {
    const outside = mkdtempSync(join(tmpdir(), 'iam-gitops-outside-'));
    made.push(outside);
    writeFileSync(join(outside, 'live.json'), forged());
    // [what, the pull request's edit, the change it is reported as, also planned at --head]
    const variants: [string, (dir: string) => void, string, boolean][] = [
      ['deleted', (d) => rmSync(join(d, 'snapshots/live.json')), 'deleted', true],
      ['moved away, a forged one in its place', (d) => {
        renameSync(join(d, 'snapshots/live.json'), join(d, 'snapshots/old.json'));
        writeFileSync(join(d, 'snapshots/live.json'), forged());
      }, 'modified', false],
      ['a link to a forged file in the repository', (d) => {
        writeFileSync(join(d, 'snapshots/forged.json'), forged());
        rmSync(join(d, 'snapshots/live.json'));
        symlinkSync('forged.json', join(d, 'snapshots/live.json'));
      }, 'replaced', false],
      ['a link out of the repository', (d) => {
        rmSync(join(d, 'snapshots/live.json'));
        symlinkSync(join(outside, 'live.json'), join(d, 'snapshots/live.json'));
      }, 'replaced', false],
      ['its folder a link to a forged folder', (d) => {
        mkdirSync(join(d, 'forged'));
        writeFileSync(join(d, 'forged/live.json'), forged());
        rmSync(join(d, 'snapshots'), { recursive: true });
        symlinkSync('forged', join(d, 'snapshots'));
      }, 'replaced|deleted', true],
    ];
    for (const [what, change, expected, atHead] of variants) {
      const { dir, git } = await repoWithSnapshot();
      writeFileSync(join(dir, 'manifests/users/mallory.yaml'), MALLORY);
      change(dir);
      await commit(git, what);
      for (const mode of atHead ? [[], ['--head', 'feature']] : [[]]) {
        const { run, plan: p } = await plan(dir, mode);
        expect(run.code, `${what} ${mode.join(' ')}: ${run.stderr}`).toBe(0);
        expect(mallory(p), what).toEqual({ change: 'create', admin: true });
        expect(p!.pullRequest!.snapshot!.change, `${what} ${mode.join(' ')}`).toMatch(new RegExp(`^(${expected})$`));
      }
    }
  }, 60_000);

  it('an unchanged snapshot is read at the base too (the freshest copy main has), with no warning', async () => {
    const { dir, git } = await repoWithSnapshot();
    // main refreshed the snapshot after the pull request branched: mallory was made an administrator by hand.
    await git.checkout('main');
    writeFileSync(join(dir, 'snapshots/live.json'), forged());
    await commit(git, 'refresh the snapshot');
    await git.checkout('feature');
    edit(join(dir, 'manifests/users/alice.yaml'), (t) => `${t}tags:\n  team: billing\n`);
    await commit(git, 'alice');
    const { run, plan: p } = await plan(dir);
    expect(run.code, run.stderr).toBe(0);
    expect(p!.pullRequest!.snapshot).toEqual({ path: 'snapshots/live.json', base: (await git.revparse(['main'])).trim() });
    expect(p!.unmanaged).toContain('arn:aws:iam::123456789012:user/people/mallory');
    const text = await runCli(['plan', '--manifests', join(dir, 'manifests'), '--state', join(dir, 'snapshots/live.json'), '--now', NOW, '--base', 'main']);
    expect(text.stdout).not.toContain('warning: This pull request');
  });

  it('a snapshot the pull request adds is refused; one outside the repository is read as it is; a link from outside into the repository is refused', async () => {
    const { dir, git } = await repoWithSnapshot();
    writeFileSync(join(dir, 'snapshots/new.json'), forged());
    await commit(git, 'a snapshot of my own');
    const added = await plan(dir, [], join(dir, 'snapshots/new.json'));
    expect(added.run.code).toBe(1);
    expect(added.run.stderr).toContain('error: the snapshot snapshots/new.json is not a file at the base');
    expect(added.run.stderr).toContain('A pull request cannot say what live IAM is');
    // Untracked (a file exported locally, inside the repository): not at the base either.
    writeFileSync(join(dir, 'snapshots/local.json'), forged());
    expect((await plan(dir, [], join(dir, 'snapshots/local.json'))).run.code).toBe(1);
    // Outside the repository: the workflow's or the user's own file, read as it is, no pull-request snapshot.
    const outside = mkdtempSync(join(tmpdir(), 'iam-gitops-outside-'));
    made.push(outside);
    writeFileSync(join(outside, 'live.json'), forged());
    const own = await plan(dir, [], join(outside, 'live.json'));
    expect(own.run.code, own.run.stderr).toBe(0);
    expect(own.plan!.pullRequest!.snapshot).toBeUndefined();
    expect(own.plan!.unmanaged).toContain('arn:aws:iam::123456789012:user/people/mallory');
    // A link outside the repository that leads into it: refused (the file it reaches is the pull request's).
    symlinkSync(join(dir, 'snapshots'), join(outside, 'into-repo'));
    const through = await plan(dir, [], join(outside, 'into-repo/live.json'));
    expect(through.run.code).toBe(1);
    expect(through.run.stderr).toContain('leads into the repository through a symbolic link outside it');
    // A relative path with .. that stays in the repository is the repository's file.
    const relative = await runCli(['plan', '--manifests', join(dir, 'manifests'), '--state', join(dir, 'manifests/../snapshots/live.json'), '--now', NOW, '--base', 'main', '--format', 'json']);
    expect((JSON.parse(relative.stdout) as Plan).pullRequest!.snapshot!.path).toBe('snapshots/live.json');
  });
});

describe('plan --base: identity provider changes carry their origin too', () => {
  it('a provider the pull request adds is its own (with its manifest and metadata file); one live IAM already differs on is drift', async () => {
    const { dir, git } = await configRepo();
    const m = join(dir, 'manifests');
    // Live IAM: the example's GitHub provider with a client id the manifests do not list (drift).
    const snapshot = JSON.parse(readFileSync(SNAPSHOT, 'utf8')) as Record<string, unknown>;
    snapshot['OpenIDConnectProviderList'] = [{ Arn: 'arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com', Url: 'token.actions.githubusercontent.com', ClientIDList: ['sts.amazonaws.com', 'extra'], ThumbprintList: [] }];
    snapshot['SAMLProviderList'] = [];
    const state = join(dir, '..', `${dir.split('/').pop()}-live.json`);
    made.push(state);
    writeFileSync(state, JSON.stringify(snapshot));
    const cert = 'MIIC'.padEnd(1200, 'A');
    writeFileSync(join(m, 'providers/corp.yaml'), 'kind: SAMLProvider\nname: corp\nmetadataDocumentFile: corp-metadata.xml\n');
    writeFileSync(join(m, 'providers/corp-metadata.xml'), `<?xml version="1.0"?>\n<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://sso.example.com"><md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>${cert}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor><md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://sso.example.com/saml"/></md:IDPSSODescriptor></md:EntityDescriptor>\n`);
    await commit(git, 'pull request');
    const run = await runCli(['plan', '--state', state, '--now', NOW, '--format', 'json', '--manifests', m, '--base', 'main']);
    expect(run.code, run.stderr).toBe(0);
    const plan = JSON.parse(run.stdout) as Plan;
    expect(plan.providerChanges!.map((c) => [c.action, c.name, c.origin, c.files])).toEqual([
      ['update', 'token.actions.githubusercontent.com', 'drift', undefined],
      ['create', 'corp', 'pull-request', ['manifests/providers/corp.yaml', 'manifests/providers/corp-metadata.xml']],
    ]);
    const text = await runCli(['plan', '--state', state, '--now', NOW, '--manifests', m, '--base', 'main']);
    expect(text.stdout).toContain('# caused by this pull request: manifests/providers/corp.yaml, manifests/providers/corp-metadata.xml');
    const md = await runCli(['plan', '--state', state, '--now', NOW, '--manifests', m, '--base', 'main', '--format', 'markdown']);
    expect(md.stdout).toContain('\\(drift\\: not this pull request\\)');
    // The pull request's own count includes the provider it adds.
    expect(md.stdout).toMatch(/changes 2 manifest files and causes \*\*1\*\* of the changes/);
  });
});
