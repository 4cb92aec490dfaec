/**
 * Issue 18's "done when": one config repo that uses every kind a config repo can own (users, groups, roles, managed
 * policies, a boundary, an OIDC and a SAML identity provider, instance profiles, the password policy and the account
 * alias, then renames, then a credentials policy) is applied to an empty emulated account through the real SDK, read back through the SDK call
 * by call, and planned again to no changes: from live IAM, from `snapshot --aws`, and from what `import --aws` writes.
 */
import { appendFileSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateAccessKeyCommand,
  GetAccountPasswordPolicyCommand,
  GetGroupCommand,
  GetInstanceProfileCommand,
  GetOpenIDConnectProviderCommand,
  GetPolicyCommand,
  GetRoleCommand,
  GetSAMLProviderCommand,
  GetUserCommand,
  ListAccountAliasesCommand,
  ListAccessKeysCommand,
  ListAttachedRolePoliciesCommand,
  ListInstanceProfilesForRoleCommand,
} from '@aws-sdk/client-iam';
import { afterAll, describe, expect, it } from 'vitest';
import { emulatorsClosedAfterEachTest, iamClientFor, type TestEmulator } from './helpers/emulator.js';
import { PROJECT_ROOT } from './helpers/fixtures.js';
import { runCli } from './helpers/run-cli.js';

const ACCOUNT = '123456789012';
const tmp = mkdtempSync(join(tmpdir(), 'iam-gitops-all-kinds-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const emulator = emulatorsClosedAfterEachTest();

const EC2_TRUST = `trustPolicy:
  Version: "2012-10-17"
  Statement:
    - Effect: Allow
      Principal: {Service: ec2.amazonaws.com}
      Action: sts:AssumeRole
`;

function samlMetadata(entity: string): string {
  const cert = 'MIIC'.padEnd(1200, 'A');
  return `<?xml version="1.0"?>\n<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="${entity}"><md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>${cert}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor><md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://sso.example.com/saml"/></md:IDPSSODescriptor></md:EntityDescriptor>\n`;
}

/** The bundled example (users, groups, roles, policies, a boundary, the GitHub OIDC provider, a password policy) and the kinds it lacks. */
function everyKindRepo(): string {
  const dir = join(tmp, 'repo');
  cpSync(join(PROJECT_ROOT, 'manifests'), dir, { recursive: true });
  // The lock file is apply's own record; this test starts from an empty account.
  rmSync(join(dir, 'aws-managed-policies.lock.json'), { force: true });
  appendFileSync(join(dir, 'account.yaml'), 'alias: acme-all-kinds\n');
  writeFileSync(join(dir, 'providers/corp.yaml'), 'kind: SAMLProvider\nname: corp\nmetadataDocumentFile: corp-metadata.xml\ntags: {owner: security}\n');
  writeFileSync(join(dir, 'providers/corp-metadata.xml'), samlMetadata('https://sso.example.com'));
  writeFileSync(
    join(dir, 'roles/sso-admin.yaml'),
    `kind: Role\nname: sso-admin\ndescription: Administrators signing in through the corporate IdP\nmaxSessionDuration: 14400\ntrustPolicy:\n  Version: "2012-10-17"\n  Statement:\n    - Effect: Allow\n      Principal: {Federated: arn:aws:iam::${ACCOUNT}:saml-provider/corp}\n      Action: sts:AssumeRoleWithSAML\n      Condition: {StringEquals: {"SAML:aud": https://signin.aws.amazon.com/saml}}\nmanagedPolicies: [arn:aws:iam::aws:policy/ReadOnlyAccess]\n`,
  );
  writeFileSync(join(dir, 'roles/web-host.yaml'), `kind: Role\nname: web-host\npath: /hosts/\n${EC2_TRUST}instanceProfile: true\ntags: {team: web}\n`);
  writeFileSync(join(dir, 'roles/batch-worker.yaml'), `kind: Role\nname: batch-worker\n${EC2_TRUST}instanceProfile: {name: batch-hosts}\n`);
  return dir;
}

const apply = (e: TestEmulator, dir: string) => runCli(['apply', ...e.awsArgs, '--manifests', dir, '--auto-approve'], e.env);
const planExit = async (e: TestEmulator, args: string[]) => {
  const run = await runCli(['plan', ...args, '--detailed-exitcode'], e.env);
  return { code: run.code, output: run.stdout + run.stderr };
};

describe('every kind a config repo owns, applied to the emulator through the SDK', () => {
  it('applies, reads back as declared, and re-plans to no changes from live IAM, from snapshot --aws and from import --aws; renames likewise', async () => {
    const e = await emulator(undefined, { account: ACCOUNT });
    const iam = iamClientFor(e.url);
    const repo = everyKindRepo();

    const first = await apply(e, repo);
    expect(first.code, first.stderr + first.stdout).toBe(0);

    // Read back, kind by kind, through the SDK.
    expect((await iam.send(new GetUserCommand({ UserName: 'alice' }))).User?.Arn).toBe(`arn:aws:iam::${ACCOUNT}:user/people/alice`);
    expect((await iam.send(new GetGroupCommand({ GroupName: 'developers' }))).Users?.map((u) => u.UserName).sort()).toEqual(['alice', 'bob']);
    const policy = (await iam.send(new GetPolicyCommand({ PolicyArn: `arn:aws:iam::${ACCOUNT}:policy/deploy-lambda` }))).Policy;
    expect(policy?.DefaultVersionId).toBe('v1');
    expect((await iam.send(new GetUserCommand({ UserName: 'bob' }))).User?.PermissionsBoundary?.PermissionsBoundaryArn).toBe(`arn:aws:iam::${ACCOUNT}:policy/developer-boundary`);
    const sso = (await iam.send(new GetRoleCommand({ RoleName: 'sso-admin' }))).Role!;
    expect({ description: sso.Description, maxSessionDuration: sso.MaxSessionDuration }).toEqual({ description: 'Administrators signing in through the corporate IdP', maxSessionDuration: 14400 });
    expect((await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: 'sso-admin' }))).AttachedPolicies?.map((p) => p.PolicyName)).toEqual(['ReadOnlyAccess']);
    const oidc = await iam.send(new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: `arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com` }));
    expect(oidc.ClientIDList).toEqual(['sts.amazonaws.com']);
    const saml = await iam.send(new GetSAMLProviderCommand({ SAMLProviderArn: `arn:aws:iam::${ACCOUNT}:saml-provider/corp` }));
    expect(saml.SAMLMetadataDocument).toContain('entityID="https://sso.example.com"');
    expect(saml.Tags).toEqual([{ Key: 'owner', Value: 'security' }]);
    const webProfile = (await iam.send(new GetInstanceProfileCommand({ InstanceProfileName: 'web-host' }))).InstanceProfile!;
    expect({ path: webProfile.Path, roles: webProfile.Roles?.map((r) => r.RoleName) }).toEqual({ path: '/hosts/', roles: ['web-host'] });
    expect((await iam.send(new ListInstanceProfilesForRoleCommand({ RoleName: 'batch-worker' }))).InstanceProfiles?.map((p) => p.InstanceProfileName)).toEqual(['batch-hosts']);
    expect((await iam.send(new GetAccountPasswordPolicyCommand({}))).PasswordPolicy).toMatchObject({ MinimumPasswordLength: 14, PasswordReusePrevention: 24, AllowUsersToChangePassword: true });
    expect((await iam.send(new ListAccountAliasesCommand({}))).AccountAliases).toEqual(['acme-all-kinds']);
    // Apply recorded the AWS managed policy the manifests use.
    expect(Object.keys((JSON.parse(readFileSync(join(repo, 'aws-managed-policies.lock.json'), 'utf8')) as { policies: Record<string, unknown> }).policies)).toContain('arn:aws:iam::aws:policy/ReadOnlyAccess');

    // Nothing left to do, whatever the tool reads live IAM from.
    const again = await planExit(e, [...e.awsArgs, '--manifests', repo]);
    expect(again.code, again.output).toBe(0);
    const snapshot = join(tmp, 'snapshot.json');
    expect((await runCli(['snapshot', ...e.awsArgs, '--out', snapshot], e.env)).code).toBe(0);
    const fromSnapshot = await planExit(e, ['--state', snapshot, '--manifests', repo]);
    expect(fromSnapshot.code, fromSnapshot.output).toBe(0);
    const imported = join(tmp, 'imported');
    const adopt = await runCli(['import', ...e.awsArgs, '--out', imported], e.env);
    expect(adopt.code, adopt.stderr).toBe(0);
    const fromImport = await planExit(e, [...e.awsArgs, '--manifests', imported]);
    expect(fromImport.code, fromImport.output).toBe(0);

    // Renames in place: a user and a group; everything else stays.
    writeFileSync(join(repo, 'users/alice.yaml'), readFileSync(join(repo, 'users/alice.yaml'), 'utf8').replace('name: alice\n', 'name: alice.smith\npreviousName: alice\n'));
    const aliceId = (await iam.send(new GetUserCommand({ UserName: 'alice' }))).User!.UserId;
    const renamed = await apply(e, repo);
    expect(renamed.code, renamed.stderr + renamed.stdout).toBe(0);
    expect(renamed.stdout).toContain('rename user alice to alice.smith');
    expect((await iam.send(new GetUserCommand({ UserName: 'alice.smith' }))).User!.UserId).toBe(aliceId);
    expect((await iam.send(new GetGroupCommand({ GroupName: 'developers' }))).Users?.map((u) => u.UserName).sort()).toEqual(['alice.smith', 'bob']);
    const afterRename = await planExit(e, [...e.awsArgs, '--manifests', repo]);
    expect(afterRename.code, afterRename.output).toBe(0);

    // Credentials as policy: at most one access key each; a second key made by hand is deleted, the older first.
    appendFileSync(join(repo, 'account.yaml'), 'credentials: {accessKeys: 1}\n');
    const older = (await iam.send(new CreateAccessKeyCommand({ UserName: 'bob' }))).AccessKey!.AccessKeyId!;
    const newer = (await iam.send(new CreateAccessKeyCommand({ UserName: 'bob' }))).AccessKey!.AccessKeyId!;
    const limited = await apply(e, repo);
    expect(limited.code, limited.stderr + limited.stdout).toBe(0);
    const left = (await iam.send(new ListAccessKeysCommand({ UserName: 'bob' }))).AccessKeyMetadata!.map((k) => k.AccessKeyId);
    expect(left).toHaveLength(1);
    expect([older, newer]).toContain(left[0]);
    const afterCredentials = await planExit(e, [...e.awsArgs, '--manifests', repo]);
    expect(afterCredentials.code, afterCredentials.output).toBe(0);
  }, 120_000);
});
