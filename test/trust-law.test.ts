/**
 * The trust delta as a law, on random trust policies before and after: who may assume the role is a set of
 * (principal, request) pairs, and the delta is exactly its difference.
 * - Sound: every grant gained (lost) names a principal and an example request that the trust policy after the change
 *   admits and the one before does not (and the reverse).
 * - Complete: every sampled principal and request admitted on one side only is covered by a grant in that direction
 *   (the principal itself, its account, or "*" for AWS principals; the service or provider itself otherwise).
 * The oracle here judges a trust policy for one concrete principal and request by IAM's rules, with its own reading
 * of Principal and NotPrincipal; conditions go through the condition evaluator (itself checked against iam-simulate).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EffectiveAccess } from '../src/analyze/effective-access.js';
import { trustDeltas, type TrustGrant } from '../src/analyze/trust-delta.js';
import { compileConditions } from '../src/evaluate/conditions.js';
import { prepareContext } from '../src/evaluate/context.js';
import { compileWildcard } from '../src/core/wildcard.js';
import { parseSnapshot } from '../src/live/parse-snapshot.js';
import { seededRandom, type Random } from './helpers/random-account.js';

const SELF = '111122223333';
const NOW = new Date('2026-12-01T00:00:00Z');
const SEED = Number(process.env['LAW_SEED'] ?? 20261205);
const options = { isWildcardOnlyAction: () => false };
const ROLE = `arn:aws:iam::${SELF}:role/target`;
const pickOf = <T,>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)]!;

type Who = { type: 'AWS' | 'Service' | 'Federated'; id: string; account?: string };

const OIDC = `arn:aws:iam::${SELF}:oidc-provider/token.actions.githubusercontent.com`;
const NAMED: readonly Who[] = [
  { type: 'AWS', id: 'arn:aws:iam::444455556666:role/deploy', account: '444455556666' },
  { type: 'AWS', id: 'arn:aws:iam::444455556666:user/ci', account: '444455556666' },
  { type: 'AWS', id: 'arn:aws:iam::777788889999:role/audit', account: '777788889999' },
  { type: 'Service', id: 'ec2.amazonaws.com' },
  { type: 'Service', id: 'lambda.amazonaws.com' },
  { type: 'Federated', id: OIDC },
  { type: 'Federated', id: 'accounts.google.com' },
];
/** Principals no policy names: other members of the named accounts, and a stranger. */
const UNNAMED: readonly Who[] = [
  { type: 'AWS', id: 'arn:aws:iam::444455556666:role/other', account: '444455556666' },
  { type: 'AWS', id: 'arn:aws:iam::777788889999:user/someone', account: '777788889999' },
  { type: 'AWS', id: 'arn:aws:iam::123412341234:role/stranger', account: '123412341234' },
];

function principalElement(random: Random): unknown {
  const r = random();
  if (r < 0.08) return '*';
  if (r < 0.16) return { AWS: '*' };
  const who = pickOf(random, NAMED);
  if (who.type === 'AWS' && random() < 0.4) return { AWS: random() < 0.5 ? who.account : `arn:aws:iam::${who.account}:root` };
  return { [who.type]: random() < 0.2 ? [who.id, pickOf(random, NAMED.filter((n) => n.type === who.type)).id] : who.id };
}

const CONDITIONS: readonly (() => [string, string, unknown])[] = [
  () => ['StringEquals', 'sts:ExternalId', 'secret-1'],
  () => ['StringEquals', 'token.actions.githubusercontent.com:aud', 'sts.amazonaws.com'],
  () => ['StringLike', 'token.actions.githubusercontent.com:sub', 'repo:acme/payments:*'],
  () => ['StringEquals', 'token.actions.githubusercontent.com:sub', 'repo:acme/payments:ref:refs/heads/main'],
  () => ['StringLike', 'token.actions.githubusercontent.com:sub', 'repo:acme/*'],
  () => ['StringNotLike', 'token.actions.githubusercontent.com:sub', '*:pull_request'],
  () => ['Bool', 'aws:MultiFactorAuthPresent', 'true'],
  () => ['IpAddress', 'aws:SourceIp', '10.0.0.0/8'],
  () => ['StringEquals', 'aws:PrincipalOrgID', 'o-abc'],
  () => ['ArnLike', 'aws:PrincipalArn', 'arn:aws:iam::444455556666:role/*'],
  () => ['StringEquals', 'aws:PrincipalAccount', '777788889999'],
  () => ['StringEquals', 'aws:SourceAccount', SELF],
];

function statement(random: Random): Record<string, unknown> {
  const s: Record<string, unknown> = { Effect: random() < 0.75 ? 'Allow' : 'Deny' };
  s[random() < 0.1 ? 'NotPrincipal' : 'Principal'] = principalElement(random);
  s['Action'] = pickOf(random, [['sts:AssumeRole'], ['sts:AssumeRole', 'sts:TagSession'], ['sts:TagSession'], ['sts:AssumeRoleWithWebIdentity'], ['sts:AssumeRoleWithSAML'], ['sts:*'], ['*'], ['sts:SetSourceIdentity']]);
  if (random() < 0.6) {
    const condition: Record<string, Record<string, unknown>> = {};
    for (let i = 0; i < 1 + Math.floor(random() * 2); i++) {
      const [op, key, value] = pickOf(random, CONDITIONS)();
      condition[op] = { ...(condition[op] ?? {}), [key]: value };
    }
    s['Condition'] = condition;
  }
  return s;
}

const trustPolicy = (random: Random) => ({ Version: '2012-10-17', Statement: Array.from({ length: 1 + Math.floor(random() * 3) }, () => statement(random)) });

function access(trust: object): EffectiveAccess {
  const snapshot = { UserDetailList: [], GroupDetailList: [], Policies: [], RoleDetailList: [{ RoleName: 'target', Path: '/', Arn: ROLE, AssumeRolePolicyDocument: trust, RolePolicyList: [], AttachedManagedPolicies: [] }] };
  return new EffectiveAccess(parseSnapshot('s', JSON.stringify(snapshot)).state, NOW, options);
}

// ---------------------------------------------------------------------------------------------------------------
// The oracle: one principal, one request

function names(element: unknown, who: Who): boolean {
  const entries: [string, string][] = element === '*' ? [['AWS', '*']] : Object.entries(element as Record<string, unknown>).flatMap(([t, ids]) => (Array.isArray(ids) ? ids : [ids]).map((id): [string, string] => [t, String(id)]));
  return entries.some(([type, id]) => {
    if (type !== who.type) return false;
    if (type === 'AWS') return id === '*' || id === who.id || id === who.account || id === `arn:aws:iam::${who.account}:root`;
    return id.toLowerCase() === who.id.toLowerCase();
  });
}

function assumeAction(who: Who): string {
  if (who.type !== 'Federated') return 'sts:AssumeRole';
  return who.id.includes(':saml-provider/') ? 'sts:AssumeRoleWithSAML' : 'sts:AssumeRoleWithWebIdentity';
}

function admitted(trust: { Statement: Record<string, unknown>[] }, who: Who, context: Record<string, unknown>): boolean {
  const action = assumeAction(who).toLowerCase();
  const applies = (s: Record<string, unknown>): boolean => {
    const principal = s['Principal'] !== undefined ? names(s['Principal'], who) : !names(s['NotPrincipal'], who);
    const actions = (s['Action'] as string[]).some((a) => compileWildcard(a.toLowerCase(), false)(action));
    return principal && actions && compileConditions(s['Condition'], true)(prepareContext(context as Record<string, string>));
  };
  return !trust.Statement.some((s) => s['Effect'] === 'Deny' && applies(s)) && trust.Statement.some((s) => s['Effect'] === 'Allow' && applies(s));
}

/** A request a principal could make: identity keys its own, the rest at random. */
function sampledContext(random: Random, who: Who): Record<string, unknown> {
  const context: Record<string, unknown> = {
    'aws:CurrentTime': NOW.toISOString(),
    ...(who.type === 'AWS' ? { 'aws:PrincipalArn': who.id, 'aws:PrincipalAccount': who.account } : {}),
  };
  const maybe = (key: string, values: readonly string[]): void => {
    if (random() < 0.6) context[key] = pickOf(random, values);
  };
  maybe('sts:ExternalId', ['secret-1', 'guess']);
  maybe('token.actions.githubusercontent.com:aud', ['sts.amazonaws.com', 'other']);
  maybe('token.actions.githubusercontent.com:sub', ['repo:acme/payments:ref:refs/heads/main', 'repo:acme/payments:pull_request', 'repo:acme/web:ref:refs/heads/main', 'repo:evil/x:ref:refs/heads/main', 'repo:acme/payments:environment:prod']);
  maybe('aws:MultiFactorAuthPresent', ['true', 'false']);
  maybe('aws:SourceIp', ['10.1.2.3', '192.0.2.1']);
  maybe('aws:PrincipalOrgID', ['o-abc', 'o-other']);
  maybe('aws:SourceAccount', [SELF, '999988887777']);
  return context;
}

/** Whether a grant stands for this principal. */
function covers(grant: TrustGrant, who: Who): boolean {
  if (grant.type !== who.type) return false;
  // "*" of a service or provider: one that no policy names (only an Allow with NotPrincipal admits those).
  if (who.type !== 'AWS') return grant.principal.toLowerCase() === who.id.toLowerCase() || grant.principal === '*';
  return grant.principal === '*' || grant.principal === who.id || grant.principal === `arn:aws:iam::${who.account}:root`;
}

/** A concrete principal a grant stands for, with its example request. */
function instanceOf(grant: TrustGrant): { who: Who; context: Record<string, unknown> } {
  const example = { 'aws:CurrentTime': NOW.toISOString(), ...(grant.example ?? {}) } as Record<string, unknown>;
  if (grant.type !== 'AWS') return { who: { type: grant.type as Who['type'], id: grant.principal === '*' ? (grant.type === 'Service' ? 'iam-gitops-any.amazonaws.com' : 'iam-gitops-any-provider.example.com') : grant.principal }, context: example };
  const arn = (example['aws:PrincipalArn'] as string | undefined) ?? (grant.principal === '*' ? 'arn:aws:iam::999999999990:role/iam-gitops-anyone' : grant.principal.endsWith(':root') ? grant.principal.replace(':root', ':role/iam-gitops-other-principal') : grant.principal);
  const account = arn.split(':')[4]!;
  return { who: { type: 'AWS', id: arn, account }, context: { 'aws:PrincipalArn': arn, 'aws:PrincipalAccount': account, ...example } };
}

describe('the trust delta is the difference of who may assume the role', () => {
  it(`on random trust policies (seed ${SEED})`, () => {
    let changed = 0;
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), (seed) => {
        const random = seededRandom(seed);
        const before = trustPolicy(random);
        const after = random() < 0.3 ? { ...before, Statement: [...before.Statement.slice(0, -1), statement(random)] } : trustPolicy(random);
        const [delta] = trustDeltas(access(before), access(after), new Set([ROLE]));
        const gained = delta?.gained ?? [];
        const lost = delta?.lost ?? [];
        if (gained.length || lost.length) changed++;
        // Sound: each grant's principal and example are in the difference.
        for (const grant of gained) {
          const { who, context } = instanceOf(grant);
          expect({ grant, after: admitted(after, who, context), before: admitted(before, who, context) }).toEqual({ grant, after: true, before: false });
        }
        for (const grant of lost) {
          const { who, context } = instanceOf(grant);
          expect({ grant, before: admitted(before, who, context), after: admitted(after, who, context) }).toEqual({ grant, before: true, after: false });
        }
        // Complete: each sampled principal and request in the difference is covered.
        for (const who of [...NAMED, ...UNNAMED]) {
          for (let i = 0; i < 12; i++) {
            const context = sampledContext(random, who);
            const [was, is] = [admitted(before, who, context), admitted(after, who, context)];
            if (is && !was && !gained.some((g) => covers(g, who))) expect.fail(`not covered by a gain: ${JSON.stringify({ who, context, before, after, gained })}`);
            if (was && !is && !lost.some((g) => covers(g, who))) expect.fail(`not covered by a loss: ${JSON.stringify({ who, context, before, after, lost })}`);
          }
        }
      }),
      { numRuns: 300, seed: SEED },
    );
    expect(changed).toBeGreaterThan(100);
  });

  it('counts the Action and the Denies: TagSession alone admits nobody; removing a Deny is a gain; narrowing is a loss only', () => {
    const allow = (action: string, extra: object = {}) => ({ Effect: 'Allow', Principal: { AWS: '444455556666' }, Action: action, ...extra });
    const policy = (...statements: object[]) => ({ Version: '2012-10-17', Statement: statements });
    const delta = (before: object, after: object) => trustDeltas(access(before), access(after), new Set([ROLE]))[0];
    expect(delta(policy(allow('sts:TagSession')), policy(allow('sts:TagSession')))).toBeUndefined();
    expect(delta(policy(allow('sts:TagSession')), policy(allow('sts:AssumeRole')))?.gained.map((g) => g.principal)).toEqual(['arn:aws:iam::444455556666:root']);
    const deny = { Effect: 'Deny', Principal: { AWS: 'arn:aws:iam::444455556666:role/deploy' }, Action: 'sts:AssumeRole' };
    const withDeny = delta(policy(allow('sts:AssumeRole'), deny), policy(allow('sts:AssumeRole')));
    expect(withDeny?.gained.map((g) => g.principal)).toEqual(['arn:aws:iam::444455556666:role/deploy']);
    expect(withDeny?.lost).toEqual([]);
    const pinned = delta(policy(allow('sts:AssumeRole')), policy(allow('sts:AssumeRole', { Condition: { StringEquals: { 'sts:ExternalId': 'secret-1' } } })));
    expect(pinned?.gained).toEqual([]);
    expect(pinned?.lost.map((g) => [g.principal, g.overlap])).toEqual([['arn:aws:iam::444455556666:root', { StringEquals: { 'sts:ExternalId': 'secret-1' } }]]);
  });
});
