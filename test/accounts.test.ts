/**
 * Many accounts: the account folders of a config repo (real git in temp folders), those a change touches, and the
 * matrix the workflows run one job per account from; folders that would fight over one account are refused.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleGit, type SimpleGit } from 'simple-git';
import { afterAll, describe, expect, it } from 'vitest';
import { findAccountFolders, selectAccounts } from '../src/app/accounts.js';
import { InputError } from '../src/core/diagnostics.js';
import { PROJECT_ROOT } from './helpers/fixtures.js';
import { runCli } from './helpers/run-cli.js';

const AUTHOR = ['-c', 'user.name=Test', '-c', 'user.email=test@example.com'];
const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

const IDS = { dev: '111111111111', prod: '222222222222', sandbox: '333333333333' } as const;

/** A config repo with accounts/{dev,prod,sandbox}, each the example's manifests with its own account id. */
async function multiAccountRepo(): Promise<{ dir: string; git: SimpleGit; root: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'iam-gitops-accounts-'));
  made.push(dir);
  for (const [name, id] of Object.entries(IDS)) {
    const folder = join(dir, 'accounts', name);
    cpSync(join(PROJECT_ROOT, 'manifests'), folder, { recursive: true });
    writeFileSync(join(folder, 'account.yaml'), readFileSync(join(folder, 'account.yaml'), 'utf8').replace('id: "123456789012"', `id: "${id}"`));
  }
  writeFileSync(join(dir, 'accounts', 'README.md'), 'one folder per account\n');
  const git = simpleGit({ baseDir: dir });
  await git.init(['-b', 'main']);
  await git.add('.');
  await git.raw([...AUTHOR, 'commit', '-q', '-m', 'accounts']);
  await git.checkoutLocalBranch('feature');
  return { dir, git, root: join(dir, 'accounts') };
}

async function commit(git: SimpleGit, message: string): Promise<void> {
  await git.add(['-A', '.']);
  await git.raw([...AUTHOR, 'commit', '-q', '-m', message]);
}

describe('account folders', () => {
  it('are every folder with an Account manifest, in name order, with the role each job assumes', async () => {
    const { root } = await multiAccountRepo();
    const all = await selectAccounts(root, { roleTemplate: 'arn:aws:iam::{account}:role/automation/iam-gitops-plan-{name}' });
    expect(all.accounts.map((a) => [a.name, a.account, a.folder, a.role])).toEqual([
      ['dev', IDS.dev, `${root}/dev`, `arn:aws:iam::${IDS.dev}:role/automation/iam-gitops-plan-dev`],
      ['prod', IDS.prod, `${root}/prod`, `arn:aws:iam::${IDS.prod}:role/automation/iam-gitops-plan-prod`],
      ['sandbox', IDS.sandbox, `${root}/sandbox`, `arn:aws:iam::${IDS.sandbox}:role/automation/iam-gitops-plan-sandbox`],
    ]);
    // The CLI prints the same as a matrix, on one line for GITHUB_OUTPUT.
    const matrix = await runCli(['accounts', '--root', root, '--format', 'matrix']);
    expect(matrix.code, matrix.stderr).toBe(0);
    expect(matrix.stdout.trim().split('\n')).toHaveLength(1);
    expect((JSON.parse(matrix.stdout) as { include: { name: string }[] }).include.map((a) => a.name)).toEqual(['dev', 'prod', 'sandbox']);
    // A single account's manifests folder is one account folder.
    expect((await selectAccounts(join(PROJECT_ROOT, 'manifests'))).accounts.map((a) => a.account)).toEqual(['123456789012']);
  });

  it('changed since a base: only the folders a branch touches (a file moved between accounts touches both); the working tree counts', async () => {
    const { git, root } = await multiAccountRepo();
    const bob = (name: string) => join(root, name, 'users/bob.yaml');
    writeFileSync(bob('dev'), readFileSync(bob('dev'), 'utf8').replace('team: payments', 'team: billing'));
    await commit(git, 'dev: bob moves');
    expect((await selectAccounts(root, { changedSince: 'main' })).accounts.map((a) => a.name)).toEqual(['dev']);
    renameSync(join(root, 'prod/users/carol.yaml'), join(root, 'sandbox/users/carol-from-prod.yaml'));
    await commit(git, 'carol moves from prod to sandbox');
    const moved = await selectAccounts(root, { changedSince: 'main' });
    expect(moved.accounts.map((a) => a.name)).toEqual(['dev', 'prod', 'sandbox']);
    expect(moved.total).toBe(3);
    // Uncommitted work counts (a local try), and a file outside every account folder is named, not planned.
    await git.checkout(['-q', '-b', 'local', 'main']);
    writeFileSync(join(root, 'README.md'), 'edited\n');
    const local = await selectAccounts(root, { changedSince: 'main' });
    expect(local.accounts).toEqual([]);
    expect(local.changedSince?.outside).toEqual(['accounts/README.md']);
    expect(local.diagnostics.map((d) => d.summary)).toEqual([expect.stringContaining('1 changed file is under')]);
    const text = await runCli(['accounts', '--root', root, '--changed-since', 'main']);
    expect(text.stdout).toMatch(/^0 of 3 account folders changed since [0-9a-f]{7}:/);
  });

  it('a shared baseline: a change to it selects every account that takes it, and a pull request plan reads it at both commits', async () => {
    const { git, root } = await multiAccountRepo();
    mkdirSync(join(root, 'baseline/roles'), { recursive: true });
    writeFileSync(join(root, 'baseline/roles/audit.yaml'), 'kind: Role\nname: audit\ntrustPolicy:\n  Version: "2012-10-17"\n  Statement:\n    - Effect: Allow\n      Principal: {AWS: "arn:aws:iam::{{account.id}}:root"}\n      Action: sts:AssumeRole\nmanagedPolicies: [arn:aws:iam::aws:policy/ReadOnlyAccess]\n');
    for (const name of ['dev', 'prod']) {
      const account = join(root, name, 'account.yaml');
      writeFileSync(account, `${readFileSync(account, 'utf8')}baseline: {folder: ../baseline}\n`);
    }
    await commit(git, 'dev and prod take the baseline');
    await git.raw([...AUTHOR, 'checkout', '-q', 'main']);
    await git.raw([...AUTHOR, 'merge', '-q', '--ff-only', 'feature']);
    await git.checkout(['-q', '-b', 'widen-audit']);
    writeFileSync(join(root, 'baseline/roles/audit.yaml'), readFileSync(join(root, 'baseline/roles/audit.yaml'), 'utf8').replace('ReadOnlyAccess', 'AdministratorAccess'));
    await commit(git, 'the audit role becomes an administrator');
    const selected = await selectAccounts(root, { changedSince: 'main' });
    expect(selected.accounts.map((a) => [a.name, a.baseline])).toEqual([['dev', `${root}/baseline`], ['prod', `${root}/baseline`]]);
    expect(selected.changedSince?.outside).toEqual([]);
    // The pull request's plan for prod: the base's audit role (read from git at the merge base) against the head's.
    const outsideRepo = mkdtempSync(join(tmpdir(), 'iam-gitops-live-'));
    made.push(outsideRepo);
    const snapshot = join(outsideRepo, 'live.json');
    writeFileSync(snapshot, JSON.stringify({ UserDetailList: [], GroupDetailList: [], RoleDetailList: [], Policies: [] }).replace('[]', `[{"UserName":"someone","UserId":"AIDASOMEONEXXXXXXXXX","Path":"/","Arn":"arn:aws:iam::${IDS.prod}:user/someone","GroupList":[],"UserPolicyList":[],"AttachedManagedPolicies":[]}]`));
    const plan = await runCli(['plan', '--manifests', join(root, 'prod'), '--state', snapshot, '--base', 'main', '--head', 'widen-audit', '--format', 'json']);
    expect(plan.code, plan.stderr).toBe(0);
    const parsed = JSON.parse(plan.stdout) as { changes: { action: string; kind: string; name: string; origin?: string }[] };
    expect(parsed.changes.find((c) => c.kind === 'role' && c.name === 'audit')).toMatchObject({ action: 'create', origin: 'pull-request+drift' });
  });

  it('two folders of one account may split it by path, never share one; bad input names the place', async () => {
    const { root } = await multiAccountRepo();
    mkdirSync(join(root, 'prod-team-b'));
    writeFileSync(join(root, 'prod-team-b/account.yaml'), `kind: Account\nid: "${IDS.prod}"\nmanagedPaths: ["/team-b/"]\n`);
    // prod manages "/" (every path): the two overlap.
    const refused = await runCli(['accounts', '--root', root]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`error: ${root}/prod and ${root}/prod-team-b both manage account ${IDS.prod} under /team-b/`);
    writeFileSync(join(root, 'prod/account.yaml'), readFileSync(join(root, 'prod/account.yaml'), 'utf8').replace('managedPaths: ["/"]', 'managedPaths: ["/people/", "/ci/"]'));
    expect((await selectAccounts(root)).accounts.map((a) => a.name)).toEqual(['dev', 'prod', 'prod-team-b', 'sandbox']);

    writeFileSync(join(root, 'dev/extra-account.yaml'), `kind: Account\nid: "${IDS.dev}"\n`);
    await expect(selectAccounts(root)).rejects.toThrow(InputError);
    expect((await runCli(['accounts', '--root', root])).stderr).toContain(`${root}/dev holds 2 Account manifests`);
    rmSync(join(root, 'dev/extra-account.yaml'));

    const sandbox = readFileSync(join(root, 'sandbox/account.yaml'), 'utf8');
    writeFileSync(join(root, 'sandbox/account.yaml'), 'kind: Account\nid: 012345678901\n');
    // The manifest stage's own message, at its place.
    const unquoted = (await runCli(['accounts', '--root', root])).stderr;
    expect(unquoted).toContain(`${root}/sandbox/account.yaml:2:5: error: "id" must be a string, not a number (12345678901)`);
    expect(unquoted).toContain('Quote the account id');
    writeFileSync(join(root, 'sandbox/account.yaml'), sandbox);

    expect((await runCli(['accounts', '--root', join(root, 'missing')])).stderr).toContain(`--root "${join(root, 'missing')}" does not exist`);
    expect((await runCli(['accounts', '--root', join(root, 'README.md')])).stderr).toContain('is a file, not a folder');
    const empty = mkdtempSync(join(tmpdir(), 'iam-gitops-empty-'));
    made.push(empty);
    expect((await runCli(['accounts', '--root', empty])).stderr).toContain(`no account folder under ${empty}`);
    expect((await runCli(['accounts', '--root', root, '--role-template', 'iam-gitops-plan'])).stderr).toContain('is not a role ARN template');
    expect((await runCli(['accounts', '--root', root, '--changed-since', 'no-such-branch'])).stderr).toContain('--changed-since "no-such-branch" is not a commit in this repository');
  });

  it('are found however the YAML writes the Account, and its problems are told as validate tells them, at their place', () => {
    const root = mkdtempSync(join(tmpdir(), 'iam-gitops-account-forms-'));
    made.push(root);
    const forms: Record<string, string> = {
      'quoted-keys': '"kind": "Account"\n"id": "111111111111"\n',
      'flow-mapping': '{kind: Account, id: "222222222222", managedPaths: ["/flow/"]}\n',
      'json': '{"kind": "Account", "id": "333333333333"}\n',
      'anchor': 'kind: &kind Account\nid: "444444444444"\n',
      'tag': 'kind: !!str Account\nid: "555555555555"\n',
      'comment': 'kind: # this folder\n  Account\nid: "666666666666"\n',
      'second-document': 'kind: User\nname: ops\n---\nkind: Account\nid: "777777777777"\n',
    };
    for (const [name, text] of Object.entries(forms)) {
      mkdirSync(join(root, name, 'users'), { recursive: true });
      writeFileSync(join(root, name, 'account.yaml'), text);
      // Deeper files are not account folders of their own, whatever they say.
      writeFileSync(join(root, name, 'users', 'alice.yaml'), 'kind: User\nname: alice\ndescription: |\n  kind: Account\n');
    }
    const found = findAccountFolders(root);
    expect(found.map((f) => [f.name, f.account, f.managedPaths])).toEqual(Object.keys(forms).sort().map((name) => [name, expect.any(String), name === 'flow-mapping' ? ['/flow/'] : ['/']]));
    expect(found.map((f) => f.account).sort()).toEqual(['111111111111', '222222222222', '333333333333', '444444444444', '555555555555', '666666666666', '777777777777']);

    // A field the Account schema does not have, and a bad managed path: the manifest stage's errors, located.
    writeFileSync(join(root, 'anchor', 'account.yaml'), 'kind: Account\nid: "444444444444"\nmanagedPath: ["/x/"]\n');
    writeFileSync(join(root, 'tag', 'account.yaml'), 'kind: Account\nid: "555555555555"\nmanagedPaths: ["no-slash"]\n');
    let refused: unknown;
    try {
      findAccountFolders(root);
    } catch (e) {
      refused = e;
    }
    expect(refused).toBeInstanceOf(InputError);
    const messages = (refused as InputError).diagnostics.map((d) => `${d.at?.file}:${d.at?.line}:${d.at?.col} ${d.summary}`);
    expect(messages).toEqual([
      `${join(root, 'anchor', 'account.yaml')}:3:1 unknown field "managedPath" in Account`,
      `${join(root, 'tag', 'account.yaml')}:3:16 invalid IAM path "no-slash"`,
    ]);
  });
});
