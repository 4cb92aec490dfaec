/**
 * Access deltas, case by case: the promises the plan contract makes, each on a small account (the sampling test in
 * access-delta.test.ts checks exactness broadly; these say what the entries look like).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { accessDeltas, entryContains, type AccessDelta } from '../src/analyze/access-delta.js';
import type { ActionCatalog } from '../src/catalog/action-catalog.js';
import { loadActionCatalog } from '../src/catalog/iam-data-catalog.js';
import { parseSnapshot } from '../src/live/parse-snapshot.js';

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
});
