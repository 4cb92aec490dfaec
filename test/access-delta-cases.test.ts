/**
 * Access deltas, case by case: the promises the plan contract makes, each on a small account (the sampling test in
 * access-delta.test.ts checks exactness broadly; these say what the entries look like).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { accessDeltas, type AccessDelta } from '../src/analyze/access-delta.js';
import { entryContains } from '../src/analyze/entry-examples.js';
import type { ActionCatalog } from '../src/catalog/action-catalog.js';
import { loadActionCatalog } from '../src/catalog/iam-data-catalog.js';
import { parseSnapshot } from '../src/live/parse-snapshot.js';
import { resourceTypeIndex } from '../src/evaluate/resource-types.js';

const A = '111122223333';
const ALICE = `arn:aws:iam::${A}:user/alice`;
let catalog: ActionCatalog;
beforeAll(async () => {
  catalog = await loadActionCatalog();
});

type Statement = Record<string, unknown>;
const policy = (...statements: Statement[]) => ({ Version: '2012-10-17', Statement: statements });

/** Alice with these inline statements (and a boundary, when given), before and after; her deltas. */
function deltas(before: { statements: Statement[]; boundary?: Statement[] }, after: { statements: Statement[]; boundary?: Statement[] }): AccessDelta[] {
  const state = (side: { statements: Statement[]; boundary?: Statement[] }) =>
    parseSnapshot('s.json', JSON.stringify({
      UserDetailList: [{ UserName: 'alice', Path: '/', Arn: ALICE, UserPolicyList: [{ PolicyName: 'own', PolicyDocument: policy(...side.statements) }], ...(side.boundary ? { PermissionsBoundary: { PermissionsBoundaryArn: `arn:aws:iam::${A}:policy/boundary` } } : {}) }],
      GroupDetailList: [],
      RoleDetailList: [],
      Policies: side.boundary ? [{ PolicyName: 'boundary', Arn: `arn:aws:iam::${A}:policy/boundary`, Path: '/', DefaultVersionId: 'v1', PolicyVersionList: [{ VersionId: 'v1', IsDefaultVersion: true, Document: policy(...side.boundary) }] }] : [],
    })).state;
  return accessDeltas(state(before), state(after), [ALICE], { catalog, isWildcardOnlyAction: (a) => catalog.isWildcardOnly(a) });
}

const readReports: Statement = { Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::reports/*' };

describe('access deltas', () => {
  it('an added Allow that an explicit Deny or the boundary masks grants nothing', () => {
    const deny: Statement = { Effect: 'Deny', Action: 's3:*', Resource: '*' };
    expect(deltas({ statements: [deny] }, { statements: [deny, readReports] })).toEqual([]);
    const boundary = [{ Effect: 'Allow', Action: 'logs:*', Resource: '*' }];
    expect(deltas({ statements: [], boundary }, { statements: [readReports], boundary })).toEqual([]);
  });

  it('pairs actions only with resources of their types, unites entries over the same resources, and folds contained ones (the sample policy of issue 11)', () => {
    const sample: Statement[] = [
      { Effect: 'Allow', Action: ['s3:GetObject', 's3:ListBucket', 's3:PutObject'], Resource: ['arn:aws:s3:::acme-data', 'arn:aws:s3:::acme-data/*'] },
      { Effect: 'Allow', Action: ['dynamodb:GetItem', 'dynamodb:Query', 'sqs:SendMessage'], Resource: [`arn:aws:dynamodb:eu-west-1:${A}:table/orders`, `arn:aws:sqs:eu-west-1:${A}:orders`] },
      { Effect: 'Allow', Action: 's3:*', Resource: 'arn:aws:s3:::acme-logs/*' },
    ];
    const [delta] = deltas({ statements: [] }, { statements: sample });
    const shape = (e: AccessDelta['granted'][number]) => [e.actions!.length > 3 ? `${e.actions!.length} actions` : e.actions!.join(','), e.resources!.join(','), e.resourceTypes?.join(',')];
    expect(delta!.granted.map(shape).sort()).toEqual([
      ['dynamodb:GetItem,dynamodb:Query', `arn:aws:dynamodb:eu-west-1:${A}:table/orders`, 'dynamodb:table'],
      [expect.stringMatching(/^\d+ actions$/), 'arn:aws:s3:::acme-logs/*', 's3:object'],
      ['s3:GetObject,s3:PutObject', 'arn:aws:s3:::acme-data/*', 's3:object'],
      ['s3:ListBucket', 'arn:aws:s3:::acme-data', 's3:bucket'],
      ['sqs:SendMessage', `arn:aws:sqs:eu-west-1:${A}:orders`, 'sqs:queue'],
    ].sort());
    // The logs entry is every S3 action on objects, united from two classes of actions: GetObject and PutObject among them.
    const logs = delta!.granted.find((e) => e.resources![0] === 'arn:aws:s3:::acme-logs/*')!;
    expect(logs.actions).toEqual(expect.arrayContaining(['s3:GetObject', 's3:PutObject']));
    expect(logs.actions).not.toContain('s3:ListBucket');
    // Examples are requests AWS can receive.
    for (const e of delta!.granted) expect(resourceTypeIndex(catalog).receivable(e.example!.action, e.example!.resource), JSON.stringify(e.example)).toBe(true);
    // A statement whose requests another grants too (on more objects) folds into it, keeping both reasons.
    const [folded] = deltas({ statements: [] }, { statements: [readReports, { Effect: 'Allow', Action: 's3:GetObject*', Resource: 'arn:aws:s3:::*' }] });
    const objects = folded!.granted.filter((e) => e.resourceTypes?.includes('s3:object'));
    expect(objects).toHaveLength(1);
    expect(objects[0]!.resources).toEqual(['arn:aws:s3:::*']);
    expect([...objects[0]!.because].sort()).toEqual(['user alice: inline policy own, statement 0', 'user alice: inline policy own, statement 1']);
  });

  it('a reordered or reformatted policy changes nothing', () => {
    const list: Statement = { Effect: 'Allow', Action: ['s3:ListBucket'], Resource: ['arn:aws:s3:::reports'] };
    const reformatted: Statement = { Resource: 'arn:aws:s3:::reports', Action: 'S3:listbucket', Effect: 'Allow' };
    expect(deltas({ statements: [readReports, list] }, { statements: [reformatted, readReports] })).toEqual([]);
  });

  it('a new Allow overlapping an old one grants only the new part, with an example from it', () => {
    const [delta] = deltas({ statements: [readReports] }, { statements: [readReports, { Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::*' }] });
    expect(delta!.revoked).toEqual([]);
    expect(delta!.granted).toHaveLength(1);
    const [entry] = delta!.granted;
    expect(entry).toMatchObject({ actions: ['s3:GetObject'], resources: ['arn:aws:s3:::*'], except: [{ resources: ['arn:aws:s3:::reports/*'] }] });
    expect(entry!.approximate).toBeUndefined();
    expect(entryContains(entry!, { action: 's3:GetObject', resource: 'arn:aws:s3:::reports/q3.csv', context: {} }, catalog)).toBe(false);
    expect(entryContains(entry!, entry!.example!, catalog)).toBe(true);
  });

  it('intersects overlapping resource patterns exactly: the boundary a/* meets the grant */b in a/b and a/*/b', () => {
    const boundary = [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::a/*' }];
    const [delta] = deltas({ statements: [], boundary }, { statements: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::*/b' }], boundary });
    expect(delta!.granted).toHaveLength(1);
    expect(delta!.granted[0]).toMatchObject({ actions: ['s3:GetObject'], resources: ['arn:aws:s3:::a/*/b', 'arn:aws:s3:::a/b'] });
    expect(delta!.granted[0]!.approximate).toBeUndefined();
  });

  it('meets two equality conditions on one key in the values both allow, and nothing when they share none', () => {
    const inRegions = (...regions: string[]): Statement => ({ Effect: 'Allow', Action: 's3:GetObject', Resource: '*', Condition: { StringEquals: { 'aws:RequestedRegion': regions } } });
    const boundary = [inRegions('eu-west-1', 'us-east-1')];
    const [delta] = deltas({ statements: [], boundary }, { statements: [inRegions('eu-west-1', 'eu-central-1')], boundary });
    expect(delta!.granted).toHaveLength(1);
    expect(delta!.granted[0]).toMatchObject({ actions: ['s3:GetObject'], condition: { StringEquals: { 'aws:RequestedRegion': ['eu-west-1'] } } });
    expect(delta!.granted[0]!.approximate).toBeUndefined();
    expect(deltas({ statements: [], boundary }, { statements: [inRegions('us-west-2')], boundary })).toEqual([]);
  });

  it('carves out what AWS refuses whatever the policies say, and writes "all but a few" as notActions', () => {
    const [delta] = deltas({ statements: [] }, { statements: [{ Effect: 'Allow', Action: '*', Resource: '*' }] });
    const entries = delta!.granted;
    // Changes to AWS managed policies are never allowed: their entry says so.
    const policyChanges = entries.find((e) => e.actions?.includes('iam:CreatePolicyVersion'));
    expect(policyChanges?.except).toEqual([{ resources: ['arn:*:iam::aws:policy/*'] }]);
    expect(entryContains(policyChanges!, { action: 'iam:CreatePolicyVersion', resource: 'arn:aws:iam::aws:policy/ReadOnlyAccess', context: {} }, catalog)).toBe(false);
    expect(entryContains(policyChanges!, { action: 'iam:CreatePolicyVersion', resource: `arn:aws:iam::${A}:policy/mine`, context: {} }, catalog)).toBe(true);
    // Everything else in one entry, written as the few actions it leaves out; GetCallerIdentity was always allowed.
    const rest = entries.find((e) => e.notActions);
    expect(rest?.notActions).toContain('sts:GetCallerIdentity');
    expect(rest?.notActions).toContain('iam:CreatePolicyVersion');
    expect(rest!.notActions!.length).toBeLessThan(40);
    expect(entryContains(rest!, { action: 'ec2:RunInstances', resource: 'arn:aws:ec2:us-east-1:111122223333:instance/i-1', context: {} }, catalog)).toBe(true);
    expect(entries.some((e) => e.actions?.includes('sts:GetCallerIdentity'))).toBe(false);
    expect(entries.every((e) => e.example && !e.approximate)).toBe(true);
  });

  it('revokes what a removed statement allowed, and a new Deny takes only what was allowed', () => {
    const readAll: Statement = { Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::*' };
    const [delta] = deltas({ statements: [readAll] }, { statements: [readAll, { Effect: 'Deny', Action: 's3:GetObject', Resource: 'arn:aws:s3:::secrets/*', Condition: { Bool: { 'aws:MultiFactorAuthPresent': 'false' } } }] });
    expect(delta!.granted).toEqual([]);
    expect(delta!.revoked).toHaveLength(1);
    expect(delta!.revoked[0]).toMatchObject({ actions: ['s3:GetObject'], resources: ['arn:aws:s3:::secrets/*'], condition: { Bool: { 'aws:MultiFactorAuthPresent': 'false' } } });
  });

  it('a statement the boundary already holds, added to an identity policy, grants it (the same statement in both places is two)', () => {
    const [delta] = deltas({ statements: [], boundary: [readReports] }, { statements: [readReports], boundary: [readReports] });
    expect(delta?.granted.map((e) => [e.actions, e.resources])).toEqual([[['s3:GetObject'], ['arn:aws:s3:::reports/*']]]);
    expect(delta?.revoked).toEqual([]);
  });

  it('names no carve-out the entry never reaches: a Deny on a table beside an entry of functions', () => {
    const invoke: Statement = { Effect: 'Allow', Action: ['lambda:InvokeFunction', 'lambda:GetFunction'], Resource: '*' };
    const denyTable: Statement = { Effect: 'Deny', Action: '*', Resource: `arn:aws:dynamodb:eu-west-1:${A}:table/x` };
    const [delta] = deltas({ statements: [] }, { statements: [invoke, denyTable] });
    expect(delta!.granted.map((e) => [e.actions, e.except])).toEqual([[['lambda:GetFunction', 'lambda:InvokeFunction'], undefined]]);
    // One the entry does reach stays: a Deny on one function.
    const denyFunction: Statement = { Effect: 'Deny', Action: '*', Resource: `arn:aws:lambda:eu-west-1:${A}:function:x` };
    const [kept] = deltas({ statements: [] }, { statements: [invoke, denyTable, denyFunction] });
    expect(kept!.granted.map((e) => e.except)).toEqual([[{ resources: [`arn:aws:lambda:eu-west-1:${A}:function:x`] }]]);
  });

  it('every value form a Date condition takes yields a delta with a verified example, never a crash (epoch seconds of any size, dates, times, policy variables)', () => {
    // aws:EpochTime is compared in epoch seconds; any Date operator also takes ISO 8601 and policy variables. The
    // example search once parsed only ISO text and threw "Invalid time value" on "2000000000" (plan: internal error).
    const value = fc.oneof(
      fc.integer({ min: 0, max: 4_000_000_000 }).map(String),
      fc.constantFrom('99999999999999999999', '1', '0', '2020-01-01', '2030-06-01T12:00:00Z', '${aws:TokenIssueTime}', '${aws:CurrentTime}'),
      fc.date({ min: new Date('1971-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString()),
    );
    const operator = fc.constantFrom('DateLessThan', 'DateGreaterThan', 'DateEquals', 'DateNotEquals', 'DateLessThanEqualsIfExists', 'ForAnyValue:DateGreaterThanEquals');
    const key = fc.constantFrom('aws:EpochTime', 'aws:CurrentTime', 'aws:TokenIssueTime');
    fc.assert(
      fc.property(operator, key, value, (op, k, v) => {
        const grant: Statement = { Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::reports/*', Condition: { [op]: { [k]: v } } };
        const found = deltas({ statements: [] }, { statements: [grant] });
        for (const entry of found.flatMap((d) => d.granted)) expect(entry.example !== undefined || entry.approximate === true).toBe(true);
      }),
      { numRuns: 60 },
    );
  });
});
