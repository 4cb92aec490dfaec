/** Trust deltas: who gains or loses the ability to assume a role, named outsiders and the account's own principals. */
import { describe, expect, it } from 'vitest';
import { EffectiveAccess } from '../src/analyze/effective-access.js';
import { trustDeltas } from '../src/analyze/trust-delta.js';
import { parseSnapshot } from '../src/live/parse-snapshot.js';

const A = '111122223333';
const NOW = new Date('2026-11-24T12:00:00Z');
const options = { isWildcardOnlyAction: () => false };
const trust = (...statements: object[]) => ({ Version: '2012-10-17', Statement: statements });
const role = (name: string, trustPolicy: object, statements: object[] = []) => ({ RoleName: name, Path: '/', Arn: `arn:aws:iam::${A}:role/${name}`, AssumeRolePolicyDocument: trustPolicy, RolePolicyList: statements.length ? [{ PolicyName: 'p', PolicyDocument: trust(...statements) }] : [], AttachedManagedPolicies: [] });
const user = (name: string, statements: object[]) => ({ UserName: name, Path: '/', Arn: `arn:aws:iam::${A}:user/${name}`, UserPolicyList: statements.length ? [{ PolicyName: 'p', PolicyDocument: trust(...statements) }] : [] });
const access = (users: object[], roles: object[]) => new EffectiveAccess(parseSnapshot('s', JSON.stringify({ UserDetailList: users, GroupDetailList: [], RoleDetailList: roles, Policies: [] })).state, NOW, options);

describe('trust deltas', () => {
  it('reports named outsiders gained and lost, with their conditions', () => {
    const before = access([], [role('deploy', trust({ Effect: 'Allow', Principal: { AWS: '444455556666' }, Action: 'sts:AssumeRole' }))]);
    const after = access([], [role('deploy', trust({ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::777788889999:root' }, Action: 'sts:AssumeRole', Condition: { StringEquals: { 'sts:ExternalId': 'x' } } }))]);
    expect(trustDeltas(before, after, new Set([`arn:aws:iam::${A}:role/deploy`]))).toEqual([{
      role: `arn:aws:iam::${A}:role/deploy`,
      gained: [{ type: 'AWS', principal: 'arn:aws:iam::777788889999:root', condition: { StringEquals: { 'sts:ExternalId': 'x' } }, example: { 'sts:ExternalId': 'x' } }],
      lost: [{ type: 'AWS', principal: 'arn:aws:iam::444455556666:root' }],
      roleFindings: [],
    }]);
  });

  it("judges the account's own principals effectively, through chains", () => {
    const hop = role('hop', trust({ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${A}:root` }, Action: 'sts:AssumeRole' }));
    const admin = role('admin', trust({ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${A}:role/hop` }, Action: 'sts:AssumeRole' }), [{ Effect: 'Allow', Action: '*', Resource: '*' }]);
    // Trust names the account: alice needs sts:AssumeRole in her own policy, which the change gives her.
    const before = access([user('alice', [])], [hop, admin]);
    const after = access([user('alice', [{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: `arn:aws:iam::${A}:role/hop` }])], [hop, admin]);
    const deltas = trustDeltas(before, after, new Set([`arn:aws:iam::${A}:user/alice`]));
    expect(deltas).toEqual([
      { role: `arn:aws:iam::${A}:role/admin`, gained: [{ type: 'user', principal: `arn:aws:iam::${A}:user/alice`, via: [`arn:aws:iam::${A}:role/hop`] }], lost: [], roleFindings: [{ code: 'FULL_ADMIN', severity: 'critical', summary: 'is an administrator: allowed every action on every resource' }] },
      { role: `arn:aws:iam::${A}:role/hop`, gained: [{ type: 'user', principal: `arn:aws:iam::${A}:user/alice` }], lost: [], roleFindings: [{ code: 'PRIVESC_TO_ADMIN', severity: 'critical', summary: 'can make itself an administrator: can assume role admin, which is an administrator' }] },
    ]);
  });

  it('evaluates a trust policy in its own version: no variables in 2008-10-17', () => {
    const trusting = (version: string) => ({ ...role('r', { Version: version, Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${A}:user/alice` }, Action: 'sts:AssumeRole', Condition: { StringEquals: { 'aws:username': '${aws:username}' } } }] }) });
    for (const [version, expected] of [['2012-10-17', true], ['2008-10-17', false]] as const) {
      const acc = access([user('alice', [])], [trusting(version)]);
      expect(acc.canAssume(acc.principals().find((p) => p.kind === 'user')!, acc.lists.roles[0]!), version).toBe(expected);
    }
  });
});

describe('a trust policy that admits every AWS principal ("*")', () => {
  // Found by the adversarial review of issue 15: `Principal: {AWS: "*"}` narrowed to the own account by a condition
  // (aws:PrincipalAccount, aws:PrincipalArn, aws:PrincipalOrgID) read as "the account" to the engine, which then
  // asked the caller's own policies for sts:AssumeRole. For iam-simulate (and, as we read IAM, AWS) a wildcard
  // principal matches the caller itself, as naming its ARN does: every user and role of the account may assume the
  // role with no permission of its own. So turning break-glass's `AWS: ACCOUNT` into `AWS: "*"` + aws:PrincipalAccount
  // let every principal of the account assume an administrator, with no finding (--fail-on high passed).
  it("admits the account's own principals as naming them does: no sts:AssumeRole of their own needed (iam-simulate agrees)", async () => {
    const { runSimulation } = await import('@cloud-copilot/iam-simulate');
    const everyoneHere = trust({ Effect: 'Allow', Principal: { AWS: '*' }, Action: 'sts:AssumeRole', Condition: { StringEquals: { 'aws:PrincipalAccount': A } } });
    const oracle = (await runSimulation({
      request: { principal: `arn:aws:iam::${A}:user/alice`, action: 'sts:AssumeRole', resource: { resource: `arn:aws:iam::${A}:role/admin`, accountId: A }, contextVariables: { 'aws:PrincipalAccount': A } },
      identityPolicies: [], serviceControlPolicies: [], resourceControlPolicies: [], resourcePolicy: everyoneHere,
    }, {})) as { overallResult?: string };
    expect(oracle.overallResult).toBe('Allowed');
    const adminPolicy = [{ Effect: 'Allow', Action: '*', Resource: '*' }];
    const before = access([user('alice', [])], [role('admin', trust({ Effect: 'Allow', Principal: { AWS: A }, Action: 'sts:AssumeRole' }), adminPolicy)]);
    const after = access([user('alice', [])], [role('admin', everyoneHere, adminPolicy)]);
    const deltas = trustDeltas(before, after, new Set([`arn:aws:iam::${A}:role/admin`]));
    expect(deltas.flatMap((d) => d.gained.map((g) => `${g.type} ${g.principal}`))).toContain(`user arn:aws:iam::${A}:user/alice`);
  });
});
