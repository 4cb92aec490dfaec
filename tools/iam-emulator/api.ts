/**
 * The Query API surface: each action reads its form parameters as the SDK sends them (`Tags.member.1.Key`,
 * `Filter.member.2`), calls the model, and renders its result as IAM does (documents URL-encoded, dates ISO 8601,
 * lists paginated with `Marker` and `MaxItems`). Reads hide entities that IAM would not show yet.
 */
import { IamError, invalidInput, noSuchEntity, validationError } from './errors.js';
import * as accountSettings from './account-settings.js';
import * as credentials from './credentials.js';
import * as federation from './federation.js';
import * as reports from './reports.js';
import * as usage from './usage.js';
import type { IamModel, PolicyRecord, RoleRecord, Tag, UserRecord } from './model.js';
import { XmlMap, type XmlObject, type XmlValue } from './xml.js';

export class Params {
  constructor(private readonly form: URLSearchParams) {}

  get(name: string): string | undefined {
    return this.form.get(name) ?? undefined;
  }

  /** A required parameter; missing, it is a ValidationError as IAM words it. */
  require(name: string): string {
    const value = this.form.get(name);
    if (value === null) throw validationError('null', name.charAt(0).toLowerCase() + name.slice(1), 'Member must not be null');
    return value;
  }

  list(name: string): string[] {
    const out: string[] = [];
    for (let i = 1; this.form.has(`${name}.member.${i}`); i++) out.push(this.form.get(`${name}.member.${i}`)!);
    return out;
  }

  tags(name = 'Tags'): Tag[] {
    const out: Tag[] = [];
    for (let i = 1; this.form.has(`${name}.member.${i}.Key`); i++) out.push({ Key: this.form.get(`${name}.member.${i}.Key`)!, Value: this.form.get(`${name}.member.${i}.Value`) ?? '' });
    return out;
  }

  int(name: string): number | undefined {
    const value = this.form.get(name);
    if (value === null) return undefined;
    const n = Number(value);
    if (!Number.isInteger(n)) throw validationError(value, name, 'Member must be an integer');
    return n;
  }

  bool(name: string): boolean {
    return this.form.get(name) === 'true';
  }
}

export interface ApiOptions {
  /** Cap on items per page, below MaxItems (to exercise short pages); unset: IAM's own size budget. */
  readonly maxPageItems?: number;
}

type Handler = (model: IamModel, p: Params, options: ApiOptions) => XmlObject | undefined;

const encodeDocument = (document: string): string => encodeURIComponent(document);

// ---------------------------------------------------------------------------------------------------------------
// Shapes

/**
 * IAM's `PermissionsBoundaryType` has one value: the boundary is always a managed policy (AttachedPermissionsBoundary).
 * `full`: Get/Create answer with every attribute; listings (ListUsers, ListRoles, GetGroup's members, instance
 * profiles' roles) return a subset without PermissionsBoundary and Tags, as the IAM API reference says of each.
 */
const boundaryShape = (arn: string): XmlObject => ({ PermissionsBoundaryType: 'PermissionsBoundaryPolicy', PermissionsBoundaryArn: arn });

const userShape = (u: UserRecord, full: boolean): XmlObject => ({
  Path: u.path,
  UserName: u.name,
  UserId: u.id,
  Arn: u.arn,
  CreateDate: u.created,
  ...(full && u.boundary ? { PermissionsBoundary: boundaryShape(u.boundary) } : {}),
  ...(full && u.tags.length ? { Tags: u.tags.map((t) => ({ ...t })) } : {}),
});

const groupShape = (g: { path: string; name: string; id: string; arn: string; created: Date }): XmlObject => ({ Path: g.path, GroupName: g.name, GroupId: g.id, Arn: g.arn, CreateDate: g.created });

const roleShape = (r: RoleRecord, full: boolean): XmlObject => ({
  Path: r.path,
  RoleName: r.name,
  RoleId: r.id,
  Arn: r.arn,
  CreateDate: r.created,
  AssumeRolePolicyDocument: encodeDocument(r.trust),
  Description: r.description,
  MaxSessionDuration: r.maxSessionDuration,
  ...(full && r.boundary ? { PermissionsBoundary: boundaryShape(r.boundary) } : {}),
  ...(full && r.tags.length ? { Tags: r.tags.map((t) => ({ ...t })) } : {}),
});

/** RoleLastUsed as GetRole and GAAD give it: empty when no session was issued (in IAM: within its 400-day window). */
const roleLastUsed = (r: RoleRecord): XmlObject => (r.lastUsed ? { LastUsedDate: r.lastUsed.date, Region: r.lastUsed.region } : {});

/**
 * `full`: GetPolicy and CreatePolicy. ListPolicies returns a subset: no PermissionsBoundaryUsageCount, no Tags and no
 * Description (IAM API reference, Policy: "not included in the response to the ListPolicies operation").
 * GetAccountAuthorizationDetails' ManagedPolicyDetail has the usage count and neither tags nor a description: the
 * reference lists one, but real exports hold none, AWS managed policies' included.
 */
const policyShape = (model: IamModel, p: PolicyRecord, view: 'full' | 'listed' | 'detail', usage = model.usageCounts()): XmlObject => ({
  PolicyName: p.name,
  PolicyId: p.id,
  Arn: p.arn,
  Path: p.path,
  DefaultVersionId: p.versions.find((v) => v.isDefault)?.id,
  AttachmentCount: usage.attachments.get(p.arn) ?? 0,
  ...(view !== 'listed' ? { PermissionsBoundaryUsageCount: usage.boundaries.get(p.arn) ?? 0 } : {}),
  IsAttachable: true,
  ...(view === 'full' ? { Description: p.description } : {}),
  CreateDate: p.created,
  UpdateDate: p.updated,
  ...(view === 'full' && p.tags.length ? { Tags: p.tags.map((t) => ({ ...t })) } : {}),
});

const profileShape = (model: IamModel, p: { path: string; name: string; id: string; arn: string; created: Date; roles: readonly string[] }): XmlObject => ({
  Path: p.path,
  InstanceProfileName: p.name,
  InstanceProfileId: p.id,
  Arn: p.arn,
  CreateDate: p.created,
  Roles: p.roles.flatMap((key) => (model.roles.get(key) ? [roleShape(model.roles.get(key)!, false)] : [])),
});

// ---------------------------------------------------------------------------------------------------------------
// Pagination

/** IAM's MaxItems: 1 to 1000, default 100. */
function maxItems(p: Params): number {
  const n = p.int('MaxItems') ?? 100;
  if (n < 1 || n > 1000) throw validationError(String(n), 'maxItems', n < 1 ? 'Member must have value greater than or equal to 1' : 'Member must have value less than or equal to 1000');
  return n;
}

/** A page budget like IAM's: a page stops early once its XML would pass this many bytes. */
const PAGE_BYTE_BUDGET = 512 * 1024;

/**
 * One page of `items` (in a stable order) after the caller's Marker. The marker names the listing it belongs to, so
 * that a marker of another listing is refused as IAM refuses it.
 */
function page<T>(items: readonly T[], p: Params, listing: string, options: ApiOptions, size: (item: T) => number = () => 0): { items: T[]; IsTruncated: boolean; Marker?: string } {
  const limit = Math.min(maxItems(p), options.maxPageItems ?? Infinity);
  const marker = p.get('Marker');
  let start = 0;
  // IAM's Marker: 1 to 320 characters of [\u0020-\u00FF], and opaque: only one IAM gave for this listing goes on.
  if (marker !== undefined && (marker.length < 1 || marker.length > 320 || !/^[\u0020-\u00FF]+$/.test(marker))) {
    throw validationError(marker, 'marker', marker.length > 320 ? 'Member must have length less than or equal to 320' : marker.length < 1 ? 'Member must have length greater than or equal to 1' : 'Member must satisfy regular expression pattern: [\\u0020-\\u00FF]+');
  }
  if (marker !== undefined) {
    const decoded = Buffer.from(marker, 'base64url').toString('utf8');
    const [name, offset] = decoded.split('|');
    if (name !== listing || !/^\d+$/.test(offset ?? '')) throw invalidInput('Invalid Marker.');
    start = Number(offset);
  }
  const out: T[] = [];
  let bytes = 0;
  for (let i = start; i < items.length && out.length < limit; i++) {
    bytes += size(items[i]!);
    if (out.length > 0 && bytes > PAGE_BYTE_BUDGET) break;
    out.push(items[i]!);
  }
  const next = start + out.length;
  return next < items.length ? { items: out, IsTruncated: true, Marker: Buffer.from(`${listing}|${next}`).toString('base64url') } : { items: out, IsTruncated: false };
}

function visibleList<T extends { visibleAt: number; name: string }>(model: IamModel, map: ReadonlyMap<string, T>): T[] {
  return [...map.values()].filter((e) => model.visible(e)).sort((a, b) => a.name.toLowerCase().localeCompare(b.name.toLowerCase()));
}

/** Reads of one entity fail for an entity IAM does not show yet. */
function visibleOr<T extends { visibleAt: number }>(model: IamModel, entity: T, missing: string): T {
  if (!model.visible(entity)) throw noSuchEntity(missing);
  return entity;
}

// ---------------------------------------------------------------------------------------------------------------
// Handlers

type DetailItem = { kind: 'user' | 'group' | 'role' | 'policy'; value: XmlObject; size: number };

/** Listings by filter set, kept while the account does not change: a large account is read in many pages. */
const detailsCache = new WeakMap<IamModel, { version: number; listings: Map<string, DetailItem[]> }>();

function detailItems(model: IamModel, filters: readonly string[]): DetailItem[] {
  const wants = (f: string): boolean => filters.length === 0 || filters.includes(f);
  const items: DetailItem[] = [];
  const sizeOf = (value: XmlObject): number => JSON.stringify(value).length;
  const usage = model.usageCounts();
  const profilesByRole = new Map<string, typeof model.instanceProfiles extends Map<string, infer P> ? P[] : never>();
  for (const profile of model.instanceProfiles.values()) for (const r of profile.roles) profilesByRole.set(r, [...(profilesByRole.get(r) ?? []), profile]);
  if (wants('User')) {
    for (const u of visibleList(model, model.users)) {
      const value: XmlObject = {
        ...userShape(u, true),
        UserPolicyList: [...u.inline].map(([PolicyName, doc]) => ({ PolicyName, PolicyDocument: encodeDocument(doc) })),
        GroupList: u.groups.flatMap((g) => (model.groups.get(g) ? [model.groups.get(g)!.name] : [])),
        AttachedManagedPolicies: u.attached.map((arn) => ({ PolicyName: arn.split('/').pop(), PolicyArn: arn })),
      };
      items.push({ kind: 'user', value, size: sizeOf(value) });
    }
  }
  if (wants('Group')) {
    for (const g of visibleList(model, model.groups)) {
      const value: XmlObject = { ...groupShape(g), GroupPolicyList: [...g.inline].map(([PolicyName, doc]) => ({ PolicyName, PolicyDocument: encodeDocument(doc) })), AttachedManagedPolicies: g.attached.map((arn) => ({ PolicyName: arn.split('/').pop(), PolicyArn: arn })) };
      items.push({ kind: 'group', value, size: sizeOf(value) });
    }
  }
  if (wants('Role')) {
    for (const r of visibleList(model, model.roles)) {
      const { Description: _d, MaxSessionDuration: _m, ...rest } = roleShape(r, true);
      const value: XmlObject = {
        ...rest,
        InstanceProfileList: (profilesByRole.get(r.name.toLowerCase()) ?? []).map((profile) => profileShape(model, profile)),
        RolePolicyList: [...r.inline].map(([PolicyName, doc]) => ({ PolicyName, PolicyDocument: encodeDocument(doc) })),
        AttachedManagedPolicies: r.attached.map((arn) => ({ PolicyName: arn.split('/').pop(), PolicyArn: arn })),
        RoleLastUsed: roleLastUsed(r),
      };
      items.push({ kind: 'role', value, size: sizeOf(value) });
    }
  }
  const policyItems = (awsManaged: boolean): void => {
    const policies = [...model.policies.values()].filter((pol) => pol.awsManaged === awsManaged && model.visible(pol));
    // IAM lists the AWS managed policies the account uses, not all of AWS's.
    const listed = awsManaged ? policies.filter((pol) => (usage.attachments.get(pol.arn) ?? 0) + (usage.boundaries.get(pol.arn) ?? 0) > 0) : policies;
    for (const pol of listed.sort((a, b) => a.arn.localeCompare(b.arn))) {
      const value: XmlObject = { ...policyShape(model, pol, 'detail', usage), PolicyVersionList: pol.versions.map((v) => ({ Document: encodeDocument(v.document), VersionId: v.id, IsDefaultVersion: v.isDefault, CreateDate: v.created })) };
      items.push({ kind: 'policy', value, size: sizeOf(value) });
    }
  };
  if (wants('LocalManagedPolicy')) policyItems(false);
  if (wants('AWSManagedPolicy')) policyItems(true);
  return items;
}

const authorizationDetails: Handler = (model, p, options) => {
  const filters = p.list('Filter');
  for (const f of filters) if (!['User', 'Role', 'Group', 'LocalManagedPolicy', 'AWSManagedPolicy'].includes(f)) throw validationError(f, 'filter', 'Member must satisfy enum value set: [User, Role, Group, LocalManagedPolicy, AWSManagedPolicy]');
  const listing = `details:${[...filters].sort().join(',')}`;
  let cache = detailsCache.get(model);
  if (cache?.version !== model.version) detailsCache.set(model, (cache = { version: model.version, listings: new Map() }));
  const cached = model.allVisible() ? cache.listings.get(listing) : undefined;
  const items = cached ?? detailItems(model, filters);
  if (!cached && model.allVisible()) cache.listings.set(listing, items);
  const got = page(items, p, listing, options, (i) => i.size);
  const of = (kind: DetailItem['kind']): XmlValue[] => got.items.filter((i) => i.kind === kind).map((i) => i.value);
  return { UserDetailList: of('user'), GroupDetailList: of('group'), RoleDetailList: of('role'), Policies: of('policy'), IsTruncated: got.IsTruncated, Marker: got.Marker };
};

function pathPrefix(p: Params): string {
  const prefix = p.get('PathPrefix') ?? '/';
  if (!/^\u002F[\u0021-\u007F]*$/.test(prefix)) throw validationError(prefix, 'pathPrefix', 'Member must satisfy regular expression pattern: \\u002F[\\u0021-\\u007F]*');
  return prefix;
}

const listed = <T>(got: { items: T[]; IsTruncated: boolean; Marker?: string }, key: string, shape: (item: T) => XmlValue): XmlObject => ({ [key]: got.items.map(shape), IsTruncated: got.IsTruncated, Marker: got.Marker });

type Kind = 'user' | 'group' | 'role';

function owner(model: IamModel, kind: Kind, p: Params): { name: string; attached: string[]; inline: Map<string, string> } {
  const name = p.require(kind === 'user' ? 'UserName' : kind === 'group' ? 'GroupName' : 'RoleName');
  return kind === 'user' ? model.user(name) : kind === 'group' ? model.group(name) : model.role(name);
}

/** Per-principal reads (a per-resource refresh uses them; the tool reads in bulk). */
function principalReads(kind: Kind, Kind: 'User' | 'Group' | 'Role'): Record<string, Handler> {
  const nameKey = `${Kind}Name`;
  return {
    [`ListAttached${Kind}Policies`]: (model, p, options) => {
      const o = owner(model, kind, p);
      return listed(page(o.attached, p, `attached:${kind}`, options), 'AttachedPolicies', (arn) => ({ PolicyName: arn.split('/').pop(), PolicyArn: arn }));
    },
    [`List${Kind}Policies`]: (model, p, options) => {
      const o = owner(model, kind, p);
      return listed(page([...o.inline.keys()], p, `inline:${kind}`, options), 'PolicyNames', (n) => n);
    },
    [`Get${Kind}Policy`]: (model, p) => {
      const o = owner(model, kind, p);
      const name = p.require('PolicyName');
      const doc = o.inline.get(name);
      if (doc === undefined) throw noSuchEntity(`The ${kind} policy with name ${name} cannot be found.`);
      return { [nameKey]: o.name, PolicyName: name, PolicyDocument: encodeDocument(doc) };
    },
    [`Put${Kind}Policy`]: (model, p) => {
      model.putInlinePolicy(kind, p.require(nameKey), p.require('PolicyName'), p.require('PolicyDocument'));
      return undefined;
    },
    [`Delete${Kind}Policy`]: (model, p) => {
      model.deleteInlinePolicy(kind, p.require(nameKey), p.require('PolicyName'));
      return undefined;
    },
    [`Attach${Kind}Policy`]: (model, p) => {
      model.attachPolicy(kind, p.require(nameKey), p.require('PolicyArn'));
      return undefined;
    },
    [`Detach${Kind}Policy`]: (model, p) => {
      model.detachPolicy(kind, p.require(nameKey), p.require('PolicyArn'));
      return undefined;
    },
  };
}

function tagOps(Kind: 'User' | 'Role' | 'Policy' | 'InstanceProfile' | 'OpenIDConnectProvider' | 'SAMLProvider', target: (model: IamModel, p: Params) => { tags: Tag[] }): Record<string, Handler> {
  return {
    [`Tag${Kind}`]: (model, p) => {
      model.tag(target(model, p), p.tags());
      return undefined;
    },
    [`Untag${Kind}`]: (model, p) => {
      model.untag(target(model, p), p.list('TagKeys'));
      return undefined;
    },
    [`List${Kind}Tags`]: (model, p, options) => listed(page(target(model, p).tags, p, `tags:${Kind}`, options), 'Tags', (t) => ({ ...t })),
  };
}

const tagList = (tags: readonly Tag[]): XmlObject[] => tags.map((t) => ({ ...t }));

/** A Boolean parameter the request may leave out (then IAM's default applies): undefined when absent. */
const optionalBool = (p: Params, name: string): boolean | undefined => {
  const value = p.get(name);
  if (value === undefined) return undefined;
  if (value !== 'true' && value !== 'false') throw validationError(value, name.charAt(0).toLowerCase() + name.slice(1), 'Member must be a boolean');
  return value === 'true';
};

/** The account's password policy and alias (IAM API reference, each action's page). */
const accountSettingsHandlers: Record<string, Handler> = {
  UpdateAccountPasswordPolicy: (model, p) => {
    const request: Record<string, number | boolean> = {};
    for (const name of ['MinimumPasswordLength', 'MaxPasswordAge', 'PasswordReusePrevention'] as const) {
      const value = p.int(name);
      if (value !== undefined) request[name.charAt(0).toLowerCase() + name.slice(1)] = value;
    }
    for (const name of ['RequireSymbols', 'RequireNumbers', 'RequireUppercaseCharacters', 'RequireLowercaseCharacters', 'AllowUsersToChangePassword', 'HardExpiry'] as const) {
      const value = optionalBool(p, name);
      if (value !== undefined) request[name.charAt(0).toLowerCase() + name.slice(1)] = value;
    }
    accountSettings.updatePasswordPolicy(model, request);
    return undefined;
  },
  GetAccountPasswordPolicy: (model) => {
    const policy = accountSettings.passwordPolicy(model);
    return {
      PasswordPolicy: {
        MinimumPasswordLength: policy.minimumPasswordLength,
        RequireSymbols: policy.requireSymbols,
        RequireNumbers: policy.requireNumbers,
        RequireUppercaseCharacters: policy.requireUppercaseCharacters,
        RequireLowercaseCharacters: policy.requireLowercaseCharacters,
        AllowUsersToChangePassword: policy.allowUsersToChangePassword,
        ExpirePasswords: (policy.maxPasswordAge ?? 0) > 0,
        ...(policy.maxPasswordAge !== undefined ? { MaxPasswordAge: policy.maxPasswordAge } : {}),
        ...(policy.passwordReusePrevention !== undefined ? { PasswordReusePrevention: policy.passwordReusePrevention } : {}),
        HardExpiry: policy.hardExpiry,
      },
    };
  },
  DeleteAccountPasswordPolicy: (model) => {
    accountSettings.deletePasswordPolicy(model);
    return undefined;
  },
  CreateAccountAlias: (model, p) => {
    accountSettings.createAccountAlias(model, p.require('AccountAlias'));
    return undefined;
  },
  DeleteAccountAlias: (model, p) => {
    accountSettings.deleteAccountAlias(model, p.require('AccountAlias'));
    return undefined;
  },
  ListAccountAliases: (model, p, options) => listed(page(model.accountAliases, p, 'aliases', options), 'AccountAliases', (a) => a),
};

/** OIDC and SAML providers and service-linked roles (IAM API reference, each action's page). */
const federationHandlers: Record<string, Handler> = {
  CreateOpenIDConnectProvider: (model, p) => {
    const provider = federation.createOpenIdConnectProvider(model, p.require('Url'), p.list('ClientIDList'), p.list('ThumbprintList'), p.tags());
    return { OpenIDConnectProviderArn: provider.arn, ...(provider.tags.length ? { Tags: tagList(provider.tags) } : {}) };
  },
  GetOpenIDConnectProvider: (model, p) => {
    const provider = federation.oidcProvider(model, p.require('OpenIDConnectProviderArn'));
    return { Url: provider.url, ClientIDList: [...provider.clientIds], ThumbprintList: [...provider.thumbprints], CreateDate: provider.created, ...(provider.tags.length ? { Tags: tagList(provider.tags) } : {}) };
  },
  // Not paginated in IAM; the list entries carry the ARN only.
  ListOpenIDConnectProviders: (model) => ({ OpenIDConnectProviderList: [...model.oidcProviders.keys()].sort().map((Arn) => ({ Arn })) }),
  DeleteOpenIDConnectProvider: (model, p) => {
    federation.deleteOpenIdConnectProvider(model, p.require('OpenIDConnectProviderArn'));
    return undefined;
  },
  AddClientIDToOpenIDConnectProvider: (model, p) => {
    federation.addClientId(model, p.require('OpenIDConnectProviderArn'), p.require('ClientID'));
    return undefined;
  },
  RemoveClientIDFromOpenIDConnectProvider: (model, p) => {
    federation.removeClientId(model, p.require('OpenIDConnectProviderArn'), p.require('ClientID'));
    return undefined;
  },
  UpdateOpenIDConnectProviderThumbprint: (model, p) => {
    federation.updateThumbprints(model, p.require('OpenIDConnectProviderArn'), p.list('ThumbprintList'));
    return undefined;
  },
  ...tagOps('OpenIDConnectProvider', (model, p) => federation.oidcProvider(model, p.require('OpenIDConnectProviderArn'))),

  CreateSAMLProvider: (model, p) => {
    const provider = federation.createSamlProvider(model, p.require('Name'), p.require('SAMLMetadataDocument'), p.tags());
    return { SAMLProviderArn: provider.arn, ...(provider.tags.length ? { Tags: tagList(provider.tags) } : {}) };
  },
  GetSAMLProvider: (model, p) => {
    const provider = federation.samlProvider(model, p.require('SAMLProviderArn'));
    return { SAMLProviderUUID: provider.uuid, SAMLMetadataDocument: provider.metadata, CreateDate: provider.created, ValidUntil: provider.validUntil, ...(provider.tags.length ? { Tags: tagList(provider.tags) } : {}) };
  },
  ListSAMLProviders: (model) => ({ SAMLProviderList: [...model.samlProviders.values()].sort((a, b) => a.arn.localeCompare(b.arn)).map((x) => ({ Arn: x.arn, ValidUntil: x.validUntil, CreateDate: x.created })) }),
  UpdateSAMLProvider: (model, p) => ({ SAMLProviderArn: federation.updateSamlProvider(model, p.require('SAMLProviderArn'), p.get('SAMLMetadataDocument')).arn }),
  DeleteSAMLProvider: (model, p) => {
    federation.deleteSamlProvider(model, p.require('SAMLProviderArn'));
    return undefined;
  },
  ...tagOps('SAMLProvider', (model, p) => federation.samlProvider(model, p.require('SAMLProviderArn'))),

  CreateServiceLinkedRole: (model, p) => ({ Role: roleShape(federation.createServiceLinkedRole(model, p.require('AWSServiceName'), p.get('Description'), p.get('CustomSuffix')), true) }),
  DeleteServiceLinkedRole: (model, p) => ({ DeletionTaskId: federation.deleteServiceLinkedRole(model, p.require('RoleName')) }),
  GetServiceLinkedRoleDeletionStatus: (model, p) => ({ Status: federation.deletionStatus(model, p.require('DeletionTaskId')) }),
};

export const IAM_HANDLERS: Record<string, Handler> = {
  GetAccountAuthorizationDetails: authorizationDetails,
  ListRoles: (model, p, options) => {
    const prefix = pathPrefix(p);
    return listed(page(visibleList(model, model.roles).filter((r) => r.path.startsWith(prefix)), p, `roles:${prefix}`, options), 'Roles', (r) => roleShape(r, false));
  },
  ListUsers: (model, p, options) => {
    const prefix = pathPrefix(p);
    return listed(page(visibleList(model, model.users).filter((u) => u.path.startsWith(prefix)), p, `users:${prefix}`, options), 'Users', (u) => userShape(u, false));
  },
  ListGroups: (model, p, options) => {
    const prefix = pathPrefix(p);
    return listed(page(visibleList(model, model.groups).filter((g) => g.path.startsWith(prefix)), p, `groups:${prefix}`, options), 'Groups', groupShape);
  },
  ListPolicies: (model, p, options) => {
    const scope = p.get('Scope') ?? 'All';
    if (!['All', 'AWS', 'Local'].includes(scope)) throw validationError(scope, 'scope', 'Member must satisfy enum value set: [All, AWS, Local]');
    const filter = p.get('PolicyUsageFilter');
    if (filter !== undefined && filter !== 'PermissionsPolicy' && filter !== 'PermissionsBoundary') throw validationError(filter, 'policyUsageFilter', 'Member must satisfy enum value set: [PermissionsPolicy, PermissionsBoundary]');
    const prefix = pathPrefix(p);
    const onlyAttached = p.bool('OnlyAttached');
    const usage = model.usageCounts();
    // OnlyAttached counts the use the filter names: boundaries for PermissionsBoundary, attachments otherwise.
    const used = (arn: string): boolean => ((filter === 'PermissionsBoundary' ? usage.boundaries : usage.attachments).get(arn) ?? 0) > 0;
    const policies = [...model.policies.values()]
      .filter((pol) => model.visible(pol) && (scope === 'All' || (scope === 'AWS') === pol.awsManaged) && pol.path.startsWith(prefix))
      .filter((pol) => !onlyAttached || used(pol.arn))
      .sort((a, b) => a.arn.localeCompare(b.arn));
    return listed(page(policies, p, `policies:${scope}:${onlyAttached}:${prefix}:${filter ?? ''}`, options), 'Policies', (pol) => policyShape(model, pol, 'listed', usage));
  },
  GetUser: (model, p) => ({ User: userShape(visibleOr(model, model.user(p.require('UserName')), `The user with name ${p.require('UserName')} cannot be found.`), true) }),
  GetRole: (model, p) => {
    const role = visibleOr(model, model.role(p.require('RoleName')), `The role with name ${p.require('RoleName')} cannot be found.`);
    return { Role: { ...roleShape(role, true), RoleLastUsed: roleLastUsed(role) } };
  },
  GetGroup: (model, p, options) => {
    const group = visibleOr(model, model.group(p.require('GroupName')), `The group with name ${p.require('GroupName')} cannot be found.`);
    const got = page(model.members(group.name), p, `members:${group.name}`, options);
    return { Group: groupShape(group), Users: got.items.map((u) => userShape(u, false)), IsTruncated: got.IsTruncated, Marker: got.Marker };
  },
  GetPolicy: (model, p) => ({ Policy: policyShape(model, visibleOr(model, model.policy(p.require('PolicyArn')), `Policy ${p.require('PolicyArn')} was not found.`), 'full') }),
  GetPolicyVersion: (model, p) => {
    const policy = model.policy(p.require('PolicyArn'));
    const version = policy.versions.find((v) => v.id === p.require('VersionId'));
    if (!version) throw noSuchEntity(`Policy ${policy.arn} version ${p.require('VersionId')} does not exist or is not attachable.`);
    return { PolicyVersion: { Document: encodeDocument(version.document), VersionId: version.id, IsDefaultVersion: version.isDefault, CreateDate: version.created } };
  },
  ListPolicyVersions: (model, p, options) => listed(page(model.policy(p.require('PolicyArn')).versions, p, 'versions', options), 'Versions', (v) => ({ VersionId: v.id, IsDefaultVersion: v.isDefault, CreateDate: v.created })),
  ListEntitiesForPolicy: (model, p, options) => {
    const arn = p.require('PolicyArn');
    model.policy(arn);
    const usage = p.get('PolicyUsageFilter');
    const uses = (e: { attached: string[]; boundary?: string }): boolean => (usage === 'PermissionsBoundary' ? e.boundary === arn : usage === 'PermissionsPolicy' ? e.attached.includes(arn) : e.attached.includes(arn) || e.boundary === arn);
    const entities: { kind: Kind; name: string; id: string }[] = [
      ...[...model.users.values()].filter(uses).map((u) => ({ kind: 'user' as const, name: u.name, id: u.id })),
      ...[...model.groups.values()].filter((g) => usage !== 'PermissionsBoundary' && g.attached.includes(arn)).map((g) => ({ kind: 'group' as const, name: g.name, id: g.id })),
      ...[...model.roles.values()].filter(uses).map((r) => ({ kind: 'role' as const, name: r.name, id: r.id })),
    ];
    const got = page(entities, p, `entities:${arn}`, options);
    return {
      PolicyGroups: got.items.filter((e) => e.kind === 'group').map((e) => ({ GroupName: e.name, GroupId: e.id })),
      PolicyUsers: got.items.filter((e) => e.kind === 'user').map((e) => ({ UserName: e.name, UserId: e.id })),
      PolicyRoles: got.items.filter((e) => e.kind === 'role').map((e) => ({ RoleName: e.name, RoleId: e.id })),
      IsTruncated: got.IsTruncated,
      Marker: got.Marker,
    };
  },
  ListGroupsForUser: (model, p, options) => {
    const user = model.user(p.require('UserName'));
    return listed(page(user.groups.flatMap((g) => (model.groups.get(g) ? [model.groups.get(g)!] : [])), p, 'groupsForUser', options), 'Groups', groupShape);
  },
  ...principalReads('user', 'User'),
  ...principalReads('group', 'Group'),
  ...principalReads('role', 'Role'),
  ...tagOps('User', (model, p) => model.user(p.require('UserName'))),
  ...tagOps('Role', (model, p) => model.role(p.require('RoleName'))),
  ...tagOps('Policy', (model, p) => {
    const policy = model.policy(p.require('PolicyArn'));
    if (policy.awsManaged) throw new IamError('UnmodifiableEntity', `Policy ${policy.arn} is an AWS managed policy and cannot be modified.`);
    return policy;
  }),
  ...tagOps('InstanceProfile', (model, p) => model.instanceProfile(p.require('InstanceProfileName'))),

  CreateUser: (model, p) => ({ User: userShape(model.createUser(p.require('UserName'), p.get('Path'), p.get('PermissionsBoundary'), p.tags()), true) }),
  UpdateUser: (model, p) => {
    model.updateUser(p.require('UserName'), p.get('NewPath'), p.get('NewUserName'));
    return undefined;
  },
  DeleteUser: (model, p) => {
    model.deleteUser(p.require('UserName'));
    return undefined;
  },
  PutUserPermissionsBoundary: (model, p) => {
    model.setBoundary('user', p.require('UserName'), p.require('PermissionsBoundary'));
    return undefined;
  },
  DeleteUserPermissionsBoundary: (model, p) => {
    model.deleteBoundary('user', p.require('UserName'));
    return undefined;
  },
  AddUserToGroup: (model, p) => {
    model.addUserToGroup(p.require('GroupName'), p.require('UserName'));
    return undefined;
  },
  RemoveUserFromGroup: (model, p) => {
    model.removeUserFromGroup(p.require('GroupName'), p.require('UserName'));
    return undefined;
  },
  CreateGroup: (model, p) => ({ Group: groupShape(model.createGroup(p.require('GroupName'), p.get('Path'))) }),
  UpdateGroup: (model, p) => {
    model.updateGroup(p.require('GroupName'), p.get('NewPath'), p.get('NewGroupName'));
    return undefined;
  },
  DeleteGroup: (model, p) => {
    model.deleteGroup(p.require('GroupName'));
    return undefined;
  },
  CreateRole: (model, p) => ({
    Role: roleShape(model.createRole(p.require('RoleName'), p.get('Path') ?? '/', p.require('AssumeRolePolicyDocument'), p.get('Description'), p.int('MaxSessionDuration'), p.get('PermissionsBoundary'), p.tags()), true),
  }),
  UpdateRole: (model, p) => {
    model.updateRole(p.require('RoleName'), p.get('Description'), p.int('MaxSessionDuration'));
    return undefined;
  },
  UpdateRoleDescription: (model, p) => {
    model.updateRole(p.require('RoleName'), p.require('Description'));
    return { Role: roleShape(model.role(p.require('RoleName')), true) };
  },
  UpdateAssumeRolePolicy: (model, p) => {
    model.updateAssumeRolePolicy(p.require('RoleName'), p.require('PolicyDocument'));
    return undefined;
  },
  DeleteRole: (model, p) => {
    model.deleteRole(p.require('RoleName'));
    return undefined;
  },
  PutRolePermissionsBoundary: (model, p) => {
    model.setBoundary('role', p.require('RoleName'), p.require('PermissionsBoundary'));
    return undefined;
  },
  DeleteRolePermissionsBoundary: (model, p) => {
    model.deleteBoundary('role', p.require('RoleName'));
    return undefined;
  },
  CreatePolicy: (model, p) => ({ Policy: policyShape(model, model.createPolicy(p.require('PolicyName'), p.get('Path') ?? '/', p.require('PolicyDocument'), p.get('Description'), p.tags()), 'full') }),
  CreatePolicyVersion: (model, p) => {
    const v = model.createPolicyVersion(p.require('PolicyArn'), p.require('PolicyDocument'), p.bool('SetAsDefault'));
    return { PolicyVersion: { VersionId: v.id, IsDefaultVersion: v.isDefault, CreateDate: v.created } };
  },
  DeletePolicyVersion: (model, p) => {
    model.deletePolicyVersion(p.require('PolicyArn'), p.require('VersionId'));
    return undefined;
  },
  SetDefaultPolicyVersion: (model, p) => {
    model.setDefaultPolicyVersion(p.require('PolicyArn'), p.require('VersionId'));
    return undefined;
  },
  DeletePolicy: (model, p) => {
    model.deletePolicy(p.require('PolicyArn'));
    return undefined;
  },
  CreateInstanceProfile: (model, p) => ({ InstanceProfile: profileShape(model, model.createInstanceProfile(p.require('InstanceProfileName'), p.get('Path'))) }),
  GetInstanceProfile: (model, p) => ({ InstanceProfile: profileShape(model, model.instanceProfile(p.require('InstanceProfileName'))) }),
  AddRoleToInstanceProfile: (model, p) => {
    model.addRoleToInstanceProfile(p.require('InstanceProfileName'), p.require('RoleName'));
    return undefined;
  },
  RemoveRoleFromInstanceProfile: (model, p) => {
    model.removeRoleFromInstanceProfile(p.require('InstanceProfileName'), p.require('RoleName'));
    return undefined;
  },
  DeleteInstanceProfile: (model, p) => {
    model.deleteInstanceProfile(p.require('InstanceProfileName'));
    return undefined;
  },
  ListInstanceProfilesForRole: (model, p, options) => listed(page(model.profilesOfRole(p.require('RoleName')), p, 'profilesForRole', options), 'InstanceProfiles', (profile) => profileShape(model, profile)),
  CreateLoginProfile: (model, p) => {
    const user = model.user(p.require('UserName'));
    p.require('Password');
    credentials.createLoginProfile(model, user.name);
    return { LoginProfile: { UserName: user.name, CreateDate: user.loginProfile!.created, PasswordResetRequired: p.bool('PasswordResetRequired') } };
  },
  GetLoginProfile: (model, p) => {
    const user = model.user(p.require('UserName'));
    if (!user.loginProfile) throw noSuchEntity(`Login Profile for User ${user.name} cannot be found.`);
    return { LoginProfile: { UserName: user.name, CreateDate: user.loginProfile.created, PasswordResetRequired: false } };
  },
  DeleteLoginProfile: (model, p) => {
    credentials.deleteLoginProfile(model, p.require('UserName'));
    return undefined;
  },
  CreateAccessKey: (model, p) => {
    const user = model.user(p.require('UserName'));
    const key = credentials.createAccessKey(model, user.name);
    return { AccessKey: { UserName: user.name, AccessKeyId: key.id, Status: key.status, SecretAccessKey: key.secret, CreateDate: key.created } };
  },
  GenerateServiceLastAccessedDetails: (model, p) => usage.generateServiceLastAccessedDetails(model, p.require('Arn'), p.get('Granularity') ?? 'SERVICE_LEVEL'),
  GetServiceLastAccessedDetails: (model, p) => usage.getServiceLastAccessedDetails(model, p.require('JobId'), maxItems(p), p.get('Marker')) as XmlObject,
  GetAccessKeyLastUsed: (model, p) => {
    const id = p.require('AccessKeyId');
    const user = [...model.users.values()].find((u) => u.accessKeys.some((k) => k.id === id));
    // IAM answers AccessDenied, not NoSuchEntity, for a key that is not the account's.
    if (!user) throw new IamError('AccessDenied', `The access key ${id} does not belong to this account.`);
    const used = user.accessKeys.find((k) => k.id === id)!.lastUsed;
    return { UserName: user.name, AccessKeyLastUsed: used ? { LastUsedDate: used.date, ServiceName: used.service, Region: used.region } : { ServiceName: 'N/A', Region: 'N/A' } };
  },
  GenerateCredentialReport: (model) => reports.generateCredentialReport(model),
  GetCredentialReport: (model) => reports.getCredentialReport(model),
  GetAccountSummary: (model) => ({ SummaryMap: new XmlMap(reports.accountSummary(model)) }),
  ListAccessKeys: (model, p, options) => {
    const user = model.user(p.require('UserName'));
    return listed(page(user.accessKeys, p, 'accessKeys', options), 'AccessKeyMetadata', (k) => ({ UserName: user.name, AccessKeyId: k.id, Status: k.status, CreateDate: k.created }));
  },
  UpdateAccessKey: (model, p) => {
    credentials.updateAccessKey(model, p.require('UserName'), p.require('AccessKeyId'), p.require('Status'));
    return undefined;
  },
  DeleteAccessKey: (model, p) => {
    credentials.deleteAccessKey(model, p.require('UserName'), p.require('AccessKeyId'));
    return undefined;
  },
  CreateVirtualMFADevice: (model, p) => {
    const device = credentials.createVirtualMfaDevice(model, p.require('VirtualMFADeviceName'), p.get('Path'));
    return { VirtualMFADevice: { SerialNumber: device.serial, Base32StringSeed: Buffer.from('JBSWY3DPEHPK3PXP').toString('base64') } };
  },
  EnableMFADevice: (model, p) => {
    p.require('AuthenticationCode1');
    p.require('AuthenticationCode2');
    credentials.enableMfaDevice(model, p.require('UserName'), p.require('SerialNumber'));
    return undefined;
  },
  ListMFADevices: (model, p, options) => {
    const user = model.user(p.require('UserName'));
    return listed(page(user.mfaDevices, p, 'mfa', options), 'MFADevices', (serial) => ({ UserName: user.name, SerialNumber: serial, EnableDate: model.virtualMfaDevices.get(serial)?.created ?? user.created }));
  },
  DeactivateMFADevice: (model, p) => {
    credentials.deactivateMfaDevice(model, p.require('UserName'), p.require('SerialNumber'));
    return undefined;
  },
  DeleteVirtualMFADevice: (model, p) => {
    credentials.deleteVirtualMfaDevice(model, p.require('SerialNumber'));
    return undefined;
  },
  UploadSSHPublicKey: (model, p) => {
    const user = model.user(p.require('UserName'));
    const key = credentials.uploadSshPublicKey(model, user.name, p.require('SSHPublicKeyBody'));
    return { SSHPublicKey: { UserName: user.name, SSHPublicKeyId: key.id, Fingerprint: key.id.toLowerCase(), SSHPublicKeyBody: key.body, Status: key.status, UploadDate: key.uploaded } };
  },
  ListSSHPublicKeys: (model, p, options) => {
    const user = model.user(p.require('UserName'));
    return listed(page(user.sshKeys, p, 'ssh', options), 'SSHPublicKeys', (k) => ({ UserName: user.name, SSHPublicKeyId: k.id, Status: k.status, UploadDate: k.uploaded }));
  },
  DeleteSSHPublicKey: (model, p) => {
    credentials.deleteSshPublicKey(model, p.require('UserName'), p.require('SSHPublicKeyId'));
    return undefined;
  },
  UploadSigningCertificate: (model, p) => {
    const user = model.user(p.require('UserName'));
    const cert = credentials.uploadSigningCertificate(model, user.name, p.require('CertificateBody'));
    return { Certificate: { UserName: user.name, CertificateId: cert.id, CertificateBody: cert.body, Status: cert.status, UploadDate: cert.uploaded } };
  },
  ListSigningCertificates: (model, p, options) => {
    const user = model.user(p.require('UserName'));
    return listed(page(user.signingCertificates, p, 'certs', options), 'Certificates', (c) => ({ UserName: user.name, CertificateId: c.id, CertificateBody: c.body, Status: c.status, UploadDate: c.uploaded }));
  },
  DeleteSigningCertificate: (model, p) => {
    credentials.deleteSigningCertificate(model, p.require('UserName'), p.require('CertificateId'));
    return undefined;
  },
  CreateServiceSpecificCredential: (model, p) => {
    const user = model.user(p.require('UserName'));
    const c = credentials.createServiceSpecificCredential(model, user.name, p.require('ServiceName'));
    return { ServiceSpecificCredential: { CreateDate: c.created, ServiceName: c.service, ServiceUserName: c.userName, ServicePassword: c.password, ServiceSpecificCredentialId: c.id, UserName: user.name, Status: c.status } };
  },
  ListServiceSpecificCredentials: (model, p, options) => {
    const user = model.user(p.require('UserName'));
    const service = p.get('ServiceName');
    const credentials = user.serviceCredentials.filter((c) => service === undefined || c.service === service);
    return listed(page(credentials, p, `serviceCredentials:${service ?? ''}`, options), 'ServiceSpecificCredentials', (c) => ({ UserName: user.name, Status: c.status, ServiceUserName: c.userName, CreateDate: c.created, ServiceSpecificCredentialId: c.id, ServiceName: c.service }));
  },
  DeleteServiceSpecificCredential: (model, p) => {
    credentials.deleteServiceSpecificCredential(model, p.require('UserName'), p.require('ServiceSpecificCredentialId'));
    return undefined;
  },
  ...federationHandlers,
  ...accountSettingsHandlers,
};

/** Operations that change nothing: a fault injected after them would be harmless, so they are always retried whole. */
export function isRead(action: string): boolean {
  return /^(Get|List)/.test(action);
}

/**
 * The IAM action and resource a request needs permission for (for --enforce), from its parameters: the ARN of the
 * entity it names, or `*` for listings.
 */
export function requestTarget(model: IamModel, action: string, p: Params): string {
  const account = model.account;
  const arnOf = (kind: string, name: string | undefined, existing?: { arn: string }, path?: string): string => existing?.arn ?? `arn:aws:iam::${account}:${kind}${path ?? '/'}${name ?? '*'}`;
  const user = p.get('UserName');
  const group = p.get('GroupName');
  const role = p.get('RoleName');
  const policyArn = p.get('PolicyArn');
  if (action === 'AddUserToGroup' || action === 'RemoveUserFromGroup') return arnOf('group', group, group ? model.groups.get(group.toLowerCase()) : undefined);
  if (policyArn && !user && !group && !role) return policyArn;
  if (action === 'CreatePolicy') return arnOf('policy', p.get('PolicyName'), undefined, p.get('Path'));
  if (role) return arnOf('role', role, model.roles.get(role.toLowerCase()), p.get('Path'));
  if (group) return arnOf('group', group, model.groups.get(group.toLowerCase()), p.get('Path'));
  if (user) return arnOf('user', user, model.users.get(user.toLowerCase()), p.get('Path'));
  const profile = p.get('InstanceProfileName');
  if (profile) return arnOf('instance-profile', profile, model.instanceProfiles.get(profile.toLowerCase()), p.get('Path'));
  return '*';
}

export function unknownAction(action: string): IamError {
  return new IamError('InvalidAction', `Could not find operation ${action} for version 2010-05-08`);
}
