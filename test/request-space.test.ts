/**
 * The search over request contexts (src/evaluate/request-space.ts), as a law: for random Allow and Deny statements
 * with random conditions over every operator family, the engine allows some request a caller can make exactly when
 * `evaluateInSomeContext` says Allowed. The caller's requests are sampled by a generator of its own (values around
 * and between the policies' values, random strings, lists, absent keys), so the search is checked by other means than
 * its own candidates. A found context is always one the caller can present (time from now on, fixed keys kept).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compilePolicy } from '../src/evaluate/compile-policy.js';
import { evaluate, evaluateInSomeContext, type PrincipalPolicies } from '../src/evaluate/engine.js';
import { defaultContext, isPrincipalKey, type RequestSpace } from '../src/evaluate/request-space.js';
import type { RequestContext } from '../src/evaluate/types.js';
import { seededRandom, type Random } from './helpers/random-account.js';

const NOW = new Date('2026-12-01T00:00:00Z');
const options = { isWildcardOnlyAction: () => false };
const SEED = Number(process.env['LAW_SEED'] ?? 20261204);

type Key = { name: string; type: 'string' | 'ip' | 'date' | 'number' | 'bool' | 'multi' | 'arn' };
const KEYS: readonly Key[] = [
  { name: 'aws:SourceIp', type: 'ip' },
  { name: 'aws:CurrentTime', type: 'date' },
  { name: 'aws:TokenIssueTime', type: 'date' },
  { name: 'aws:MultiFactorAuthPresent', type: 'bool' },
  { name: 'aws:ViaAWSService', type: 'bool' },
  { name: 'aws:RequestedRegion', type: 'string' },
  { name: 'aws:UserAgent', type: 'string' },
  { name: 's3:prefix', type: 'string' },
  { name: 's3:max-keys', type: 'number' },
  { name: 'aws:MultiFactorAuthAge', type: 'number' },
  { name: 'aws:TagKeys', type: 'multi' },
  { name: 'aws:SourceArn', type: 'arn' },
  { name: 'aws:PrincipalTag/team', type: 'string' },
];

const OPERATORS: Record<Key['type'], readonly string[]> = {
  string: ['StringEquals', 'StringNotEquals', 'StringEqualsIgnoreCase', 'StringNotEqualsIgnoreCase', 'StringLike', 'StringNotLike', 'StringEqualsIfExists', 'StringNotLikeIfExists', 'Null'],
  ip: ['IpAddress', 'NotIpAddress', 'Null'],
  date: ['DateEquals', 'DateNotEquals', 'DateLessThan', 'DateLessThanEquals', 'DateGreaterThan', 'DateGreaterThanEquals', 'DateGreaterThanIfExists', 'Null'],
  number: ['NumericEquals', 'NumericNotEquals', 'NumericLessThan', 'NumericLessThanEquals', 'NumericGreaterThan', 'NumericGreaterThanEquals'],
  bool: ['Bool', 'BoolIfExists', 'Null'],
  multi: ['ForAnyValue:StringEquals', 'ForAllValues:StringEquals', 'ForAnyValue:StringLike', 'ForAllValues:StringNotEquals', 'ForAnyValue:StringNotLike', 'Null'],
  arn: ['ArnLike', 'ArnNotLike', 'ArnEquals', 'ArnNotEquals', 'Null'],
};

const WORDS = ['a', 'ab', 'b', 'home/', 'x', 'eu-west-1', 'us-east-1', 'team', 'env'];
const pickOf = <T,>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)]!;

function policyValue(random: Random, key: Key): string {
  switch (key.type) {
    case 'ip': {
      const octets = [10, Math.floor(random() * 4), Math.floor(random() * 4), Math.floor(random() * 256)];
      return random() < 0.15 ? '2001:db8::/32' : `${octets.join('.')}/${pickOf(random, [8, 16, 24, 30, 32, 0])}`;
    }
    case 'date':
      return new Date(NOW.getTime() + Math.floor((random() - 0.5) * 8) * 86_400_000).toISOString();
    case 'number':
      return String(Math.floor(random() * 6) + (random() < 0.2 ? 0.5 : 0));
    case 'bool':
      return random() < 0.5 ? 'true' : 'false';
    case 'arn':
      return pickOf(random, ['arn:aws:sqs:*:111122223333:*', 'arn:aws:sns:us-east-1:111122223333:alpha', 'arn:aws:s3:::prod-*', 'arn:aws:sqs:eu-west-1:*:q?']);
    default: {
      const text = Array.from({ length: 1 + Math.floor(random() * 2) }, () => pickOf(random, WORDS)).join('');
      return random() < 0.3 ? `${text}*` : random() < 0.15 ? `*${text}` : random() < 0.1 ? `${text}?` : text;
    }
  }
}

function randomCondition(random: Random): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  const n = 1 + Math.floor(random() * 3);
  let key = pickOf(random, KEYS);
  for (let i = 0; i < n; i++) {
    // Often several operators on one key: their bounds meet (greater than 1 and less than 2; a* and *b).
    if (random() < 0.4) key = pickOf(random, KEYS);
    const operator = pickOf(random, OPERATORS[key.type]);
    const values = operator === 'Null' ? [random() < 0.5 ? 'true' : 'false'] : Array.from({ length: 1 + Math.floor(random() * 2) }, () => policyValue(random, key));
    out[operator] = { ...(out[operator] ?? {}), [key.name]: values.length === 1 ? values[0] : values };
  }
  return out;
}

function randomPolicies(random: Random): { policies: PrincipalPolicies; statements: object[] } {
  const statements = Array.from({ length: 1 + Math.floor(random() * 4) }, () => ({
    Effect: random() < 0.6 ? 'Allow' : 'Deny',
    Action: 's3:ListBucket',
    Resource: '*',
    ...(random() < 0.85 ? { Condition: randomCondition(random) } : {}),
  }));
  const boundary = random() < 0.2 ? [{ Effect: 'Allow', Action: 's3:*', Resource: '*', Condition: randomCondition(random) }] : undefined;
  return {
    statements: [...statements, ...(boundary ?? [])],
    policies: { identity: [compilePolicy('p', { Version: '2012-10-17', Statement: statements })], ...(boundary ? { boundary: compilePolicy('b', { Version: '2012-10-17', Statement: boundary }) } : {}) },
  };
}

/** A request the caller could make: each key absent, near a policy value, or anything; time from now on. */
function sampledContext(random: Random, statements: readonly object[], fixed: RequestContext): Record<string, string | string[]> {
  const named = JSON.stringify(statements);
  const context: Record<string, string | string[]> = { ...defaultContext(space(fixed)) } as Record<string, string | string[]>;
  for (const key of KEYS) {
    if (isPrincipalKey(key.name)) continue;
    const r = random();
    if (r < 0.15 && !['aws:CurrentTime', 'aws:RequestedRegion', 'aws:UserAgent', 'aws:ViaAWSService'].includes(key.name)) {
      delete context[key.name];
      continue;
    }
    const near = [...named.matchAll(/"([^"]*)"/g)].map((m) => m[1]!);
    switch (key.type) {
      case 'ip': {
        const base = pickOf(random, near.filter((v) => /^\d+\.\d+\.\d+\.\d+/.test(v)).concat(['10.0.0.0', '198.51.100.1']));
        const [a, b, c, d] = base.split('/')[0]!.split('.').map(Number) as [number, number, number, number];
        context[key.name] = random() < 0.1 ? '2001:db8::5' : [a, b, c, Math.max(0, Math.min(255, d + Math.floor((random() - 0.5) * 6)))].join('.');
        break;
      }
      case 'date': {
        const dates = near.map((v) => Date.parse(v)).filter((t) => !Number.isNaN(t));
        const centre = dates.length && random() < 0.7 ? pickOf(random, dates) : NOW.getTime();
        let t = centre + Math.floor((random() - 0.5) * 4) * 1000 * (random() < 0.5 ? 1 : 86_400);
        if (key.name === 'aws:CurrentTime') t = Math.max(t, NOW.getTime());
        if (key.name === 'aws:TokenIssueTime') t = Math.max(t, NOW.getTime() - 36 * 3600 * 1000);
        context[key.name] = new Date(t).toISOString();
        break;
      }
      case 'number':
        context[key.name] = String(Math.floor(random() * 8) - 1 + (random() < 0.3 ? 0.25 : 0));
        break;
      case 'bool':
        context[key.name] = random() < 0.45 ? 'true' : random() < 0.9 ? 'false' : 'yes';
        break;
      case 'multi':
        context[key.name] = Array.from({ length: Math.floor(random() * 3) }, () => pickOf(random, WORDS));
        break;
      case 'arn':
        context[key.name] = pickOf(random, ['arn:aws:sqs:eu-west-1:111122223333:q1', 'arn:aws:sns:us-east-1:111122223333:alpha', 'arn:aws:s3:::prod-x', 'arn:aws:sqs:us-east-1:999999999999:qq', 'not-an-arn']);
        break;
      default: {
        const word = near.length && random() < 0.6 ? pickOf(random, near).replace(/\*/g, pickOf(random, ['', 'x', 'ab'])).replace(/\?/g, 'q') : pickOf(random, WORDS);
        context[key.name] = random() < 0.2 ? word.toUpperCase() : random() < 0.2 ? `${word}${pickOf(random, WORDS)}` : word;
      }
    }
  }
  return context;
}

function space(fixed: RequestContext): RequestSpace {
  return { fixed, isFixed: (key) => isPrincipalKey(key), notBefore: NOW };
}

describe('a search over the requests a caller can make', () => {
  it(`finds an allowed request whenever one exists, and only one the caller can make (seed ${SEED})`, () => {
    let allowedByBoth = 0;
    let deniedByBoth = 0;
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), (seed) => {
        const random = seededRandom(seed);
        const { policies, statements } = randomPolicies(random);
        const fixed = { 'aws:PrincipalArn': 'arn:aws:iam::111122223333:user/alice', ...(random() < 0.5 ? { 'aws:PrincipalTag/team': pickOf(random, WORDS) } : {}) };
        const request = { principal: 'arn:aws:iam::111122223333:user/alice', action: 's3:ListBucket', resource: 'arn:aws:s3:::b' };
        const found = evaluateInSomeContext(policies, request, space(fixed), options);
        let sampledAllowed: RequestContext | undefined;
        for (let i = 0; i < 400 && !sampledAllowed; i++) {
          const context = sampledContext(random, statements, fixed);
          if (evaluate(policies, { ...request, context }, options).decision === 'Allowed') sampledAllowed = context;
        }
        if (found.decision === 'Allowed') {
          // What the search found is a request the engine allows, made now or later, with the principal's own keys.
          expect(evaluate(policies, { ...request, context: found.context }, options).decision).toBe('Allowed');
          expect(Date.parse(String(found.context['aws:CurrentTime']))).toBeGreaterThanOrEqual(NOW.getTime());
          for (const [k, v] of Object.entries(fixed)) expect(found.context[k]).toBe(v);
          if (!fixed['aws:PrincipalTag/team']) expect(Object.keys(found.context).some((k) => k.toLowerCase() === 'aws:principaltag/team')).toBe(false);
          if (sampledAllowed) allowedByBoth++;
        } else {
          expect({ statements, sampledAllowed }).toEqual({ statements, sampledAllowed: undefined });
          deniedByBoth++;
        }
      }),
      { numRuns: 400, seed: SEED },
    );
    // Both outcomes were exercised.
    expect(allowedByBoth).toBeGreaterThan(40);
    expect(deniedByBoth).toBeGreaterThan(40);
  });

  it('reads grants behind conditions any caller meets as grants, and never one that cannot hold from now on', () => {
    const allowAll = (condition: object, extra: object[] = []): PrincipalPolicies => ({ identity: [compilePolicy('p', { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*', Condition: condition }, ...extra] })] });
    const decide = (policies: PrincipalPolicies) => evaluateInSomeContext(policies, { principal: 'arn:aws:iam::111122223333:user/alice', action: 'iam:CreateUser', resource: '*' }, space({}), options).decision;
    expect(decide(allowAll({ IpAddress: { 'aws:SourceIp': '0.0.0.0/0' } }))).toBe('Allowed');
    expect(decide(allowAll({ Bool: { 'aws:ViaAWSService': 'false' } }))).toBe('Allowed');
    expect(decide(allowAll({ Null: { 'aws:UserAgent': 'false' } }))).toBe('Allowed');
    expect(decide(allowAll({ DateGreaterThan: { 'aws:CurrentTime': '2020-01-01T00:00:00Z' } }))).toBe('Allowed');
    expect(decide(allowAll({ DateGreaterThan: { 'aws:CurrentTime': '2031-01-01T00:00:00Z' } }))).toBe('Allowed');
    expect(decide(allowAll({ DateLessThan: { 'aws:CurrentTime': '2020-01-01T00:00:00Z' } }))).toBe('ImplicitlyDenied');
    expect(decide(allowAll({ DateLessThan: { 'aws:TokenIssueTime': '2020-01-01T00:00:00Z' } }))).toBe('ImplicitlyDenied');
    // A Deny that applies only with MFA is escaped by calling without it.
    expect(decide(allowAll({}, [{ Effect: 'Deny', Action: '*', Resource: '*', Condition: { Bool: { 'aws:MultiFactorAuthPresent': 'true' } } }]))).toBe('Allowed');
    // A Deny without MFA (or when unknown) is escaped with MFA; one on both sides of a key is not.
    expect(decide(allowAll({}, [{ Effect: 'Deny', Action: '*', Resource: '*', Condition: { BoolIfExists: { 'aws:MultiFactorAuthPresent': 'false' } } }]))).toBe('Allowed');
    expect(decide(allowAll({}, [{ Effect: 'Deny', Action: '*', Resource: '*', Condition: { NotIpAddress: { 'aws:SourceIp': '10.0.0.0/8' } } }, { Effect: 'Deny', Action: '*', Resource: '*', Condition: { IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } } }]))).toBe('ExplicitlyDenied');
  });

  it('finds values between bounds and values two patterns both admit', () => {
    const policies = (...statements: object[]): PrincipalPolicies => ({ identity: [compilePolicy('p', { Version: '2012-10-17', Statement: statements })] });
    const allow = (condition?: object) => ({ Effect: 'Allow', Action: 's3:ListBucket', Resource: '*', ...(condition ? { Condition: condition } : {}) });
    const deny = (condition: object) => ({ Effect: 'Deny', Action: 's3:ListBucket', Resource: '*', Condition: condition });
    const decide = (p: PrincipalPolicies) => evaluateInSomeContext(p, { principal: 'arn:aws:iam::111122223333:user/alice', action: 's3:ListBucket', resource: 'arn:aws:s3:::b' }, space({}), options).decision;
    expect(decide(policies(allow({ NumericGreaterThan: { 's3:max-keys': '1' }, NumericLessThan: { 's3:max-keys': '2' } })))).toBe('Allowed');
    expect(decide(policies(allow({ NumericGreaterThan: { 's3:max-keys': '1' }, NumericLessThanEquals: { 's3:max-keys': '1' } })))).toBe('ImplicitlyDenied');
    expect(decide(policies(allow({ DateGreaterThan: { 'aws:CurrentTime': '2027-01-01T00:00:00Z' }, DateLessThan: { 'aws:CurrentTime': '2027-01-01T00:00:01Z' } })))).toBe('Allowed');
    expect(decide(policies(allow({ StringLike: { 's3:prefix': 'home/*' }, StringLikeIfExists: { 's3:prefix': '*/docs' } })))).toBe('Allowed');
    expect(decide(policies(allow(), deny({ StringNotLike: { 's3:prefix': 'home/*' } }), deny({ StringNotLike: { 's3:prefix': '*/docs' } })))).toBe('Allowed');
    expect(decide(policies(allow({ IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } }), deny({ IpAddress: { 'aws:SourceIp': '10.0.0.0/9' } })))).toBe('Allowed');
    expect(decide(policies(allow({ IpAddress: { 'aws:SourceIp': '2001:db8::/32' } }), deny({ IpAddress: { 'aws:SourceIp': '2001:db8::/33' } })))).toBe('Allowed');
    expect(decide(policies(allow({ IpAddress: { 'aws:SourceIp': '10.0.0.0/9' } }), deny({ IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } })))).toBe('ExplicitlyDenied');
    expect(decide(policies(allow({ 'ForAllValues:StringEquals': { 'aws:TagKeys': ['a', 'b'] } }), deny({ 'ForAnyValue:StringEquals': { 'aws:TagKeys': 'a' } })))).toBe('Allowed');
  });
});
