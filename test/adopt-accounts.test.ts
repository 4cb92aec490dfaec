/**
 * Law: import, then plan, gives no errors and no changes, on any account IAM holds; names the catalog does not know
 * are listed knowingly (acceptUnknown), and what a person writes unknowingly stays an error. Imported files carry the
 * schema header and read the same under YAML 1.1 tools.
 */
import { parse } from 'yaml';
import { load, CORE_SCHEMA } from 'js-yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { planChanges, validateManifests } from '../src/app/use-cases.js';
import type { ActionCatalog } from '../src/catalog/action-catalog.js';
import { loadAwsManagedPolicies } from '../src/catalog/aws-managed-policies.js';
import { loadActionCatalog } from '../src/catalog/iam-data-catalog.js';
import { importLiveState, SCHEMA_FILE } from '../src/importer/live-to-manifests.js';
import { parseSnapshot } from '../src/live/parse-snapshot.js';
import { manifestsFromFiles } from '../src/manifest/files-source.js';
import { unknownActionsOf } from '../src/manifest/policy-grammar.js';
import { NOW, snapshotReader } from './helpers/example.js';

const ACCOUNT = '123456789012';
let catalog: ActionCatalog;
beforeAll(async () => {
  catalog = await loadActionCatalog();
});

/**
 * An account whose customer policies copy, from every AWS managed policy that uses names the catalog lacks, the
 * statements with those names (or, where that is over IAM's 6,144 characters, the names alone).
 */
function accountCopyingAwsPolicies(): { snapshot: Record<string, unknown>; copied: number } {
  const sources = [...loadAwsManagedPolicies().byArn.values()].filter((p) => unknownActionsOf(p.document, catalog).length > 0);
  const policies = sources.map((p) => {
    const statements = (Array.isArray(p.document['Statement']) ? p.document['Statement'] : [p.document['Statement']]) as Record<string, unknown>[];
    let document: Record<string, unknown> = { Version: '2012-10-17', Statement: statements.filter((st) => unknownActionsOf({ Statement: st }, catalog).length > 0) };
    if (JSON.stringify(document).length > 6144) document = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: unknownActionsOf(p.document, catalog), Resource: '*' }] };
    return {
      PolicyName: `copy-of-${p.name}`,
      Arn: `arn:aws:iam::${ACCOUNT}:policy/copy-of-${p.name}`,
      Path: '/',
      DefaultVersionId: 'v1',
      AttachmentCount: 1,
      PolicyVersionList: [{ VersionId: 'v1', IsDefaultVersion: true, Document: encodeURIComponent(JSON.stringify(document)) }],
    };
  });
  const roles = policies.map((p, i) => ({
    RoleName: `role-${i}`,
    Path: '/',
    Arn: `arn:aws:iam::${ACCOUNT}:role/role-${i}`,
    AssumeRolePolicyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] },
    AttachedManagedPolicies: [{ PolicyName: p.PolicyName, PolicyArn: p.Arn }],
  }));
  // A deprecated AWS managed policy that stays attached where it was.
  const users = [{ UserName: 'legacy', Path: '/', Arn: `arn:aws:iam::${ACCOUNT}:user/legacy`, AttachedManagedPolicies: [{ PolicyArn: 'arn:aws:iam::aws:policy/AWSLambdaFullAccess' }] }];
  return { snapshot: { UserDetailList: users, GroupDetailList: [], RoleDetailList: roles, Policies: policies }, copied: sources.length };
}

describe('adopting an account that uses names the catalog does not know', () => {
  it('the 30 AWS managed policies with such names, copied into customer policies: import, then plan, has no errors and no changes', async () => {
    const { snapshot, copied } = accountCopyingAwsPolicies();
    expect(copied).toBeGreaterThanOrEqual(25);
    const live = parseSnapshot('copies.json', JSON.stringify(snapshot));
    const imported = importLiveState(live, { catalog, awsManagedPolicies: loadAwsManagedPolicies() });
    const files = new Map([...imported.files].map(([p, t]) => [`m/${p}`, t]));
    const account = parse(files.get('m/account.yaml')!) as { acceptUnknown: { actions: string[]; awsManagedPolicies: string[] } };
    expect(account.acceptUnknown.awsManagedPolicies).toEqual(['arn:aws:iam::aws:policy/AWSLambdaFullAccess']);
    expect(account.acceptUnknown.actions.length).toBeGreaterThan(30);
    // Each listed name says why, in a comment.
    expect(files.get('m/account.yaml')).toMatch(/- budgets:CreateBudget # not in @cloud-copilot\/iam-data [\d.]+; used by policy copy-of-/i);
    const result = await planChanges(manifestsFromFiles('m', 'm', files), snapshotReader(snapshot), NOW);
    expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(result.plan!.changes).toEqual([]);
  });

  it('a typo stays an error, and stale acceptUnknown entries are pointed out', async () => {
    const files = new Map([
      ['m/account.yaml', `kind: Account\nid: "${ACCOUNT}"\nacceptUnknown:\n  actions: [deeplens:*, s3:GetObject, iot1click:Unused]\n  awsManagedPolicies: [arn:aws:iam::aws:policy/ReadOnlyAccess]\n`],
      ['m/u.yaml', 'kind: User\nname: u\ninlinePolicies:\n  p:\n    Version: "2012-10-17"\n    Statement:\n      - Effect: Allow\n        Action: [s3:GetObjekt, deeplens:ListDevices, DeepLens:*]\n        Resource: "*"\n'],
    ]);
    const result = await validateManifests(manifestsFromFiles('m', 'm', files));
    const summaries = result.diagnostics.map((d) => `${d.severity}: ${d.summary}`);
    expect(summaries).toContain('error: unknown action "s3:GetObjekt"');
    expect(summaries.filter((s) => s.includes('deeplens') || s.includes('DeepLens'))).toEqual([]);
    expect(summaries).toContain('warning: acceptUnknown lists "s3:GetObject", which the AWS catalog knows');
    expect(summaries).toContain('warning: acceptUnknown lists "iot1click:Unused", which no policy uses');
    expect(summaries).toContain('warning: acceptUnknown lists arn:aws:iam::aws:policy/ReadOnlyAccess, which AWS offers');
  });

  it('validate and plan agree: an AWS managed policy ARN AWS does not offer is an error in both', async () => {
    const files = new Map([
      ['m/account.yaml', `kind: Account\nid: "${ACCOUNT}"\n`],
      ['m/u.yaml', 'kind: User\nname: u\nmanagedPolicies: [arn:aws:iam::aws:policy/ReadOnlyAcess]\n'],
    ]);
    const validated = await validateManifests(manifestsFromFiles('m', 'm', files));
    const planned = await planChanges(manifestsFromFiles('m', 'm', files), snapshotReader({ UserDetailList: [], GroupDetailList: [], RoleDetailList: [], Policies: [] }), NOW);
    const severityOf = (ds: readonly { severity: string; summary: string }[]) => ds.filter((d) => d.summary.includes('ReadOnlyAcess')).map((d) => d.severity);
    expect(severityOf(validated.diagnostics)).toEqual(['error']);
    expect(severityOf(planned.diagnostics)).toEqual(['error']);
    expect(validated.diagnostics.find((d) => d.summary.includes('ReadOnlyAcess'))!.detail).toContain('arn:aws:iam::aws:policy/ReadOnlyAccess');
  });
});

describe('imported files', () => {
  it('carry the schema header, ship the schema, and read the same under YAML 1.1 (Version stays a string)', async () => {
    const snapshot = {
      UserDetailList: [{ UserName: 'u', Path: '/', Arn: `arn:aws:iam::${ACCOUNT}:user/u`, Tags: [{ Key: 'on', Value: 'yes' }, { Key: 'since', Value: '2024-01-02' }], UserPolicyList: [{ PolicyName: 'p', PolicyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*', Condition: { DateLessThan: { 'aws:CurrentTime': '2027-01-01T00:00:00Z' }, StringEquals: { 's3:prefix': ['no', 'off', '0755', '1e3', '12:30'] } } }] } }] }],
      GroupDetailList: [],
      RoleDetailList: [],
      Policies: [],
    };
    const imported = importLiveState(parseSnapshot('s.json', JSON.stringify(snapshot)), { catalog, awsManagedPolicies: loadAwsManagedPolicies() });
    expect(imported.files.get(SCHEMA_FILE)).toContain('"title": "iam-gitops manifest"');
    for (const [path, text] of imported.files) {
      if (!path.endsWith('.yaml')) continue;
      expect(text.split('\n')[0]).toBe(`# yaml-language-server: $schema=${path.includes('/') ? '../' : ''}${SCHEMA_FILE}`);
      expect(parse(text, { version: '1.1' })).toEqual(load(text, { schema: CORE_SCHEMA }));
    }
    expect(imported.files.get('users/u.yaml')).toContain('Version: "2012-10-17"');
  });
});
