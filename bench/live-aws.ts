/**
 * Live AWS against the IAM emulator, through the real SDK over loopback HTTP:
 * 1. API calls to read accounts of 1,000 and 10,000 entities, counted by the emulator, against the calls a
 *    per-resource refresh makes (as Terraform refreshes IAM: per user GetUser, ListGroupsForUser,
 *    ListAttachedUserPolicies, ListUserPolicies and a GetUserPolicy per inline policy; the same per group and role;
 *    GetPolicy and GetPolicyVersion per policy; both list the identity providers and Get each). Goal: at least 50x fewer; the ratio to the floor of ceil(N/1000)
 *    pages is reported too.
 * 2. Wall time to apply 1,000 changes at --rate-limit 50, against the floor (successful calls / 50 s). Goal: within
 *    1.3x of it, with no failed step.
 * Results go to bench/results/live-aws.json.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  GetAccountPasswordPolicyCommand,
  GetLoginProfileCommand,
  ListAccessKeysCommand,
  ListMFADevicesCommand,
  GetGroupCommand,
  GetOpenIDConnectProviderCommand,
  GetSAMLProviderCommand,
  ListOpenIDConnectProvidersCommand,
  ListSAMLProvidersCommand,
  GetGroupPolicyCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  GetUserCommand,
  GetUserPolicyCommand,
  IAMClient,
  ListAccountAliasesCommand,
  ListAttachedGroupPoliciesCommand,
  ListAttachedRolePoliciesCommand,
  ListAttachedUserPoliciesCommand,
  ListGroupPoliciesCommand,
  ListGroupsForUserCommand,
  ListRolePoliciesCommand,
  ListUserPoliciesCommand,
  paginateListGroups,
  paginateListPolicies,
  paginateListRoles,
  paginateListUsers,
} from '@aws-sdk/client-iam';
import pLimit from 'p-limit';
import { main } from '../cmd/cli.js';
import { AwsLiveReader } from '../src/live/aws/aws-live-reader.js';
import { withCredentialsRead } from '../src/app/use-cases.js';
import type { LiveState } from '../src/live/live-state.js';
import type { DesiredState } from '../src/manifest/desired-state.js';
import { createAccessKey } from '../tools/iam-emulator/credentials.js';
import { createAwsClients } from '../src/live/aws/connection.js';
import { CREDENTIALS_ENV, startTestEmulator, type TestEmulator } from '../test/helpers/emulator.js';
import { syntheticSnapshot, type SyntheticSize } from './synthetic-account.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');

/** N entities in the proportions of AWS's default quotas (5,000 users and roles, 500 groups, 5,000 policies). */
function sized(n: number): SyntheticSize {
  const groups = Math.round(n * (500 / 15500));
  const each = Math.floor((n - groups) / 3);
  return { users: each, roles: each, groups, policies: n - groups - 2 * each };
}

const iamOf = (e: TestEmulator): IAMClient => new IAMClient({ endpoint: e.url, region: 'us-east-1', credentials: { accessKeyId: CREDENTIALS_ENV.AWS_ACCESS_KEY_ID, secretAccessKey: CREDENTIALS_ENV.AWS_SECRET_ACCESS_KEY } });

/** A per-resource refresh: list each kind, then read each entity and each of its attachments one call at a time. */
async function perResourceRefresh(iam: IAMClient): Promise<void> {
  const limit = pLimit(32);
  const jobs: Promise<unknown>[] = [];
  // The account settings, as a per-resource tool reads them too (a password policy resource, an alias resource).
  jobs.push(limit(() => iam.send(new GetAccountPasswordPolicyCommand({})).catch(() => undefined)), limit(() => iam.send(new ListAccountAliasesCommand({}))));
  for await (const page of paginateListUsers({ client: iam, pageSize: 1000 }, {})) {
    for (const u of page.Users ?? []) {
      const UserName = u.UserName!;
      jobs.push(limit(() => iam.send(new GetUserCommand({ UserName }))), limit(() => iam.send(new ListGroupsForUserCommand({ UserName }))), limit(() => iam.send(new ListAttachedUserPoliciesCommand({ UserName }))));
      jobs.push(limit(async () => Promise.all(((await iam.send(new ListUserPoliciesCommand({ UserName }))).PolicyNames ?? []).map((PolicyName) => iam.send(new GetUserPolicyCommand({ UserName, PolicyName }))))));
    }
  }
  for await (const page of paginateListGroups({ client: iam, pageSize: 1000 }, {})) {
    for (const g of page.Groups ?? []) {
      const GroupName = g.GroupName!;
      jobs.push(limit(() => iam.send(new GetGroupCommand({ GroupName }))), limit(() => iam.send(new ListAttachedGroupPoliciesCommand({ GroupName }))));
      jobs.push(limit(async () => Promise.all(((await iam.send(new ListGroupPoliciesCommand({ GroupName }))).PolicyNames ?? []).map((PolicyName) => iam.send(new GetGroupPolicyCommand({ GroupName, PolicyName }))))));
    }
  }
  for await (const page of paginateListRoles({ client: iam, pageSize: 1000 }, {})) {
    for (const r of page.Roles ?? []) {
      const RoleName = r.RoleName!;
      jobs.push(limit(() => iam.send(new GetRoleCommand({ RoleName }))), limit(() => iam.send(new ListAttachedRolePoliciesCommand({ RoleName }))));
      jobs.push(limit(async () => Promise.all(((await iam.send(new ListRolePoliciesCommand({ RoleName }))).PolicyNames ?? []).map((PolicyName) => iam.send(new GetRolePolicyCommand({ RoleName, PolicyName }))))));
    }
  }
  for await (const page of paginateListPolicies({ client: iam, pageSize: 1000 }, { Scope: 'Local' })) {
    for (const p of page.Policies ?? []) {
      const PolicyArn = p.Arn!;
      jobs.push(limit(() => iam.send(new GetPolicyCommand({ PolicyArn }))), limit(() => iam.send(new GetPolicyVersionCommand({ PolicyArn, VersionId: p.DefaultVersionId! }))));
    }
  }
  // Identity providers: the same listing and one Get per provider as the tool (no bulk API holds them).
  for (const p of (await iam.send(new ListOpenIDConnectProvidersCommand({}))).OpenIDConnectProviderList ?? []) jobs.push(limit(() => iam.send(new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: p.Arn! }))));
  for (const p of (await iam.send(new ListSAMLProvidersCommand({}))).SAMLProviderList ?? []) jobs.push(limit(() => iam.send(new GetSAMLProviderCommand({ SAMLProviderArn: p.Arn! }))));
  await Promise.all(jobs);
}

/** An account's identity providers: a few OIDC issuers (CI, clusters) and SAML IdPs, as snapshot --aws writes them. */
const PROVIDERS = { oidc: 10, saml: 2 };
function withProviders(snapshot: Record<string, unknown>): Record<string, unknown> {
  const metadata = `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://idp.example.com"><md:IDPSSODescriptor>${'A'.repeat(1200)}</md:IDPSSODescriptor></md:EntityDescriptor>`;
  return {
    ...snapshot,
    OpenIDConnectProviderList: Array.from({ length: PROVIDERS.oidc }, (_, i) => ({ Arn: `arn:aws:iam::123456789012:oidc-provider/oidc-${i}.example.com`, Url: `oidc-${i}.example.com`, ClientIDList: ['sts.amazonaws.com'], ThumbprintList: [] })),
    SAMLProviderList: Array.from({ length: PROVIDERS.saml }, (_, i) => ({ Arn: `arn:aws:iam::123456789012:saml-provider/saml-${i}`, SAMLMetadataDocument: metadata })),
  };
}

/**
 * The credentials a plan reads when the Account's default manages every user's (`credentials: {accessKeys: 1}`), with
 * 1% of users over it (a second key): the tool's calls (the credential report screens, the rest read exactly), and a
 * per-resource refresh's (three calls a user: its login profile, keys and MFA devices).
 */
async function credentialCalls(e: TestEmulator, reader: AwsLiveReader, live: LiveState): Promise<{ tool: number; perResource: number; users: number; over: number }> {
  const users = [...live.state.users.values()];
  const over = users.filter((_, i) => i % 100 === 0);
  for (const u of users) createAccessKey(e.model, u.name);
  for (const u of over) createAccessKey(e.model, u.name);
  const policy = { accessKeys: 1 as const };
  const desired = {
    account: { prune: false, managedPaths: ['/'], credentials: policy },
    state: { ...live.state, users: new Map(users.map((u) => [u.name.toLowerCase(), { ...u, credentialPolicy: policy }])) },
    deleted: [],
    sources: new Map(),
  } as unknown as DesiredState;
  await e.resetCalls();
  const withCredentials = await withCredentialsRead(live, desired, reader);
  const tool = e.calls().total;
  const deleting = [...withCredentials.state.users.values()].filter((u) => (u.credentials?.accessKeys.length ?? 0) > 1).length;
  if (deleting !== over.length) throw new Error(`credentials: ${deleting} users found over the policy, ${over.length} made so`);
  await e.resetCalls();
  const iam = iamOf(e);
  const limit = pLimit(32);
  await Promise.all(users.map((u) => limit(() => Promise.all([iam.send(new ListAccessKeysCommand({ UserName: u.name })), iam.send(new GetLoginProfileCommand({ UserName: u.name })).catch(() => undefined), iam.send(new ListMFADevicesCommand({ UserName: u.name }))]))));
  return { tool, perResource: e.calls().total, users: users.length, over: over.length };
}

async function readCalls(n: number): Promise<Record<string, number | string>> {
  const e = await startTestEmulator(withProviders(syntheticSnapshot(sized(n))), { caller: 'arn:aws:iam::123456789012:user/u-0' });
  try {
    const reader = new AwsLiveReader(createAwsClients({ endpoint: e.url, env: CREDENTIALS_ENV }));
    await e.resetCalls();
    let started = performance.now();
    await reader.read();
    const toolMs = performance.now() - started;
    const tool = e.calls().total;
    const byAction = e.calls().byAction;
    const providerCalls = ['ListOpenIDConnectProviders', 'GetOpenIDConnectProvider', 'ListSAMLProviders', 'GetSAMLProvider'].reduce((sum, a) => sum + (byAction[a] ?? 0), 0);
    await e.resetCalls();
    started = performance.now();
    await perResourceRefresh(iamOf(e));
    const refreshMs = performance.now() - started;
    const refresh = e.calls().total;
    const floor = Math.ceil(n / 1000);
    const credentials = await credentialCalls(e, reader, await reader.read());
    const withCredentials = { toolCalls: tool + credentials.tool, perResourceCalls: refresh + credentials.perResource };
    return {
      ...{ credentialsManagedUsers: credentials.users, credentialsOverPolicy: credentials.over, credentialCalls: credentials.tool },
      ...{ toolCallsWithCredentials: withCredentials.toolCalls, perResourceCallsWithCredentials: withCredentials.perResourceCalls, fewerCallsWithCredentials: `${(withCredentials.perResourceCalls / withCredentials.toolCalls).toFixed(0)}x` },
      entities: n, providers: PROVIDERS.oidc + PROVIDERS.saml, toolCalls: tool, providerCalls, toolMs: Math.round(toolMs), perResourceCalls: refresh, perResourceMs: Math.round(refreshMs), fewerCalls: `${(refresh / tool).toFixed(0)}x`, floorPages: floor, ratioToFloor: +(tool / floor).toFixed(2) };
  } finally {
    await e.close();
  }
}

async function applyAtRateLimit(changes: number, rate: number): Promise<Record<string, number | string>> {
  const e = await startTestEmulator(undefined, { rateLimit: rate });
  const dir = mkdtempSync(join(tmpdir(), 'iam-gitops-bench-apply-'));
  try {
    writeFileSync(join(dir, 'account.yaml'), 'kind: Account\nid: "123456789012"\n');
    mkdirSync(join(dir, 'users'));
    for (let i = 0; i < changes; i++) writeFileSync(join(dir, 'users', `bench-${i}.yaml`), `kind: User\nname: bench-${i}\npath: /bench/\ntags: {team: bench}\n`);
    await e.resetCalls();
    let out = '';
    const started = performance.now();
    const code = await main(['apply', ...e.awsArgs, '--manifests', dir, '--auto-approve'], { stdout: (t) => (out += t), stderr: (t) => (out += t), stdoutIsTty: false, env: { AWS_ACCESS_KEY_ID: CREDENTIALS_ENV.AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: CREDENTIALS_ENV.AWS_SECRET_ACCESS_KEY } });
    const ms = performance.now() - started;
    const calls = e.calls();
    const succeeded = calls.total - calls.throttled - calls.failed;
    const floorMs = (succeeded / rate) * 1000;
    const failedSteps = Number(/(\d+) failed/.exec(out)?.[1] ?? 'NaN');
    if (code !== 0) throw new Error(`apply failed (exit ${code}):\n${out.slice(-2000)}`);
    return { changes, rateLimit: rate, exitCode: code, calls: calls.total, throttled: calls.throttled, succeededCalls: succeeded, wallMs: Math.round(ms), floorMs: Math.round(floorMs), ratioToFloor: +(ms / floorMs).toFixed(2), failedSteps };
  } finally {
    await e.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const reads = [await readCalls(1000), await readCalls(10000)];
console.table(reads);
const applied = await applyAtRateLimit(1000, 50);
console.table([applied]);
const result = { benchmark: 'live AWS through the SDK against the IAM emulator', reads, apply: applied, node: process.version, date: new Date().toISOString().slice(0, 10) };
mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
writeFileSync(join(ROOT, 'bench/results/live-aws.json'), `${JSON.stringify(result, null, 2)}\n`);
for (const r of reads) for (const key of ['fewerCalls', 'fewerCallsWithCredentials']) if (Number(String(r[key]).replace('x', '')) < 50) console.error(`goal missed: ${r['entities']} entities, ${r[key]} fewer calls (${key}; goal 50x)`);
if (Number(applied['ratioToFloor']) > 1.3) console.error(`goal missed: apply at ${applied['ratioToFloor']}x the floor (goal 1.3x)`);
