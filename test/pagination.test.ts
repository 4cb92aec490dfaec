/**
 * Big accounts. Laws:
 * - the emulator paginates as IAM does: MaxItems 1 to 1,000 (default 100), `IsTruncated` with an opaque `Marker` to
 *   go on from, the pages together exactly the listing, no Marker past the last page;
 * - the AWS writer follows every page of every listing its clean-ups read: a policy attached to more than 1,000
 *   principals (and the boundary of more than 100), a group's members over several pages, and every credential,
 *   policy, membership, instance profile and version of a user, role or policy when IAM pages them one by one, are
 *   all removed, and the deletion succeeds. IAM's quotas (2 access keys, 5 versions, 5 SSH keys per user) make pages
 *   of those only with a small page size, which the emulator can impose (`maxPageItems`). Through the real SDK;
 *   apply through the CLI for the 130 principals.
 */
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetGroupCommand, IAMClient, ListEntitiesForPolicyCommand, ListUsersCommand } from '@aws-sdk/client-iam';
import { describe, expect, it } from 'vitest';
import type { Step, StepOp } from '../src/apply/steps.js';
import { AwsIamWriter } from '../src/live/aws/aws-iam-writer.js';
import { createAwsClients } from '../src/live/aws/connection.js';
import { CREDENTIALS_ENV, emulatorsClosedAfterEachTest, exampleSnapshotJson, type TestEmulator } from './helpers/emulator.js';
import { PROJECT_ROOT } from './helpers/fixtures.js';
import * as credentials from '../tools/iam-emulator/credentials.js';
import { runCli } from './helpers/run-cli.js';

const ACCOUNT = '123456789012';
const DOC = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }] });
const emulator = emulatorsClosedAfterEachTest();

const client = (e: TestEmulator): IAMClient => new IAMClient({ endpoint: e.url, region: 'us-east-1', credentials: { accessKeyId: CREDENTIALS_ENV.AWS_ACCESS_KEY_ID, secretAccessKey: CREDENTIALS_ENV.AWS_SECRET_ACCESS_KEY }, maxAttempts: 1 });

function writer(e: TestEmulator, maxAttempts = 3): AwsIamWriter {
  return new AwsIamWriter(createAwsClients({ endpoint: e.url, env: CREDENTIALS_ENV, maxAttempts, retryBaseDelayMs: 5 }), { account: ACCOUNT, untouchable: () => undefined });
}

const step = (op: StepOp, target: string): Step => ({ id: 1, phase: 'delete-policies', title: `${op.op} ${target}`, target, alsoTouches: [], op });

async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'no error';
  } catch (err) {
    return `${(err as Error).name}: ${(err as Error).message}`;
  }
}

describe('the emulator paginates as IAM does', () => {
  it('MaxItems defaults to 100 and goes up to 1,000; the pages are the listing; markers are checked', async () => {
    const e = await emulator(undefined, { account: ACCOUNT });
    for (let i = 0; i < 1_150; i++) e.model.createUser(`u${String(i).padStart(4, '0')}`, '/bulk/');
    const iam = client(e);
    const first = await iam.send(new ListUsersCommand({ PathPrefix: '/bulk/' }));
    expect(first.Users).toHaveLength(100);
    expect(first.IsTruncated).toBe(true);
    for (const size of [1_000, 100]) {
      const names: string[] = [];
      let marker: string | undefined;
      let pages = 0;
      do {
        const page = await iam.send(new ListUsersCommand({ PathPrefix: '/bulk/', MaxItems: size, ...(marker ? { Marker: marker } : {}) }));
        names.push(...page.Users!.map((u) => u.UserName!));
        expect(page.Users!.length).toBeLessThanOrEqual(size);
        marker = page.IsTruncated ? page.Marker : undefined;
        if (!page.IsTruncated) expect(page.Marker).toBeUndefined();
        pages++;
      } while (marker);
      expect(new Set(names).size).toBe(1_150);
      expect(pages).toBe(Math.ceil(1_150 / size));
    }
    expect(await refusal(iam.send(new ListUsersCommand({ MaxItems: 1_001 })))).toMatch(/ValidationError: .*maxItems.*less than or equal to 1000/);
    expect(await refusal(iam.send(new ListUsersCommand({ MaxItems: 0 })))).toMatch(/ValidationError: .*maxItems.*greater than or equal to 1/);
    expect(await refusal(iam.send(new ListUsersCommand({ Marker: 'x'.repeat(321) })))).toMatch(/ValidationError: .*marker.*320/);
    expect(await refusal(iam.send(new ListUsersCommand({ Marker: 'not-one-of-ours' })))).toBe('InvalidInputException: Invalid Marker.');
  });
});

describe('the writer follows every page', () => {
  it('deletes a policy attached to 1,001 principals', async () => {
    const e = await emulator(undefined, { account: ACCOUNT });
    const policy = e.model.createPolicy('shared', '/', DOC);
    for (let i = 0; i < 1_001; i++) {
      e.model.createUser(`user-${i}`, '/bulk/');
      e.model.attachPolicy('user', `user-${i}`, policy.arn);
    }
    await e.resetCalls();
    const outcome = await writer(e).perform(step({ op: 'deletePolicy', arn: policy.arn }, policy.arn));
    expect(outcome.notes).toEqual([]);
    expect(e.model.policies.has(policy.arn)).toBe(false);
    expect([...e.model.users.values()].filter((u) => u.path === '/bulk/' && u.attached.length)).toEqual([]);
    // Attachments in two pages of at most 1,000, boundaries in one.
    expect(e.calls().byAction['ListEntitiesForPolicy']).toBe(3);
    expect(e.calls().byAction['DetachUserPolicy']).toBe(1_001);
  }, 60_000);

  it('deletes a group of 130 members when IAM pages them 50 at a time', async () => {
    const e = await emulator(undefined, { account: ACCOUNT, maxPageItems: 50 });
    e.model.createGroup('crowd', '/');
    for (let i = 0; i < 130; i++) {
      e.model.createUser(`member-${i}`, '/');
      e.model.addUserToGroup('crowd', `member-${i}`);
    }
    const first = await client(e).send(new GetGroupCommand({ GroupName: 'crowd' }));
    expect([first.Users!.length, first.IsTruncated]).toEqual([50, true]);
    await e.resetCalls();
    await writer(e).perform(step({ op: 'deleteGroup', name: 'crowd' }, `arn:aws:iam::${ACCOUNT}:group/crowd`));
    expect(e.model.groups.has('crowd')).toBe(false);
    expect([...e.model.users.values()].filter((u) => u.groups.length)).toEqual([]);
    expect(e.calls().byAction['GetGroup']).toBe(3);
  });

  it('deletes a user, a role and a policy when IAM returns one item per page, and makes room for a new version', async () => {
    const e = await emulator(undefined, { account: ACCOUNT, maxPageItems: 1 });
    const m = e.model;
    const policies = Array.from({ length: 10 }, (_, i) => m.createPolicy(`p${i}`, '/', DOC).arn);
    m.createUser('leaver', '/');
    for (let i = 0; i < 2; i++) credentials.createAccessKey(m, 'leaver');
    for (let i = 0; i < 3; i++) credentials.enableMfaDevice(m, 'leaver', credentials.createVirtualMfaDevice(m, `leaver-${i}`).serial);
    for (let i = 0; i < 5; i++) credentials.uploadSshPublicKey(m, 'leaver', `ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ${'x'.repeat(300)}${i} leaver@example`);
    for (let i = 0; i < 2; i++) credentials.uploadSigningCertificate(m, 'leaver', `-----BEGIN CERTIFICATE-----\nMIIC${i}\n-----END CERTIFICATE-----`);
    for (const service of ['codecommit.amazonaws.com', 'cassandra.amazonaws.com']) for (let i = 0; i < 2; i++) credentials.createServiceSpecificCredential(m, 'leaver', service);
    for (let i = 0; i < 6; i++) m.putInlinePolicy('user', 'leaver', `inline-${i}`, DOC);
    for (const arn of policies) m.attachPolicy('user', 'leaver', arn);
    for (let i = 0; i < 10; i++) {
      m.createGroup(`g${i}`, '/');
      m.addUserToGroup(`g${i}`, 'leaver');
    }
    await writer(e).perform(step({ op: 'deleteUser', name: 'leaver' }, `arn:aws:iam::${ACCOUNT}:user/leaver`));
    expect(m.users.has('leaver')).toBe(false);
    expect(m.virtualMfaDevices.size).toBe(0);

    const trust = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }] });
    m.createRole('worker', '/', trust);
    for (let i = 0; i < 6; i++) m.putInlinePolicy('role', 'worker', `inline-${i}`, DOC);
    for (const arn of policies) m.attachPolicy('role', 'worker', arn);
    for (const profile of ['worker', 'shared-a']) {
      m.createInstanceProfile(profile);
      m.addRoleToInstanceProfile(profile, 'worker');
    }
    await writer(e).perform(step({ op: 'deleteRole', name: 'worker', keepProfiles: false }, `arn:aws:iam::${ACCOUNT}:role/worker`));
    expect(m.roles.has('worker')).toBe(false);
    expect([...m.instanceProfiles.keys()]).toEqual(['shared-a']);

    const versioned = policies[0]!;
    for (let v = 0; v < 4; v++) m.createPolicyVersion(versioned, DOC.replace('GetObject', `GetObject${v}`), false);
    expect(m.policy(versioned).versions).toHaveLength(5);
    const changed = JSON.parse(DOC.replace('s3:GetObject', 's3:PutObject')) as Record<string, unknown>;
    // One attempt per call: the SDK takes IAM's LimitExceeded (a quota, not throttling) for throttling and would
    // back off before the writer makes room.
    await writer(e, 1).perform(step({ op: 'updatePolicyDocument', arn: versioned, document: changed }, versioned));
    expect(m.policy(versioned).versions.find((v) => v.isDefault)!.document).toContain('s3:PutObject');
    expect(m.policy(versioned).versions).toHaveLength(5);
    // Attached to two groups and two roles, the boundary of three users: each listing in pages of one.
    for (const name of ['g0', 'g1']) m.attachPolicy('group', name, versioned);
    for (const name of ['r0', 'r1']) m.attachPolicy('role', m.createRole(name, '/', trust).name, versioned);
    for (const name of ['b0', 'b1', 'b2']) m.createUser(name, '/', versioned);
    await e.resetCalls();
    await writer(e).perform(step({ op: 'deletePolicy', arn: versioned }, versioned));
    expect(m.policies.has(versioned)).toBe(false);
    expect(e.calls().byAction).toMatchObject({ ListEntitiesForPolicy: 4 + 3, DetachGroupPolicy: 2, DetachRolePolicy: 2, DeleteUserPermissionsBoundary: 3, ListPolicyVersions: 5, DeletePolicyVersion: 4 });
  }, 60_000);
});

describe('apply through the CLI', () => {
  it('deletes a policy attached to 130 principals no manifest declares, and converges', async () => {
    const e = await emulator(exampleSnapshotJson());
    const policy = e.model.createPolicy('legacy-shared', '/', DOC);
    for (let i = 0; i < 130; i++) {
      e.model.createUser(`temp-${i}`, '/temps/');
      e.model.attachPolicy('user', `temp-${i}`, policy.arn);
    }
    const dir = join(mkdtempSync(join(tmpdir(), 'iam-gitops-pagination-')), 'manifests');
    cpSync(join(PROJECT_ROOT, 'manifests'), dir, { recursive: true });
    writeFileSync(join(dir, 'policies/legacy-shared.yaml'), `kind: Policy\nname: legacy-shared\ndeleted: true\n`);
    const run = await runCli(['apply', ...e.awsArgs, '--manifests', dir, '--auto-approve'], e.env);
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    expect(run.stdout).toMatch(/delete policy legacy-shared ok/);
    expect(e.model.policies.has(policy.arn)).toBe(false);
    expect((await client(e).send(new ListEntitiesForPolicyCommand({ PolicyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' }))).IsTruncated).toBe(false);
  }, 60_000);
});
