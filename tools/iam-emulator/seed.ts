/**
 * An emulated account from a snapshot (the JSON of `aws iam get-account-authorization-details`, documents as objects
 * or URL-encoded), plus what such an account must also hold: every current AWS managed policy (from the tool's
 * shipped extract), the OIDC and SAML providers its trust policies name (IAM refuses a trust policy naming a
 * provider that does not exist, so a real account that has the role has the provider), and the emulator's caller.
 */
import { createAccountAlias, updatePasswordPolicy } from './account-settings.js';
import { readAwsManagedPolicies } from './aws-managed.js';
import { IamModel, newId, type Tag } from './model.js';

type Json = Record<string, unknown>;

export interface SeedOptions {
  readonly account?: string;
  /** The caller's ARN; a user of this account that does not exist is created with AdministratorAccess. */
  readonly caller?: string;
  readonly consistencyDelayMs?: number;
  /** The model's clock (default the system's): tests share a virtual one with the client they test. */
  readonly now?: () => number;
}

export const DEFAULT_ACCOUNT = '123456789012';

export function seedModel(snapshot: Json | undefined, options: SeedOptions = {}): { model: IamModel; caller: string } {
  const account = options.account ?? (snapshot ? accountOf(snapshot) : undefined) ?? DEFAULT_ACCOUNT;
  const model = new IamModel({ account, ...(options.consistencyDelayMs !== undefined ? { consistencyDelayMs: options.consistencyDelayMs } : {}), ...(options.now ? { now: options.now } : {}) });
  for (const p of readAwsManagedPolicies()) model.seedAwsManagedPolicy(p.arn, p.name, p.path, p.document, p.version);
  if (snapshot) seedSnapshot(model, snapshot);
  const caller = options.caller ?? `arn:aws:iam::${account}:user/emulator-admin`;
  ensureCaller(model, caller);
  model.version++;
  return { model, caller };
}

function seedSnapshot(model: IamModel, snapshot: Json): void {
  const list = (key: string): Json[] => (Array.isArray(snapshot[key]) ? (snapshot[key] as Json[]) : []);
  seedAccountSettings(model, snapshot);
  const own = (arn: string): string => arn.replace(/^arn:(aws[\w-]*):iam::\d{12}:/, `arn:$1:iam::${model.account}:`);
  for (const p of list('Policies')) {
    const arn = String(p['Arn']);
    const versions = ((p['PolicyVersionList'] as Json[] | undefined) ?? []).map((v) => ({ id: String(v['VersionId'] ?? 'v1'), document: documentText(v['Document']), isDefault: v['IsDefaultVersion'] === true, created: date(v['CreateDate']) }));
    if (!versions.some((v) => v.isDefault) && versions[0]) versions[0].isDefault = true;
    if (arn.includes(':iam::aws:policy/')) {
      const current = versions.find((v) => v.isDefault);
      if (current) model.seedAwsManagedPolicy(arn, String(p['PolicyName']), String(p['Path'] ?? '/'), current.document, current.id);
      continue;
    }
    const numbers = versions.map((v) => Number(v.id.replace(/^v/, ''))).filter(Number.isFinite);
    model.seedPolicy({
      name: String(p['PolicyName']),
      path: String(p['Path'] ?? '/'),
      id: String(p['PolicyId'] ?? newId('ANPA')),
      arn: own(arn),
      created: date(p['CreateDate']),
      ...(typeof p['Description'] === 'string' && p['Description'] !== '' ? { description: p['Description'] } : {}),
      versions,
      nextVersion: Math.max(0, ...numbers) + 1,
      tags: tags(p['Tags']),
      updated: date(p['UpdateDate']),
    });
  }
  for (const g of list('GroupDetailList')) {
    model.seedGroup({ name: String(g['GroupName']), path: String(g['Path'] ?? '/'), id: String(g['GroupId'] ?? newId('AGPA')), arn: own(String(g['Arn'])), created: date(g['CreateDate']), inline: inline(g['GroupPolicyList']), attached: attached(g['AttachedManagedPolicies'], own), tags: [] });
  }
  for (const r of list('RoleDetailList')) {
    const name = String(r['RoleName']);
    model.seedRole({
      name,
      path: String(r['Path'] ?? '/'),
      id: String(r['RoleId'] ?? newId('AROA')),
      arn: own(String(r['Arn'])),
      created: date(r['CreateDate']),
      inline: inline(r['RolePolicyList']),
      attached: attached(r['AttachedManagedPolicies'], own),
      tags: tags(r['Tags']),
      trust: documentText(r['AssumeRolePolicyDocument']),
      ...(typeof r['Description'] === 'string' && r['Description'] !== '' ? { description: r['Description'] } : {}),
      maxSessionDuration: typeof r['MaxSessionDuration'] === 'number' ? r['MaxSessionDuration'] : 3600,
      ...(boundary(r) ? { boundary: own(boundary(r)!) } : {}),
    });
    for (const profile of (r['InstanceProfileList'] as Json[] | undefined) ?? []) {
      const profileName = String(profile['InstanceProfileName']);
      const existing = model.instanceProfiles.get(profileName.toLowerCase());
      if (existing) {
        if (!existing.roles.includes(name.toLowerCase())) existing.roles.push(name.toLowerCase());
      } else {
        model.seedInstanceProfile({ name: profileName, path: String(profile['Path'] ?? '/'), id: String(profile['InstanceProfileId'] ?? newId('AIPA')), arn: `arn:aws:iam::${model.account}:instance-profile${String(profile['Path'] ?? '/')}${profileName}`, created: date(profile['CreateDate']), roles: [name.toLowerCase()], tags: [] });
      }
    }
    for (const provider of federatedProviders(documentText(r['AssumeRolePolicyDocument']))) if (provider.split(':')[4] === model.account) model.seedProvider(provider);
  }
  // The provider lists `iam-gitops snapshot --aws` adds beside the GAAD keys: providers as they were, details and all.
  for (const p of list('OpenIDConnectProviderList')) {
    const arn = own(String(p['Arn']));
    model.oidcProviders.set(arn, { arn, url: String(p['Url'] ?? '').replace(/^https:\/\//, ''), clientIds: [...((p['ClientIDList'] as string[] | undefined) ?? [])], thumbprints: [...((p['ThumbprintList'] as string[] | undefined) ?? [])], created: date(p['CreateDate']), tags: tags(p['Tags']) });
  }
  for (const p of list('SAMLProviderList')) {
    const arn = own(String(p['Arn']));
    model.samlProviders.set(arn, { arn, name: arn.replace(/^.*:saml-provider\//, ''), uuid: `p-${newId('SAML').toLowerCase()}`, metadata: String(p['SAMLMetadataDocument'] ?? ''), created: date(p['CreateDate']), validUntil: typeof p['ValidUntil'] === 'string' ? date(p['ValidUntil']) : new Date(Date.UTC(2100, 0, 1)), tags: tags(p['Tags']) });
  }
  for (const u of list('UserDetailList')) {
    model.seedUser({
      name: String(u['UserName']),
      path: String(u['Path'] ?? '/'),
      id: String(u['UserId'] ?? newId('AIDA')),
      arn: own(String(u['Arn'])),
      created: date(u['CreateDate']),
      inline: inline(u['UserPolicyList']),
      attached: attached(u['AttachedManagedPolicies'], own),
      tags: tags(u['Tags']),
      groups: ((u['GroupList'] as string[] | undefined) ?? []).map((g) => g.toLowerCase()),
      ...(boundary(u) ? { boundary: own(boundary(u)!) } : {}),
    });
  }
}

/** The caller exists: a user created with AdministratorAccess, so that --enforce lets it do everything. */
function ensureCaller(model: IamModel, caller: string): void {
  const m = /^arn:aws:iam::(\d{12}):(user|role)(\/(?:.*\/)?)([^/]+)$/.exec(caller);
  if (!m) throw new Error(`--caller ${caller} is not the ARN of a user or role of this account`);
  const [, account, kind, path, name] = m as unknown as [string, string, string, string, string];
  if (account !== model.account) throw new Error(`--caller ${caller} is not in the emulated account ${model.account}`);
  if (kind === 'user' && !model.users.has(name.toLowerCase())) {
    model.seedUser({ name, path, id: newId('AIDA'), arn: caller, created: model.now(), inline: new Map(), attached: ['arn:aws:iam::aws:policy/AdministratorAccess'], tags: [], groups: [] });
  }
  if (kind === 'role' && !model.roles.has(name.toLowerCase())) {
    const trust = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${model.account}:root` }, Action: 'sts:AssumeRole' }] });
    model.seedRole({ name, path, id: newId('AROA'), arn: caller, created: model.now(), inline: new Map(), attached: ['arn:aws:iam::aws:policy/AdministratorAccess'], tags: [], trust, maxSessionDuration: 3600 });
  }
}

function accountOf(snapshot: Json): string | undefined {
  const counts = new Map<string, number>();
  for (const key of ['UserDetailList', 'GroupDetailList', 'RoleDetailList', 'Policies']) {
    for (const item of (snapshot[key] as Json[] | undefined) ?? []) {
      const account = /^arn:aws[\w-]*:iam::(\d{12}):/.exec(String(item['Arn']))?.[1];
      if (account) counts.set(account, (counts.get(account) ?? 0) + 1);
    }
  }
  return [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]?.[0];
}

function documentText(value: unknown): string {
  if (typeof value !== 'string') return JSON.stringify(value ?? {});
  try {
    JSON.parse(value);
    return value;
  } catch {
    return decodeURIComponent(value);
  }
}

function inline(value: unknown): Map<string, string> {
  return new Map(((value as Json[] | undefined) ?? []).map((p) => [String(p['PolicyName']), documentText(p['PolicyDocument'])]));
}

function attached(value: unknown, own: (arn: string) => string): string[] {
  return ((value as Json[] | undefined) ?? []).map((p) => own(String(p['PolicyArn'])));
}

function boundary(entity: Json): string | undefined {
  const b = entity['PermissionsBoundary'] as Json | undefined;
  return typeof b?.['PermissionsBoundaryArn'] === 'string' ? b['PermissionsBoundaryArn'] : undefined;
}

function tags(value: unknown): Tag[] {
  return ((value as Json[] | undefined) ?? []).map((t) => ({ Key: String(t['Key']), Value: String(t['Value']) }));
}

function date(value: unknown): Date {
  const d = typeof value === 'string' ? new Date(value) : new Date(0);
  return Number.isNaN(d.getTime()) ? new Date(0) : d;
}

function federatedProviders(trust: string): string[] {
  try {
    const doc = JSON.parse(trust) as Json;
    const statements = Array.isArray(doc['Statement']) ? (doc['Statement'] as Json[]) : [doc['Statement'] as Json];
    return statements.flatMap((s) => {
      const federated = (s?.['Principal'] as Json | undefined)?.['Federated'];
      return (Array.isArray(federated) ? federated : [federated]).filter((f): f is string => typeof f === 'string' && /:(oidc|saml)-provider\//.test(f));
    });
  } catch {
    return [];
  }
}

/** The keys `iam-gitops snapshot --aws` adds beside the GAAD ones: the password policy and the alias, through IAM's own rules. */
function seedAccountSettings(model: IamModel, snapshot: Json): void {
  const policy = snapshot['PasswordPolicy'];
  if (policy !== null && typeof policy === 'object') {
    const p = policy as Json;
    const num = (key: string): number | undefined => (typeof p[key] === 'number' ? (p[key] as number) : undefined);
    const bool = (key: string): boolean | undefined => (typeof p[key] === 'boolean' ? (p[key] as boolean) : undefined);
    const request: Record<string, number | boolean> = {};
    for (const key of ['MinimumPasswordLength', 'MaxPasswordAge', 'PasswordReusePrevention']) if (num(key) !== undefined) request[key.charAt(0).toLowerCase() + key.slice(1)] = num(key)!;
    for (const key of ['RequireSymbols', 'RequireNumbers', 'RequireUppercaseCharacters', 'RequireLowercaseCharacters', 'AllowUsersToChangePassword', 'HardExpiry']) if (bool(key) !== undefined) request[key.charAt(0).toLowerCase() + key.slice(1)] = bool(key)!;
    updatePasswordPolicy(model, request);
  }
  for (const alias of Array.isArray(snapshot['AccountAliases']) ? snapshot['AccountAliases'] : []) createAccountAlias(model, String(alias));
}
