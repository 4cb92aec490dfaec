/**
 * What users expect around the edges: CI gates on findings (--fail-on, accepted risks), the exit-code table, lints
 * for statements that grant nothing, --version, and NO_COLOR as no-color.org defines it.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../cmd/cli.js';
import { validateManifests } from '../src/app/use-cases.js';
import { FINDING_CODES } from '../src/core/finding-codes.js';
import { manifestsFromFiles } from '../src/manifest/files-source.js';
import { readFileSync } from 'node:fs';
import { PROJECT_ROOT } from './helpers/fixtures.js';
import { runCli } from './helpers/run-cli.js';
import { planFiles } from './helpers/example.js';
import { renderPlanText } from '../src/render/text-plan.js';
import { loadActionCatalog } from '../src/catalog/iam-data-catalog.js';

const tmp = mkdtempSync(join(tmpdir(), 'iam-gitops-gates-'));
const STATE = ['--state', 'example/live-snapshot.json'];

/** A copy of the example manifests with some files replaced or added. */
function exampleWith(name: string, files: Record<string, string>): string {
  const dir = join(tmp, name);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  for (const entry of ['account.yaml', 'groups/developers.yaml', 'groups/platform-admins.yaml', 'policies/deploy-lambda.yaml', 'policies/developer-boundary.yaml', 'policies/read-artifacts.yaml', 'policies/documents/read-artifacts.json', 'roles/ci-readonly.yaml', 'roles/github-deploy.yaml', 'roles/legacy-batch.yaml', 'users/alice.yaml', 'users/bob.yaml', 'users/carol.yaml']) {
    if (files[entry] !== undefined) continue;
    mkdirSync(join(dir, entry, '..'), { recursive: true });
    writeFileSync(join(dir, entry), readFileSync(join(PROJECT_ROOT, 'manifests', entry), 'utf8'));
  }
  return dir;
}

describe('--fail-on', () => {
  // The example plan introduces carol's FULL_ADMIN (critical).
  it('plan exits 3 when the change introduces a finding at or above the threshold, and never by default', async () => {
    expect((await runCli(['plan', '--manifests', 'manifests', ...STATE])).code).toBe(0);
    const critical = await runCli(['plan', '--manifests', 'manifests', ...STATE, '--fail-on', 'critical']);
    expect(critical.code).toBe(3);
    expect(critical.stderr).toContain('the change introduces 1 finding at or above critical (--fail-on critical): FULL_ADMIN on arn:aws:iam::123456789012:user/people/carol');
    expect((await runCli(['plan', '--manifests', 'manifests', ...STATE, '--fail-on', 'low', '--detailed-exitcode'])).code).toBe(3);
    expect((await runCli(['plan', '--manifests', 'manifests', ...STATE, '--fail-on', 'never', '--detailed-exitcode'])).code).toBe(2);
  });

  it('an accepted risk is shown as accepted and fails nothing', async () => {
    const account = 'kind: Account\nid: "123456789012"\nprotected: [arn:aws:iam::123456789012:role/break-glass]\nacceptedRisks:\n  - principal: arn:aws:iam::123456789012:user/people/carol\n    code: FULL_ADMIN\n    reason: carol is the on-call administrator\n';
    const dir = exampleWith('accepted', { 'account.yaml': account });
    const plan = await runCli(['plan', '--manifests', dir, ...STATE, '--fail-on', 'critical']);
    expect(plan.code).toBe(0);
    expect(plan.stdout).toContain('FULL_ADMIN  arn:aws:iam::123456789012:user/people/carol (accepted risk: carol is the on-call administrator)');
    const json = JSON.parse((await runCli(['plan', '--manifests', dir, ...STATE, '--format', 'json'])).stdout);
    expect(json.findings.find((f: { code: string }) => f.code === 'FULL_ADMIN')).toMatchObject({ accepted: 'carol is the on-call administrator' });
    // audit: the break-glass role is an administrator (critical): accepted, the audit passes at high.
    const breakGlass = 'kind: Account\nid: "123456789012"\nacceptedRisks:\n  - {principal: arn:aws:iam::123456789012:role/break-glass, code: FULL_ADMIN, reason: emergency access}\n';
    const audited = exampleWith('accepted-audit', { 'account.yaml': breakGlass, 'users/carol.yaml': 'kind: User\nname: carol\npath: /people/\n' });
    const before = await runCli(['audit', ...STATE, '--format', 'json']);
    expect(before.code).toBe(2);
    const after = await runCli(['audit', ...STATE, '--manifests', audited, '--format', 'json']);
    expect(JSON.parse(after.stdout).findings.filter((f: { accepted?: string; severity: string }) => !f.accepted && (f.severity === 'critical' || f.severity === 'high'))).toEqual([]);
    expect(after.code).toBe(0);
    expect((await runCli(['audit', ...STATE, '--fail-on', 'never'])).code).toBe(0);
  });

  it('refuses an accepted risk with an unknown code or no reason, at its place', async () => {
    const dir = exampleWith('bad-accepted', { 'account.yaml': 'kind: Account\nid: "123456789012"\nacceptedRisks:\n  - {principal: role/x, code: FULL_ADMN, reason: ""}\n' });
    const run = await runCli(['validate', '--manifests', dir]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('account.yaml:4:17: error: accepted risk principal "role/x" is not an ARN');
    expect(run.stderr).toMatch(/account\.yaml:4:\d+: error: unknown finding code "FULL_ADMN"\n.*Did you mean "FULL_ADMIN"/);
    expect(run.stderr).toContain('error: an accepted risk needs a reason');
  });

  it('the finding codes list holds every code the analyzer uses', () => {
    const sources = ['findings.ts', 'plan-findings.ts'].map((f) => readFileSync(join(PROJECT_ROOT, 'src/analyze', f), 'utf8')).join('\n');
    const used = new Set([...sources.matchAll(/'([A-Z][A-Z0-9]*_[A-Z0-9_]+)'/g)].map((m) => m[1]!));
    expect(used.size).toBeGreaterThan(20);
    for (const code of used) expect(FINDING_CODES).toContain(code);
  });
});

describe('lints: statements that grant nothing', () => {
  const validate = async (account: string, user: string) =>
    (await validateManifests(manifestsFromFiles('m', 'm', new Map([['m/account.yaml', account], ['m/u.yaml', user]])))).diagnostics.filter((d) => d.severity === 'warning');
  const ACCOUNT = 'kind: Account\nid: "123456789012"\n';

  it('a wildcard-only action given only specific resources', async () => {
    const found = await validate(ACCOUNT, 'kind: User\nname: u\ninlinePolicies:\n  p:\n    Version: "2012-10-17"\n    Statement:\n      - Effect: Allow\n        Action: [ec2:DescribeInstances, ec2:StartInstances]\n        Resource: arn:aws:ec2:eu-west-1:123456789012:instance/i-1\n');
    expect(found).toEqual([expect.objectContaining({ summary: '"ec2:DescribeInstances" takes no resource, and this statement gives it only specific ones', at: { file: 'm/u.yaml', line: 8, col: 18 } })]);
  });

  it('an action paired only with resources of types it does not take (the bucket and its objects)', async () => {
    const found = await validate(ACCOUNT, 'kind: User\nname: u\ninlinePolicies:\n  p:\n    Version: "2012-10-17"\n    Statement:\n      - Effect: Allow\n        Action: [s3:ListBucket, s3:GetObject]\n        Resource: arn:aws:s3:::acme-data/*\n      - Effect: Allow\n        Action: [s3:GetObject, s3:ListBucket]\n        Resource: [arn:aws:s3:::acme-data, arn:aws:s3:::acme-data/*]\n      - Effect: Deny\n        Action: sqs:SendMessage\n        Resource: arn:aws:dynamodb:eu-west-1:123456789012:table/orders\n');
    expect(found.map((d) => `${d.at!.line}:${d.at!.col} ${d.summary}`)).toEqual([
      '8:18 "s3:ListBucket" is paired only with resources of types it does not take',
      '14:17 "sqs:SendMessage" is paired only with resources of types it does not take',
    ]);
    expect(found[0]!.detail).toContain('It grants nothing on them. It acts on accesspoint (arn:${Partition}:s3:${Region}:${Account}:accesspoint/${AccessPointName}), bucket (arn:${Partition}:s3:::${BucketName})');
    expect(found[1]!.detail).toContain('It denies nothing on them');
  });

  it('a boundary with no Allow denies everything', async () => {
    const found = (await validateManifests(manifestsFromFiles('m', 'm', new Map([['m/account.yaml', ACCOUNT], ['m/b.yaml', 'kind: Boundary\nname: b\ndocument:\n  Version: "2012-10-17"\n  Statement:\n    - Effect: Deny\n      Action: "*"\n      Resource: "*"\n']])))).diagnostics;
    expect(found).toContainEqual(expect.objectContaining({ severity: 'warning', summary: 'Boundary "b" has no Allow statement: it denies everything', at: { file: 'm/b.yaml', line: 4, col: 3 } }));
  });
});

describe('small things', () => {
  it('--version prints the version', async () => {
    const run = await runCli(['--version']);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`${JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')).version}\n`);
  });

  it('NO_COLOR set but empty does not disable colour; set to anything, it does', async () => {
    const run = async (env: Record<string, string>) => {
      let out = '';
      await main(['plan', '--manifests', 'manifests', ...STATE], { stdout: (t) => (out += t), stderr: () => {}, stdoutIsTty: true, env });
      return out;
    };
    // eslint-disable-next-line no-control-regex
    const coloured = /\u001b\[/;
    expect(await run({})).toMatch(coloured);
    expect(await run({ NO_COLOR: '' })).toMatch(coloured);
    expect(await run({ NO_COLOR: '1' })).not.toMatch(coloured);
  });

  it('grammar: one principal, one AWS-owned role, protected entities never "deleted by prune", diff hunks as "@@ line N @@"', async () => {
    const plan = await runCli(['plan', '--manifests', 'manifests', ...STATE]);
    expect(plan.stdout).toContain('arn:aws:iam::123456789012:role/break-glass (protected: never deleted)');
    expect(plan.stdout).toContain('prune: true would delete those not protected');
    const markdown = await runCli(['plan', '--manifests', 'manifests', ...STATE, '--format', 'markdown']);
    expect(markdown.stdout).toMatch(/^@@ line \d+ @@$/m);
    expect(markdown.stdout).not.toContain('@@   @@');
    const files = new Map([['m/account.yaml', 'kind: Account\nid: "123456789012"\n'], ['m/u.yaml', 'kind: User\nname: u\ninlinePolicies:\n  p: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: s3:GetObject, Resource: "arn:aws:s3:::b/*"}]}\n']]);
    const single = await planFiles(files, { UserDetailList: [{ UserName: 'u', Path: '/', Arn: 'arn:aws:iam::123456789012:user/u' }], GroupDetailList: [], RoleDetailList: [], Policies: [] }, 'm');
    expect(renderPlanText(single, undefined, 'proposal', await loadActionCatalog())).toContain('Access changes: 1 principal gains or loses permissions');
    const imported = await runCli(['import', '--state', 'example/live-snapshot.json', '--out', join(tmp, 'one-aws-role')]);
    expect(imported.stdout).toContain('(skipped 1 AWS-owned role)');
  });
});

describe('trust policy grammar', () => {
  it('refuses an Allow with NotPrincipal (IAM does) and warns of a Deny with it', async () => {
    const manifests = (effect: string) => manifestsFromFiles('m', 'm', new Map([
      ['m/account.yaml', 'kind: Account\nid: "111122223333"\n'],
      ['m/role.yaml', `kind: Role\nname: r\ntrustPolicy:\n  Version: "2012-10-17"\n  Statement:\n    - Effect: Allow\n      Principal: { Service: ec2.amazonaws.com }\n      Action: sts:AssumeRole\n    - Effect: ${effect}\n      NotPrincipal: { AWS: "arn:aws:iam::444455556666:role/deploy" }\n      Action: sts:AssumeRole\n`],
    ]));
    const allow = (await validateManifests(manifests('Allow'))).diagnostics.filter((d) => d.summary.includes('NotPrincipal'));
    expect(allow.map((d) => [d.severity, d.summary, d.at?.file, d.at?.line])).toEqual([['error', 'NotPrincipal with "Effect": "Allow" is not allowed in a trust policy', 'm/role.yaml', 10]]);
    const deny = (await validateManifests(manifests('Deny'))).diagnostics.filter((d) => d.summary.includes('NotPrincipal'));
    expect(deny.map((d) => d.severity)).toEqual(['warning']);
  });
});
