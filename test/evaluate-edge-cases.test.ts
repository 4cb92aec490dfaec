/** Table tests of the evaluation engine for each documented edge case, and the named cases where we differ from the oracle. */
import { runUnsafeSimulation } from '@cloud-copilot/iam-simulate';
import { describe, expect, it } from 'vitest';
import { compilePolicy } from '../src/evaluate/compile-policy.js';
import { evaluate } from '../src/evaluate/engine.js';
import type { Decision, RequestContext } from '../src/evaluate/types.js';

const ACCOUNT = '111122223333';
type Statement = Record<string, unknown>;

function decide(statements: Statement[], request: { action: string; resource?: string; context?: RequestContext }, options: { boundary?: Statement[]; version?: string; wildcardOnly?: boolean } = {}): Decision {
  const doc = (s: Statement[]) => ({ Version: options.version ?? '2012-10-17', Statement: s });
  return evaluate(
    { identity: [compilePolicy('p', doc(statements))], ...(options.boundary ? { boundary: compilePolicy('b', doc(options.boundary)) } : {}) },
    { principal: `arn:aws:iam::${ACCOUNT}:user/alice`, action: request.action, resource: request.resource ?? 'arn:aws:s3:::bucket/key', context: request.context ?? {} },
    { isWildcardOnlyAction: () => options.wildcardOnly ?? false },
  ).decision;
}

function oracle(statements: Statement[], request: { action: string; resource?: string; context?: Record<string, string | string[]> }, version = '2012-10-17'): string {
  return runUnsafeSimulation(
    {
      request: { principal: `arn:aws:iam::${ACCOUNT}:user/alice`, action: request.action, resource: { resource: request.resource ?? 'arn:aws:s3:::bucket/key', accountId: ACCOUNT }, contextVariables: request.context ?? {} },
      identityPolicies: [{ name: 'p', policy: { Version: version, Statement: statements } }],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
    },
    {},
  ) as unknown as string;
}

const allow = (extra: Statement = {}): Statement => ({ Effect: 'Allow', Action: 's3:GetObject', Resource: '*', ...extra });
const get = { action: 's3:GetObject' };

describe('decisions', () => {
  it('default deny, allow, and explicit deny beats allow', () => {
    expect(decide([], get)).toBe('ImplicitlyDenied');
    expect(decide([allow()], get)).toBe('Allowed');
    expect(decide([allow(), { Effect: 'Deny', Action: 's3:*', Resource: '*' }], get)).toBe('ExplicitlyDenied');
  });

  it('a permissions boundary intersects: both must allow; a boundary Deny denies', () => {
    expect(decide([allow()], get, { boundary: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }] })).toBe('Allowed');
    expect(decide([allow()], get, { boundary: [{ Effect: 'Allow', Action: 'ec2:*', Resource: '*' }] })).toBe('ImplicitlyDenied');
    expect(decide([], get, { boundary: [{ Effect: 'Allow', Action: '*', Resource: '*' }] })).toBe('ImplicitlyDenied');
    expect(decide([allow()], get, { boundary: [{ Effect: 'Allow', Action: '*', Resource: '*' }, { Effect: 'Deny', Action: 's3:Get*', Resource: '*' }] })).toBe('ExplicitlyDenied');
  });
});

describe('actions', () => {
  it.each([
    ['s3:GetObject', true], ['S3:GETOBJECT', true], ['s3:Get*', true], ['s3:?etObject', true], ['s3:*', true], ['*', true],
    ['s3:GetObjectAcl', false], ['s3:Get', false], ['ec2:GetObject', false], ['s3*:GetObject', false], ['s3:', false],
  ])('Action %s matches s3:GetObject: %s', (pattern, matches) => {
    expect(decide([allow({ Action: pattern })], get)).toBe(matches ? 'Allowed' : 'ImplicitlyDenied');
  });

  it('NotAction covers every action but those listed (and applies to other services)', () => {
    const s = { Effect: 'Allow', NotAction: ['iam:*', 's3:Put*'], Resource: '*' };
    expect(decide([s], get)).toBe('Allowed');
    expect(decide([s], { action: 's3:PutObject' })).toBe('ImplicitlyDenied');
    expect(decide([s], { action: 'iam:CreateUser', resource: `arn:aws:iam::${ACCOUNT}:user/x` })).toBe('ImplicitlyDenied');
    expect(decide([s], { action: 'ec2:RunInstances', resource: '*' })).toBe('Allowed');
  });
});

describe('resources', () => {
  it.each([
    ['arn:aws:s3:::bucket/key', true], ['arn:aws:s3:::bucket/*', true], ['arn:aws:s3:::b*', true], ['arn:aws:s3:::bucket/ke?', true],
    ['arn:aws:s3:::Bucket/key', false], ['arn:aws:s3:::bucket', false], ['arn:aws:s3:::bucket/k', false],
    ['arn:aws:s3', true], ['arn:aws:*:::bucket/key', true], ['arn:AWS:S3:::bucket/key', true],
  ])('Resource %s matches arn:aws:s3:::bucket/key: %s', (pattern, matches) => {
    expect(decide([allow({ Resource: pattern })], get)).toBe(matches ? 'Allowed' : 'ImplicitlyDenied');
  });

  it('keeps wildcards inside their ARN part, except in the resource part', () => {
    const role = `arn:aws:iam::${ACCOUNT}:role/path/deployer`;
    const can = (pattern: string) => decide([{ Effect: 'Allow', Action: 'iam:GetRole', Resource: pattern }], { action: 'iam:GetRole', resource: role });
    expect(can(`arn:aws:iam::${ACCOUNT}:role/*`)).toBe('Allowed');
    expect(can(`arn:aws:iam::*:role/path/deployer`)).toBe('Allowed');
    expect(can(`arn:aws:iam:*${ACCOUNT}:role/path/deployer`)).toBe('ImplicitlyDenied');
    // The resource type before the first "/" is literal: "*/deployer" does not reach into "role/".
    expect(can(`arn:aws:iam::${ACCOUNT}:*/path/deployer`)).toBe('ImplicitlyDenied');
  });

  it('NotResource applies to everything but the listed resources', () => {
    const s = { Effect: 'Deny', Action: 's3:*', NotResource: ['arn:aws:s3:::bucket/public/*'] };
    expect(decide([allow(), s], get)).toBe('ExplicitlyDenied');
    expect(decide([allow(), s], { action: 's3:GetObject', resource: 'arn:aws:s3:::bucket/public/a' })).toBe('Allowed');
  });

  it('an action without resource-level permissions is granted only by Resource "*"', () => {
    const list = { action: 's3:ListAllMyBuckets', resource: '*' };
    expect(decide([{ Effect: 'Allow', Action: 's3:ListAllMyBuckets', Resource: 'arn:aws:s3:::bucket' }], list, { wildcardOnly: true })).toBe('ImplicitlyDenied');
    expect(decide([{ Effect: 'Allow', Action: 's3:ListAllMyBuckets', Resource: '*' }], list, { wildcardOnly: true })).toBe('Allowed');
  });
});

describe('policy variables', () => {
  const home = (resource: string) => allow({ Resource: resource });
  it('substitutes single-valued keys, with defaults, and the escapes ${*} ${?} ${$}', () => {
    expect(decide([home('arn:aws:s3:::bucket/${aws:username}/*')], { ...get, resource: 'arn:aws:s3:::bucket/alice/x', context: { 'aws:username': 'alice' } })).toBe('Allowed');
    expect(decide([home('arn:aws:s3:::bucket/${aws:username}/*')], { ...get, resource: 'arn:aws:s3:::bucket/bob/x', context: { 'aws:username': 'alice' } })).toBe('ImplicitlyDenied');
    expect(decide([home("arn:aws:s3:::bucket/${aws:PrincipalTag/team, 'shared'}/*")], { ...get, resource: 'arn:aws:s3:::bucket/shared/x' })).toBe('Allowed');
    expect(decide([home('arn:aws:s3:::bucket/${*}')], { ...get, resource: 'arn:aws:s3:::bucket/*' })).toBe('Allowed');
    expect(decide([home('arn:aws:s3:::bucket/${*}')], { ...get, resource: 'arn:aws:s3:::bucket/key' })).toBe('ImplicitlyDenied');
    expect(decide([home('arn:aws:s3:::bucket/a${?}${$}')], { ...get, resource: 'arn:aws:s3:::bucket/a?$' })).toBe('Allowed');
  });

  it("a variable's own colons and slashes separate no ARN part (IAM's ABAC tutorial: role/access-${aws:PrincipalTag/access-project}-*)", () => {
    const assume = { action: 'sts:AssumeRole' };
    const abac = { Effect: 'Allow', Action: 'sts:AssumeRole', Resource: 'arn:aws:iam::111122223333:role/access-${aws:PrincipalTag/access-project}-*' };
    expect(decide([abac], { ...assume, resource: 'arn:aws:iam::111122223333:role/access-peg-engineering', context: { 'aws:PrincipalTag/access-project': 'peg' } })).toBe('Allowed');
    expect(decide([abac], { ...assume, resource: 'arn:aws:iam::111122223333:role/access-uni-engineering', context: { 'aws:PrincipalTag/access-project': 'peg' } })).toBe('ImplicitlyDenied');
    // The whole resource part a variable: a queue named for the caller's team.
    const queue = { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: 'arn:aws:sqs:eu-west-1:111122223333:${aws:PrincipalTag/team}' };
    expect(decide([queue], { action: 'sqs:SendMessage', resource: 'arn:aws:sqs:eu-west-1:111122223333:payments', context: { 'aws:PrincipalTag/team': 'payments' } })).toBe('Allowed');
    expect(decide([queue], { action: 'sqs:SendMessage', resource: 'arn:aws:sqs:eu-west-1:111122223333:payments', context: { 'aws:PrincipalTag/team': 'platform' } })).toBe('ImplicitlyDenied');
  });

  it('a substituted value is literal: "*" in a user name is not a wildcard', () => {
    expect(decide([home('arn:aws:s3:::bucket/${aws:username}')], { ...get, resource: 'arn:aws:s3:::bucket/alice', context: { 'aws:username': '*' } })).toBe('ImplicitlyDenied');
  });

  it('a missing or multi-valued variable matches nothing, even under NotResource', () => {
    expect(decide([home('arn:aws:s3:::bucket/${aws:username}/*')], { ...get, resource: 'arn:aws:s3:::bucket/alice/x' })).toBe('ImplicitlyDenied');
    expect(decide([home('arn:aws:s3:::bucket/${aws:TagKeys}')], { ...get, resource: 'arn:aws:s3:::bucket/a', context: { 'aws:TagKeys': ['a'] } })).toBe('ImplicitlyDenied');
    expect(decide([{ Effect: 'Allow', Action: 's3:*', NotResource: 'arn:aws:s3:::bucket/${aws:username}' }], get)).toBe('ImplicitlyDenied');
  });

  it('version 2008-10-17 has no variables: "${aws:username}" is text (AWS: "Policy variables ... Version element")', () => {
    const statements = [home('arn:aws:s3:::bucket/${aws:username}')];
    const request = { ...get, resource: 'arn:aws:s3:::bucket/alice', context: { 'aws:username': 'alice' } };
    expect(decide(statements, request, { version: '2008-10-17' })).toBe('ImplicitlyDenied');
    expect(decide(statements, { ...request, resource: 'arn:aws:s3:::bucket/${aws:username}' }, { version: '2008-10-17' })).toBe('Allowed');
    // The oracle substitutes variables whatever the version. AWS's documentation: "If you use the Version
    // 2008-10-17 ... policy variables are treated as literal strings" (IAM User Guide, IAM policy elements: Variables).
    expect(oracle(statements, request, '2008-10-17')).toBe('Allowed');
  });
});

describe('conditions', () => {
  const when = (condition: Record<string, unknown>, context: RequestContext): Decision => decide([allow({ Condition: condition })], { ...get, context });

  it('every operator and every key must hold; any value of a key may match', () => {
    const c = { StringEquals: { 'aws:username': ['alice', 'bob'] }, Bool: { 'aws:SecureTransport': 'true' } };
    expect(when(c, { 'aws:username': 'bob', 'aws:SecureTransport': 'true' })).toBe('Allowed');
    expect(when(c, { 'aws:username': 'bob', 'aws:SecureTransport': 'false' })).toBe('ImplicitlyDenied');
    expect(when({ StringEquals: { 'aws:username': 'alice', 'aws:PrincipalTag/team': 'x' } }, { 'aws:username': 'alice' })).toBe('ImplicitlyDenied');
  });

  it('condition keys are case-insensitive; StringEquals values are not', () => {
    expect(when({ StringEquals: { 'AWS:UserName': 'alice' } }, { 'aws:username': 'alice' })).toBe('Allowed');
    expect(when({ StringEquals: { 'aws:username': 'Alice' } }, { 'aws:username': 'alice' })).toBe('ImplicitlyDenied');
    expect(when({ StringEqualsIgnoreCase: { 'aws:username': 'Alice' } }, { 'aws:username': 'alice' })).toBe('Allowed');
  });

  it('a missing key fails positive operators and satisfies negated ones and ...IfExists', () => {
    expect(when({ StringEquals: { 'aws:username': 'alice' } }, {})).toBe('ImplicitlyDenied');
    expect(when({ StringNotEquals: { 'aws:username': 'alice' } }, {})).toBe('Allowed');
    expect(when({ NotIpAddress: { 'aws:SourceIp': '10.0.0.0/8' } }, {})).toBe('Allowed');
    expect(when({ StringEqualsIfExists: { 'aws:username': 'alice' } }, {})).toBe('Allowed');
    expect(when({ StringEqualsIfExists: { 'aws:username': 'alice' } }, { 'aws:username': 'bob' })).toBe('ImplicitlyDenied');
  });

  it('Null tests presence', () => {
    expect(when({ Null: { 'aws:username': 'true' } }, {})).toBe('Allowed');
    expect(when({ Null: { 'aws:username': 'true' } }, { 'aws:username': 'a' })).toBe('ImplicitlyDenied');
    expect(when({ Null: { 'aws:username': 'false' } }, { 'aws:username': 'a' })).toBe('Allowed');
  });

  it('a multi-valued key needs a set operator; ForAllValues holds for missing and empty keys, ForAnyValue does not', () => {
    const tags = (keys?: string[]): RequestContext => (keys ? { 'aws:TagKeys': keys } : {});
    expect(when({ StringEquals: { 'aws:TagKeys': 'team' } }, tags(['team']))).toBe('ImplicitlyDenied');
    expect(when({ 'ForAnyValue:StringEquals': { 'aws:TagKeys': ['team', 'env'] } }, tags(['owner', 'env']))).toBe('Allowed');
    expect(when({ 'ForAnyValue:StringEquals': { 'aws:TagKeys': ['team'] } }, tags([]))).toBe('ImplicitlyDenied');
    expect(when({ 'ForAnyValue:StringEquals': { 'aws:TagKeys': ['team'] } }, tags())).toBe('ImplicitlyDenied');
    expect(when({ 'ForAllValues:StringEquals': { 'aws:TagKeys': ['team', 'env'] } }, tags(['team']))).toBe('Allowed');
    expect(when({ 'ForAllValues:StringEquals': { 'aws:TagKeys': ['team', 'env'] } }, tags(['team', 'owner']))).toBe('ImplicitlyDenied');
    expect(when({ 'ForAllValues:StringEquals': { 'aws:TagKeys': ['team'] } }, tags([]))).toBe('Allowed');
    expect(when({ 'ForAllValues:StringEquals': { 'aws:TagKeys': ['team'] } }, tags())).toBe('Allowed');
    expect(when({ 'ForAnyValue:StringNotEquals': { 'aws:TagKeys': 'team' } }, tags(['team', 'env']))).toBe('Allowed');
    expect(when({ 'ForAllValues:StringNotEquals': { 'aws:TagKeys': 'team' } }, tags(['team', 'env']))).toBe('ImplicitlyDenied');
  });

  it('StringLike wildcards, and variables in condition values', () => {
    expect(when({ StringLike: { 's3:prefix': 'home/${aws:username}/*' } }, { 's3:prefix': 'home/alice/x', 'aws:username': 'alice' })).toBe('Allowed');
    expect(when({ StringLike: { 's3:prefix': 'home/${aws:username}/*' } }, { 's3:prefix': 'home/bob/x', 'aws:username': 'alice' })).toBe('ImplicitlyDenied');
    expect(when({ StringEquals: { 's3:prefix': 'a*' } }, { 's3:prefix': 'abc' })).toBe('ImplicitlyDenied');
    expect(when({ StringEquals: { 's3:prefix': 'a*' } }, { 's3:prefix': 'a*' })).toBe('Allowed');
  });

  it('numeric, date and bool comparisons', () => {
    expect(when({ NumericLessThan: { 's3:max-keys': '100' } }, { 's3:max-keys': '99' })).toBe('Allowed');
    expect(when({ NumericLessThan: { 's3:max-keys': '100' } }, { 's3:max-keys': '100' })).toBe('ImplicitlyDenied');
    expect(when({ NumericEquals: { 's3:max-keys': '1.5' } }, { 's3:max-keys': '1.50' })).toBe('Allowed');
    expect(when({ NumericEquals: { 's3:max-keys': '10' } }, { 's3:max-keys': 'ten' })).toBe('ImplicitlyDenied');
    expect(when({ DateGreaterThan: { 'aws:CurrentTime': '2026-01-01T00:00:00Z' } }, { 'aws:CurrentTime': '2026-06-01' })).toBe('Allowed');
    expect(when({ Bool: { 'aws:MultiFactorAuthPresent': true } }, { 'aws:MultiFactorAuthPresent': 'TRUE' })).toBe('Allowed');
    expect(when({ Bool: { 'aws:MultiFactorAuthPresent': 'true' } }, { 'aws:MultiFactorAuthPresent': 'yes' })).toBe('ImplicitlyDenied');
  });

  it('epoch seconds and ISO dates compare as the same instant (AWS: "Date condition operators")', () => {
    const condition = { DateEquals: { 'aws:CurrentTime': '2023-11-14T22:13:20Z' } };
    expect(when(condition, { 'aws:CurrentTime': '1700000000' })).toBe('Allowed');
    // The oracle compares epoch seconds with milliseconds, so the same instant differs. AWS's documentation lists
    // epoch time as a form of every date value ("Date condition operators", IAM User Guide).
    expect(oracle([allow({ Condition: condition })], { ...get, context: { 'aws:CurrentTime': '1700000000' } })).toBe('ImplicitlyDenied');
  });

  it('IP ranges: IPv4, IPv6, single addresses, and the other family', () => {
    const ip = (range: string | string[], address: string, op = 'IpAddress') => when({ [op]: { 'aws:SourceIp': range } }, { 'aws:SourceIp': address });
    expect(ip('10.0.0.0/8', '10.200.1.1')).toBe('Allowed');
    expect(ip('10.0.0.0/8', '11.0.0.1')).toBe('ImplicitlyDenied');
    expect(ip('2001:db8::/32', '2001:db8:ffff::1')).toBe('Allowed');
    expect(ip('2001:db8::/32', '2001:db9::1')).toBe('ImplicitlyDenied');
    expect(ip('203.0.113.7', '203.0.113.7')).toBe('Allowed');
    expect(ip('10.0.0.0/8', '2001:db8::1')).toBe('ImplicitlyDenied');
    expect(ip('10.0.0.0/8', '2001:db8::1', 'NotIpAddress')).toBe('Allowed');
    expect(ip('10.0.0.0/8', 'not-an-ip', 'NotIpAddress')).toBe('ImplicitlyDenied');
  });

  it('0.0.0.0/0 contains every IPv4 address (a /0 network has no fixed bits)', () => {
    const condition = { IpAddress: { 'aws:SourceIp': '0.0.0.0/0' } };
    expect(when(condition, { 'aws:SourceIp': '203.0.113.7' })).toBe('Allowed');
    // The oracle shifts a 32-bit mask by 32, which JavaScript treats as a shift by 0, so /0 matches only 0.0.0.0.
    expect(oracle([allow({ Condition: condition })], { ...get, context: { 'aws:SourceIp': '203.0.113.7' } })).toBe('ImplicitlyDenied');
  });

  it('ARN conditions match part by part; negated forms hold when a part differs', () => {
    const arn = (pattern: string, value: string, op = 'ArnLike') => when({ [op]: { 'aws:SourceArn': pattern } }, { 'aws:SourceArn': value });
    expect(arn(`arn:aws:sqs:*:${ACCOUNT}:*`, `arn:aws:sqs:eu-west-1:${ACCOUNT}:queue`)).toBe('Allowed');
    expect(arn(`arn:aws:sqs:*:${ACCOUNT}:*`, `arn:aws:sns:eu-west-1:${ACCOUNT}:queue`)).toBe('ImplicitlyDenied');
    expect(arn(`arn:aws:sqs:*:${ACCOUNT}:*`, `arn:aws:sns:eu-west-1:${ACCOUNT}:queue`, 'ArnNotLike')).toBe('Allowed');
    expect(arn(`arn:aws:sqs:*:${ACCOUNT}:*`, 'not-an-arn', 'ArnNotLike')).toBe('ImplicitlyDenied');
    expect(arn('arn:aws:s3:::b', 'arn:aws:s3:::b', 'ArnEquals')).toBe('Allowed');
  });

  it('an unknown operator never holds', () => {
    expect(when({ StringEqualz: { 'aws:username': 'alice' } }, { 'aws:username': 'alice' })).toBe('ImplicitlyDenied');
  });
});

describe('service rules', () => {
  it('sts:GetCallerIdentity needs no permission, even against a Deny', () => {
    expect(decide([{ Effect: 'Deny', Action: '*', Resource: '*' }], { action: 'sts:GetCallerIdentity', resource: '*' })).toBe('Allowed');
  });

  it('nobody can change an AWS managed policy', () => {
    const request = { action: 'iam:CreatePolicyVersion', resource: 'arn:aws:iam::aws:policy/ReadOnlyAccess' };
    expect(decide([{ Effect: 'Allow', Action: 'iam:*', Resource: '*' }], request)).toBe('ImplicitlyDenied');
    expect(decide([{ Effect: 'Allow', Action: 'iam:*', Resource: '*' }], { ...request, resource: `arn:aws:iam::${ACCOUNT}:policy/mine` })).toBe('Allowed');
    // An explicit Deny stays what decides; "*" (any resource) is not refused as a whole.
    expect(decide([{ Effect: 'Deny', Action: 'iam:*', Resource: '*' }], request)).toBe('ExplicitlyDenied');
    expect(decide([{ Effect: 'Allow', Action: 'iam:*', Resource: '*' }], { ...request, resource: '*' })).toBe('Allowed');
  });

  it('nobody can change roles under /aws-reserved/ or AWS managed KMS aliases', () => {
    const allowAll = [{ Effect: 'Allow', Action: '*', Resource: '*' }];
    expect(decide(allowAll, { action: 'iam:PassRole', resource: `arn:aws:iam::${ACCOUNT}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin` })).toBe('ImplicitlyDenied');
    expect(decide(allowAll, { action: 'iam:PassRole', resource: `arn:aws:iam::${ACCOUNT}:role/deploy` })).toBe('Allowed');
    expect(decide(allowAll, { action: 'kms:DeleteAlias', resource: `arn:aws:kms:eu-west-1:${ACCOUNT}:alias/aws/s3` })).toBe('ImplicitlyDenied');
    expect(decide(allowAll, { action: 'kms:DeleteAlias', resource: `arn:aws:kms:eu-west-1:${ACCOUNT}:alias/mine` })).toBe('Allowed');
  });
});
