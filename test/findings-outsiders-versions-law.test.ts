/**
 * Two findings as laws on random accounts (issue 15, the attacker review's holes):
 * - TRUST_EXTERNAL_PRINCIPAL: a role has it exactly when some user or role of another account that its trust names
 *   (in a Principal, or exactly in a condition on aws:PrincipalArn) can assume it in some request; high when the role
 *   is an administrator and no sts:ExternalId or organization pin stands in the way, medium when one does, low for a
 *   lesser role. The oracle reads Principal itself and judges conditions with the condition evaluator over every
 *   request of a grid that covers every value the random conditions test (so "some request" is exhaustive here).
 * - PRIVESC_SET_DEFAULT_POLICY_VERSION: a user has a path to administrator access through it exactly when it may
 *   switch one of its own customer managed policies to another version the account holds, and audit of the account
 *   with that version as the default reports the user as an administrator (or able to make itself one).
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { EffectiveAccess } from '../src/analyze/effective-access.js';
import { findRisks, type Finding } from '../src/analyze/findings.js';
import type { ActionCatalog } from '../src/catalog/action-catalog.js';
import { loadActionCatalog } from '../src/catalog/iam-data-catalog.js';
import { compileConditions } from '../src/evaluate/conditions.js';
import { prepareContext } from '../src/evaluate/context.js';
import { compileWildcard } from '../src/core/wildcard.js';
import { parseSnapshot } from '../src/live/parse-snapshot.js';
import { seededRandom, type Random } from './helpers/random-account.js';

const SELF = '111122223333';
const NOW = new Date('2026-12-01T00:00:00Z');
const SEED = Number(process.env['LAW_SEED'] ?? 20261215);
const pickOf = <T,>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
let catalog: ActionCatalog;
beforeAll(async () => {
  catalog = await loadActionCatalog();
});
const accessOf = (snapshot: object): EffectiveAccess => new EffectiveAccess(parseSnapshot('s', JSON.stringify(snapshot)).state, NOW, { isWildcardOnlyAction: (a) => catalog.isWildcardOnly(a) });
const doc = (...statements: object[]) => ({ Version: '2012-10-17', Statement: statements });

// ---------------------------------------------------------------------------------------------------------------
// Outsiders named by a trust policy

const OUTSIDERS = ['arn:aws:iam::444455556666:role/deploy', 'arn:aws:iam::444455556666:user/ci', 'arn:aws:iam::777788889999:role/audit'];
const OWN = `arn:aws:iam::${SELF}:role/local`;
const ROLE = `arn:aws:iam::${SELF}:role/target`;

function principalElement(random: Random): unknown {
  const r = random();
  if (r < 0.1) return '*';
  if (r < 0.25) return { AWS: pickOf(random, ['444455556666', 'arn:aws:iam::777788889999:root']) };
  if (r < 0.35) return { Service: 'ec2.amazonaws.com' };
  if (r < 0.45) return { AWS: OWN };
  return { AWS: random() < 0.3 ? [pickOf(random, OUTSIDERS), pickOf(random, OUTSIDERS)] : pickOf(random, OUTSIDERS) };
}

const CONDITIONS: readonly (() => [string, string, unknown])[] = [
  () => ['StringEquals', 'sts:ExternalId', 'secret-1'],
  () => ['StringLike', 'sts:ExternalId', '*'],
  () => ['StringEquals', 'aws:PrincipalOrgID', 'o-abc'],
  () => ['Bool', 'aws:MultiFactorAuthPresent', 'true'],
  () => ['IpAddress', 'aws:SourceIp', '10.0.0.0/8'],
  () => ['IpAddress', 'aws:SourceIp', '0.0.0.0/0'],
  () => ['ArnEquals', 'aws:PrincipalArn', OUTSIDERS[0]],
  () => ['ArnLike', 'aws:PrincipalArn', 'arn:aws:iam::444455556666:role/*'],
  () => ['StringEquals', 'aws:PrincipalAccount', '777788889999'],
  () => ['DateLessThan', 'aws:CurrentTime', '2020-01-01T00:00:00Z'],
];

function trustStatement(random: Random): Record<string, unknown> {
  const s: Record<string, unknown> = { Effect: random() < 0.8 ? 'Allow' : 'Deny', Principal: principalElement(random), Action: pickOf(random, [['sts:AssumeRole'], ['sts:AssumeRole', 'sts:TagSession'], ['sts:TagSession'], ['sts:*']]) };
  if (random() < 0.6) {
    const condition: Record<string, Record<string, unknown>> = {};
    for (let i = 0; i < 1 + Math.floor(random() * 2); i++) {
      const [op, key, value] = pickOf(random, CONDITIONS)();
      // Which outsider an ArnEquals names is drawn here, from the seeded generator.
      condition[op] = { ...(condition[op] ?? {}), [key]: key === 'aws:PrincipalArn' && op === 'ArnEquals' ? pickOf(random, OUTSIDERS) : value };
    }
    s['Condition'] = condition;
  }
  return s;
}

function namesArn(element: unknown, arn: string): boolean {
  const account = arn.split(':')[4]!;
  const entries: [string, string][] = element === '*' ? [['AWS', '*']] : Object.entries(element as Record<string, unknown>).flatMap(([t, ids]) => (Array.isArray(ids) ? ids : [ids]).map((id): [string, string] => [t, String(id)]));
  return entries.some(([type, id]) => type === 'AWS' && (id === '*' || id === arn || id === account || id === `arn:aws:iam::${account}:root`));
}

/** The outsiders the trust names: in a Principal, or exactly in a condition on aws:PrincipalArn. */
function namedOutsiders(statements: readonly Record<string, unknown>[]): string[] {
  const named = new Set<string>();
  for (const s of statements) {
    for (const arn of OUTSIDERS) if (s['Principal'] !== '*' && namesArn(s['Principal'], arn) && JSON.stringify(s['Principal']).includes(arn)) named.add(arn);
    const arnEquals = (s['Condition'] as Record<string, Record<string, unknown>> | undefined)?.['ArnEquals']?.['aws:PrincipalArn'];
    if (typeof arnEquals === 'string') named.add(arnEquals);
  }
  return [...named];
}

/** Every request an outsider can make, as far as the random conditions can tell them apart. */
function* requests(arn: string): Generator<Record<string, string>> {
  for (const externalId of ['secret-1', 'guess', undefined]) {
    for (const org of ['o-abc', 'o-other', undefined]) {
      // Long-term keys carry no MFA key; a request through a VPC endpoint carries no aws:SourceIp.
      for (const mfa of ['true', 'false', undefined]) {
        for (const ip of ['10.1.2.3', '192.0.2.1', undefined]) {
          yield { 'aws:PrincipalArn': arn, 'aws:PrincipalAccount': arn.split(':')[4]!, 'aws:CurrentTime': NOW.toISOString(), ...(mfa ? { 'aws:MultiFactorAuthPresent': mfa } : {}), ...(ip ? { 'aws:SourceIp': ip } : {}), ...(externalId ? { 'sts:ExternalId': externalId } : {}), ...(org ? { 'aws:PrincipalOrgID': org } : {}) };
        }
      }
    }
  }
}

function admitted(statements: readonly Record<string, unknown>[], arn: string, context: Record<string, string>): boolean {
  const applies = (s: Record<string, unknown>): boolean => namesArn(s['Principal'], arn) && (s['Action'] as string[]).some((a) => compileWildcard(a.toLowerCase(), false)('sts:assumerole')) && compileConditions(s['Condition'], true)(prepareContext(context));
  return !statements.some((s) => s['Effect'] === 'Deny' && applies(s)) && statements.some((s) => s['Effect'] === 'Allow' && applies(s));
}

describe('TRUST_EXTERNAL_PRINCIPAL is exactly "a named principal of another account can assume the role"', () => {
  it(`on random trust policies and roles (seed ${SEED})`, () => {
    let flagged = 0;
    let clean = 0;
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), (seed) => {
        const random = seededRandom(seed);
        const statements = Array.from({ length: 1 + Math.floor(random() * 3) }, () => trustStatement(random));
        const admin = random() < 0.5;
        const snapshot = {
          UserDetailList: [], GroupDetailList: [], Policies: [],
          RoleDetailList: [
            { RoleName: 'target', Path: '/', Arn: ROLE, AssumeRolePolicyDocument: doc(...statements), RolePolicyList: [{ PolicyName: 'own', PolicyDocument: doc({ Effect: 'Allow', Action: admin ? '*' : 's3:GetObject', Resource: '*' }) }], AttachedManagedPolicies: [] },
            { RoleName: 'local', Path: '/', Arn: OWN, AssumeRolePolicyDocument: doc({ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }), RolePolicyList: [], AttachedManagedPolicies: [] },
          ],
        };
        const found = findRisks(accessOf(snapshot)).filter((f: Finding) => f.principal === ROLE && f.code === 'TRUST_EXTERNAL_PRINCIPAL');
        const named = namedOutsiders(statements);
        const can = named.filter((arn) => [...requests(arn)].some((c) => admitted(statements, arn, c)));
        // Without a pin: some request with no known external id, from outside the organization the trust names.
        const blind = can.filter((arn) => [...requests(arn)].some((c) => c['sts:ExternalId'] !== 'secret-1' && c['aws:PrincipalOrgID'] !== 'o-abc' && admitted(statements, arn, c)));
        const expected = can.length === 0 ? [] : [admin ? (blind.length ? 'high' : 'medium') : 'low'];
        expect({ statements, severity: found.map((f) => f.severity) }).toEqual({ statements, severity: expected });
        if (found[0]) expect(JSON.stringify({ statements, targets: [...found[0].targets!].sort() })).toEqual(JSON.stringify({ statements, targets: [...can].sort() }));
        if (found.length) flagged++;
        else clean++;
      }),
      { numRuns: 250, seed: SEED },
    );
    expect(flagged).toBeGreaterThan(40);
    expect(clean).toBeGreaterThan(40);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Versions of a customer managed policy

const P = (n: number) => `arn:aws:iam::${SELF}:policy/p${n}`;
const VERSION_DOCUMENTS: readonly object[] = [
  doc({ Effect: 'Allow', Action: '*', Resource: '*' }),
  doc({ Effect: 'Allow', Action: 'iam:PutUserPolicy', Resource: `arn:aws:iam::${SELF}:user/*` }),
  doc({ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }),
  doc({ Effect: 'Allow', Action: ['s3:*', 'ec2:*'], Resource: '*' }),
  doc({ Effect: 'Deny', Action: 'iam:*', Resource: '*' }),
  doc({ Effect: 'Allow', Action: 'iam:SetDefaultPolicyVersion', Resource: '*' }),
  doc({ Effect: 'Allow', Action: '*', Resource: '*', Condition: { DateLessThan: { 'aws:CurrentTime': '2020-01-01T00:00:00Z' } } }),
];
const SET_DEFAULT: readonly object[] = [
  { Effect: 'Allow', Action: 'iam:SetDefaultPolicyVersion', Resource: P(1) },
  { Effect: 'Allow', Action: 'iam:SetDefaultPolicyVersion', Resource: `arn:aws:iam::${SELF}:policy/*` },
  { Effect: 'Allow', Action: 'iam:Set*', Resource: P(2) },
  { Effect: 'Allow', Action: 'iam:SetDefaultPolicyVersion', Resource: '*', Condition: { Bool: { 'aws:MultiFactorAuthPresent': 'true' } } },
  { Effect: 'Deny', Action: 'iam:SetDefaultPolicyVersion', Resource: P(1) },
  { Effect: 'Allow', Action: 's3:ListAllMyBuckets', Resource: '*' },
];

interface RandomPolicy { name: string; versions: { id: string; document: object }[]; defaultIndex: number }

function policyDetail(p: RandomPolicy, defaultIndex = p.defaultIndex) {
  return { PolicyName: p.name, Arn: `arn:aws:iam::${SELF}:policy/${p.name}`, Path: '/', DefaultVersionId: p.versions[defaultIndex]!.id, PolicyVersionList: p.versions.map((v, i) => ({ VersionId: v.id, IsDefaultVersion: i === defaultIndex, Document: v.document, CreateDate: `2026-0${i + 1}-01T00:00:00Z` })) };
}

function randomVersionAccount(random: Random) {
  const policies: RandomPolicy[] = [1, 2].map((n) => {
    const count = 1 + Math.floor(random() * 4);
    return { name: `p${n}`, versions: Array.from({ length: count }, (_, i) => ({ id: `v${i + 1}`, document: pickOf(random, VERSION_DOCUMENTS) })), defaultIndex: Math.floor(random() * count) };
  });
  const users = ['alice', 'bob'].map((name) => {
    const attached = [1, 2].filter(() => random() < 0.6);
    const boundary = random() < 0.2 ? P(2) : undefined;
    return {
      UserName: name, Path: '/', Arn: `arn:aws:iam::${SELF}:user/${name}`, GroupList: random() < 0.3 ? ['g'] : [],
      UserPolicyList: [{ PolicyName: 'own', PolicyDocument: doc(...Array.from({ length: 1 + Math.floor(random() * 2) }, () => pickOf(random, SET_DEFAULT))) }],
      AttachedManagedPolicies: attached.map((n) => ({ PolicyName: `p${n}`, PolicyArn: P(n) })),
      ...(boundary ? { PermissionsBoundary: { PermissionsBoundaryType: 'Policy', PermissionsBoundaryArn: boundary } } : {}),
    };
  });
  const group = { GroupName: 'g', Path: '/', Arn: `arn:aws:iam::${SELF}:group/g`, GroupPolicyList: [], AttachedManagedPolicies: random() < 0.5 ? [{ PolicyName: 'p1', PolicyArn: P(1) }] : [] };
  return { policies, snapshot: (defaults: readonly number[] = policies.map((p) => p.defaultIndex)) => ({ UserDetailList: users, GroupDetailList: [group], RoleDetailList: [], Policies: policies.map((p, i) => policyDetail(p, defaults[i])) }) };
}

const isAdminFinding = (f: Finding): boolean => f.code === 'FULL_ADMIN' || f.code === 'PRIVESC_TO_ADMIN';

describe('iam:SetDefaultPolicyVersion is judged by what every version the account holds would make the principal', () => {
  it(`on random accounts with random versions (seed ${SEED})`, () => {
    let through = 0;
    let not = 0;
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), (seed) => {
        const random = seededRandom(seed);
        const account = randomVersionAccount(random);
        const access = accessOf(account.snapshot());
        const findings = findRisks(access);
        for (const user of access.state.users.values()) {
          const own = findings.filter((f) => f.principal === user.arn);
          const actual = own.some((f) => f.code === 'PRIVESC_TO_ADMIN' && f.paths?.some((p) => p.code === 'PRIVESC_SET_DEFAULT_POLICY_VERSION'));
          // The oracle: audit of the account with another version as the default, for each policy the user may
          // switch (allowed by the engine, in some request it can make) and that applies to it.
          const groups = user.groups.map((g) => access.state.groups.get(g)!);
          const applies = new Set([...user.managedPolicies, ...groups.flatMap((g) => g.managedPolicies), ...(user.permissionsBoundary ? [user.permissionsBoundary] : [])]);
          const alreadyAdmin = own.some((f) => f.code === 'FULL_ADMIN');
          const expected = !alreadyAdmin && account.policies.some((p, i) => {
            const arn = P(i + 1);
            if (!applies.has(arn) || !access.can(user, 'iam:SetDefaultPolicyVersion', arn)) return false;
            return p.versions.some((_v, j) => {
              if (j === p.defaultIndex) return false;
              const defaults = account.policies.map((q) => q.defaultIndex);
              defaults[i] = j;
              return findRisks(accessOf(account.snapshot(defaults))).some((f) => f.principal === user.arn && isAdminFinding(f));
            });
          });
          expect({ user: user.name, seed, actual }).toEqual({ user: user.name, seed, actual: expected });
          if (expected) through++;
          else not++;
        }
      }),
      { numRuns: 120, seed: SEED },
    );
    expect(through).toBeGreaterThan(20);
    expect(not).toBeGreaterThan(20);
  });
});

describe('versions in a plan', () => {
  it('a plan never churns over versions, and an updated policy keeps its old default switchable (audit after minus before)', async () => {
    const { mkdtempSync, mkdirSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { runCli } = await import('./helpers/run-cli.js');
    const dir = mkdtempSync(join(tmpdir(), 'iam-gitops-versions-'));
    const live = { UserDetailList: [{ UserName: 'alice', Path: '/', Arn: `arn:aws:iam::${SELF}:user/alice`, UserPolicyList: [{ PolicyName: 'own', PolicyDocument: doc({ Effect: 'Allow', Action: 'iam:SetDefaultPolicyVersion', Resource: P(1) }) }], AttachedManagedPolicies: [{ PolicyName: 'p1', PolicyArn: P(1) }] }], GroupDetailList: [], RoleDetailList: [], Policies: [policyDetail({ name: 'p1', versions: [{ id: 'v1', document: doc({ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }) }, { id: 'v2', document: doc({ Effect: 'Allow', Action: 's3:ListAllMyBuckets', Resource: '*' }) }], defaultIndex: 1 })] };
    writeFileSync(join(dir, 'live.json'), JSON.stringify(live));
    mkdirSync(join(dir, 'm'));
    const manifests = (action: string) => `kind: Account\nid: "${SELF}"\n---\nkind: User\nname: alice\nmanagedPolicies: [p1]\ninlinePolicies:\n  own: { Version: "2012-10-17", Statement: [{ Effect: Allow, Action: iam:SetDefaultPolicyVersion, Resource: "${P(1)}" }] }\n---\nkind: Policy\nname: p1\ndocument: { Version: "2012-10-17", Statement: [{ Effect: Allow, Action: "${action}", Resource: "*" }] }\n`;
    const plan = async (action: string) => {
      writeFileSync(join(dir, 'm/all.yaml'), manifests(action));
      const run = await runCli(['plan', '--manifests', join(dir, 'm'), '--state', join(dir, 'live.json'), '--format', 'json', '--now', NOW.toISOString()]);
      return JSON.parse(run.stdout) as { changes: unknown[]; findings: { change: string; severity: string; code: string; paths?: { code: string }[] }[] };
    };
    // The manifests say what the default version says: nothing to do, whatever other versions IAM keeps.
    expect(JSON.stringify((await plan('s3:ListAllMyBuckets')).changes)).toEqual('[]');
    // Narrowing the policy from everything: apply keeps v2 (today's default) as another version, which alice can put
    // back in force: she is no longer an administrator, but can make herself one (audit after minus before).
    live.Policies[0]!.PolicyVersionList[1]!.Document = doc({ Effect: 'Allow', Action: '*', Resource: '*' });
    writeFileSync(join(dir, 'live.json'), JSON.stringify(live));
    const narrowed = await plan('s3:GetObject');
    expect(narrowed.changes.length).toBe(1);
    expect(narrowed.findings.map((f) => `${f.change} ${f.severity} ${f.code}(${(f.paths ?? []).map((p) => p.code).join(',')})`)).toEqual(['introduced critical PRIVESC_TO_ADMIN(PRIVESC_SET_DEFAULT_POLICY_VERSION)', 'removed critical FULL_ADMIN()']);
  });
});
