/**
 * Identity providers through the real SDK against the IAM emulator: the bundled example applied to an empty account
 * creates its GitHub OIDC provider before the roles that trust it, reads back as declared, and re-plans to no changes;
 * a SAML provider with its metadata file likewise; deleting a provider that a role keeps trusting is refused before
 * any write, and goes through with the role; `snapshot --aws` writes the providers beside the GAAD keys and a plan
 * against that file has no changes. The calls providers add to a live read are counted.
 */
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetOpenIDConnectProviderCommand, GetSAMLProviderCommand, ListSAMLProvidersCommand } from '@aws-sdk/client-iam';
import { describe, expect, it } from 'vitest';
import { emulatorsClosedAfterEachTest, iamClientFor, type TestEmulator } from './helpers/emulator.js';
import { PROJECT_ROOT } from './helpers/fixtures.js';
import { runCli } from './helpers/run-cli.js';

const ACCOUNT = '123456789012';
const GITHUB = `arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com`;
const tmp = mkdtempSync(join(tmpdir(), 'iam-gitops-providers-'));
const emulator = emulatorsClosedAfterEachTest();

const apply = (e: TestEmulator, dir: string) => runCli(['apply', ...e.awsArgs, '--manifests', dir, '--auto-approve'], e.env);
const plan = (e: TestEmulator, dir: string, ...extra: string[]) => runCli(['plan', ...e.awsArgs, '--manifests', dir, '--detailed-exitcode', ...extra], e.env);

function copyOfExample(name: string): string {
  const dir = join(tmp, name);
  cpSync(join(PROJECT_ROOT, 'manifests'), dir, { recursive: true });
  return dir;
}

function metadata(entity: string): string {
  const cert = 'MIIC'.padEnd(1200, 'A');
  return `<?xml version="1.0"?>\n<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="${entity}"><md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>${cert}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor><md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://sso.example.com/saml"/></md:IDPSSODescriptor></md:EntityDescriptor>\n`;
}

const SAML_ROLE = `kind: Role
name: sso-admin
trustPolicy:
  Version: "2012-10-17"
  Statement:
    - Effect: Allow
      Principal: {Federated: arn:aws:iam::${ACCOUNT}:saml-provider/corp}
      Action: sts:AssumeRoleWithSAML
      Condition: {StringEquals: {"SAML:aud": https://signin.aws.amazon.com/saml}}
`;

describe('identity providers against the emulator', () => {
  it('the example creates its GitHub OIDC provider before the roles trusting it, reads back as declared, and re-plans to no changes', async () => {
    const e = await emulator(undefined, { account: ACCOUNT });
    const example = copyOfExample('example-oidc');
    const first = await plan(e, example);
    expect(first.code, first.stderr).toBe(2);
    expect(first.stdout).toContain('+ OIDC provider token.actions.githubusercontent.com');
    // A provider that does not exist admits nobody: creating it (with the roles) is what opens them to GitHub.
    expect(first.stdout).toMatch(/role ci-readonly[^\n]*\n(\s+[+-][^\n]*\n)*\s+\+ Federated arn:aws:iam::123456789012:oidc-provider\/token\.actions\.githubusercontent\.com/);
    const applied = await apply(e, example);
    expect(applied.code, applied.stderr + applied.stdout).toBe(0);
    const lines = applied.stdout.split('\n').filter((l) => /^\[\d+\/\d+\]/.test(l));
    const providerAt = lines.findIndex((l) => /create OIDC provider token\.actions\.githubusercontent\.com ok/.test(l));
    const roleAt = lines.findIndex((l) => /create role github-deploy/.test(l));
    expect(providerAt).toBeGreaterThanOrEqual(0);
    expect(providerAt).toBeLessThan(roleAt);
    const read = await iamClientFor(e.url).send(new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: GITHUB }));
    expect(read.Url).toBe('token.actions.githubusercontent.com');
    expect(read.ClientIDList).toEqual(['sts.amazonaws.com']);
    await e.resetCalls();
    const again = await plan(e, example);
    expect(again.code, again.stdout).toBe(0);
    // What providers add to a live read: one listing each kind, one Get per provider.
    const calls = e.calls().byAction;
    expect([calls['ListOpenIDConnectProviders'], calls['GetOpenIDConnectProvider'], calls['ListSAMLProviders'], calls['GetSAMLProvider'] ?? 0]).toEqual([1, 1, 1, 0]);
  });

  it('a SAML provider with its metadata file: applied, read back, no changes; deleting it while a role trusts it is refused, with the role it goes', async () => {
    const e = await emulator(undefined, { account: ACCOUNT });
    const dir = copyOfExample('saml');
    writeFileSync(join(dir, 'providers/corp.yaml'), 'kind: SAMLProvider\nname: corp\nmetadataDocumentFile: corp-metadata.xml\ntags: {owner: security}\n');
    writeFileSync(join(dir, 'providers/corp-metadata.xml'), metadata('https://sso.example.com'));
    writeFileSync(join(dir, 'roles/sso-admin.yaml'), SAML_ROLE);
    const applied = await apply(e, dir);
    expect(applied.code, applied.stderr + applied.stdout).toBe(0);
    const iam = iamClientFor(e.url);
    const saml = await iam.send(new GetSAMLProviderCommand({ SAMLProviderArn: `arn:aws:iam::${ACCOUNT}:saml-provider/corp` }));
    expect(saml.SAMLMetadataDocument?.trim()).toBe(metadata('https://sso.example.com').trim());
    expect(saml.Tags).toEqual([{ Key: 'owner', Value: 'security' }]);
    expect((await plan(e, dir)).code).toBe(0);

    // New metadata (the identity provider rotated its certificate): one UpdateSAMLProvider.
    writeFileSync(join(dir, 'providers/corp-metadata.xml'), metadata('https://sso2.example.com'));
    expect((await apply(e, dir)).stdout).toMatch(/update the SAML metadata of SAML provider corp ok/);
    expect((await plan(e, dir)).code).toBe(0);

    writeFileSync(join(dir, 'providers/corp.yaml'), 'kind: SAMLProvider\nname: corp\ndeleted: true\n');
    const refused = await plan(e, dir);
    expect(refused.code).toBe(1);
    expect(refused.stderr + refused.stdout).toContain(`role sso-admin trusts identity provider arn:aws:iam::${ACCOUNT}:saml-provider/corp, which is marked deleted`);
    writeFileSync(join(dir, 'roles/sso-admin.yaml'), 'kind: Role\nname: sso-admin\ndeleted: true\n');
    const gone = await apply(e, dir);
    expect(gone.code, gone.stderr + gone.stdout).toBe(0);
    const steps = gone.stdout.split('\n').filter((l) => /^\[\d+\/\d+\]/.test(l));
    expect(steps.findIndex((l) => l.includes('delete role sso-admin'))).toBeLessThan(steps.findIndex((l) => l.includes('delete SAML provider corp')));
    expect((await iam.send(new ListSAMLProvidersCommand({}))).SAMLProviderList).toEqual([]);
    expect((await plan(e, dir)).code).toBe(0);
  });

  it('snapshot --aws writes the providers beside the GAAD keys; a plan against the file has no changes', async () => {
    const e = await emulator(undefined, { account: ACCOUNT });
    const example = copyOfExample('example-snapshot');
    expect((await apply(e, example)).code).toBe(0);
    const file = join(tmp, 'snapshot.json');
    const snap = await runCli(['snapshot', ...e.awsArgs, '--out', file], e.env);
    expect(snap.code, snap.stderr).toBe(0);
    const json = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    expect(Object.keys(json)).toEqual(expect.arrayContaining(['UserDetailList', 'GroupDetailList', 'RoleDetailList', 'Policies', 'OpenIDConnectProviderList', 'SAMLProviderList']));
    expect(json['OpenIDConnectProviderList']).toEqual([expect.objectContaining({ Arn: GITHUB, Url: 'token.actions.githubusercontent.com', ClientIDList: ['sts.amazonaws.com'] })]);
    const fromFile = await runCli(['plan', '--manifests', example, '--state', file, '--detailed-exitcode'], {});
    expect(fromFile.code, fromFile.stdout).toBe(0);
    expect(fromFile.stdout).not.toContain('identity providers not compared');
  });

  it('import --aws writes every provider (a SAML one with its metadata file), and a plan of the imported folder has no changes', async () => {
    const snapshot = {
      UserDetailList: [],
      GroupDetailList: [],
      RoleDetailList: [],
      Policies: [],
      OpenIDConnectProviderList: [{ Arn: `arn:aws:iam::${ACCOUNT}:oidc-provider/idp.example.com/tenant-1`, Url: 'idp.example.com/tenant-1', ClientIDList: ['b', 'a'], ThumbprintList: ['AB'.repeat(20)], Tags: [{ Key: 'team', Value: 'sec' }] }],
      SAMLProviderList: [{ Arn: `arn:aws:iam::${ACCOUNT}:saml-provider/corp`, SAMLMetadataDocument: metadata('https://sso.example.com'), Tags: [] }],
    };
    const e = await emulator(snapshot, { account: ACCOUNT });
    const out = join(tmp, 'imported');
    const imported = await runCli(['import', ...e.awsArgs, '--out', out], e.env);
    expect(imported.code, imported.stderr).toBe(0);
    expect(readFileSync(join(out, 'providers/idp.example.com_tenant-1.yaml'), 'utf8')).toContain('url: https://idp.example.com/tenant-1');
    expect(readFileSync(join(out, 'providers/corp-metadata.xml'), 'utf8').trim()).toBe(metadata('https://sso.example.com').trim());
    const planned = await plan(e, out);
    expect(planned.code, planned.stdout + planned.stderr).toBe(0);
  });

  it('a saved plan carries its provider changes: a tampered one is refused before any write, the honest one applies', async () => {
    const e = await emulator(undefined, { account: ACCOUNT });
    const example = copyOfExample('example-saved');
    const saved = join(tmp, 'providers-plan.json');
    expect((await runCli(['plan', ...e.awsArgs, '--manifests', example, '--format', 'json', '--out', saved], e.env)).code).toBe(0);
    const plan = JSON.parse(readFileSync(saved, 'utf8')) as { providerChanges: { details: { field: string; value?: string }[] }[] };
    expect(plan.providerChanges).toHaveLength(1);
    const tampered = structuredClone(plan);
    tampered.providerChanges[0]!.details[0]!.value = 'attacker.example.com';
    writeFileSync(join(tmp, 'tampered-providers.json'), JSON.stringify(tampered));
    const refused = await runCli(['apply', ...e.awsArgs, '--manifests', example, '--auto-approve', '--plan', join(tmp, 'tampered-providers.json')], e.env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('providerChanges');
    expect(Object.keys(e.calls().byAction).filter((a) => /^(Create|Update|Add|Tag)/.test(a))).toEqual([]);
    const applied = await runCli(['apply', ...e.awsArgs, '--manifests', example, '--auto-approve', '--plan', saved], e.env);
    expect(applied.code, applied.stderr).toBe(0);
    expect(e.calls().byAction['CreateOpenIDConnectProvider']).toBe(1);
  });
});
