/**
 * What a principal is feeds its access (ABAC): its tags, path and name are keys of every request it makes. A plan
 * that retags or moves a principal so that a policy's condition starts to hold is an access gain, a finding when it
 * makes it an administrator, and `simulate` says the same before and after.
 */
import { describe, expect, it } from 'vitest';
import { planChanges } from '../src/app/use-cases.js';
import { simulate } from '../src/app/simulate.js';
import { manifestsFromFiles } from '../src/manifest/files-source.js';
import { snapshotReader } from './helpers/example.js';
import { parseSnapshot } from '../src/live/parse-snapshot.js';
import type { LiveReader } from '../src/live/live-state.js';

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
    const moved = (await plan({ team: 'platform', role: 'dev' })).access;
    expect(moved.map((d) => d.principals)).toEqual([[`arn:aws:iam::${A}:user/dana`]]);
    expect(moved[0]!.granted.map((e) => [e.actions, e.resources])).toEqual([[['s3:GetObject'], ['arn:aws:s3:::data/platform/*']]]);
    expect(moved[0]!.revoked.map((e) => [e.actions, e.resources])).toEqual([[['s3:GetObject'], ['arn:aws:s3:::data/payments/*']]]);
    const promoted = await plan({ team: 'payments', role: 'admin' });
    expect(promoted.access[0]!.granted.some((e) => e.resources?.includes('*'))).toBe(true);
    expect(promoted.findings.map((f) => `${f.change} ${f.code}`)).toEqual(['introduced FULL_ADMIN']);
    const unread = await plan({ team: 'payments', role: 'dev', owner: 'me' });
    expect(unread.access).toEqual([]);
    expect(unread.findings).toEqual([]);
  });

  it('a move under a path a condition reads is an access change, and simulate agrees before and after', async () => {
    const live = account({ path: '/' }, [underAdmins]);
    const plan = (await planChanges(manifests({ path: '/admins/' }, [underAdmins]), snapshotReader(live, 'live.json'), NOW)).plan!;
    const gained = plan.access.flatMap((d) => d.granted);
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

describe('the tags of the IAM users and roles a request acts on', () => {
  const role = (name: string, team?: string) => ({ RoleName: name, Path: '/', Arn: `arn:aws:iam::${A}:role/${name}`, AssumeRolePolicyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] }, RolePolicyList: [], AttachedManagedPolicies: [], Tags: team ? [{ Key: 'team', Value: team }] : [] });
  const snapshot = (statements: object[], team?: string) => ({
    UserDetailList: [{ UserName: 'dana', Path: '/', Arn: `arn:aws:iam::${A}:user/dana`, GroupList: [], UserPolicyList: [{ PolicyName: 'abac', PolicyDocument: { Version: '2012-10-17', Statement: statements } }], AttachedManagedPolicies: [] }],
    GroupDetailList: [],
    RoleDetailList: [role('worker', team)],
    Policies: [],
  });
  const manifestsOf = (statements: object[], team?: string) => manifestsFromFiles('m', 'm', new Map([
    ['m/account.yaml', ACCOUNT],
    ['m/dana.yaml', `kind: User\nname: dana\ninlinePolicies:\n  abac: ${JSON.stringify({ Version: '2012-10-17', Statement: statements })}\n`],
    ['m/worker.yaml', `kind: Role\nname: worker\ntrustPolicy: ${JSON.stringify(role('worker').AssumeRolePolicyDocument)}\n${team ? `tags:\n  team: "${team}"\n` : ''}`],
  ]));

  it('retagging a role moves it into or out of what a policy grants by resource tag', async () => {
    const passOurs = [{ Effect: 'Allow', Action: ['iam:PassRole', 'iam:GetRole'], Resource: '*', Condition: { StringEquals: { 'aws:ResourceTag/team': 'payments' } } }];
    const plan = (await planChanges(manifestsOf(passOurs, 'payments'), snapshotReader(snapshot(passOurs, 'platform'), 'live.json'), NOW)).plan!;
    const dana = plan.access.find((d) => d.principals.includes(`arn:aws:iam::${A}:user/dana`))!;
    expect(dana.granted.map((e) => [e.actions, e.resources, e.approximate ?? false])).toEqual([[['iam:GetRole', 'iam:PassRole'], [`arn:aws:iam::${A}:role/worker`], false]]);
    expect(dana.revoked).toEqual([]);
  });

  it('law: on random resource-tag conditions and retags, the plan lists exactly the IAM actions on the role whose decision flips', async () => {
    const { evaluate } = await import('../src/evaluate/engine.js');
    const { compilePolicy } = await import('../src/evaluate/compile-policy.js');
    const { loadActionCatalog } = await import('../src/catalog/iam-data-catalog.js');
    const { seededRandom } = await import('./helpers/random-account.js');
    const catalog = await loadActionCatalog();
    const random = seededRandom(Number(process.env['LAW_SEED'] ?? 20261207));
    const pick = <T,>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
    const teams = [undefined, 'payments', 'platform', 'Payments'];
    const conditions = [
      { StringEquals: { 'aws:ResourceTag/team': 'payments' } },
      { StringEqualsIgnoreCase: { 'iam:ResourceTag/team': 'payments' } },
      { StringNotEquals: { 'aws:ResourceTag/team': 'platform' } },
      { Null: { 'aws:ResourceTag/team': 'true' } },
      { StringLike: { 'aws:ResourceTag/team': 'pay*' } },
    ];
    const actions = ['iam:PassRole', 'iam:GetRole', 'iam:TagRole', 'iam:DeleteRole', 'iam:AttachRolePolicy'];
    let flips = 0;
    for (let run = 0; run < 12; run++) {
      const statements = [
        { Effect: 'Allow', Action: [pick(actions), pick(actions)], Resource: '*', Condition: pick(conditions) },
        ...(random() < 0.4 ? [{ Effect: 'Deny', Action: pick(actions), Resource: '*', Condition: pick(conditions) }] : []),
      ];
      const [from, to] = [pick(teams), pick(teams)];
      const plan = (await planChanges(manifestsOf(statements, to), snapshotReader(snapshot(statements, from), 'live.json'), NOW)).plan!;
      const dana = plan.access.find((d) => d.principals.includes(`arn:aws:iam::${A}:user/dana`));
      const listed = (entries: readonly { actions?: readonly string[]; resources?: readonly string[] }[] | undefined) => (entries ?? []).filter((e) => e.resources?.includes(`arn:aws:iam::${A}:role/worker`)).flatMap((e) => e.actions ?? []).sort();
      // The oracle: the engine on one request per action, with the role's tags and nothing else chosen.
      const policies = { identity: [compilePolicy('p', { Version: '2012-10-17', Statement: statements })] };
      const allowed = (team: string | undefined, action: string) => evaluate(policies, { principal: `arn:aws:iam::${A}:user/dana`, action, resource: `arn:aws:iam::${A}:role/worker`, context: team === undefined ? {} : { 'aws:ResourceTag/team': team, 'iam:ResourceTag/team': team } }, { isWildcardOnlyAction: (a) => catalog.isWildcardOnly(a) }).decision === 'Allowed';
      const roleActions = (catalog.actionsOf('iam') ?? []).filter((a) => a.resourceTypes?.includes('role')).map((a) => `iam:${a.name}`);
      const gained = roleActions.filter((a) => allowed(to, a) && !allowed(from, a)).sort();
      const lost = roleActions.filter((a) => allowed(from, a) && !allowed(to, a)).sort();
      expect({ run, statements, from, to, granted: listed(dana?.granted), revoked: listed(dana?.revoked) }).toEqual({ run, statements, from, to, granted: gained, revoked: lost });
      flips += gained.length + lost.length;
    }
    expect(flips).toBeGreaterThan(0);
  });
});

describe('the tags of the customer managed policies a request acts on', () => {
  // IAM authorizes iam:CreatePolicyVersion, iam:SetDefaultPolicyVersion, iam:DeletePolicy ... on a policy with
  // aws:ResourceTag/* read from the policy's tags (Service Authorization Reference, IAM: resource type "policy").
  // Live IAM read from AWS knows a policy's tags (the reader fetches those the manifests set).
  const P = `arn:aws:iam::${A}:policy/shared`;
  const rewriteDelegated = [{ Effect: 'Allow', Action: ['iam:CreatePolicyVersion', 'iam:SetDefaultPolicyVersion'], Resource: `arn:aws:iam::${A}:policy/*`, Condition: { StringEquals: { 'aws:ResourceTag/delegated': 'true' } } }];
  const liveWithPolicyTags = (tags: Record<string, string>): LiveReader => ({
    read: async () => {
      const live = parseSnapshot('live.json', JSON.stringify({
        UserDetailList: [{ UserName: 'dana', Path: '/', Arn: `arn:aws:iam::${A}:user/dana`, GroupList: [], UserPolicyList: [{ PolicyName: 'abac', PolicyDocument: { Version: '2012-10-17', Statement: rewriteDelegated } }], AttachedManagedPolicies: [{ PolicyName: 'shared', PolicyArn: P }] }],
        GroupDetailList: [],
        RoleDetailList: [],
        Policies: [{ PolicyName: 'shared', Arn: P, Path: '/', DefaultVersionId: 'v1', AttachmentCount: 1, PolicyVersionList: [{ VersionId: 'v1', IsDefaultVersion: true, Document: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:ListAllMyBuckets', Resource: '*' }] } }] }],
      }));
      const policies = new Map([...live.state.policies].map(([k, p]) => [k, { ...p, tags, unknown: [] }]));
      return { ...live, state: { ...live.state, policies } };
    },
  });
  const manifestsTagging = (tags: Record<string, string>) => manifestsFromFiles('m', 'm', new Map([
    ['m/account.yaml', ACCOUNT],
    ['m/dana.yaml', `kind: User\nname: dana\nmanagedPolicies: [shared]\ninlinePolicies:\n  abac: ${JSON.stringify({ Version: '2012-10-17', Statement: rewriteDelegated })}\n`],
    ['m/shared.yaml', `kind: Policy\nname: shared\ndocument: ${JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:ListAllMyBuckets', Resource: '*' }] })}\n${Object.keys(tags).length ? `tags:\n${Object.entries(tags).map(([k, v]) => `  ${k}: "${v}"`).join('\n')}\n` : ''}`],
  ]));

  // Found by the adversarial review of issue 15: only users' and roles' tags were compared, so tagging a managed
  // policy `delegated: "true"` let dana rewrite a policy attached to herself (an administrator, by
  // iam:CreatePolicyVersion) while the plan read "no access change"; the findings assumed any tag could hold, so the
  // live account already carried PRIVESC_TO_ADMIN and the plan introduced nothing. Where the tags are known (AWS),
  // they decide; from a snapshot (no policy tags) they stay free.
  it('retagging a managed policy moves it into what a policy grants by resource tag: an access gain', async () => {
    const plan = (await planChanges(manifestsTagging({ delegated: 'true' }), liveWithPolicyTags({}), NOW)).plan!;
    expect(plan.changes.map((c) => `${c.action} ${c.kind} ${c.name}`)).toEqual(['update policy shared']);
    const dana = plan.access.find((d) => d.principals.includes(`arn:aws:iam::${A}:user/dana`));
    expect(dana?.granted.flatMap((e) => e.actions ?? [])).toEqual(['iam:CreatePolicyVersion', 'iam:SetDefaultPolicyVersion']);
    // The finding is the change's own now: untagged, the policy was out of reach.
    expect(plan.findings.filter((f) => f.change === 'introduced').map((f) => `${f.severity} ${f.code}`)).toEqual(['critical PRIVESC_TO_ADMIN']);
    // simulate reads the policy's tags too, before and after.
    const ask = [{ line: 1, request: { principal: `arn:aws:iam::${A}:user/dana`, action: 'iam:CreatePolicyVersion', resource: P, context: {} } }];
    expect((await simulate(liveWithPolicyTags({}), undefined, ask, 'test')).results?.map((r) => r.result.decision)).toEqual(['ImplicitlyDenied']);
    expect((await simulate(liveWithPolicyTags({ delegated: 'true' }), undefined, ask, 'test')).results?.map((r) => r.result.decision)).toEqual(['Allowed']);
  });
});
