/**
 * The IAM emulator must be as strict as IAM, or a reconciler passes its tests and fails on real accounts. Each case
 * is one rule of the IAM API reference, checked through the real SDK over HTTP.
 */
import { spawn } from 'node:child_process';
import {
  AddRoleToInstanceProfileCommand,
  AddUserToGroupCommand,
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  CreateGroupCommand,
  CreateInstanceProfileCommand,
  CreateLoginProfileCommand,
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  CreateRoleCommand,
  CreateServiceSpecificCredentialCommand,
  CreateUserCommand,
  CreateVirtualMFADeviceCommand,
  DeleteGroupCommand,
  DeletePolicyCommand,
  DeletePolicyVersionCommand,
  DeleteRoleCommand,
  DeleteUserCommand,
  DetachUserPolicyCommand,
  EnableMFADeviceCommand,
  GetAccountAuthorizationDetailsCommand,
  GetRoleCommand,
  CreateSAMLProviderCommand,
  DeleteSAMLProviderCommand,
  GetSAMLProviderCommand,
  ListSAMLProvidersCommand,
  UpdateSAMLProviderCommand,
  GetGroupCommand,
  GetPolicyCommand,
  GetUserCommand,
  IAMClient,
  ListPoliciesCommand,
  ListRolesCommand,
  ListUsersCommand,
  PutUserPolicyCommand,
  UploadSigningCertificateCommand,
  UploadSSHPublicKeyCommand,
} from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { virtualClock } from './helpers/clock.js';
import { startTestEmulator, type TestEmulator, iamClientFor, refusalOf } from './helpers/emulator.js';
import { PROJECT_ROOT } from './helpers/fixtures.js';
import { isRunning, processTree, type ProcessInfo } from './helpers/processes.js';

const ACCOUNT = '123456789012';
const TRUST = (principal: Record<string, unknown>) => JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: principal, Action: 'sts:AssumeRole' }] });
const DOC = (action = 's3:GetObject') => JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: action, Resource: '*' }] });

let e: TestEmulator;
let iam: IAMClient;
beforeAll(async () => {
  e = await startTestEmulator(undefined, { account: ACCOUNT });
  iam = iamClientFor(e.url);
});
afterAll(async () => {
  await e.close();
});

const refusal = (command: object): Promise<string> => refusalOf(iam, command);

describe('answers as IAM does', () => {
  it('listings leave out what IAM leaves out (boundaries, tags, policy descriptions); the Get calls and GAAD hold them, with PermissionsBoundaryType PermissionsBoundaryPolicy', async () => {
    const boundary = (await iam.send(new CreatePolicyCommand({ PolicyName: 'shape-boundary', Path: '/shape/', PolicyDocument: DOC(), Description: 'the ceiling', Tags: [{ Key: 'k', Value: 'v' }] }))).Policy!.Arn!;
    await iam.send(new CreateUserCommand({ UserName: 'shape-user', Path: '/shape/', PermissionsBoundary: boundary, Tags: [{ Key: 'team', Value: 'a' }] }));
    await iam.send(new CreateRoleCommand({ RoleName: 'shape-role', Path: '/shape/', AssumeRolePolicyDocument: TRUST({ Service: 'lambda.amazonaws.com' }), Description: 'd', PermissionsBoundary: boundary, Tags: [{ Key: 'team', Value: 'a' }] }));
    await iam.send(new CreateGroupCommand({ GroupName: 'shape-group', Path: '/shape/' }));
    await iam.send(new AddUserToGroupCommand({ GroupName: 'shape-group', UserName: 'shape-user' }));
    const expectedBoundary = { PermissionsBoundaryType: 'PermissionsBoundaryPolicy', PermissionsBoundaryArn: boundary };
    // Listings: a subset of the attributes (IAM API reference, ListUsers/ListRoles/ListPolicies: "use the Get calls").
    const listedUser = (await iam.send(new ListUsersCommand({ PathPrefix: '/shape/' }))).Users![0]!;
    expect([listedUser.UserName, listedUser.PermissionsBoundary, listedUser.Tags]).toEqual(['shape-user', undefined, undefined]);
    const listedRole = (await iam.send(new ListRolesCommand({ PathPrefix: '/shape/' }))).Roles![0]!;
    expect([listedRole.RoleName, listedRole.Description, listedRole.MaxSessionDuration, listedRole.PermissionsBoundary, listedRole.Tags]).toEqual(['shape-role', 'd', 3600, undefined, undefined]);
    const listedPolicy = (await iam.send(new ListPoliciesCommand({ Scope: 'Local', PathPrefix: '/shape/' }))).Policies!.find((p) => p.Arn === boundary)!;
    expect([listedPolicy.PolicyName, listedPolicy.Description, listedPolicy.Tags]).toEqual(['shape-boundary', undefined, undefined]);
    const member = (await iam.send(new GetGroupCommand({ GroupName: 'shape-group' }))).Users![0]!;
    expect([member.UserName, member.PermissionsBoundary, member.Tags]).toEqual(['shape-user', undefined, undefined]);
    // The Get calls hold everything.
    const user = (await iam.send(new GetUserCommand({ UserName: 'shape-user' }))).User!;
    expect([user.PermissionsBoundary, user.Tags]).toEqual([expectedBoundary, [{ Key: 'team', Value: 'a' }]]);
    const role = (await iam.send(new GetRoleCommand({ RoleName: 'shape-role' }))).Role!;
    expect([role.PermissionsBoundary, role.Tags]).toEqual([expectedBoundary, [{ Key: 'team', Value: 'a' }]]);
    const policy = (await iam.send(new GetPolicyCommand({ PolicyArn: boundary }))).Policy!;
    expect([policy.Description, policy.Tags]).toEqual(['the ceiling', [{ Key: 'k', Value: 'v' }]]);
    const details = await iam.send(new GetAccountAuthorizationDetailsCommand({ Filter: ['User', 'Role'] }));
    expect(details.UserDetailList!.find((u) => u.UserName === 'shape-user')!.PermissionsBoundary).toEqual(expectedBoundary);
    expect(details.RoleDetailList!.find((r) => r.RoleName === 'shape-role')!.PermissionsBoundary).toEqual(expectedBoundary);
  });
});

describe('SAML providers', () => {
  const metadata = (until = '2030-01-01T00:00:00Z') => `<?xml version="1.0"?><md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://idp.example.com" validUntil="${until}"><md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><!--${'x'.repeat(900)}--></md:IDPSSODescriptor></md:EntityDescriptor>`;
  it('are created, read, listed, updated and deleted as IAM does, and a role may trust one only while it exists', async () => {
    const arn = (await iam.send(new CreateSAMLProviderCommand({ Name: 'corp-idp', SAMLMetadataDocument: metadata() }))).SAMLProviderArn!;
    expect(arn).toBe(`arn:aws:iam::${ACCOUNT}:saml-provider/corp-idp`);
    expect(await refusal(new CreateSAMLProviderCommand({ Name: 'corp-idp', SAMLMetadataDocument: metadata() }))).toMatch(/^EntityAlreadyExists 409/);
    expect(await refusal(new CreateSAMLProviderCommand({ Name: 'bad name', SAMLMetadataDocument: metadata() }))).toMatch(/^ValidationError 400/);
    expect(await refusal(new CreateSAMLProviderCommand({ Name: 'short', SAMLMetadataDocument: '<md:EntityDescriptor/>' }))).toMatch(/^ValidationError 400/);
    expect(await refusal(new CreateSAMLProviderCommand({ Name: 'not-metadata', SAMLMetadataDocument: 'y'.repeat(1200) }))).toMatch(/^InvalidInput 400: Could not parse metadata/);
    const got = await iam.send(new GetSAMLProviderCommand({ SAMLProviderArn: arn }));
    expect([got.SAMLMetadataDocument, got.ValidUntil?.toISOString()]).toEqual([metadata(), '2030-01-01T00:00:00.000Z']);
    expect((await iam.send(new ListSAMLProvidersCommand({}))).SAMLProviderList!.map((p) => p.Arn)).toContain(arn);
    await iam.send(new UpdateSAMLProviderCommand({ SAMLProviderArn: arn, SAMLMetadataDocument: metadata('2031-01-01T00:00:00Z') }));
    expect((await iam.send(new GetSAMLProviderCommand({ SAMLProviderArn: arn }))).ValidUntil?.toISOString()).toBe('2031-01-01T00:00:00.000Z');
    const trust = TRUST({ Federated: arn }).replace('sts:AssumeRole', 'sts:AssumeRoleWithSAML');
    await iam.send(new CreateRoleCommand({ RoleName: 'saml-users', AssumeRolePolicyDocument: trust }));
    await iam.send(new DeleteSAMLProviderCommand({ SAMLProviderArn: arn }));
    expect(await refusal(new GetSAMLProviderCommand({ SAMLProviderArn: arn }))).toMatch(/^NoSuchEntity 404/);
    expect(await refusal(new DeleteSAMLProviderCommand({ SAMLProviderArn: arn }))).toMatch(/^NoSuchEntity 404/);
    expect(await refusal(new CreateRoleCommand({ RoleName: 'saml-users-2', AssumeRolePolicyDocument: trust }))).toMatch(/^MalformedPolicyDocument 400/);
  });
});

describe('names and parameters', () => {
  it('names are unique case-insensitively', async () => {
    await iam.send(new CreateUserCommand({ UserName: 'Dana' }));
    expect(await refusal(new CreateUserCommand({ UserName: 'dana', Path: '/other/' }))).toBe('EntityAlreadyExists 409: User with name dana already exists.');
    await iam.send(new CreatePolicyCommand({ PolicyName: 'Shared', PolicyDocument: DOC() }));
    expect(await refusal(new CreatePolicyCommand({ PolicyName: 'SHARED', Path: '/x/', PolicyDocument: DOC() }))).toMatch(/^EntityAlreadyExists 409: A policy called SHARED already exists/);
  });

  it('refuses bad names, paths and durations with ValidationError, missing entities with NoSuchEntity', async () => {
    expect(await refusal(new CreateUserCommand({ UserName: 'has space' }))).toMatch(/^ValidationError 400: 1 validation error detected: Value 'has space' at 'userName' failed to satisfy constraint/);
    expect(await refusal(new CreateUserCommand({ UserName: 'u1', Path: 'no-slashes' }))).toMatch(/^ValidationError 400: .* at 'path'/);
    expect(await refusal(new CreateRoleCommand({ RoleName: 'r-long', AssumeRolePolicyDocument: TRUST({ Service: 'lambda.amazonaws.com' }), MaxSessionDuration: 50000 }))).toMatch(/^ValidationError 400: .*maxSessionDuration.*less than or equal to 43200/);
    expect(await refusal(new GetUserCommand({ UserName: 'nobody' }))).toBe('NoSuchEntity 404: The user with name nobody cannot be found.');
    expect(await refusal(new AttachUserPolicyCommand({ UserName: 'Dana', PolicyArn: `arn:aws:iam::${ACCOUNT}:policy/missing` }))).toBe(`NoSuchEntity 404: Policy arn:aws:iam::${ACCOUNT}:policy/missing does not exist or is not attachable.`);
  });
});

describe('policy documents', () => {
  it('refuses malformed documents as IAM does', async () => {
    const put = (doc: string) => refusal(new PutUserPolicyCommand({ UserName: 'Dana', PolicyName: 'p', PolicyDocument: doc }));
    expect(await put('{not json')).toBe('MalformedPolicyDocument 400: Syntax errors in policy.');
    expect(await put(JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject' }] }))).toBe('MalformedPolicyDocument 400: Policy statement must contain resources.');
    expect(await put(JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'GetObject', Resource: '*' }] }))).toMatch(/^MalformedPolicyDocument 400: Actions\/Conditions must be prefaced by a vendor/);
    expect(await put(JSON.stringify({ Version: '2012-10-17', Statement: [{ Sid: 'A', Effect: 'Allow', Action: 's3:*', Resource: '*' }, { Sid: 'A', Effect: 'Deny', Action: 's3:*', Resource: '*' }] }))).toBe('MalformedPolicyDocument 400: Statement IDs (SID) in a single policy must be unique.');
    expect(await put(JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:*', Resource: '*' }] }))).toBe('MalformedPolicyDocument 400: Policy document should not specify a principal.');
    expect(await refusal(new CreatePolicyCommand({ PolicyName: 'huge', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: Array.from({ length: 500 }, (_, i) => `s3:Action${i}`), Resource: '*' }] }) }))).toBe('LimitExceeded 409: Cannot exceed quota for PolicySize: 6144');
  });

  it('trust policies: principals of this account must exist now (and after the consistency delay); a bare account id reads back as its root ARN', async () => {
    expect(await refusal(new CreateRoleCommand({ RoleName: 'r1', AssumeRolePolicyDocument: TRUST({ AWS: `arn:aws:iam::${ACCOUNT}:user/ghost` }) }))).toBe(`MalformedPolicyDocument 400: Invalid principal in policy: "AWS":"arn:aws:iam::${ACCOUNT}:user/ghost"`);
    expect(await refusal(new CreateRoleCommand({ RoleName: 'r1', AssumeRolePolicyDocument: TRUST({ Federated: `arn:aws:iam::${ACCOUNT}:oidc-provider/ghost.example.com` }) }))).toBe('MalformedPolicyDocument 400: Federated principals must be valid domain names or SAML metadata ARNs');
    expect(await refusal(new CreateRoleCommand({ RoleName: 'r1', AssumeRolePolicyDocument: TRUST({ Service: 'not a service' }) }))).toBe('MalformedPolicyDocument 400: Invalid principal in policy: "SERVICE":"not a service"');
    await iam.send(new CreateRoleCommand({ RoleName: 'r1', AssumeRolePolicyDocument: TRUST({ AWS: '444455556666' }) }));
    const role = await iam.send(new GetRoleCommand({ RoleName: 'r1' }));
    // Documents come back URL-encoded, as IAM sends them; the account id as IAM stores it.
    expect(role.Role!.AssumeRolePolicyDocument).toMatch(/^%7B/);
    expect(JSON.parse(decodeURIComponent(role.Role!.AssumeRolePolicyDocument!)).Statement[0].Principal).toEqual({ AWS: 'arn:aws:iam::444455556666:root' });
  });
});

describe('delete order and quotas', () => {
  it('a user with credentials, policies or groups cannot be deleted until each is removed', async () => {
    await iam.send(new CreateUserCommand({ UserName: 'leaver' }));
    await iam.send(new CreateGroupCommand({ GroupName: 'team' }));
    await iam.send(new CreateLoginProfileCommand({ UserName: 'leaver', Password: 'Secret-123-xyz' }));
    const key = await iam.send(new CreateAccessKeyCommand({ UserName: 'leaver' }));
    const mfa = await iam.send(new CreateVirtualMFADeviceCommand({ VirtualMFADeviceName: 'leaver-mfa' }));
    await iam.send(new EnableMFADeviceCommand({ UserName: 'leaver', SerialNumber: mfa.VirtualMFADevice!.SerialNumber!, AuthenticationCode1: '123456', AuthenticationCode2: '654321' }));
    await iam.send(new UploadSSHPublicKeyCommand({ UserName: 'leaver', SSHPublicKeyBody: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI leaver' }));
    await iam.send(new UploadSigningCertificateCommand({ UserName: 'leaver', CertificateBody: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----' }));
    await iam.send(new CreateServiceSpecificCredentialCommand({ UserName: 'leaver', ServiceName: 'codecommit.amazonaws.com' }));
    await iam.send(new PutUserPolicyCommand({ UserName: 'leaver', PolicyName: 'own', PolicyDocument: DOC() }));
    await iam.send(new AddUserToGroupCommand({ UserName: 'leaver', GroupName: 'team' }));
    expect(key.AccessKey!.AccessKeyId).toMatch(/^AKIA/);
    expect(await refusal(new DeleteUserCommand({ UserName: 'leaver' }))).toBe('DeleteConflict 409: Cannot delete entity, must delete login profile first.');
    expect(await refusal(new DeleteGroupCommand({ GroupName: 'team' }))).toBe('DeleteConflict 409: Cannot delete entity, must remove users from group first.');
  });

  it('a role in an instance profile or with policies, a policy attached or with old versions, cannot be deleted', async () => {
    await iam.send(new CreateRoleCommand({ RoleName: 'ec2-role', AssumeRolePolicyDocument: TRUST({ Service: 'ec2.amazonaws.com' }) }));
    await iam.send(new CreateInstanceProfileCommand({ InstanceProfileName: 'ec2-role' }));
    await iam.send(new AddRoleToInstanceProfileCommand({ InstanceProfileName: 'ec2-role', RoleName: 'ec2-role' }));
    expect(await refusal(new DeleteRoleCommand({ RoleName: 'ec2-role' }))).toBe('DeleteConflict 409: Cannot delete entity, must remove roles from instance profile first.');
    const policy = await iam.send(new CreatePolicyCommand({ PolicyName: 'versions', PolicyDocument: DOC() }));
    const arn = policy.Policy!.Arn!;
    for (let i = 0; i < 4; i++) await iam.send(new CreatePolicyVersionCommand({ PolicyArn: arn, PolicyDocument: DOC(`s3:Get${'Object'.slice(0, 6 - i)}*`), SetAsDefault: i === 3 }));
    expect(await refusal(new CreatePolicyVersionCommand({ PolicyArn: arn, PolicyDocument: DOC() }))).toBe('LimitExceeded 409: A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version.');
    expect(await refusal(new DeletePolicyVersionCommand({ PolicyArn: arn, VersionId: 'v5' }))).toBe('DeleteConflict 409: Cannot delete the default version of a policy.');
    expect(await refusal(new DeletePolicyCommand({ PolicyArn: arn }))).toMatch(/^DeleteConflict 409: This policy has more than one version/);
    await iam.send(new AttachUserPolicyCommand({ UserName: 'Dana', PolicyArn: arn }));
    for (const v of ['v1', 'v2', 'v3', 'v4']) await iam.send(new DeletePolicyVersionCommand({ PolicyArn: arn, VersionId: v }));
    expect(await refusal(new DeletePolicyCommand({ PolicyArn: arn }))).toBe('DeleteConflict 409: Cannot delete a policy attached to entities.');
    await iam.send(new DetachUserPolicyCommand({ UserName: 'Dana', PolicyArn: arn }));
    expect(await refusal(new DeletePolicyCommand({ PolicyArn: arn }))).toBe('no error');
  });

  it('at most 10 managed policies per principal and 10 groups per user', async () => {
    await iam.send(new CreateUserCommand({ UserName: 'collector' }));
    for (let i = 0; i < 10; i++) {
      const p = await iam.send(new CreatePolicyCommand({ PolicyName: `q-${i}`, PolicyDocument: DOC() }));
      await iam.send(new AttachUserPolicyCommand({ UserName: 'collector', PolicyArn: p.Policy!.Arn! }));
      await iam.send(new CreateGroupCommand({ GroupName: `g-${i}` }));
      await iam.send(new AddUserToGroupCommand({ UserName: 'collector', GroupName: `g-${i}` }));
    }
    expect(await refusal(new AttachUserPolicyCommand({ UserName: 'collector', PolicyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' }))).toBe('LimitExceeded 409: Cannot exceed quota for PoliciesPerUser: 10');
    await iam.send(new CreateGroupCommand({ GroupName: 'g-10' }));
    expect(await refusal(new AddUserToGroupCommand({ UserName: 'collector', GroupName: 'g-10' }))).toBe('LimitExceeded 409: Cannot exceed quota for GroupsPerUser: 10');
  });
});

describe('reads', () => {
  it('paginates with Marker and MaxItems, and refuses a marker of another listing', async () => {
    const pages: number[] = [];
    let marker: string | undefined;
    do {
      const page = await iam.send(new ListUsersCommand({ MaxItems: 2, ...(marker ? { Marker: marker } : {}) }));
      pages.push(page.Users!.length);
      marker = page.IsTruncated ? page.Marker : undefined;
    } while (marker);
    expect(pages.reduce((a, b) => a + b, 0)).toBe((await iam.send(new ListUsersCommand({}))).Users!.length);
    expect(pages.length).toBeGreaterThan(1);
    const first = await iam.send(new ListUsersCommand({ MaxItems: 1 }));
    expect(await refusal(new GetAccountAuthorizationDetailsCommand({ Marker: first.Marker! }))).toBe('InvalidInput 400: Invalid Marker.');
  });

  it('hides what was created a moment ago, with a consistency delay', async () => {
    const clock = virtualClock();
    const slow = await startTestEmulator(undefined, { account: ACCOUNT, consistencyDelayMs: 300, clock });
    const client = new IAMClient({ endpoint: slow.url, region: 'us-east-1', credentials: { accessKeyId: 'AKIAX', secretAccessKey: 'x' }, maxAttempts: 1 });
    try {
      await client.send(new CreateUserCommand({ UserName: 'fresh' }));
      await expect(client.send(new GetUserCommand({ UserName: 'fresh' }))).rejects.toThrow(/cannot be found/);
      await expect(client.send(new CreateRoleCommand({ RoleName: 'trusting', AssumeRolePolicyDocument: TRUST({ AWS: `arn:aws:iam::${ACCOUNT}:user/fresh` }) }))).rejects.toThrow(/Invalid principal/);
      await clock.sleep(299);
      await expect(client.send(new GetUserCommand({ UserName: 'fresh' }))).rejects.toThrow(/cannot be found/);
      await clock.sleep(1);
      expect((await client.send(new GetUserCommand({ UserName: 'fresh' }))).User!.UserName).toBe('fresh');
      await client.send(new CreateRoleCommand({ RoleName: 'trusting', AssumeRolePolicyDocument: TRUST({ AWS: `arn:aws:iam::${ACCOUNT}:user/fresh` }) }));
    } finally {
      await slow.close();
    }
  });
});

describe('faults and hooks', () => {
  it('answers Throttling and ServiceFailure on demand, and counts every call', async () => {
    const faulty = await startTestEmulator(undefined, { throttleRate: 1 });
    const client = new IAMClient({ endpoint: faulty.url, region: 'us-east-1', credentials: { accessKeyId: 'AKIAX', secretAccessKey: 'x' }, maxAttempts: 2, retryStrategy: undefined });
    try {
      await expect(client.send(new ListUsersCommand({}))).rejects.toMatchObject({ name: 'Throttling', $metadata: { httpStatusCode: 400 } });
      const calls = (await (await fetch(`${faulty.url}/_emulator/calls`)).json()) as { total: number; byAction: Record<string, number> };
      expect(calls).toEqual({ total: 2, byAction: { ListUsers: 2 }, throttled: 2, failed: 0 });
      await fetch(`${faulty.url}/_emulator/calls`, { method: 'DELETE' });
      expect(await (await fetch(`${faulty.url}/_emulator/calls`)).json()).toEqual({ total: 0, byAction: {}, throttled: 0, failed: 0 });
    } finally {
      await faulty.close();
    }
    const failing = await startTestEmulator(undefined, { errorRate: 1 });
    const failingClient = new IAMClient({ endpoint: failing.url, region: 'us-east-1', credentials: { accessKeyId: 'AKIAX', secretAccessKey: 'x' }, maxAttempts: 1 });
    try {
      await expect(failingClient.send(new ListUsersCommand({}))).rejects.toMatchObject({ name: 'ServiceFailureException', $metadata: { httpStatusCode: 500 } });
    } finally {
      await failing.close();
    }
  });

  it('npm run -s emulator prints exactly one line, its URL, once it listens on loopback; SIGTERM to npm stops it all', async () => {
    // As the README starts it (-s: npm's own banner off standard output).
    const child = spawn('npm', ['run', '-s', 'emulator', '--', '--port', '0', '--account', '111122223333'], { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    let started: ProcessInfo[] = [];
    try {
      const line = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('\n')) resolve(out);
        });
        child.on('exit', (code) => reject(new Error(`exited ${code}`)));
      });
      expect(line).toMatch(/^http:\/\/127\.0\.0\.1:\d+\n$/);
      const state = (await (await fetch(`${line.trim()}/_emulator/state`)).json()) as { UserDetailList: { Arn: string }[] };
      expect(state.UserDetailList.map((u) => u.Arn)).toEqual(['arn:aws:iam::111122223333:user/emulator-admin']);
      started = processTree(child.pid!);
      expect(started.map((p) => p.command).join('\n')).toContain('tools/iam-emulator/main.ts');
    } finally {
      // What a supervisor does: SIGTERM to the process it started (npm), which must reach the server behind it.
      child.kill('SIGTERM');
      await exited;
    }
    const deadline = Date.now() + 10_000;
    while (started.some(isRunning) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const left = started.filter(isRunning);
    for (const p of left) process.kill(p.pid, 'SIGKILL');
    expect(left.map((p) => p.command), 'still running after SIGTERM to npm').toEqual([]);
  });
});
