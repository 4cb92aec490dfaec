/**
 * `rightsize` (issue 19 item 2). Law, on random usage through the emulator: after the edit, every (principal, action)
 * used in the window is still allowed (checked with the engine on the edited manifests), and every access the plan
 * revokes was unused by that principal; nothing is granted. Shared groups and policies keep what any holder used.
 */
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { EffectiveAccess } from '../src/analyze/effective-access.js';
import { loadAwsManagedPolicies } from '../src/catalog/aws-managed-policies.js';
import { completeAwsManagedPolicies } from '../src/live/complete-managed-policies.js';
import { validateManifests } from '../src/app/use-cases.js';
import { readManifestFolder } from '../src/manifest/read-manifest-folder.js';
import { virtualClock } from './helpers/clock.js';
import { emulatorsClosedAfterEachTest } from './helpers/emulator.js';
import { runCli } from './helpers/run-cli.js';

const emulator = emulatorsClosedAfterEachTest();
const ACCOUNT = '123456789012';
const arn = (kind: 'user' | 'role', name: string): string => `arn:aws:iam::${ACCOUNT}:${kind}/${name}`;
const DAY = 24 * 3600_000;
/** The services the emulator tracks single actions of (as IAM does for these and more). */
const TRACKED = ['ec2', 'iam', 'lambda', 's3'];
const NOW = Date.parse('2026-12-01T00:00:00Z');
const work = mkdtempSync(join(tmpdir(), 'iam-gitops-rightsize-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const doc = (actions: string[]): Record<string, unknown> => ({ Version: '2012-10-17', Statement: [{ Sid: 'Work', Effect: 'Allow', Action: actions, Resource: '*' }] });
const trust = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }] };
const SHARED = `arn:aws:iam::${ACCOUNT}:policy/shared`;
/** An AWS managed policy (sqs and logs): never edited; a customer policy of what is used is proposed instead. */
const LAMBDA_SQS = 'arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole';

/** Who may do what, before: app and ops share the group and its policy; app and worker share a managed policy. */
const ACTIONS: Record<string, string[]> = {
  [arn('user', 'app')]: ['s3:GetObject', 's3:PutObject', 'dynamodb:GetItem', 'sqs:SendMessage', 'sns:Publish', 'lambda:InvokeFunction', 'logs:PutLogEvents', 'kinesis:PutRecord', 'athena:StartQueryExecution'],
  [arn('user', 'ops')]: ['lambda:InvokeFunction', 'logs:PutLogEvents', 'cloudwatch:GetMetricData'],
  [arn('role', 'worker')]: ['sqs:ReceiveMessage', 'ec2:DescribeInstances', 'kinesis:PutRecord', 'athena:StartQueryExecution', 'sqs:DeleteMessage', 'logs:CreateLogStream'],
};

function account(): Record<string, unknown> {
  return {
    UserDetailList: [
      { UserName: 'app', Path: '/', Arn: arn('user', 'app'), GroupList: ['team'], UserPolicyList: [{ PolicyName: 'work', PolicyDocument: doc(['s3:GetObject', 's3:PutObject', 'dynamodb:GetItem', 'sqs:SendMessage', 'sns:Publish']) }], AttachedManagedPolicies: [{ PolicyName: 'shared', PolicyArn: SHARED }] },
      { UserName: 'ops', Path: '/', Arn: arn('user', 'ops'), GroupList: ['team'], UserPolicyList: [{ PolicyName: 'watch', PolicyDocument: doc(['cloudwatch:GetMetricData']) }], AttachedManagedPolicies: [] },
    ],
    GroupDetailList: [{ GroupName: 'team', Path: '/', Arn: `arn:aws:iam::${ACCOUNT}:group/team`, GroupPolicyList: [{ PolicyName: 'team', PolicyDocument: doc(['lambda:InvokeFunction', 'logs:PutLogEvents']) }], AttachedManagedPolicies: [] }],
    RoleDetailList: [{ RoleName: 'worker', Path: '/', Arn: arn('role', 'worker'), AssumeRolePolicyDocument: trust, RolePolicyList: [{ PolicyName: 'jobs', PolicyDocument: doc(['sqs:ReceiveMessage', 'ec2:DescribeInstances']) }], AttachedManagedPolicies: [{ PolicyName: 'shared', PolicyArn: SHARED }, { PolicyName: 'AWSLambdaSQSQueueExecutionRole', PolicyArn: LAMBDA_SQS }], InstanceProfileList: [], Tags: [] }],
    Policies: [{ PolicyName: 'shared', Arn: SHARED, Path: '/', DefaultVersionId: 'v1', AttachmentCount: 2, PolicyVersionList: [{ Document: doc(['kinesis:PutRecord', 'athena:StartQueryExecution']), VersionId: 'v1', IsDefaultVersion: true }] }],
  };
}

function allowedBy(dir: string): Promise<(principal: string, action: string) => boolean> {
  return validateManifests(readManifestFolder(dir)).then((v) => {
    expect(v.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    // AWS managed policies' documents come from the catalog, as plan and apply read them.
    const access = new EffectiveAccess(completeAwsManagedPolicies(v.desired!.state, loadAwsManagedPolicies()), new Date(NOW), { isWildcardOnlyAction: () => false });
    return (principal, action) => access.decision(access.principalByArn(principal)!, action, '*') === 'Allowed';
  });
}

describe('rightsize', () => {
  it('law on random usage: used access stays, only unused access goes, shared policies keep what any holder used', async () => {
    const events = fc.array(fc.record({ who: fc.constantFrom(...Object.keys(ACTIONS)), pick: fc.nat(20), daysAgo: fc.integer({ min: 0, max: 200 }) }), { maxLength: 8 });
    const runs = fc.sample(events, { numRuns: 5, seed: 20261205 });
    for (const [run, usage] of runs.entries()) {
      const clock = virtualClock(NOW);
      const e = await emulator(account(), { clock });
      const lines = usage.map((u) => ({ principal: u.who, action: ACTIONS[u.who]![u.pick % ACTIONS[u.who]!.length]!, at: new Date(NOW - u.daysAgo * DAY).toISOString() }));
      await fetch(`${e.url}/_emulator/usage`, { method: 'POST', body: lines.map((l) => JSON.stringify(l)).join('\n') });
      const dir = join(work, `run-${run}`);
      const imported = await runCli(['import', ...e.awsArgs, '--out', dir], e.env, { clock });
      expect(imported.code, imported.stderr).toBe(0);
      const before = await allowedBy(dir);
      const result = await runCli(['rightsize', ...e.awsArgs, '--manifests', dir, '--format', 'json', '--now', new Date(NOW).toISOString()], e.env, { clock });
      expect(result.code, result.stderr).toBe(0);
      const out = JSON.parse(result.stdout) as { edits: unknown[]; left: { where: string; why: string }[]; plan?: { access: { principals: string[]; granted: unknown[]; revoked: { actions?: string[] }[] }[] } };
      const after = await allowedBy(dir);
      const recent = lines.filter((l) => NOW - Date.parse(l.at) <= 90 * DAY);
      // 1. Everything used in the window is still allowed.
      for (const l of recent) expect(after(l.principal, l.action), `${l.principal} ${l.action}`).toBe(before(l.principal, l.action));
      // 2. What the plan revokes was unused by each principal it names; nothing is granted.
      for (const item of out.plan?.access ?? []) {
        expect(item.granted).toEqual([]);
        for (const principal of item.principals) {
          const mine = recent.filter((l) => l.principal === principal);
          const usedServices = new Set(mine.map((l) => l.action.split(':')[0]));
          const usedActions = new Set(mine.map((l) => l.action.toLowerCase()));
          for (const entry of item.revoked) {
            for (const action of entry.actions ?? []) {
              const service = action.split(':')[0]!;
              // Where IAM tracks actions, an unused action of a used service may go; elsewhere only unused services.
              expect(TRACKED.includes(service) ? usedActions.has(action.toLowerCase()) : usedServices.has(service), `${principal} lost used ${action}`).toBe(false);
            }
          }
        }
      }
      // 3. Every service no holder used in the window is gone, or left with the reason said (a managed policy keeps its
      // last statement).
      for (const [principal, actions] of Object.entries(ACTIONS)) {
        for (const action of actions) {
          const service = action.split(':')[0]!;
          // Where IAM tracks actions, use is per action; elsewhere per service.
          const usedByAnyHolder = recent.some((l) => (TRACKED.includes(service) ? l.action === action : l.action.split(':')[0] === service) && holdersOf(action).includes(l.principal));
          if (!usedByAnyHolder && holdersOf(action).includes(principal) && after(principal, action)) {
            expect(out.left.some((l) => l.why.includes(service) || l.why.includes(action)), `${principal} keeps unused ${action} without a reason`).toBe(true);
          }
        }
      }
      // 5. The AWS managed policy is never edited: it stays attached, or gives way to a customer policy of what was
      // used (a new manifest), or goes when nothing of it was used.
      const worker = readFileSync(join(dir, 'roles/worker.yaml'), 'utf8');
      const proposed = join(dir, 'policies/AWSLambdaSQSQueueExecutionRole-used.yaml');
      const usedFromIt = recent.some((l) => l.principal === arn('role', 'worker') && ['sqs', 'logs'].includes(l.action.split(':')[0]!));
      if (worker.includes(LAMBDA_SQS)) expect(readdirSync(join(dir, 'policies'))).not.toContain('AWSLambdaSQSQueueExecutionRole-used.yaml');
      else if (usedFromIt) expect(readFileSync(proposed, 'utf8')).toMatch(/^kind: Policy\nname: AWSLambdaSQSQueueExecutionRole-used\n/);
      // 4. A shared policy that keeps a service for some holders only says so.
      for (const action of ['lambda:InvokeFunction', 'kinesis:PutRecord']) {
        const service = action.split(':')[0]!;
        const users = holdersOf(action).filter((p) => recent.some((l) => l.principal === p && l.action.split(':')[0] === service));
        const differs = users.length > 0 && users.length < holdersOf(action).length;
        expect(out.left.some((l) => l.why.startsWith('shared by principals whose usage differs') && l.why.includes(`${service} (used by ${users.join(', ')})`)), `${service}: ${JSON.stringify(out.left)}`).toBe(differs);
      }
      await e.close();
    }
  });

  it('law on random accounts with random usage: every action used in the window stays allowed, the plan revokes only unused access and grants nothing', async () => {
    const POOL = ['s3:GetObject', 's3:PutObject', 'dynamodb:GetItem', 'sqs:SendMessage', 'sqs:ReceiveMessage', 'sns:Publish', 'lambda:InvokeFunction', 'logs:PutLogEvents', 'kinesis:PutRecord', 'ec2:DescribeInstances', 'cloudwatch:GetMetricData'];
    const some = fc.uniqueArray(fc.constantFrom(...POOL), { minLength: 1, maxLength: 4 });
    const accountArb = fc.record({
      users: fc.array(some, { minLength: 1, maxLength: 3 }),
      roles: fc.array(some, { minLength: 1, maxLength: 2 }),
      team: some,
      members: fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }),
      shared: some,
      sharedBy: fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }),
      awsOnRoles: fc.array(fc.boolean(), { minLength: 2, maxLength: 2 }),
      usage: fc.array(fc.record({ who: fc.nat(4), pick: fc.nat(30), daysAgo: fc.integer({ min: 0, max: 200 }) }), { maxLength: 10 }),
    });
    const runs = fc.sample(accountArb, { numRuns: 4, seed: 20261206 });
    for (const [run, a] of runs.entries()) {
      const users = a.users.map((actions, i) => ({ name: `u${i}`, arn: arn('user', `u${i}`), actions }));
      const roles = a.roles.map((actions, i) => ({ name: `r${i}`, arn: arn('role', `r${i}`), actions }));
      const principals = [...users, ...roles];
      const snapshot = {
        UserDetailList: users.map((u, i) => ({ UserName: u.name, Path: '/', Arn: u.arn, GroupList: a.members[i] ? ['team'] : [], UserPolicyList: [{ PolicyName: 'own', PolicyDocument: doc(u.actions) }], AttachedManagedPolicies: a.sharedBy[i] ? [{ PolicyName: 'shared', PolicyArn: SHARED }] : [] })),
        GroupDetailList: [{ GroupName: 'team', Path: '/', Arn: `arn:aws:iam::${ACCOUNT}:group/team`, GroupPolicyList: [{ PolicyName: 'team', PolicyDocument: doc(a.team) }], AttachedManagedPolicies: [] }],
        RoleDetailList: roles.map((r, i) => ({ RoleName: r.name, Path: '/', Arn: r.arn, AssumeRolePolicyDocument: trust, RolePolicyList: [{ PolicyName: 'own', PolicyDocument: doc(r.actions) }], AttachedManagedPolicies: [...(a.sharedBy[3 + i] ? [{ PolicyName: 'shared', PolicyArn: SHARED }] : []), ...(a.awsOnRoles[i] ? [{ PolicyName: 'AWSLambdaSQSQueueExecutionRole', PolicyArn: LAMBDA_SQS }] : [])], InstanceProfileList: [], Tags: [] })),
        Policies: [{ PolicyName: 'shared', Arn: SHARED, Path: '/', DefaultVersionId: 'v1', AttachmentCount: 1, PolicyVersionList: [{ Document: doc(a.shared), VersionId: 'v1', IsDefaultVersion: true }] }],
      };
      const clock = virtualClock(NOW);
      const e = await emulator(snapshot, { clock });
      const dir = join(work, `random-${run}`);
      expect((await runCli(['import', ...e.awsArgs, '--out', dir], e.env, { clock })).code).toBe(0);
      const before = await allowedBy(dir);
      // Usage: each event an action the principal may do (else it could not have used it).
      const lines = a.usage.flatMap((u) => {
        const who = principals[u.who % principals.length]!;
        const allowed = [...POOL, 'sqs:DeleteMessage', 'logs:CreateLogStream'].filter((action) => before(who.arn, action));
        return allowed.length ? [{ principal: who.arn, action: allowed[u.pick % allowed.length]!, at: new Date(NOW - u.daysAgo * DAY).toISOString() }] : [];
      });
      await fetch(`${e.url}/_emulator/usage`, { method: 'POST', body: lines.map((l) => JSON.stringify(l)).join('\n') });
      const result = await runCli(['rightsize', ...e.awsArgs, '--manifests', dir, '--format', 'json', '--now', new Date(NOW).toISOString()], e.env, { clock });
      expect(result.code, result.stderr).toBe(0);
      const out = JSON.parse(result.stdout) as { plan?: { access: { principals: string[]; granted: unknown[]; revoked: { actions?: string[] }[] }[] } };
      const after = await allowedBy(dir);
      const recent = lines.filter((l) => NOW - Date.parse(l.at) <= 90 * DAY);
      for (const l of recent) expect(after(l.principal, l.action), `run ${run}: ${l.principal} lost used ${l.action}`).toBe(true);
      for (const item of out.plan?.access ?? []) {
        expect(item.granted).toEqual([]);
        for (const principal of item.principals) {
          const mine = recent.filter((l) => l.principal === principal);
          for (const entry of item.revoked) {
            for (const action of entry.actions ?? []) {
              const service = action.split(':')[0]!;
              const used = TRACKED.includes(service) ? mine.some((l) => l.action.toLowerCase() === action.toLowerCase()) : mine.some((l) => l.action.split(':')[0] === service);
              expect(used, `run ${run}: ${principal} lost used ${action}`).toBe(false);
            }
          }
        }
      }
      await e.close();
    }
  });

  it('writes nothing when nothing is unused, and refuses a snapshot', async () => {
    const clock = virtualClock(NOW);
    const e = await emulator(account(), { clock });
    const everything = Object.entries(ACTIONS).flatMap(([principal, actions]) => actions.map((action) => JSON.stringify({ principal, action, at: new Date(NOW - DAY).toISOString() })));
    await fetch(`${e.url}/_emulator/usage`, { method: 'POST', body: everything.join('\n') });
    const dir = join(work, 'all-used');
    await runCli(['import', ...e.awsArgs, '--out', dir], e.env, { clock });
    const snapshot = (d: string): string[] => readdirSync(d, { recursive: true }).map(String).sort().map((f) => { try { return `${f}:${readFileSync(join(d, f), 'utf8')}`; } catch { return f; } });
    const was = snapshot(dir);
    const run = await runCli(['rightsize', ...e.awsArgs, '--manifests', dir, '--now', new Date(NOW).toISOString()], e.env, { clock });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('Nothing to remove');
    expect(snapshot(dir)).toEqual(was);
    const copy = join(work, 'copy');
    cpSync(dir, copy, { recursive: true });
    const refused = await runCli(['rightsize', '--state', 'example/live-snapshot.json', '--manifests', copy]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/error: rightsize needs --aws/);
  });
});

/** Who holds an action, through which policy (the group's and the shared policy reach two principals each). */
function holdersOf(action: string): string[] {
  if (['lambda:InvokeFunction', 'logs:PutLogEvents'].includes(action)) return [arn('user', 'app'), arn('user', 'ops')];
  if (['kinesis:PutRecord', 'athena:StartQueryExecution'].includes(action)) return [arn('user', 'app'), arn('role', 'worker')];
  return Object.entries(ACTIONS).filter(([, actions]) => actions.includes(action)).map(([p]) => p);
}

describe('rightsize refuses what it cannot judge, and writes nothing then', () => {
  it('a job IAM keeps IN_PROGRESS past the deadline: a clear error naming the principal, no file changed', async () => {
    const clock = virtualClock(NOW);
    // Jobs complete only after a day: longer than rightsize waits (5 minutes of the run's clock).
    const e = await emulator(account(), { clock, consistencyDelayMs: 24 * 3600_000 });
    const dir = join(work, 'stuck');
    const imported = await runCli(['import', ...e.awsArgs, '--out', dir], e.env, { clock });
    expect(imported.code, imported.stderr).toBe(0);
    const files = (): string => readdirSync(dir, { recursive: true }).map(String).sort().map((f) => { try { return readFileSync(join(dir, f), 'utf8'); } catch { return f; } }).join('\n');
    const was = files();
    const run = await runCli(['rightsize', ...e.awsArgs, '--manifests', dir, '--now', new Date(NOW).toISOString()], e.env, { clock });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/error: IAM's last-accessed report of arn:aws:iam::123456789012:(user|role)\/\w+ was still in progress after \d+ s/);
    expect(files()).toEqual(was);
  });

  it('a principal the manifests declare that IAM does not have yet has no usage data: its policies are left, and said', async () => {
    const clock = virtualClock(NOW);
    const e = await emulator(account(), { clock });
    const dir = join(work, 'new-user');
    await runCli(['import', ...e.awsArgs, '--out', dir], e.env, { clock });
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(dir, 'users/newcomer.yaml'), 'kind: User\nname: newcomer\ninlinePolicies:\n  work:\n    Version: "2012-10-17"\n    Statement:\n      - Effect: Allow\n        Action: [sqs:SendMessage]\n        Resource: "*"\n');
    const run = await runCli(['rightsize', ...e.awsArgs, '--manifests', dir, '--format', 'json', '--now', new Date(NOW).toISOString()], e.env, { clock });
    expect(run.code, run.stderr).toBe(0);
    const out = JSON.parse(run.stdout) as { left: { where: string; why: string }[] };
    expect(out.left.find((l) => l.where.endsWith('users/newcomer.yaml: inline policy work'))?.why).toMatch(/no usage data for arn:aws:iam::123456789012:user\/newcomer/);
    expect(readFileSync(join(dir, 'users/newcomer.yaml'), 'utf8')).toContain('sqs:SendMessage');
  });
});
