/**
 * The provider and service-linked role calls a real account uses answer as IAM does (validation, errors, the
 * `aws-service-role/` path, the deletion task), through the real SDK, rather than InvalidAction.
 */
import {
  AddClientIDToOpenIDConnectProviderCommand,
  CreateOpenIDConnectProviderCommand,
  CreateRoleCommand,
  CreateSAMLProviderCommand,
  CreateServiceLinkedRoleCommand,
  DeleteOpenIDConnectProviderCommand,
  DeleteRoleCommand,
  DeleteSAMLProviderCommand,
  DeleteServiceLinkedRoleCommand,
  GetOpenIDConnectProviderCommand,
  GetRoleCommand,
  GetSAMLProviderCommand,
  GetServiceLinkedRoleDeletionStatusCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  ListOpenIDConnectProvidersCommand,
  ListSAMLProviderTagsCommand,
  ListSAMLProvidersCommand,
  RemoveClientIDFromOpenIDConnectProviderCommand,
  TagSAMLProviderCommand,
  UntagSAMLProviderCommand,
  UpdateOpenIDConnectProviderThumbprintCommand,
  UpdateSAMLProviderCommand,
} from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { virtualClock } from './helpers/clock.js';
import { startTestEmulator, type TestEmulator, iamClientFor, refusalOf } from './helpers/emulator.js';

const ACCOUNT = '123456789012';
const clock = virtualClock();
let e: TestEmulator;
let iam: IAMClient;
beforeAll(async () => {
  e = await startTestEmulator(undefined, { account: ACCOUNT, clock, consistencyDelayMs: 5000 });
  iam = iamClientFor(e.url);
});
afterAll(async () => {
  await e.close();
});

const refusal = (command: object): Promise<string> => refusalOf(iam, command);

/** SAML metadata as an IdP publishes it (IAM wants at least 1,000 characters). */
const metadata = (validUntil?: string): string =>
  `<?xml version="1.0"?><md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://idp.example.com"${validUntil ? ` validUntil="${validUntil}"` : ''}><md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>${'A'.repeat(900)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor><md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.example.com/sso"/></md:IDPSSODescriptor></md:EntityDescriptor>`;

describe('SAML providers', () => {
  it('create, get, list, update, tag and delete; refuse bad names, short or unreadable metadata, duplicates and missing providers', async () => {
    const created = await iam.send(new CreateSAMLProviderCommand({ Name: 'Okta', SAMLMetadataDocument: metadata('2030-01-01T00:00:00Z'), Tags: [{ Key: 'team', Value: 'id' }] }));
    const arn = `arn:aws:iam::${ACCOUNT}:saml-provider/Okta`;
    expect(created.SAMLProviderArn).toBe(arn);
    const got = await iam.send(new GetSAMLProviderCommand({ SAMLProviderArn: arn }));
    expect(got.SAMLMetadataDocument).toBe(metadata('2030-01-01T00:00:00Z'));
    expect(got.ValidUntil?.toISOString()).toBe('2030-01-01T00:00:00.000Z');
    expect(got.Tags).toEqual([{ Key: 'team', Value: 'id' }]);
    expect((await iam.send(new ListSAMLProvidersCommand({}))).SAMLProviderList?.map((x) => x.Arn)).toEqual([arn]);
    expect((await iam.send(new UpdateSAMLProviderCommand({ SAMLProviderArn: arn, SAMLMetadataDocument: metadata('2031-01-01T00:00:00Z') }))).SAMLProviderArn).toBe(arn);
    expect((await iam.send(new GetSAMLProviderCommand({ SAMLProviderArn: arn }))).ValidUntil?.toISOString()).toBe('2031-01-01T00:00:00.000Z');
    await iam.send(new TagSAMLProviderCommand({ SAMLProviderArn: arn, Tags: [{ Key: 'env', Value: 'prod' }] }));
    await iam.send(new UntagSAMLProviderCommand({ SAMLProviderArn: arn, TagKeys: ['team'] }));
    expect((await iam.send(new ListSAMLProviderTagsCommand({ SAMLProviderArn: arn }))).Tags).toEqual([{ Key: 'env', Value: 'prod' }]);

    expect(await refusal(new CreateSAMLProviderCommand({ Name: 'Okta', SAMLMetadataDocument: metadata() }))).toMatch(/^EntityAlreadyExists 409/);
    expect(await refusal(new CreateSAMLProviderCommand({ Name: 'has space', SAMLMetadataDocument: metadata() }))).toMatch(/^ValidationError 400: .* at 'name'/);
    expect(await refusal(new CreateSAMLProviderCommand({ Name: 'short', SAMLMetadataDocument: '<EntityDescriptor/>' }))).toMatch(/^ValidationError 400: .*greater than or equal to 1000/);
    expect(await refusal(new CreateSAMLProviderCommand({ Name: 'notxml', SAMLMetadataDocument: 'x'.repeat(1200) }))).toBe('InvalidInput 400: Could not parse metadata');
    expect(await refusal(new GetSAMLProviderCommand({ SAMLProviderArn: `arn:aws:iam::${ACCOUNT}:saml-provider/Missing` }))).toMatch(/^NoSuchEntity 404/);

    // A trust policy may name the provider while it exists.
    const trust = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Federated: arn }, Action: 'sts:AssumeRoleWithSAML' }] });
    await iam.send(new CreateRoleCommand({ RoleName: 'saml-admin', AssumeRolePolicyDocument: trust }));
    await iam.send(new DeleteRoleCommand({ RoleName: 'saml-admin' }));
    await iam.send(new DeleteSAMLProviderCommand({ SAMLProviderArn: arn }));
    expect(await refusal(new DeleteSAMLProviderCommand({ SAMLProviderArn: arn }))).toMatch(/^NoSuchEntity 404/);
    expect(await refusal(new CreateRoleCommand({ RoleName: 'saml-late', AssumeRolePolicyDocument: trust }))).toMatch(/^MalformedPolicyDocument 400/);
  });
});

describe('OIDC providers', () => {
  it('create, get, list, change client ids and thumbprints, delete; refuse bad URLs, thumbprints and duplicates', async () => {
    const url = 'https://token.actions.githubusercontent.com';
    const arn = (await iam.send(new CreateOpenIDConnectProviderCommand({ Url: url, ClientIDList: ['sts.amazonaws.com'], ThumbprintList: ['a'.repeat(40)] }))).OpenIDConnectProviderArn!;
    expect(arn).toBe(`arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com`);
    await iam.send(new AddClientIDToOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn, ClientID: 'other' }));
    await iam.send(new AddClientIDToOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn, ClientID: 'other' }));
    await iam.send(new RemoveClientIDFromOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn, ClientID: 'never-added' }));
    await iam.send(new UpdateOpenIDConnectProviderThumbprintCommand({ OpenIDConnectProviderArn: arn, ThumbprintList: ['b'.repeat(40)] }));
    const got = await iam.send(new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn }));
    expect({ url: got.Url, clients: got.ClientIDList, thumbprints: got.ThumbprintList }).toEqual({ url: 'token.actions.githubusercontent.com', clients: ['sts.amazonaws.com', 'other'], thumbprints: ['b'.repeat(40)] });
    expect((await iam.send(new ListOpenIDConnectProvidersCommand({}))).OpenIDConnectProviderList).toEqual([{ Arn: arn }]);

    expect(await refusal(new CreateOpenIDConnectProviderCommand({ Url: url }))).toMatch(/^EntityAlreadyExists 409/);
    expect(await refusal(new CreateOpenIDConnectProviderCommand({ Url: 'http://insecure.example.com' }))).toMatch(/^ValidationError 400: .* at 'url'/);
    expect(await refusal(new CreateOpenIDConnectProviderCommand({ Url: 'https://x.example.com', ThumbprintList: ['abc'] }))).toMatch(/^ValidationError 400: .*thumbprintList/);
    expect(await refusal(new CreateOpenIDConnectProviderCommand({ Url: 'https://y.example.com', ThumbprintList: Array.from({ length: 6 }, () => 'c'.repeat(40)) }))).toMatch(/^LimitExceeded 409/);
    await iam.send(new DeleteOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn }));
    expect(await refusal(new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn }))).toMatch(/^NoSuchEntity 404/);
  });
});

describe('service-linked roles', () => {
  it('are created under /aws-service-role/SERVICE/ with the service as principal and its policy attached; only the service changes them', async () => {
    const role = (await iam.send(new CreateServiceLinkedRoleCommand({ AWSServiceName: 'autoscaling.amazonaws.com', CustomSuffix: 'web' }))).Role!;
    expect({ name: role.RoleName, path: role.Path, arn: role.Arn }).toEqual({ name: 'AWSServiceRoleForAutoScaling_web', path: '/aws-service-role/autoscaling.amazonaws.com/', arn: `arn:aws:iam::${ACCOUNT}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling_web` });
    expect(JSON.parse(decodeURIComponent(role.AssumeRolePolicyDocument!)).Statement[0].Principal).toEqual({ Service: 'autoscaling.amazonaws.com' });
    await clock.sleep(5000);
    expect((await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: role.RoleName }))).AttachedPolicies?.map((x) => x.PolicyArn)).toEqual(['arn:aws:iam::aws:policy/aws-service-role/AutoScalingServiceRolePolicy']);
    expect(await refusal(new DeleteRoleCommand({ RoleName: role.RoleName }))).toMatch(/^UnmodifiableEntity 400/);
    expect(await refusal(new CreateServiceLinkedRoleCommand({ AWSServiceName: 'autoscaling.amazonaws.com', CustomSuffix: 'web' }))).toMatch(/^InvalidInput 400: Service role name AWSServiceRoleForAutoScaling_web has been taken/);
    expect(await refusal(new CreateServiceLinkedRoleCommand({ AWSServiceName: 'ecs.amazonaws.com', CustomSuffix: 'x' }))).toMatch(/^InvalidInput 400/);
    expect(await refusal(new CreateServiceLinkedRoleCommand({ AWSServiceName: 'not a service' }))).toMatch(/^ValidationError 400/);
    expect(await refusal(new CreateServiceLinkedRoleCommand({ AWSServiceName: 'made-up.amazonaws.com' }))).toMatch(/^InvalidInput 400/);
  });

  it('are deleted by a task: IN_PROGRESS, then SUCCEEDED and the role gone; an ordinary role is refused', async () => {
    const role = (await iam.send(new CreateServiceLinkedRoleCommand({ AWSServiceName: 'ecs.amazonaws.com' }))).Role!;
    await clock.sleep(5000);
    const task = (await iam.send(new DeleteServiceLinkedRoleCommand({ RoleName: role.RoleName }))).DeletionTaskId!;
    expect(task).toMatch(/^task\/aws-service-role\/ecs\.amazonaws\.com\/AWSServiceRoleForECS\/[0-9a-f-]{36}$/);
    expect((await iam.send(new GetServiceLinkedRoleDeletionStatusCommand({ DeletionTaskId: task }))).Status).toBe('IN_PROGRESS');
    expect((await iam.send(new GetRoleCommand({ RoleName: role.RoleName }))).Role?.RoleName).toBe('AWSServiceRoleForECS');
    await clock.sleep(5000);
    expect((await iam.send(new GetServiceLinkedRoleDeletionStatusCommand({ DeletionTaskId: task }))).Status).toBe('SUCCEEDED');
    expect(await refusal(new GetRoleCommand({ RoleName: role.RoleName }))).toMatch(/^NoSuchEntity 404/);
    expect(await refusal(new GetServiceLinkedRoleDeletionStatusCommand({ DeletionTaskId: 'task/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS/nope' }))).toMatch(/^NoSuchEntity 404/);
    await iam.send(new CreateRoleCommand({ RoleName: 'plain', AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }] }) }));
    expect(await refusal(new DeleteServiceLinkedRoleCommand({ RoleName: 'plain' }))).toMatch(/^InvalidInput 400/);
  });
});
