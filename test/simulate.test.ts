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
    expect((await runCli([...args, '--context', 'aws:RequestedRegion=us-east-1'])).stdout).toContain('DENIED (explicit)  s3:ListAllMyBuckets on *');
    const multi = await runCli([...args, '--context', 'aws:RequestedRegion=us-east-1', '--context', 'aws:RequestedRegion=ap-south-1']);
    expect(multi.code).toBe(0);
    expect(multi.stdout).toContain('ALLOWED  s3:ListAllMyBuckets on *');
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
});
