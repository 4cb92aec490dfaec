/**
 * What a principal is feeds its access (ABAC): its tags, path and name are keys of every request it makes. A plan
 * that retags or moves a principal so that a policy's condition starts to hold is an access gain, a finding when it
 * makes it an administrator, and `simulate` says the same before and after.
 */
import { describe, expect, it } from 'vitest';
import type { AccessDelta } from '../src/analyze/access-delta.js';
import type { PlanFinding } from '../src/analyze/plan-findings.js';
import { planChanges } from '../src/app/use-cases.js';
import { simulate } from '../src/app/simulate.js';
import { manifestsFromFiles } from '../src/manifest/files-source.js';
import { snapshotReader } from './helpers/example.js';

const A = '111122223333';
const NOW = new Date('2026-12-01T00:00:00Z');
const ACCOUNT = `kind: Account\nid: "${A}"\n`;

/** A live account with one user, and manifests that say the same user with other tags or another path. */
function account(user: { path?: string; tags?: Record<string, string> }, policies: object[]) {
  const path = user.path ?? '/';
  return {
    UserDetailList: [{ UserName: 'dana', Path: path, Arn: `arn:aws:iam::${A}:user${path}dana`, GroupList: ['staff'], UserPolicyList: [], AttachedManagedPolicies: [], Tags: Object.entries(user.tags ?? {}).map(([Key, Value]) => ({ Key, Value })) }],
    GroupDetailList: [{ GroupName: 'staff', Path: '/', Arn: `arn:aws:iam::${A}:group/staff`, GroupPolicyList: [{ PolicyName: 'abac', PolicyDocument: { Version: '2012-10-17', Statement: policies } }], AttachedManagedPolicies: [] }],
    RoleDetailList: [],
    Policies: [],
  };
}

function manifests(user: { path?: string; tags?: Record<string, string> }, policies: object[]) {
  const userYaml = `kind: User\nname: dana\npath: ${user.path ?? '/'}\ngroups: [staff]\n${user.tags ? `tags:\n${Object.entries(user.tags).map(([k, v]) => `  ${k}: "${v}"`).join('\n')}\n` : ''}`;
  const groupYaml = `kind: Group\nname: staff\ninlinePolicies:\n  abac: ${JSON.stringify({ Version: '2012-10-17', Statement: policies })}\n`;
  return manifestsFromFiles('m', 'm', new Map([['m/account.yaml', ACCOUNT], ['m/dana.yaml', userYaml], ['m/staff.yaml', groupYaml]]));
}

const bucketOfTeam = { Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::data/${aws:PrincipalTag/team}/*' };
const adminsOnly = { Effect: 'Allow', Action: '*', Resource: '*', Condition: { StringEquals: { 'aws:PrincipalTag/role': 'admin' } } };
const underAdmins = { Effect: 'Allow', Action: 'iam:*', Resource: '*', Condition: { ArnLike: { 'aws:PrincipalArn': `arn:aws:iam::${A}:user/admins/*` } } };

describe('a principal\'s own tags and path feed its conditions', () => {
  it('a tag that a condition reads, changed, is an access change; one it does not read is none', async () => {
    const live = account({ tags: { team: 'payments', role: 'dev' } }, [bucketOfTeam, adminsOnly]);
    const plan = async (tags: Record<string, string>) => (await planChanges(manifests({ tags }, [bucketOfTeam, adminsOnly]), snapshotReader(live, 'live.json'), NOW)).plan!;
    const moved = (await plan({ team: 'platform', role: 'dev' })).access as AccessDelta[];
    expect(moved.map((d) => d.principals)).toEqual([[`arn:aws:iam::${A}:user/dana`]]);
    expect(moved[0]!.granted.map((e) => [e.actions, e.resources])).toEqual([[['s3:GetObject'], ['arn:aws:s3:::data/platform/*']]]);
    expect(moved[0]!.revoked.map((e) => [e.actions, e.resources])).toEqual([[['s3:GetObject'], ['arn:aws:s3:::data/payments/*']]]);
    const promoted = await plan({ team: 'payments', role: 'admin' });
    expect((promoted.access as AccessDelta[])[0]!.granted.some((e) => e.resources?.includes('*'))).toBe(true);
    expect((promoted.findings as PlanFinding[]).map((f) => `${f.change} ${f.code}`)).toEqual(['introduced FULL_ADMIN']);
    const unread = await plan({ team: 'payments', role: 'dev', owner: 'me' });
    expect(unread.access).toEqual([]);
    expect(unread.findings).toEqual([]);
  });

  it('a move under a path a condition reads is an access change, and simulate agrees before and after', async () => {
    const live = account({ path: '/' }, [underAdmins]);
    const plan = (await planChanges(manifests({ path: '/admins/' }, [underAdmins]), snapshotReader(live, 'live.json'), NOW)).plan!;
    const gained = (plan.access as AccessDelta[]).flatMap((d) => d.granted);
    expect(gained.length).toBeGreaterThan(0);
    expect(gained.every((e) => e.condition === undefined)).toBe(true);
    const request = (arn: string) => [{ line: 1, request: { principal: arn, action: 'iam:CreateUser', resource: `arn:aws:iam::${A}:user/new`, context: {} } }];
    const before = await simulate(snapshotReader(live, 'live.json'), undefined, request(`arn:aws:iam::${A}:user/dana`), 'requests.jsonl');
    const after = await simulate(snapshotReader(live, 'live.json'), manifests({ path: '/admins/' }, [underAdmins]), request(`arn:aws:iam::${A}:user/admins/dana`), 'requests.jsonl');
    expect([before.results?.[0]?.result.decision, after.results?.[0]?.result.decision]).toEqual(['ImplicitlyDenied', 'Allowed']);
  });

  it('simulate reads the tags of an IAM user or role a request acts on (aws:ResourceTag)', async () => {
    const live = {
      UserDetailList: [{ UserName: 'dana', Path: '/', Arn: `arn:aws:iam::${A}:user/dana`, UserPolicyList: [{ PolicyName: 'p', PolicyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iam:PassRole', Resource: '*', Condition: { StringEquals: { 'aws:ResourceTag/team': 'payments' } } }] } }] }],
      GroupDetailList: [],
      RoleDetailList: ['ours', 'theirs'].map((name) => ({ RoleName: name, Path: '/', Arn: `arn:aws:iam::${A}:role/${name}`, AssumeRolePolicyDocument: { Version: '2012-10-17', Statement: [] }, Tags: [{ Key: 'team', Value: name === 'ours' ? 'payments' : 'platform' }] })),
      Policies: [],
    };
    const requests = ['ours', 'theirs'].map((name, i) => ({ line: i + 1, request: { principal: `arn:aws:iam::${A}:user/dana`, action: 'iam:PassRole', resource: `arn:aws:iam::${A}:role/${name}`, context: {} } }));
    const outcome = await simulate(snapshotReader(live, 'live.json'), undefined, requests, 'requests.jsonl');
    expect(outcome.results?.map((r) => r.result.decision)).toEqual(['Allowed', 'ImplicitlyDenied']);
  });
});
