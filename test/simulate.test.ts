/** `iam-gitops simulate`: requests in, decisions out, in order; bad input named by line. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/run-cli.js';

const STATE = ['--state', 'example/live-snapshot.json'];
const ALICE = 'arn:aws:iam::123456789012:user/people/alice';
const BOB = 'arn:aws:iam::123456789012:user/people/bob';
const tmp = mkdtempSync(join(tmpdir(), 'iam-gitops-simulate-'));

function requestsFile(lines: string[]): string {
  const file = join(tmp, `r${Math.random().toString(36).slice(2)}.jsonl`);
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

describe('simulate', () => {
  it('answers each JSON line in order, with the deciding statements', async () => {
    const file = requestsFile([
      JSON.stringify({ principal: ALICE, action: 's3:GetObject', resource: 'arn:aws:s3:::acme-artifacts/build.zip', context: { 'aws:RequestedRegion': 'eu-west-1' } }),
      '',
      JSON.stringify({ principal: ALICE, action: 's3:GetObject', resource: 'arn:aws:s3:::acme-artifacts/build.zip', context: { 'aws:RequestedRegion': 'us-east-1' } }),
      JSON.stringify({ principal: ALICE, action: 'iam:CreateUser', resource: 'arn:aws:iam::123456789012:user/x' }),
    ]);
    const run = await runCli(['simulate', ...STATE, '--requests', file, '--format', 'json']);
    expect(run.stderr).toBe('');
    const results = run.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(results.map((r) => r.decision)).toEqual(['Allowed', 'ExplicitlyDenied', 'ImplicitlyDenied']);
    expect(results[0].matched).toContainEqual({ policy: 'managed policy arn:aws:iam::123456789012:policy/read-artifacts', statement: 0, sid: 'ReadArtifacts', effect: 'Allow' });
    expect(results[1].matched).toEqual([{ policy: 'permissions boundary arn:aws:iam::123456789012:policy/developer-boundary', statement: 1, sid: 'DenyOtherRegions', effect: 'Deny', boundary: true }]);
    expect(results[2].matched).toEqual([]);
  });

  it('fills the keys AWS sets itself, such as aws:username, unless given', async () => {
    // IAMUserChangePassword allows iam:ChangePassword on arn:aws:iam::*:user/${aws:username}.
    const own = await runCli(['simulate', ...STATE, '--principal', ALICE, '--action', 'iam:ChangePassword', '--resource', 'arn:aws:iam::123456789012:user/alice', '--format', 'json']);
    expect(JSON.parse(own.stdout).decision).toBe('Allowed');
    const other = await runCli(['simulate', ...STATE, '--principal', ALICE, '--action', 'iam:ChangePassword', '--resource', 'arn:aws:iam::123456789012:user/bob', '--format', 'json']);
    expect(JSON.parse(other.stdout).decision).toBe('ImplicitlyDenied');
  });

  it('evaluates the state after the manifests are applied with --manifests', async () => {
    // Bob holds DynamoDB only through platform-admins (AdministratorAccess, within his boundary's eu-west-1);
    // the manifests move him out of that group.
    const args = ['--principal', BOB, '--action', 'dynamodb:GetItem', '--resource', 'arn:aws:dynamodb:eu-west-1:123456789012:table/orders', '--context', 'aws:MultiFactorAuthPresent=true', '--context', 'aws:RequestedRegion=eu-west-1', '--format', 'json'];
    const live = await runCli(['simulate', ...STATE, ...args]);
    const planned = await runCli(['simulate', ...STATE, '--manifests', 'manifests', ...args]);
    expect(JSON.parse(live.stdout).decision).toBe('Allowed');
    expect(JSON.parse(planned.stdout).decision).toBe('ImplicitlyDenied');
  });

  it('takes a repeated --context key as a multi-valued key', async () => {
    // The boundary denies with StringNotEquals aws:RequestedRegion eu-west-1. A single-valued operator, negated
    // or not, never matches a multi-valued key, so with two values the Deny does not apply.
    const args = ['simulate', ...STATE, '--principal', ALICE, '--action', 's3:ListAllMyBuckets'];
    expect((await runCli([...args, '--context', 'aws:RequestedRegion=us-east-1'])).stdout).toContain('DENIED (explicit)  s3:ListAllMyBuckets (takes no resource)');
    const multi = await runCli([...args, '--context', 'aws:RequestedRegion=us-east-1', '--context', 'aws:RequestedRegion=ap-south-1']);
    expect(multi.code).toBe(0);
    expect(multi.stdout).toContain('ALLOWED  s3:ListAllMyBuckets (takes no resource)');
  });

  it('reports malformed lines and unknown principals with their line numbers, and evaluates nothing', async () => {
    const bad = requestsFile(['{"principal": "arn:aws:iam::123456789012:user/people/alice", "action": "s3:GetObject"}', 'not json', '{"principal": "x", "action": "s3:GetObject"}', '{"principal": "arn:aws:iam::123456789012:user/people/alice", "action": "s3:Get*"}']);
    const run = await runCli(['simulate', ...STATE, '--requests', bad]);
    expect(run).toMatchObject({ code: 1, stdout: '' });
    expect(run.stderr).toContain(`${bad}:2:1: error: line 2 is not JSON`);
    expect(run.stderr).toContain(`${bad}:3:1: error: line 3: "principal" must be the ARN of a user or role`);
    expect(run.stderr).toContain(`${bad}:4:1: error: line 4: "action" must be one action such as "s3:GetObject" (no wildcards)`);
    const unknown = requestsFile([JSON.stringify({ principal: ALICE, action: 's3:GetObject' }), JSON.stringify({ principal: 'arn:aws:iam::123456789012:user/alice', action: 's3:GetObject' })]);
    const run2 = await runCli(['simulate', ...STATE, '--requests', unknown]);
    expect(run2).toMatchObject({ code: 1, stdout: '' });
    expect(run2.stderr).toContain(`${unknown}:2:1: error: line 2: unknown principal arn:aws:iam::123456789012:user/alice`);
    expect(run2.stderr).toContain(`Did you mean ${ALICE}?`);
  });

  it('refuses ambiguous or incomplete input', async () => {
    expect((await runCli(['simulate', ...STATE])).stderr).toContain('simulate needs requests');
    expect((await runCli(['simulate', ...STATE, '--principal', ALICE, '--action', 's3:GetObject', '--context', 'novalue'])).stderr).toContain('must be key=value');
    const both = await runCli(['simulate', ...STATE, '--requests', 'x.jsonl', '--principal', ALICE, '--action', 's3:GetObject']);
    expect(both).toMatchObject({ code: 1 });
    expect(both.stderr).toContain('not both');
  });

  it('never reads broader than what was evaluated: an action that takes a resource needs one, and * reads "on some resource"', async () => {
    const base = ['simulate', ...STATE, '--principal', ALICE, '--action', 's3:GetObject'];
    const missing = await runCli(base);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('error: s3:GetObject acts on a resource: say which\n    Give the resource\'s ARN (--resource ARN), or "*" to ask whether it is allowed on some resource.\n');
    const some = await runCli([...base, '--resource', '*']);
    expect(some.stdout).toMatch(/ {2}s3:GetObject on some resource\n/);
    expect(some.stdout).not.toContain('on *');
    const json = await runCli([...base, '--resource', '*', '--format', 'json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ onSomeResource: true });
    const file = requestsFile([JSON.stringify({ principal: ALICE, action: 's3:GetObject' }), JSON.stringify({ principal: ALICE, action: 's3:ListAllMyBuckets' })]);
    const lines = await runCli(['simulate', ...STATE, '--requests', file]);
    expect(lines.code).toBe(1);
    expect(lines.stderr).toContain(':1:1: error: line 1: s3:GetObject acts on a resource: say which');
    expect(lines.stderr).not.toContain('line 2');
  });

  it('takes aws:RequestedRegion from the resource ARN, and says so', async () => {
    const args = ['simulate', ...STATE, '--principal', ALICE, '--action', 'logs:GetLogEvents'];
    const inRegion = await runCli([...args, '--resource', 'arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/x']);
    expect(inRegion.stdout).toContain('aws:RequestedRegion = eu-west-1 (from the resource ARN');
    expect(inRegion.stdout).toContain('ALLOWED');
    const elsewhere = await runCli([...args, '--resource', 'arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/x', '--format', 'json']);
    expect(JSON.parse(elsewhere.stdout)).toMatchObject({ decision: 'ExplicitlyDenied', derived: { 'aws:RequestedRegion': 'us-east-1' } });
    const given = await runCli([...args, '--resource', 'arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/x', '--context', 'aws:RequestedRegion=eu-west-1', '--format', 'json']);
    expect(JSON.parse(given.stdout).derived).toBeUndefined();
  });

  it('says why an implicit deny: no identity statement, or the permissions boundary', async () => {
    // alice's boundary allows only workload services: iam is outside it, whatever her policies say.
    const noAllow = await runCli(['simulate', ...STATE, '--principal', ALICE, '--action', 'iam:CreateUser', '--resource', 'arn:aws:iam::123456789012:user/x', '--format', 'json']);
    expect(JSON.parse(noAllow.stdout)).toMatchObject({ decision: 'ImplicitlyDenied', reason: 'no-allow', matched: [] });
    const snapshot = join(tmp, 'boundary.json');
    writeFileSync(snapshot, JSON.stringify({
      UserDetailList: [{ UserName: 'u', Path: '/', Arn: 'arn:aws:iam::123456789012:user/u', PermissionsBoundary: { PermissionsBoundaryArn: 'arn:aws:iam::123456789012:policy/b' }, UserPolicyList: [{ PolicyName: 'all', PolicyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iam:*', Resource: '*' }] } }] }],
      GroupDetailList: [], RoleDetailList: [],
      Policies: [{ PolicyName: 'b', Arn: 'arn:aws:iam::123456789012:policy/b', Path: '/', DefaultVersionId: 'v1', PolicyVersionList: [{ VersionId: 'v1', IsDefaultVersion: true, Document: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }] } }] }],
    }));
    const byBoundary = await runCli(['simulate', '--state', snapshot, '--principal', 'arn:aws:iam::123456789012:user/u', '--action', 'iam:CreateUser', '--resource', 'arn:aws:iam::123456789012:user/x']);
    expect(byBoundary.stdout).toContain('DENIED (implicit)');
    expect(byBoundary.stdout).toContain('the permissions boundary does not allow it (the identity statements below would)');
    expect(byBoundary.stdout).toContain('would allow by user u: inline policy all, statement 0');
  });
});
