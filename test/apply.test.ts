/**
 * apply against the IAM emulator, through the real SDK over loopback HTTP. Laws: apply then plan has no changes (the
 * example, and random accounts with random edits); apply converges under throttling, 500s and eventual consistency,
 * and after being killed mid-run; it never touches unmanaged (prune: false), protected or AWS-owned entities; the
 * lockout guard refuses before any write, and an allowed lockout really locks out; saved plans are refused when stale.
 */
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateUserCommand, IAMClient } from '@aws-sdk/client-iam';
import { parse, stringify } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { importLiveState } from '../src/importer/live-to-manifests.js';
import { parseSnapshot } from '../src/live/parse-snapshot.js';
import { virtualClock } from './helpers/clock.js';
import { CREDENTIALS_ENV, exampleSnapshotJson, emulatorsClosedAfterEachTest, startTestEmulator, type TestEmulator } from './helpers/emulator.js';
import { importOptions } from './helpers/example.js';
import { PROJECT_ROOT } from './helpers/fixtures.js';
import { buildUniverse, pick, randomAccount, randomPolicy, seededRandom, uniqueSids, type Random, type UniverseAction } from './helpers/random-account.js';
import { runCli } from './helpers/run-cli.js';

type Json = Record<string, unknown>;
const tmp = mkdtempSync(join(tmpdir(), 'iam-gitops-apply-'));
const emulator = emulatorsClosedAfterEachTest();

/** A copy of the example manifests, with files replaced or added. */
function manifestsWith(name: string, files: Record<string, string> = {}): string {
  const dir = join(tmp, name);
  cpSync(join(PROJECT_ROOT, 'manifests'), dir, { recursive: true });
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

const apply = (e: TestEmulator, manifests: string, ...extra: string[]) => runCli(['apply', ...e.awsArgs, '--manifests', manifests, '--auto-approve', ...extra], e.env);
const plan = (e: TestEmulator, manifests: string) => runCli(['plan', ...e.awsArgs, '--manifests', manifests, '--detailed-exitcode'], e.env);
const WRITE = /^(Create|Delete|Put|Attach|Detach|Add|Remove|Update|Tag|Untag|Set|Enable|Deactivate|Upload)/;
const writes = (e: TestEmulator): string[] => Object.keys(e.calls().byAction).filter((a) => WRITE.test(a));

async function entity(e: TestEmulator, list: string, name: string): Promise<Json | undefined> {
  const state = await e.state();
  return (state[list] as Json[]).find((x) => x['UserName'] === name || x['RoleName'] === name || x['GroupName'] === name || x['PolicyName'] === name);
}

describe('apply the example', () => {
  it('converges, then plans no changes; unmanaged, protected and AWS-owned entities are untouched', async () => {
    const e = await emulator(exampleSnapshotJson());
    const before = await e.state();
    const applied = await apply(e, 'manifests');
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toMatch(/^\[1\/13\] set a new default version of policy deploy-lambda ok/m);
    expect(applied.stdout).toMatch(/Apply complete: 13 steps applied, 0 failed, 0 not run, in [\d.]+ s \(\d+ retr(y|ies)\)\. Verified: live IAM matches the manifests/);
    expect((await plan(e, 'manifests')).code).toBe(0);
    expect((await apply(e, 'manifests')).stdout).toBe('No changes. Live IAM matches the manifests.\n');
    const after = await e.state();
    const find = (state: Json, list: string, name: string) => JSON.stringify((state[list] as Json[]).find((x) => x['UserName'] === name || x['RoleName'] === name || x['GroupName'] === name));
    for (const [list, name] of [['RoleDetailList', 'break-glass'], ['RoleDetailList', 'AWSServiceRoleForSupport'], ['UserDetailList', 'old-contractor'], ['GroupDetailList', 'contractors']]) {
      expect(find(after, list!, name!), name).toBe(find(before, list!, name!));
    }
    expect(await entity(e, 'RoleDetailList', 'legacy-batch')).toBeUndefined();
  });

  it('prune: true deletes unmanaged entities with their clean-up, never protected or AWS-owned ones, and never the caller', async () => {
    const e = await emulator(exampleSnapshotJson());
    const iam = new IAMClient({ endpoint: e.url, region: 'us-east-1', credentials: { accessKeyId: CREDENTIALS_ENV.AWS_ACCESS_KEY_ID, secretAccessKey: CREDENTIALS_ENV.AWS_SECRET_ACCESS_KEY } });
    const { CreateAccessKeyCommand, CreateLoginProfileCommand } = await import('@aws-sdk/client-iam');
    await iam.send(new CreateAccessKeyCommand({ UserName: 'old-contractor' }));
    await iam.send(new CreateLoginProfileCommand({ UserName: 'old-contractor', Password: 'Secret-123-xyz' }));
    await e.resetCalls();
    const pruning = manifestsWith('prune', { 'account.yaml': 'kind: Account\nid: "123456789012"\nprune: true\nprotected: [arn:aws:iam::123456789012:role/break-glass]\n' });
    const refused = await apply(e, pruning);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('the caller (arn:aws:iam::123456789012:user/emulator-admin) is deleted by this plan');
    expect(writes(e)).toEqual([]);
    const safe = manifestsWith('prune-safe', { 'account.yaml': 'kind: Account\nid: "123456789012"\nprune: true\nprotected: [arn:aws:iam::123456789012:role/break-glass, arn:aws:iam::123456789012:user/emulator-admin]\n' });
    const applied = await apply(e, safe);
    expect(applied.code, applied.stderr + applied.stdout).toBe(0);
    expect(applied.stdout).toMatch(/delete user old-contractor ok/);
    expect(await entity(e, 'UserDetailList', 'old-contractor')).toBeUndefined();
    expect(await entity(e, 'GroupDetailList', 'contractors')).toBeUndefined();
    expect(await entity(e, 'RoleDetailList', 'break-glass')).toBeDefined();
    expect(await entity(e, 'RoleDetailList', 'AWSServiceRoleForSupport')).toBeDefined();
    expect(await entity(e, 'UserDetailList', 'emulator-admin')).toBeDefined();
    expect((await plan(e, safe)).code).toBe(0);
  });
});

describe('faults', () => {
  it('converges under 10% throttling, 2% 500s and a 2 s consistency delay', async () => {
    // The emulator's consistency window and apply's waits on one virtual clock: 2 s of IAM's time, no real wait.
    const clock = virtualClock();
    const e = await emulator(exampleSnapshotJson(), { throttleRate: 0.1, errorRate: 0.02, consistencyDelayMs: 2000, seed: 7, clock });
    // New principals that trust each other: IAM refuses a principal it does not show yet.
    const manifests = manifestsWith('faults', {
      'users/newbie.yaml': 'kind: User\nname: newbie\npath: /people/\ngroups: [developers]\ntags: {team: payments}\n',
      'roles/newbie-helper.yaml': 'kind: Role\nname: newbie-helper\ntrustPolicy:\n  Version: "2012-10-17"\n  Statement:\n    - {Effect: Allow, Principal: {AWS: arn:aws:iam::123456789012:user/people/newbie}, Action: sts:AssumeRole}\nmanagedPolicies: [fresh-policy]\n',
      'policies/fresh-policy.yaml': 'kind: Policy\nname: fresh-policy\ndocument:\n  Version: "2012-10-17"\n  Statement:\n    - {Effect: Allow, Action: s3:GetObject, Resource: "arn:aws:s3:::fresh/*"}\n',
    });
    const applied = await runCli(['apply', ...e.awsArgs, '--manifests', manifests, '--auto-approve'], e.env, { clock });
    expect(applied.code, `${applied.stdout}\n${applied.stderr}`).toBe(0);
    expect(applied.stdout).toContain('IAM does not show the principals its trust policy names yet; waiting');
    expect(applied.stdout).toMatch(/waited \d+\.\d s for IAM to show the principals its trust policy names/);
    expect(applied.stdout).toMatch(/Verified: live IAM matches the manifests/);
    // The run waited the consistency window out, on the clock it shares with the emulator.
    expect(clock.waited).toBeGreaterThanOrEqual(2000);
    expect(e.calls().throttled).toBeGreaterThan(0);
    const again = await plan(e, manifests);
    expect(again.code, again.stdout).toBe(0);
  });

  it('a run killed mid-apply (SIGKILL), then run again, converges', async () => {
    const e = await emulator(exampleSnapshotJson(), { latencyMs: 25 });
    const users = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`users/bulk-${i}.yaml`, `kind: User\nname: bulk-${i}\ngroups: [developers]\ninlinePolicies:\n  own: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: s3:GetObject, Resource: "arn:aws:s3:::bulk-${i}/*"}]}\n`]));
    const manifests = manifestsWith('killed', users);
    const child = spawn(process.execPath, [join(PROJECT_ROOT, 'bin/iam-gitops.js'), 'apply', ...e.awsArgs, '--manifests', manifests, '--auto-approve', '--concurrency', '2'], { env: { ...process.env, ...e.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    await new Promise<void>((resolve) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if ((out.match(/ ok /g) ?? []).length >= 10) {
          child.kill('SIGKILL');
          resolve();
        }
      });
      child.on('exit', () => resolve());
    });
    await new Promise((r) => child.on('exit', r));
    expect(child.signalCode).toBe('SIGKILL');
    const left = await plan(e, manifests);
    expect(left.code).toBe(2);
    const rerun = await apply(e, manifests);
    expect(rerun.code, `${rerun.stdout}\n${rerun.stderr}`).toBe(0);
    expect((await plan(e, manifests)).code).toBe(0);
  }, 60_000);
});

describe('what IAM rewrites, and steps that fail', () => {
  it('a bare account id in a trust policy reads back as its root ARN, and apply then plan has no changes', async () => {
    const e = await emulator(exampleSnapshotJson());
    const manifests = manifestsWith('account-principal', { 'roles/partner.yaml': 'kind: Role\nname: partner\ntrustPolicy:\n  Version: "2012-10-17"\n  Statement:\n    - {Effect: Allow, Principal: {AWS: "444455556666"}, Action: sts:AssumeRole, Condition: {StringEquals: {sts:ExternalId: acme}}}\n' });
    expect((await apply(e, manifests)).code).toBe(0);
    const stored = (await entity(e, 'RoleDetailList', 'partner')) as { AssumeRolePolicyDocument: { Statement: { Principal: unknown }[] } };
    expect(stored.AssumeRolePolicyDocument.Statement[0]!.Principal).toEqual({ AWS: 'arn:aws:iam::444455556666:root' });
    expect((await plan(e, manifests)).code).toBe(0);
  });

  it('a step IAM refuses stops the run, and the output says exactly what was applied, what failed and what did not run', async () => {
    // The caller may do everything but create users from us-east-1 (where the emulator's requests come from): a
    // conditional Deny, which the pre-flight check cannot judge without the request, so IAM refuses the step.
    const deny = { Effect: 'Deny', Action: 'iam:CreateUser', Resource: '*', Condition: { StringEquals: { 'aws:RequestedRegion': 'us-east-1' } } };
    const snapshot = exampleSnapshotJson() as { UserDetailList: Json[] };
    snapshot.UserDetailList.push({ UserName: 'limited', Path: '/', Arn: 'arn:aws:iam::123456789012:user/limited', AttachedManagedPolicies: [{ PolicyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' }], UserPolicyList: [{ PolicyName: 'no-new-users', PolicyDocument: { Version: '2012-10-17', Statement: [deny] } }] });
    const e = await emulator(snapshot, { caller: 'arn:aws:iam::123456789012:user/limited', enforce: true });
    const manifests = manifestsWith('refused-step', { 'users/limited.yaml': `kind: User\nname: limited\nmanagedPolicies: [arn:aws:iam::aws:policy/AdministratorAccess]\ninlinePolicies:\n  no-new-users: {Version: "2012-10-17", Statement: [${JSON.stringify(deny)}]}\n` });
    const run = await apply(e, manifests);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/\[3\/13\] create user carol at \/people\/ failed/);
    expect(run.stderr).toMatch(/error: access denied while create user carol at \/people\/: User: arn:aws:iam::123456789012:user\/limited is not authorized to perform: iam:CreateUser .*with an explicit deny/);
    expect(run.stdout).toMatch(/Apply stopped: 2 steps applied, 1 failed, 10 not run/);
    expect(run.stdout).toMatch(/Applied \(2\):\n {4}\[1\] set a new default version of policy deploy-lambda\n {4}\[2\] tag policy read-artifacts \(owner\)\n/);
    expect(run.stdout).toMatch(/Failed \(1\):\n {4}\[3\] create user carol at \/people\/: access denied/);
    expect(run.stdout).toMatch(/Not run \(10\):\n {4}\[4\] put inline policy read-logs on group developers\n/);
    expect(run.stderr).toContain('Every step is safe to repeat');
    expect(run.stderr).not.toContain(CREDENTIALS_ENV.AWS_SECRET_ACCESS_KEY);
  });
});

describe('the pre-flight permission check', () => {
  it('refuses, before any write, a plan with a step the caller certainly may not run', async () => {
    // Read-only access plus everything on policies: the plan's user, group and role steps are beyond it.
    const snapshot = exampleSnapshotJson() as { UserDetailList: Json[] };
    const policy = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['iam:Get*', 'iam:List*', 'iam:*Policy*'], Resource: '*' }, { Effect: 'Deny', Action: 'iam:PutGroupPolicy', Resource: '*' }] };
    snapshot.UserDetailList.push({ UserName: 'reader', Path: '/', Arn: 'arn:aws:iam::123456789012:user/reader', UserPolicyList: [{ PolicyName: 'mostly-read', PolicyDocument: policy }] });
    const e = await emulator(snapshot, { caller: 'arn:aws:iam::123456789012:user/reader', enforce: true });
    const manifests = manifestsWith('preflight', { 'users/reader.yaml': `kind: User\nname: reader\ninlinePolicies:\n  mostly-read: ${JSON.stringify(policy)}\n` });
    const run = await apply(e, manifests);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/error: the caller \(arn:aws:iam::123456789012:user\/reader\) may not run \d+ steps of this plan; nothing was changed: /);
    expect(run.stderr).toContain('create user carol at /people/: iam:CreateUser on arn:aws:iam::123456789012:user/people/carol');
    expect(run.stderr).toMatch(/put inline policy read-logs on group developers: iam:PutGroupPolicy on arn:aws:iam::123456789012:group\/developers/);
    expect(run.stderr).not.toContain('set a new default version of policy deploy-lambda');
    expect(writes(e)).toEqual([]);
  });
});

describe('the lockout guard', () => {
  /** The example account plus an `ops` user that runs apply with AdministratorAccess through group automation. */
  function accountWithOps(): Json {
    const snapshot = exampleSnapshotJson() as { UserDetailList: Json[]; GroupDetailList: Json[] };
    snapshot.GroupDetailList.push({ GroupName: 'automation', Path: '/', Arn: 'arn:aws:iam::123456789012:group/automation', AttachedManagedPolicies: [{ PolicyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' }] });
    snapshot.UserDetailList.push({ UserName: 'ops', Path: '/', Arn: 'arn:aws:iam::123456789012:user/ops', GroupList: ['automation'] });
    return snapshot;
  }
  const OPS = 'arn:aws:iam::123456789012:user/ops';
  const manifestsDroppingOps = (name: string) => manifestsWith(name, { 'groups/automation.yaml': 'kind: Group\nname: automation\nmanagedPolicies: [arn:aws:iam::aws:policy/AdministratorAccess]\n', 'users/ops.yaml': 'kind: User\nname: ops\n' });

  it('refuses, before any write, a plan that takes from the caller what apply needs, naming the statements', async () => {
    const e = await emulator(accountWithOps(), { caller: OPS, enforce: true });
    const run = await apply(e, manifestsDroppingOps('lockout'));
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('error: the plan could lock out a guarded principal; nothing was changed');
    expect(run.stderr).toMatch(/the caller \(arn:aws:iam::123456789012:user\/ops\) would lose \d+ permissions apply needs \(iam:GetAccountAuthorizationDetails, iam:ListRoles/);
    expect(run.stderr).toContain('before: allowed by managed policy arn:aws:iam::aws:policy/AdministratorAccess, statement 0');
    expect(run.stderr).toContain('after: no statement allows it');
    expect(writes(e)).toEqual([]);
  });

  it('with --allow-lockout the steps that cause it run last, and the lockout is real', async () => {
    const e = await emulator(accountWithOps(), { caller: OPS, enforce: true });
    const manifests = manifestsDroppingOps('allowed-lockout');
    const run = await apply(e, manifests, '--allow-lockout');
    const lines = run.stdout.split('\n').filter((l) => /^\[\d+\/\d+\]/.test(l));
    expect(lines[lines.length - 1]).toMatch(/remove user ops from group automation ok/);
    // Verifying needs to read IAM, which ops no longer may.
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/access denied while reading IAM: User: arn:aws:iam::123456789012:user\/ops is not authorized/);
    expect((await plan(e, manifests)).stderr).toMatch(/access denied/);
  });
});

describe('saved plans and approval', () => {
  it('applies a saved plan; refuses it once live IAM changed, or when it is for another account or version', async () => {
    const e = await emulator(exampleSnapshotJson());
    const saved = join(tmp, 'saved.json');
    expect((await runCli(['plan', ...e.awsArgs, '--manifests', 'manifests', '--format', 'json', '--out', saved], e.env)).code).toBe(0);
    const iam = new IAMClient({ endpoint: e.url, region: 'us-east-1', credentials: { accessKeyId: CREDENTIALS_ENV.AWS_ACCESS_KEY_ID, secretAccessKey: CREDENTIALS_ENV.AWS_SECRET_ACCESS_KEY } });
    await iam.send(new CreateUserCommand({ UserName: 'sneaky' }));
    const stale = await apply(e, 'manifests', '--plan', saved);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toMatch(/^\S+saved\.json:\d+:\d+: error: live IAM changed since this plan was made: re-run plan/m);
    const other = JSON.parse(readFileSync(saved, 'utf8')) as Json;
    writeFileSync(join(tmp, 'other-version.json'), JSON.stringify({ ...other, tool: { name: 'iam-gitops', version: '0.0.1' } }));
    expect((await apply(e, 'manifests', '--plan', join(tmp, 'other-version.json'))).stderr).toContain('was made by iam-gitops 0.0.1; this is iam-gitops');
    writeFileSync(join(tmp, 'other-account.json'), JSON.stringify({ ...other, account: '999999999999' }));
    expect((await apply(e, 'manifests', '--plan', join(tmp, 'other-account.json'))).stderr).toContain('is a plan for account 999999999999, not 123456789012');
    const fresh = join(tmp, 'fresh.json');
    await runCli(['plan', ...e.awsArgs, '--manifests', 'manifests', '--format', 'json', '--out', fresh], e.env);
    const applied = await apply(e, 'manifests', '--plan', fresh);
    expect(applied.code, applied.stderr).toBe(0);
    expect(writes(e)).toContain('CreatePolicyVersion');
  });

  it('asks on a terminal, refuses where there is none, and changes nothing unless told "yes"', async () => {
    const e = await emulator(exampleSnapshotJson());
    const base = ['apply', ...e.awsArgs, '--manifests', 'manifests'];
    const noTerminal = await runCli(base, e.env);
    expect(noTerminal.code).toBe(1);
    expect(noTerminal.stderr).toContain('error: apply asks before it changes IAM, and there is no terminal to ask on');
    const questions: string[] = [];
    const declined = await runCli(base, e.env, { ask: async (q) => (questions.push(q), 'no') });
    expect(declined.stderr).toBe('Apply cancelled: nothing was changed.\n');
    expect(questions[0]).toMatch(/Apply 13 steps to account 123456789012\? Only "yes" is accepted/);
    expect(writes(e)).toEqual([]);
    const accepted = await runCli(base, e.env, { ask: async () => 'yes' });
    expect(accepted.code, accepted.stderr).toBe(0);
  });
});

describe('the apply-time gate (--fail-on)', () => {
  it('refuses, before any write, a plan that introduces a finding at or above the threshold; accepted risks pass', async () => {
    const e = await emulator(exampleSnapshotJson());
    // The example makes carol an administrator: critical FULL_ADMIN.
    const refused = await apply(e, 'manifests', '--fail-on', 'high');
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain('error: the plan introduces a finding at or above high (fail-on high); nothing was changed');
    expect(refused.stderr).toContain('iam-gitops: the plan introduces 1 finding at or above high (--fail-on high): FULL_ADMIN on arn:aws:iam::123456789012:user/people/carol');
    expect(refused.stdout).toBe('');
    expect(writes(e)).toEqual([]);
    const accepted = manifestsWith('accepted', { 'account.yaml': 'kind: Account\nid: "123456789012"\nprotected: [arn:aws:iam::123456789012:role/break-glass]\nacceptedRisks:\n  - {principal: arn:aws:iam::123456789012:user/people/carol, code: FULL_ADMIN, reason: on-call administrator}\n' });
    const applied = await apply(e, accepted, '--fail-on', 'low');
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toMatch(/Apply complete/);
  });
});

describe('law on random accounts: apply, then plan, has no changes', () => {
  let universe: UniverseAction[];
  beforeAll(async () => {
    universe = await buildUniverse(seededRandom(99), 6);
  });

  /** A few edits of the kinds pull requests make, to an imported folder. */
  function edit(random: Random, files: Map<string, string>): string[] {
    const done: string[] = [];
    const of = (prefix: string) => [...files.keys()].filter((p) => p.startsWith(prefix));
    const change = (path: string, f: (m: Json) => void, what: string): void => {
      const m = parse(files.get(path)!) as Json;
      f(m);
      files.set(path, stringify(m));
      done.push(`${what} ${path}`);
    };
    for (let i = 0; i < 4; i++) {
      const r = random();
      const users = of('users/');
      const roles = of('roles/');
      const policies = of('policies/');
      if (r < 0.15 && users.length) change(pick(random, users), (m) => (m['tags'] = { ...(m['tags'] as Json), edited: `v${i}` }), 'tag');
      else if (r < 0.3 && users.length) change(pick(random, users), (m) => (m['path'] = '/moved/'), 'move');
      else if (r < 0.45 && roles.length) change(pick(random, roles), (m) => (m['path'] = '/moved/'), 'replace');
      else if (r < 0.6 && policies.length) change(pick(random, policies), (m) => (m['document'] = randomPolicy(random, universe.filter((u) => !u.action.startsWith('iam:')))), 'rewrite');
      else if (r < 0.7 && users.length) change(pick(random, users), (m) => (m['deleted'] = true), 'delete');
      else if (r < 0.75 && users.length) change(pick(random, users), (m) => (m['managedPolicies'] = [...((m['managedPolicies'] as string[] | undefined) ?? []).slice(0, 9), 'arn:aws:iam::aws:policy/AdministratorAccess']), 'make admin');
      else if (r < 0.85) {
        files.set(`users/new-${i}.yaml`, stringify({ kind: 'User', name: `new-${i}`, groups: [String((parse(files.get(pick(random, of('groups/'))) ?? 'name: group-0') as Json)['name'])], tags: { team: 'x' } }));
        done.push(`create user new-${i}`);
      } else if (roles.length) {
        change(pick(random, roles), (m) => (m['description'] = `described ${i}`), 'describe');
      }
    }
    return done;
  }

  it('on random accounts with random edits (seed 31)', async () => {
    const random = seededRandom(31);
    let converged = 0;
    let gates = 0;
    for (let run = 0; run < 12; run++) {
      const snapshot = uniqueSids(randomAccount(random, universe).snapshot);
      const files = new Map(importLiveState(parseSnapshot('random.json', JSON.stringify(snapshot)), await importOptions()).files);
      const edits = edit(random, files);
      const dir = join(tmp, `random-${run}`);
      for (const [path, text] of files) {
        mkdirSync(join(dir, path, '..'), { recursive: true });
        writeFileSync(join(dir, path), text);
      }
      const validated = await runCli(['validate', '--manifests', dir]);
      if (validated.code !== 0) continue; // an edit IAM would refuse (a user over its inline quota, say)
      // One account per run, closed at once: a long loop does not keep them all open until the test ends.
      const e = await startTestEmulator(snapshot);
      try {
        // The apply-time gate refuses exactly what plan's gate fails, before any write (on a third of the runs, and
        // those that make an administrator: time).
        const threshold = pick(random, ['critical', 'high', 'medium', 'low'] as const);
        const gate = run % 3 === 0 || edits.some((x) => x.startsWith('make admin')) ? await runCli(['plan', ...e.awsArgs, '--manifests', dir, '--fail-on', threshold], e.env) : undefined;
        const gated = await apply(e, dir, ...(gate ? ['--fail-on', threshold] : []));
        if (gate?.code === 3) {
          expect(gated.code, `run ${run}: ${gated.stderr}`).toBe(3);
          expect(gated.stderr).toContain(`iam-gitops: the plan introduces `);
          expect(writes(e), `run ${run}`).toEqual([]);
          gates++;
        } else {
          expect(gated.code, `run ${run} (${edits.join(', ')}):\n${gated.stdout}\n${gated.stderr}`).toBe(0);
        }
        const applied = gate?.code === 3 ? await apply(e, dir) : gated;
        expect(applied.code, `run ${run} (${edits.join(', ')}):\n${applied.stdout}\n${applied.stderr}`).toBe(0);
        const again = await plan(e, dir);
        expect(again.code, `run ${run} (${edits.join(', ')}):\n${again.stdout}`).toBe(0);
      } finally {
        await e.close();
      }
      converged++;
    }
    expect(converged).toBeGreaterThanOrEqual(8);
    expect(gates).toBeGreaterThan(0);
  }, 120_000);
});
