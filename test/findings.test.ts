/** Findings rules on small accounts: what is reported, what a Deny, boundary, condition or resource blocks, and trust. */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { EffectiveAccess } from '../src/analyze/effective-access.js';
import { findRisks, trustRisks, type Finding } from '../src/analyze/findings.js';
import type { ActionCatalog } from '../src/catalog/action-catalog.js';
import { loadActionCatalog } from '../src/catalog/iam-data-catalog.js';
import { makePolicy } from '../src/core/policy.js';
import type { RoleState } from '../src/core/state.js';
import { parseSnapshot } from '../src/live/parse-snapshot.js';
import { runCli } from './helpers/run-cli.js';

const A = '111122223333';
const NOW = new Date('2026-11-24T12:00:00Z');
let catalog: ActionCatalog;
beforeAll(async () => {
  catalog = await loadActionCatalog();
});

type Statement = Record<string, unknown>;
const doc = (...statements: Statement[]) => ({ Version: '2012-10-17', Statement: statements });
const allow = (action: string | string[], resource: string | string[] = '*', extra: Statement = {}): Statement => ({ Effect: 'Allow', Action: action, Resource: resource, ...extra });

interface UserSpec {
  name: string;
  statements?: Statement[];
  boundary?: Statement[];
  groups?: string[];
  managed?: string[];
}

function snapshot(users: UserSpec[], roles: { name: string; trust: Statement[]; statements?: Statement[] }[] = [], groups: { name: string; statements: Statement[] }[] = [], policies: { name: string; statements: Statement[] }[] = []) {
  return {
    UserDetailList: users.map((u) => ({
      UserName: u.name, Path: '/', Arn: `arn:aws:iam::${A}:user/${u.name}`, GroupList: u.groups ?? [],
      UserPolicyList: u.statements ? [{ PolicyName: 'own', PolicyDocument: doc(...u.statements) }] : [],
      AttachedManagedPolicies: (u.managed ?? []).map((n) => ({ PolicyArn: `arn:aws:iam::${A}:policy/${n}` })),
      ...(u.boundary ? { PermissionsBoundary: { PermissionsBoundaryArn: `arn:aws:iam::${A}:policy/${u.name}-boundary` } } : {}),
    })),
    GroupDetailList: groups.map((g) => ({ GroupName: g.name, Path: '/', Arn: `arn:aws:iam::${A}:group/${g.name}`, GroupPolicyList: [{ PolicyName: 'g', PolicyDocument: doc(...g.statements) }], AttachedManagedPolicies: [] })),
    RoleDetailList: roles.map((r) => ({ RoleName: r.name, Path: '/', Arn: `arn:aws:iam::${A}:role/${r.name}`, AssumeRolePolicyDocument: doc(...r.trust), RolePolicyList: r.statements ? [{ PolicyName: 'own', PolicyDocument: doc(...r.statements) }] : [], AttachedManagedPolicies: [] })),
    Policies: [
      ...users.filter((u) => u.boundary).map((u) => ({ PolicyName: `${u.name}-boundary`, Arn: `arn:aws:iam::${A}:policy/${u.name}-boundary`, Path: '/', PolicyVersionList: [{ IsDefaultVersion: true, Document: doc(...u.boundary!) }] })),
      ...policies.map((p) => ({ PolicyName: p.name, Arn: `arn:aws:iam::${A}:policy/${p.name}`, Path: '/', PolicyVersionList: [{ IsDefaultVersion: true, Document: doc(...p.statements) }] })),
    ],
  };
}

function codesFor(snap: object, principal = 'alice'): string[] {
  const access = new EffectiveAccess(parseSnapshot('s', JSON.stringify(snap)).state, NOW, { isWildcardOnlyAction: (a) => catalog.isWildcardOnly(a) });
  // A path to administrator access is one finding with its paths: shown as `critical PRIVESC_TO_ADMIN(PATH, ...)`.
  return findRisks(access).filter((f) => f.principal.endsWith(`/${principal}`)).map((f) => `${f.severity} ${f.code}${f.paths ? `(${f.paths.map((x) => x.code).join(', ')})` : ''}`);
}

describe('escalation paths', () => {
  it('reports a principal that can write its own policy, and not when a Deny, the boundary, a condition or the resource blocks it', () => {
    const base: UserSpec = { name: 'alice', statements: [allow('iam:PutUserPolicy')] };
    expect(codesFor(snapshot([base]))).toEqual(['critical PRIVESC_TO_ADMIN(PRIVESC_POLICY_ON_SELF)']);
    expect(codesFor(snapshot([{ ...base, statements: [allow('iam:PutUserPolicy'), { Effect: 'Deny', Action: 'iam:Put*', Resource: '*' }] }]))).toEqual([]);
    expect(codesFor(snapshot([{ ...base, boundary: [allow('s3:*')] }]))).toEqual([]);
    expect(codesFor(snapshot([{ ...base, statements: [allow('iam:PutUserPolicy', '*', { Condition: { DateLessThan: { 'aws:CurrentTime': '2020-01-01T00:00:00Z' } } })] }]))).toEqual([]);
    expect(codesFor(snapshot([{ ...base, statements: [allow('iam:PutUserPolicy', `arn:aws:iam::${A}:user/bob`)] }, { name: 'bob' }]))).toEqual(['medium PERMISSIONS_OF_OTHERS']);
  });

  it('a condition the caller can meet does not block it (time is judged at now, MFA assumed)', () => {
    const conditional = allow('iam:PutUserPolicy', '*', { Condition: { DateGreaterThan: { 'aws:TokenIssueTime': '2020-01-01T00:00:01Z' }, Bool: { 'aws:MultiFactorAuthPresent': 'true' } } });
    expect(codesFor(snapshot([{ name: 'alice', statements: [conditional] }]))).toEqual(['critical PRIVESC_TO_ADMIN(PRIVESC_POLICY_ON_SELF)']);
  });

  it('CreatePolicyVersion counts only on a policy that applies to the principal, and never on AWS managed ones', () => {
    const own = snapshot([{ name: 'alice', statements: [allow('iam:CreatePolicyVersion', `arn:aws:iam::${A}:policy/team-*`)], managed: ['team-read'] }], [], [], [{ name: 'team-read', statements: [allow('s3:GetObject')] }]);
    expect(codesFor(own)).toEqual(['critical PRIVESC_TO_ADMIN(PRIVESC_CREATE_POLICY_VERSION)']);
    const awsOnly = snapshot([{ name: 'alice', statements: [allow('iam:CreatePolicyVersion', 'arn:aws:iam::aws:policy/*')], managed: ['team-read'] }], [], [], [{ name: 'team-read', statements: [allow('s3:GetObject')] }]);
    expect(codesFor(awsOnly)).toEqual([]);
  });

  it('PassRole to compute needs both the service actions and a passable role that the service trusts', () => {
    const role = { name: 'worker', trust: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }], statements: [allow('*')] };
    const user = (statements: Statement[]): UserSpec => ({ name: 'alice', statements });
    // Severity carries through: passing an administrator role is critical; a lesser role, high.
    expect(codesFor(snapshot([user([allow(['lambda:CreateFunction', 'lambda:InvokeFunction']), allow('iam:PassRole', `arn:aws:iam::${A}:role/worker`)])], [role]))).toEqual(['critical PRIVESC_TO_ADMIN(PRIVESC_PASS_ROLE_TO_COMPUTE)']);
    expect(codesFor(snapshot([user([allow(['lambda:CreateFunction', 'lambda:InvokeFunction']), allow('iam:PassRole', `arn:aws:iam::${A}:role/worker`)])], [{ ...role, statements: [allow('s3:GetObject')] }]))).toEqual(['high PRIVESC_PASS_ROLE_TO_COMPUTE']);
    expect(codesFor(snapshot([user([allow('lambda:CreateFunction'), allow('iam:PassRole', `arn:aws:iam::${A}:role/worker`)])], [role]))).toEqual([]);
    expect(codesFor(snapshot([user([allow(['lambda:CreateFunction', 'lambda:InvokeFunction']), allow('iam:PassRole', `arn:aws:iam::${A}:role/other`)])], [role]))).toEqual([]);
    const passedElsewhere = allow('iam:PassRole', '*', { Condition: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } } });
    expect(codesFor(snapshot([user([allow(['lambda:CreateFunction', 'lambda:InvokeFunction']), passedElsewhere])], [role]))).toEqual([]);
  });

  it('reaching an administrator role through a chain of trust is critical; an administrator is reported once', () => {
    const chain = snapshot(
      [{ name: 'alice', statements: [allow('sts:AssumeRole', `arn:aws:iam::${A}:role/hop`)] }, { name: 'root-user', statements: [allow('*')] }],
      [
        { name: 'hop', trust: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${A}:root` }, Action: 'sts:AssumeRole' }] },
        { name: 'admin', trust: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${A}:role/hop` }, Action: 'sts:AssumeRole' }], statements: [allow('*')] },
      ],
    );
    expect(codesFor(chain)).toEqual(['critical PRIVESC_TO_ADMIN(PRIVESC_ASSUME_STRONGER_ROLE)']);
    expect(codesFor(chain, 'hop')).toEqual(['critical PRIVESC_TO_ADMIN(PRIVESC_ASSUME_STRONGER_ROLE)']);
    expect(codesFor(chain, 'root-user')).toEqual(['critical FULL_ADMIN']);
  });
});

describe('trust', () => {
  const role = (...statements: Statement[]): RoleState => ({ kind: 'role', name: 'r', path: '/', arn: `arn:aws:iam::${A}:role/r`, trustPolicy: makePolicy(doc(...statements)), managedPolicies: [], inlinePolicies: {}, tags: {} });
  const codes = (...statements: Statement[]) => trustRisks(role(...statements), A, NOW).map((f) => `${f.severity} ${f.code}`);
  const gh = 'arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com';

  it('flags trust to anyone, and to another account without an external id', () => {
    expect(codes({ Effect: 'Allow', Principal: '*', Action: 'sts:AssumeRole' })).toEqual(['critical TRUST_ANYONE']);
    expect(codes({ Effect: 'Allow', Principal: { AWS: '444455556666' }, Action: 'sts:AssumeRole' })).toEqual(['high TRUST_EXTERNAL_ACCOUNT_WITHOUT_EXTERNAL_ID']);
    expect(codes({ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::444455556666:root' }, Action: 'sts:AssumeRole', Condition: { StringEquals: { 'sts:ExternalId': 'x1' } } })).toEqual([]);
    expect(codes({ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${A}:root` }, Action: 'sts:AssumeRole' })).toEqual([]);
    // One named role of another account: low, as long as the role is not (and cannot become) an administrator.
    expect(codes({ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::444455556666:role/deployer' }, Action: 'sts:AssumeRole' })).toEqual(['low TRUST_EXTERNAL_PRINCIPAL']);
  });

  it('flags OIDC trust without a subject, or with a wildcard one', () => {
    const oidc = (condition?: Statement): Statement => ({ Effect: 'Allow', Principal: { Federated: gh }, Action: 'sts:AssumeRoleWithWebIdentity', ...(condition ? { Condition: condition } : {}) });
    expect(codes(oidc({ StringEquals: { 'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com' } }))).toEqual(['critical TRUST_OIDC_WITHOUT_SUBJECT']);
    expect(codes(oidc({ StringLike: { 'token.actions.githubusercontent.com:sub': 'repo:acme/*' } }))).toEqual(['high TRUST_OIDC_WILDCARD_SUBJECT']);
    expect(codes(oidc({ StringLike: { 'token.actions.githubusercontent.com:sub': 'repo:acme/app:*' } }))).toEqual(['medium TRUST_OIDC_WILDCARD_SUBJECT']);
    expect(codes(oidc({ StringEquals: { 'token.actions.githubusercontent.com:sub': 'repo:acme/app:ref:refs/heads/main' } }))).toEqual([]);
  });

  it('reads conditions by what they admit: a condition any caller meets protects nothing', () => {
    const anyone = (condition?: Statement): Statement => ({ Effect: 'Allow', Principal: { AWS: '*' }, Action: 'sts:AssumeRole', ...(condition ? { Condition: condition } : {}) });
    for (const vacuous of [{ Bool: { 'aws:SecureTransport': 'true' } }, { IpAddress: { 'aws:SourceIp': ['0.0.0.0/0', '::/0'] } }, { StringLike: { 'sts:ExternalId': '*' } }, { DateGreaterThan: { 'aws:CurrentTime': '2020-01-01T00:00:00Z' } }, { 'ForAllValues:StringEquals': { 'aws:TagKeys': 'x' } }]) {
      expect(codes(anyone(vacuous)), JSON.stringify(vacuous)).toEqual(['critical TRUST_ANYONE']);
    }
    expect(codes(anyone({ StringEquals: { 'sts:ExternalId': 'k3y' } }))).toEqual(['high TRUST_ANYONE']);
    expect(codes(anyone({ StringEquals: { 'aws:PrincipalOrgID': 'o-abc123' } }))).toEqual([]);
    expect(codes(anyone({ DateLessThan: { 'aws:CurrentTime': '2020-01-01T00:00:00Z' } }))).toEqual([]);
    // Only sts:AssumeRole lets anyone in; TagSession alone does not.
    expect(codes({ Effect: 'Allow', Principal: '*', Action: 'sts:TagSession' })).toEqual([]);
    expect(codes({ Effect: 'Allow', Principal: { AWS: '444455556666' }, Action: 'sts:AssumeRole', Condition: { StringLike: { 'sts:ExternalId': '*' } } })).toEqual(['high TRUST_EXTERNAL_ACCOUNT_WITHOUT_EXTERNAL_ID']);
    expect(codes({ Effect: 'Allow', Principal: { AWS: '444455556666' }, Action: 'sts:AssumeRole', Condition: { StringEqualsIfExists: { 'sts:ExternalId': 'k3y' } } })).toEqual(['high TRUST_EXTERNAL_ACCOUNT_WITHOUT_EXTERNAL_ID']);
    const oidc = (condition: Statement): Statement => ({ Effect: 'Allow', Principal: { Federated: gh }, Action: 'sts:AssumeRoleWithWebIdentity', Condition: condition });
    expect(codes(oidc({ StringNotLike: { 'token.actions.githubusercontent.com:sub': '*:pull_request' } }))).toEqual(['critical TRUST_OIDC_WITHOUT_SUBJECT']);
    expect(codes(oidc({ StringLike: { 'token.actions.githubusercontent.com:sub': '*' } }))).toEqual(['critical TRUST_OIDC_WITHOUT_SUBJECT']);
  });

  it('flags web identity providers that are not IAM OIDC providers without an audience', () => {
    const web = (provider: string, condition?: Statement): Statement => ({ Effect: 'Allow', Principal: { Federated: provider }, Action: 'sts:AssumeRoleWithWebIdentity', ...(condition ? { Condition: condition } : {}) });
    expect(codes(web('accounts.google.com'))).toEqual(['critical TRUST_WEB_IDENTITY_WITHOUT_AUDIENCE']);
    expect(codes(web('cognito-identity.amazonaws.com', { 'ForAnyValue:StringLike': { 'cognito-identity.amazonaws.com:amr': 'authenticated' } }))).toEqual(['critical TRUST_WEB_IDENTITY_WITHOUT_AUDIENCE']);
    expect(codes(web('cognito-identity.amazonaws.com', { StringEquals: { 'cognito-identity.amazonaws.com:aud': 'us-east-1:12345678-1234-1234-1234-123456789012' } }))).toEqual([]);
    expect(codes(web('accounts.google.com', { StringLike: { 'accounts.google.com:aud': '*' } }))).toEqual(['critical TRUST_WEB_IDENTITY_WITHOUT_AUDIENCE']);
    expect(codes(web('graph.facebook.com', { StringEquals: { 'graph.facebook.com:app_id': '1234' } }))).toEqual([]);
  });
});

describe('iam-gitops audit', () => {
  const dir = mkdtempSync(join(tmpdir(), 'iam-gitops-audit-'));
  const write = (name: string, value: object): string => {
    const file = join(dir, name);
    writeFileSync(file, JSON.stringify(value));
    return file;
  };

  it('exits 2 with high or critical findings, 0 without, and prints the findings contract as JSON', async () => {
    const risky = await runCli(['audit', '--state', write('risky.json', snapshot([{ name: 'alice', statements: [allow('iam:PutUserPolicy')] }])), '--format', 'json', '--now', NOW.toISOString()]);
    expect(risky.code).toBe(2);
    const report = JSON.parse(risky.stdout);
    expect(report).toMatchObject({ formatVersion: 1, findings: [{ code: 'PRIVESC_TO_ADMIN', severity: 'critical', principal: `arn:aws:iam::${A}:user/alice`, paths: [{ code: 'PRIVESC_POLICY_ON_SELF' }] }] });
    const calm = await runCli(['audit', '--state', write('calm.json', snapshot([{ name: 'alice', statements: [allow('s3:GetObject')] }])), '--now', NOW.toISOString()]);
    expect(calm.code).toBe(0);
    expect(calm.stdout).toContain('No findings.');
  });

  it('refuses a --now that is not a date', async () => {
    const run = await runCli(['audit', '--state', 'example/live-snapshot.json', '--now', 'yesterday']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('--now "yesterday" is not a date');
  });
});

describe('findings in a plan', () => {
  it('reports a removed permissions boundary, and the escalation it lets through', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'iam-gitops-plan-findings-'));
    const state = join(dir, 'live.json');
    writeFileSync(state, JSON.stringify(snapshot([{ name: 'alice', statements: [allow('iam:PutUserPolicy')], boundary: [allow('s3:*')] }])));
    mkdirSync(join(dir, 'manifests'));
    writeFileSync(join(dir, 'manifests/all.yaml'), `kind: Account\nid: "${A}"\n---\nkind: User\nname: alice\ninlinePolicies:\n  own: { Version: "2012-10-17", Statement: [{ Effect: Allow, Action: iam:PutUserPolicy, Resource: "*" }] }\n---\nkind: Boundary\nname: alice-boundary\ndocument: { Version: "2012-10-17", Statement: [{ Effect: Allow, Action: "s3:*", Resource: "*" }] }\n`);
    const run = await runCli(['plan', '--manifests', join(dir, 'manifests'), '--state', state, '--format', 'json', '--now', NOW.toISOString()]);
    const plan = JSON.parse(run.stdout);
    expect(plan.findings.map((f: { code: string; severity: string; change: string; causes: string[] }) => `${f.change} ${f.severity} ${f.code} (${f.causes.join('; ')})`)).toEqual([
      'introduced critical PRIVESC_TO_ADMIN (update user alice)',
      'introduced medium BOUNDARY_REMOVED (update user alice)',
    ]);
  });
});

describe('severity carries through a path', () => {
  it('IAMFullAccess-like power is one "can make itself an administrator" finding that lists its ways', () => {
    const snap = snapshot([{ name: 'alice', statements: [allow('iam:*')] }, { name: 'admin', statements: [allow('*')] }], [{ name: 'ops', trust: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${A}:root` }, Action: 'sts:AssumeRole' }], statements: [allow('s3:*')] }], [{ name: 'g', statements: [allow('ec2:*')] }]);
    const access = new EffectiveAccess(parseSnapshot('s', JSON.stringify(snap)).state, NOW, { isWildcardOnlyAction: (a) => catalog.isWildcardOnly(a) });
    const alice = findRisks(access).filter((f) => f.principal.endsWith('/alice'));
    expect(alice.map((f) => `${f.severity} ${f.code}`)).toEqual(['critical PRIVESC_TO_ADMIN']);
    const ways = alice[0]!.paths!.map((p) => p.code);
    expect(ways).toEqual(expect.arrayContaining(['PRIVESC_POLICY_ON_SELF', 'PRIVESC_UPDATE_ASSUME_ROLE_POLICY', 'PRIVESC_CREATE_ACCESS_KEY', 'PRIVESC_CREATE_LOGIN_PROFILE', 'PRIVESC_UPDATE_LOGIN_PROFILE']));
    // Keys for an administrator: the way names it, not the other users.
    expect(alice[0]!.paths!.find((p) => p.code === 'PRIVESC_CREATE_ACCESS_KEY')?.targets).toEqual([`arn:aws:iam::${A}:user/admin`]);
  });

  it('a path to an administrator is critical; to a lesser principal, high', () => {
    const keys = (target: Statement[]) => codesFor(snapshot([{ name: 'alice', statements: [allow('iam:CreateAccessKey', `arn:aws:iam::${A}:user/bob`)] }, { name: 'bob', statements: target }]));
    expect(keys([allow('*')])).toEqual(['critical PRIVESC_TO_ADMIN(PRIVESC_CREATE_ACCESS_KEY)']);
    expect(keys([allow('iam:PutUserPolicy', `arn:aws:iam::${A}:user/bob`)])).toEqual(['critical PRIVESC_TO_ADMIN(PRIVESC_CREATE_ACCESS_KEY)']);
    expect(keys([allow('s3:GetObject')])).toEqual(['high PRIVESC_CREATE_ACCESS_KEY']);
    const assume = (role: Statement[]) => codesFor(snapshot([{ name: 'alice', statements: [allow('sts:AssumeRole')] }], [{ name: 'r', trust: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${A}:root` }, Action: 'sts:AssumeRole' }], statements: role }]));
    expect(assume([allow('*')])).toEqual(['critical PRIVESC_TO_ADMIN(PRIVESC_ASSUME_STRONGER_ROLE)']);
    expect(assume([allow('iam:CreateAccessKey')])).toEqual(['high PRIVESC_ASSUME_STRONGER_ROLE']);
    expect(assume([allow('s3:GetObject')])).toEqual([]);
  });

  it('joining an empty group that holds administrator access is a path to it', () => {
    const snap = (group: Statement[]) => snapshot([{ name: 'alice', statements: [allow('iam:AddUserToGroup', `arn:aws:iam::${A}:group/g`)] }], [], [{ name: 'g', statements: group }]);
    expect(codesFor(snap([allow('*')]))).toEqual(['critical PRIVESC_TO_ADMIN(PRIVESC_ADD_USER_TO_GROUP)']);
    expect(codesFor(snap([allow('s3:*')]))).toEqual(['high PRIVESC_ADD_USER_TO_GROUP']);
    // Its own boundary still bounds what it gets from the group.
    expect(codesFor(snapshot([{ name: 'alice', statements: [allow('iam:AddUserToGroup', `arn:aws:iam::${A}:group/g`)], boundary: [allow(['iam:AddUserToGroup', 's3:*'])] }], [], [{ name: 'g', statements: [allow('*')] }]))).toEqual(['high PRIVESC_ADD_USER_TO_GROUP']);
  });

  it('an accepted way is not enough: a path to administrator access is accepted as itself or in every way it lists', async () => {
    const { withAcceptedRisks } = await import('../src/analyze/findings.js');
    const f: Finding = { code: 'PRIVESC_TO_ADMIN', severity: 'critical', principal: 'p', summary: '', detail: '', paths: [{ code: 'PRIVESC_POLICY_ON_SELF', summary: '' }, { code: 'PRIVESC_CREATE_ACCESS_KEY', summary: '' }] };
    expect(withAcceptedRisks([f], [{ principal: 'p', code: 'PRIVESC_POLICY_ON_SELF', reason: 'r' }])[0]!.accepted).toBeUndefined();
    expect(withAcceptedRisks([f], [{ principal: 'p', code: 'PRIVESC_POLICY_ON_SELF', reason: 'r' }, { principal: 'p', code: 'PRIVESC_CREATE_ACCESS_KEY', reason: 's' }])[0]!.accepted).toBe('r; s');
    expect(withAcceptedRisks([f], [{ principal: 'p', code: 'PRIVESC_TO_ADMIN', reason: 'break-glass' }])[0]!.accepted).toBe('break-glass');
  });

  it('says under which condition an administrator is one', () => {
    const snap = snapshot([{ name: 'alice', statements: [allow('*', '*', { Condition: { IpAddress: { 'aws:SourceIp': '0.0.0.0/0' } } })] }]);
    const access = new EffectiveAccess(parseSnapshot('s', JSON.stringify(snap)).state, NOW, { isWildcardOnlyAction: (a) => catalog.isWildcardOnly(a) });
    expect(findRisks(access).map((f) => `${f.code}: ${f.summary}`)).toEqual(['FULL_ADMIN: is an administrator: allowed every action on every resource, only from 0.0.0.0/0']);
  });
});

describe('outsiders who may assume an administrator', () => {
  // Open hole (found by the adversarial review of issue 15): a role that is an administrator, whose trust names one
  // principal of another account (arn:aws:iam::999999999999:user/x, or a role there), has no finding at all: only
  // whole accounts (their root) without sts:ExternalId are flagged, whatever the role can do. So a pull request adding
  // its author's own account's user to break-glass's trust read "broadening" but passed --fail-on high. Severity
  // carries through (issue 15, item 6): an outsider that can assume an administrator is a way into administrator
  // access from outside the account, which the tool should report (accepting it, when meant, is acceptedRisks' job).
  it('a role that is an administrator and trusts a principal of another account is a finding of high severity or more', () => {
    const adminTrusting = (principal: string) => snapshot([], [{ name: 'admin', trust: [{ Effect: 'Allow', Principal: { AWS: principal }, Action: 'sts:AssumeRole' }], statements: [allow('*')] }]);
    for (const outsider of ['arn:aws:iam::999999999999:user/x', 'arn:aws:iam::999999999999:role/deployer']) {
      const codes = codesFor(adminTrusting(outsider), 'admin');
      expect(codes.filter((c) => c !== 'critical FULL_ADMIN').some((c) => /^(critical|high) /.test(c)), `${outsider}: ${codes.join(', ')}`).toBe(true);
    }
  });

  it('judges the outsider over every request it can make: pins lower it, a Deny or an impossible condition removes it', () => {
    const trusting = (trust: Statement[], statements: Statement[] = [allow('*')]) => codesFor(snapshot([], [{ name: 'admin', trust, statements }]), 'admin').filter((c) => c.includes('TRUST_'));
    const X = 'arn:aws:iam::999999999999:user/x';
    const assume = (principal: unknown, extra: Statement = {}): Statement => ({ Effect: 'Allow', Principal: principal, Action: 'sts:AssumeRole', ...extra });
    expect(trusting([assume({ AWS: X })])).toEqual(['high TRUST_EXTERNAL_PRINCIPAL']);
    // Conditions any caller meets protect nothing; an external id or an organization pin lowers it one step.
    expect(trusting([assume({ AWS: X }, { Condition: { Bool: { 'aws:SecureTransport': 'true' }, IpAddress: { 'aws:SourceIp': '0.0.0.0/0' } } })])).toEqual(['high TRUST_EXTERNAL_PRINCIPAL']);
    expect(trusting([assume({ AWS: X }, { Condition: { StringEquals: { 'sts:ExternalId': 'k3y' } } })])).toEqual(['medium TRUST_EXTERNAL_PRINCIPAL']);
    expect(trusting([assume({ AWS: X }, { Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-abc123' } } })])).toEqual(['medium TRUST_EXTERNAL_PRINCIPAL']);
    expect(trusting([assume({ AWS: X }), { Effect: 'Deny', Principal: { AWS: X }, Action: 'sts:AssumeRole' }])).toEqual([]);
    expect(trusting([assume({ AWS: X }, { Condition: { DateLessThan: { 'aws:CurrentTime': '2020-01-01T00:00:00Z' } } })])).toEqual([]);
    expect(trusting([{ Effect: 'Allow', Principal: { AWS: X }, Action: 'sts:TagSession' }])).toEqual([]);
    // Named by a condition under a wider Principal: the same outsider.
    expect(trusting([assume('*', { Condition: { ArnEquals: { 'aws:PrincipalArn': X } } })])).toEqual(['high TRUST_EXTERNAL_PRINCIPAL']);
    expect(trusting([assume({ AWS: '999999999999' }, { Condition: { ArnEquals: { 'aws:PrincipalArn': 'arn:aws:iam::999999999999:role/ops' } } })])).toContain('high TRUST_EXTERNAL_PRINCIPAL');
    // A role that can make itself an administrator is worth as much; a lesser one is low.
    expect(trusting([assume({ AWS: X })], [allow('iam:PutRolePolicy', `arn:aws:iam::${A}:role/admin`)])).toEqual(['high TRUST_EXTERNAL_PRINCIPAL']);
    expect(trusting([assume({ AWS: X })], [allow('s3:GetObject')])).toEqual(['low TRUST_EXTERNAL_PRINCIPAL']);
    // Not this finding: a service, the own account's principals, and AWS-owned roles.
    expect(trusting([assume(undefined, { Principal: { Service: 'ec2.amazonaws.com' } })])).toEqual([]);
    expect(trusting([assume({ AWS: `arn:aws:iam::${A}:user/someone` })])).toEqual([]);
    const awsOwned = snapshot([], [{ name: 'admin', trust: [assume({ AWS: X })], statements: [allow('*')] }]);
    awsOwned.RoleDetailList[0]!.Path = '/aws-service-role/';
    expect(codesFor(awsOwned, 'admin')).toEqual([]);
  });
});

describe('older versions of a managed policy', () => {
  // Open hole (found by the adversarial review of issue 15): get-account-authorization-details returns every version
  // of a customer managed policy (PolicyVersionList), but only the default one is kept, so a principal allowed
  // iam:SetDefaultPolicyVersion on its own policy, whose older version allows everything, is reported medium ("what
  // older versions grant is unseen") and passes --fail-on high, while one call makes it an administrator. Severity
  // carries through (issue 15, item 6): it is a path to administrator access, critical.
  it('switching its own policy to an older version that allows everything is a critical path to administrator', () => {
    const P = `arn:aws:iam::${A}:policy/shared`;
    const snap = {
      UserDetailList: [{ UserName: 'alice', Path: '/', Arn: `arn:aws:iam::${A}:user/alice`, UserPolicyList: [{ PolicyName: 'own', PolicyDocument: doc(allow('iam:SetDefaultPolicyVersion', P)) }], AttachedManagedPolicies: [{ PolicyName: 'shared', PolicyArn: P }] }],
      GroupDetailList: [],
      RoleDetailList: [],
      Policies: [{ PolicyName: 'shared', Arn: P, Path: '/', DefaultVersionId: 'v2', PolicyVersionList: [
        { VersionId: 'v2', IsDefaultVersion: true, Document: doc(allow('s3:ListAllMyBuckets')) },
        { VersionId: 'v1', IsDefaultVersion: false, Document: doc(allow('*')) },
      ] }],
    };
    expect(codesFor(snap)).toContain('critical PRIVESC_TO_ADMIN(PRIVESC_SET_DEFAULT_POLICY_VERSION)');
  });
});
