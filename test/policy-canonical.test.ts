/** Laws of policy canonicalisation: what IAM ignores never shows as a change; what it does not ignore always does. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalPolicyKey, tidyPolicy, type PolicyJson } from '../src/core/policy.js';
import { seededRandom } from './helpers/random-account.js';

const actionName = fc.constantFrom('s3:GetObject', 's3:PutObject', 'ec2:DescribeInstances', 'iam:PassRole', 'lambda:*', 's3:List*', '*');
const resource = fc.constantFrom('*', 'arn:aws:s3:::bucket', 'arn:aws:s3:::bucket/*', 'arn:aws:iam::123456789012:role/Deployer', 'arn:aws:s3:::Bucket');
const conditionValue = fc.oneof(fc.constantFrom('10.0.0.0/8', 'alice', 'eu-west-1'), fc.boolean(), fc.integer({ min: 0, max: 9 }));
const nonEmpty = <T>(arb: fc.Arbitrary<T>) => fc.uniqueArray(arb, { minLength: 1, maxLength: 4 });

const statement = fc.record(
  {
    Sid: fc.constantFrom('', 'Read', 'Write1'),
    Effect: fc.constantFrom('Allow', 'Deny'),
    Action: nonEmpty(actionName),
    Resource: nonEmpty(resource),
    Condition: fc.dictionary(
      fc.constantFrom('StringEquals', 'IpAddress', 'Bool', 'ForAnyValue:StringLike'),
      fc.dictionary(fc.constantFrom('aws:SourceIp', 'aws:username', 'aws:RequestedRegion', 'aws:SecureTransport'), nonEmpty(conditionValue), { minKeys: 1, maxKeys: 2 }),
      { minKeys: 1, maxKeys: 2 },
    ),
  },
  { requiredKeys: ['Effect', 'Action', 'Resource'] },
);
const policy = fc.record({ Version: fc.constant('2012-10-17'), Statement: fc.array(statement, { minLength: 1, maxLength: 4 }) });

/** The same policy as a person might re-write it: shuffled, single values unwrapped, actions re-cased, keys reordered. */
function rewrite(doc: { Version: string; Statement: Record<string, unknown>[] }, seed: number): PolicyJson {
  const random = seededRandom(seed);
  const shuffle = <T>(items: readonly T[]): T[] => [...items].map((v) => ({ v, r: random() })).sort((a, b) => a.r - b.r).map((x) => x.v);
  const unwrap = (values: unknown[]): unknown => (values.length === 1 && random() < 0.5 ? values[0] : shuffle(values));
  const statements = doc.Statement.map((s) => {
    const out: Record<string, unknown> = {};
    for (const key of shuffle(Object.keys(s))) {
      const value = s[key];
      if (key === 'Action') out[key] = unwrap((value as string[]).map((a) => (random() < 0.5 ? a.toUpperCase() : a.toLowerCase())));
      else if (key === 'Resource') out[key] = unwrap(value as string[]);
      else if (key === 'Condition') {
        const cond: Record<string, Record<string, unknown>> = {};
        for (const [op, block] of shuffle(Object.entries(value as Record<string, Record<string, unknown[]>>))) {
          cond[op] = Object.fromEntries(shuffle(Object.entries(block)).map(([k, v]) => [random() < 0.5 ? k.toLowerCase() : k, unwrap(v.map((x) => (random() < 0.5 ? String(x) : x)))]));
        }
        out[key] = cond;
      } else if (key === 'Sid' && value === '') {
        if (random() < 0.5) out[key] = value;
      } else out[key] = value;
    }
    return out;
  });
  const shuffled = shuffle(statements);
  return random() < 0.5 ? { Statement: shuffled.length === 1 && random() < 0.5 ? shuffled[0] : shuffled, Version: doc.Version } : { Version: doc.Version, Statement: shuffled };
}

describe('policy canonicalisation', () => {
  it('is idempotent: tidying a tidy policy changes nothing', () => {
    fc.assert(
      fc.property(policy, fc.integer(), (doc, seed) => {
        const once = tidyPolicy(rewrite(doc, seed));
        expect(tidyPolicy(once)).toEqual(once);
        expect(canonicalPolicyKey(once)).toBe(canonicalPolicyKey(rewrite(doc, seed)));
      }),
      { numRuns: 300 },
    );
  });

  it('ignores statement order, one-element lists, action case, key order, condition key case and empty Sids', () => {
    fc.assert(
      fc.property(policy, fc.integer(), fc.integer(), (doc, seedA, seedB) => {
        expect(canonicalPolicyKey(rewrite(doc, seedA))).toBe(canonicalPolicyKey(rewrite(doc, seedB)));
      }),
      { numRuns: 500 },
    );
  });

  it('sees meaningful edits: another resource case, effect, or action is a different policy', () => {
    const base = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::bucket/*' }] };
    const key = canonicalPolicyKey(base);
    const edit = (patch: Record<string, unknown>): string => canonicalPolicyKey({ ...base, Statement: [{ ...base.Statement[0], ...patch }] });
    expect(edit({ Resource: 'arn:aws:s3:::Bucket/*' })).not.toBe(key); // ARNs are case-sensitive
    expect(edit({ Effect: 'Deny' })).not.toBe(key);
    expect(edit({ Action: ['s3:GetObject', 's3:PutObject'] })).not.toBe(key);
    expect(edit({ NotAction: 's3:GetObject', Action: undefined })).not.toBe(key);
    expect(edit({ Condition: { StringEquals: { 'aws:username': 'Alice' } } })).not.toBe(edit({ Condition: { StringEquals: { 'aws:username': 'alice' } } }));
  });

  it('treats a bare account id and "*" principals as IAM stores them', () => {
    const trust = (principal: unknown): string =>
      canonicalPolicyKey({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: principal, Action: 'sts:AssumeRole' }] });
    expect(trust({ AWS: '123456789012' })).toBe(trust({ AWS: ['arn:aws:iam::123456789012:root'] }));
    expect(trust('*')).toBe(trust({ AWS: '*' }));
    expect(trust({ AWS: '123456789012' })).not.toBe(trust({ AWS: '210987654321' }));
  });

  it('is total: odd JSON is kept rather than dropped or thrown on', () => {
    const odd = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: { nested: true }, Resource: 5, Extra: [1, 2] }], Weird: null };
    expect(() => canonicalPolicyKey(odd)).not.toThrow();
    expect(tidyPolicy(odd)).toMatchObject({ Weird: null, Statement: [{ Action: { nested: true }, Extra: [1, 2] }] });
  });
});
