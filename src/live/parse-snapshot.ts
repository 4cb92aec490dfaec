/**
 * Parses the JSON that `aws iam get-account-authorization-details` prints (or the raw API's pages merged) into
 * the IAM state model. Pure: text in, `LiveState` out, `InputError` with precise places for malformed input.
 *
 * Accepts what real exports contain: documents as JSON objects (the CLI decodes them) or URL-encoded strings
 * (the raw API and the JS SDK do not), every policy version of which only the default counts, and extra fields.
 * Role `Description`/`MaxSessionDuration` and policy `Tags` and `Description` are read when present (our AWS reader
 * adds the role fields); the AWS export lacks them, and then they are marked unknown rather than guessed.
 */
import { LineCounter, parseDocument, isMap, isSeq, isPair, isScalar, type Node } from 'yaml';
import { findJsonError, locationOf } from '../core/json-location.js';
import { iamNameProblem, iamPathProblem, type IamNameKind } from '../core/iam-names.js';
import { checkValueShape, describeShapeProblem, jsonNestingOffset } from '../core/input-limits.js';
import { z } from 'zod';
import { accountOfArn, formatArn, isAwsManagedPolicyArn, nameKey, parseIamResource, splitArn } from '../core/arn.js';
import { error, InputError, warning, type Diagnostic, type SourceLocation } from '../core/diagnostics.js';
import { parseSnapshotProviders } from './snapshot-providers.js';
import type { ProviderState } from '../core/providers.js';
import { fingerprintState } from '../core/fingerprint.js';
import { isPlainObject, makePolicy, type Policy, type PolicyJson } from '../core/policy.js';
import {
  sortedUnique,
  type AccountSettings,
  type ExternalPolicy,
  type GroupState,
  type IamState,
  type ManagedPolicyState,
  type PolicyVersionState,
  type RoleState,
  type Tags,
  type UnknownField,
  type UserState,
} from '../core/state.js';
import { withLiveState, type LiveState } from './live-state.js';
import { snapshotAccountSettings } from './snapshot-account-settings.js';
import { snapshotUserCredentials, withUserCredentials } from './snapshot-credentials.js';
import { roleUsesOf } from './role-usage.js';
import type { RoleUse } from '../core/usage.js';

const PolicyDocumentField = z.union([z.string(), z.record(z.string(), z.unknown())]);
const AttachedPolicy = z.object({ PolicyArn: z.string(), PolicyName: z.string().nullish() });
const InlinePolicy = z.object({ PolicyName: z.string(), PolicyDocument: PolicyDocumentField });
const Tag = z.object({ Key: z.string(), Value: z.string() });
const Boundary = z.object({ PermissionsBoundaryArn: z.string() });

const UserDetail = z.object({
  UserName: z.string(),
  Path: z.string(),
  Arn: z.string(),
  GroupList: z.array(z.string()).nullish(),
  AttachedManagedPolicies: z.array(AttachedPolicy).nullish(),
  UserPolicyList: z.array(InlinePolicy).nullish(),
  PermissionsBoundary: Boundary.nullish(),
  Tags: z.array(Tag).nullish(),
});
const GroupDetail = z.object({
  GroupName: z.string(),
  Path: z.string(),
  Arn: z.string(),
  AttachedManagedPolicies: z.array(AttachedPolicy).nullish(),
  GroupPolicyList: z.array(InlinePolicy).nullish(),
});
const RoleDetail = z.object({
  RoleName: z.string(),
  Path: z.string(),
  Arn: z.string(),
  AssumeRolePolicyDocument: PolicyDocumentField,
  AttachedManagedPolicies: z.array(AttachedPolicy).nullish(),
  RolePolicyList: z.array(InlinePolicy).nullish(),
  PermissionsBoundary: Boundary.nullish(),
  Tags: z.array(Tag).nullish(),
  Description: z.string().nullish(),
  MaxSessionDuration: z.number().int().nullish(),
  InstanceProfileList: z.array(z.object({ InstanceProfileName: z.string() })).nullish(),
});
const PolicyVersion = z.object({
  Document: PolicyDocumentField.nullish(),
  VersionId: z.string().nullish(),
  IsDefaultVersion: z.boolean().nullish(),
  CreateDate: z.string().nullish(),
});
const ManagedPolicyDetail = z.object({
  PolicyName: z.string(),
  Arn: z.string(),
  Path: z.string(),
  DefaultVersionId: z.string().nullish(),
  Description: z.string().nullish(),
  AttachmentCount: z.number().nullish(),
  PermissionsBoundaryUsageCount: z.number().nullish(),
  PolicyVersionList: z.array(PolicyVersion),
  Tags: z.array(Tag).nullish(),
});
const Snapshot = z.object({
  UserDetailList: z.array(UserDetail),
  GroupDetailList: z.array(GroupDetail),
  RoleDetailList: z.array(RoleDetail),
  Policies: z.array(ManagedPolicyDetail),
});
type Snapshot = z.infer<typeof Snapshot>;

const HOW_TO_EXPORT = 'Export a snapshot with: aws iam get-account-authorization-details --output json > snapshot.json';

export function parseSnapshot(file: string, text: string): LiveState {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    const found = findJsonError(text);
    throw new InputError([error(`snapshot is not valid JSON: ${found.message}`, `Fix the file, or export it again. ${HOW_TO_EXPORT}`, locationOf(file, text, found.offset))]);
  }
  const tooDeep = jsonNestingOffset(text);
  if (tooDeep !== undefined) {
    const { summary, detail } = describeShapeProblem({ kind: 'nesting' });
    throw new InputError([error(`snapshot is ${summary}`, `${detail} A real export nests about ten levels. ${HOW_TO_EXPORT}`, locationOf(file, text, tooDeep))]);
  }
  return parseSnapshotValue(file, json, text);
}

/**
 * The same, from a value already parsed (the AWS reader's pages): `text`, when there is one, only serves to locate
 * problems in it.
 */
export function parseSnapshotValue(file: string, json: unknown, text?: string): LiveState {
  if (!isPlainObject(json)) {
    throw new InputError([error('snapshot must be a JSON object', `It should hold UserDetailList, GroupDetailList, RoleDetailList and Policies. ${HOW_TO_EXPORT}`, { file, line: 1, col: 1 })]);
  }
  if (json['IsTruncated'] === true) {
    throw new InputError([error('snapshot is a partial export ("IsTruncated": true)', `It holds only the first page of the account, so a plan against it would delete or recreate the rest. Export every page: the AWS CLI follows the pages itself unless you pass --max-items or --no-paginate. ${HOW_TO_EXPORT}`, { file, line: 1, col: 1 })]);
  }
  const missing = ['UserDetailList', 'GroupDetailList', 'RoleDetailList', 'Policies'].filter((k) => !(k in json));
  if (missing.length > 0) {
    throw new InputError([error(`snapshot lacks ${missing.join(', ')}`, `This does not look like get-account-authorization-details output (run it without --filter). ${HOW_TO_EXPORT}`, { file, line: 1, col: 1 })]);
  }
  const live = withProviders(parseDetails(file, json, text), parseSnapshotProviders(file, json));
  const credentials = snapshotUserCredentials(file, json);
  return credentials ? withUserCredentials(live, credentials) : live;
}

/** The live state with the providers the file holds (snapshot --aws adds them), unchanged when it holds none. */
function withProviders(live: LiveState, providers: ReadonlyMap<string, ProviderState> | undefined): LiveState {
  if (!providers) return live;
  return withLiveState(live, { ...live.state, providers });
}

function parseDetails(file: string, json: Record<string, unknown>, text: string | undefined): LiveState {
  // The common case, a well-formed export, is checked by hand (fast: no copies); zod only runs to say what is wrong.
  const settings = snapshotAccountSettings(file, json);
  if (isWellFormed(json)) return buildLiveState(file, text, json, roleUsesOf(json), settings);
  const parsed = Snapshot.safeParse(json);
  if (!parsed.success) {
    const locate = text === undefined ? () => undefined : locator(file, text);
    throw new InputError(
      parsed.error.issues.slice(0, 20).map((issue) => {
        const path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
        const missing = issue.code === 'invalid_type' && issue.message.endsWith('received undefined');
        const summary = missing ? `snapshot ${formatJsonPath(path.slice(0, -1))} lacks "${String(path[path.length - 1])}"` : `snapshot ${formatJsonPath(path)}: ${issue.message.replace('Invalid input: ', '')}`;
        return error(summary, `The snapshot is malformed here. ${HOW_TO_EXPORT}`, locate(path));
      }),
    );
  }
  return buildLiveState(file, text, parsed.data, roleUsesOf(json), settings);
}

function buildLiveState(file: string, text: string | undefined, snapshot: Snapshot, roleUses: ReadonlyMap<string, RoleUse> | undefined, settings: AccountSettings | undefined): LiveState {
  const problems: Diagnostic[] = [];
  const notes: Diagnostic[] = [];
  const locate = lazyLocator(file, text);
  const document = (value: string | Record<string, unknown>, path: (string | number)[]): Policy => {
    const decoded = decodeDocument(value);
    if (!decoded) {
      problems.push(error(`snapshot ${formatJsonPath(path)}: policy document is neither JSON nor URL-encoded JSON`, 'Re-export the snapshot; documents must be JSON objects or the URL-encoded strings the IAM API returns.', locate()(path)));
      return makePolicy({});
    }
    // A document given as text was parsed here, unseen by the file's own check: hold it to the same limits.
    const shape = checkValueShape(decoded);
    if (shape) {
      const { summary, detail } = describeShapeProblem(shape);
      problems.push(error(`snapshot ${formatJsonPath(path)}: policy document is ${summary}`, detail, locate()(path)));
      return makePolicy({});
    }
    return makePolicy(decoded);
  };

  checkIdentifiers(snapshot, problems, locate);
  if (problems.length > 0) throw new InputError(problems);

  const account = majorityAccount([
    ...snapshot.UserDetailList.map((u) => u.Arn),
    ...snapshot.GroupDetailList.map((g) => g.Arn),
    ...snapshot.RoleDetailList.map((r) => r.Arn),
    ...snapshot.Policies.map((p) => p.Arn).filter((a) => !isAwsManagedPolicyArn(a)),
  ]);
  if (account.others.length > 0) {
    notes.push(warning(`snapshot mixes accounts: read as account ${account.id}`, `Entities of ${account.others.join(', ')} also appear (a real export holds one account, so this file was edited or merged). Their ARNs, and every reference to them, are read as ${account.id}'s, so that live IAM and the manifests name each entity alike.`, { file, line: 1, col: 1 }));
  }
  // One account, whatever the file says: before and after states must name each entity by the same ARN, or every
  // entity of the minority account would look deleted and created again. Customer managed policies can only be
  // attached in their own account, so a policy ARN of another account in an export is this account's too.
  const own = account.others.length > 0 ? ownAccountArns(account.id, new Set(account.others)) : (arn: string) => arn;

  const users = new Map<string, UserState>();
  snapshot.UserDetailList.forEach((u, i) => {
    const at = ['UserDetailList', i];
    addUnique(users, u.UserName, at, problems, locate, {
      kind: 'user',
      name: u.UserName,
      path: u.Path,
      arn: own(u.Arn),
      groups: sortedUnique(u.GroupList ?? []),
      managedPolicies: sortedUnique((u.AttachedManagedPolicies ?? []).map((p) => own(p.PolicyArn))),
      inlinePolicies: inline(u.UserPolicyList, [...at, 'UserPolicyList'], document),
      ...(u.PermissionsBoundary ? { permissionsBoundary: own(u.PermissionsBoundary.PermissionsBoundaryArn) } : {}),
      tags: tagsOf(u.Tags),
    });
  });

  const groups = new Map<string, GroupState>();
  snapshot.GroupDetailList.forEach((g, i) => {
    const at = ['GroupDetailList', i];
    addUnique(groups, g.GroupName, at, problems, locate, {
      kind: 'group',
      name: g.GroupName,
      path: g.Path,
      arn: own(g.Arn),
      managedPolicies: sortedUnique((g.AttachedManagedPolicies ?? []).map((p) => own(p.PolicyArn))),
      inlinePolicies: inline(g.GroupPolicyList, [...at, 'GroupPolicyList'], document),
    });
  });

  const roles = new Map<string, RoleState>();
  snapshot.RoleDetailList.forEach((r, i) => {
    const at = ['RoleDetailList', i];
    const unknown: UnknownField[] = [];
    if (r.Description == null) unknown.push('description');
    if (r.MaxSessionDuration == null) unknown.push('maxSessionDuration');
    addUnique(roles, r.RoleName, at, problems, locate, {
      kind: 'role',
      name: r.RoleName,
      path: r.Path,
      arn: own(r.Arn),
      ...(r.Description ? { description: r.Description } : {}),
      ...(r.MaxSessionDuration != null ? { maxSessionDuration: r.MaxSessionDuration } : {}),
      trustPolicy: document(r.AssumeRolePolicyDocument, [...at, 'AssumeRolePolicyDocument']),
      managedPolicies: sortedUnique((r.AttachedManagedPolicies ?? []).map((p) => own(p.PolicyArn))),
      inlinePolicies: inline(r.RolePolicyList, [...at, 'RolePolicyList'], document),
      ...(r.PermissionsBoundary ? { permissionsBoundary: own(r.PermissionsBoundary.PermissionsBoundaryArn) } : {}),
      tags: tagsOf(r.Tags),
      ...(r.InstanceProfileList?.length ? { instanceProfiles: sortedUnique(r.InstanceProfileList.map((p) => p.InstanceProfileName)) } : {}),
      ...(unknown.length ? { unknown } : {}),
    });
  });

  const policies = new Map<string, ManagedPolicyState>();
  const externalPolicies = new Map<string, ExternalPolicy>();
  snapshot.Policies.forEach((p, i) => {
    const at = ['Policies', i];
    const versionIndex = p.PolicyVersionList.findIndex((v) => v.IsDefaultVersion === true || (p.DefaultVersionId != null && v.VersionId === p.DefaultVersionId && v.IsDefaultVersion !== false));
    const version = p.PolicyVersionList[versionIndex];
    if (!version?.Document) {
      problems.push(error(`snapshot ${formatJsonPath(at)}: policy "${p.PolicyName}" has no default version document`, 'Each policy needs the version marked IsDefaultVersion: true with its Document. Re-export the snapshot.', locate()(at)));
      return;
    }
    const policy = document(version.Document, [...at, 'PolicyVersionList', versionIndex, 'Document']);
    const arn = own(p.Arn);
    if (isAwsManagedPolicyArn(arn) || accountOfArn(arn) !== account.id) {
      const versionId = version.VersionId ?? p.DefaultVersionId ?? undefined;
      externalPolicies.set(arn, { arn, name: p.PolicyName, document: policy.document, ...(versionId ? { versionId } : {}) });
      return;
    }
    const boundaryOnly = (p.PermissionsBoundaryUsageCount ?? 0) > 0 && (p.AttachmentCount ?? 0) === 0;
    // Every other version the source holds (get-account-authorization-details lists them all): one call to
    // iam:SetDefaultPolicyVersion puts any of them in force, so findings judge them too.
    const otherVersions: PolicyVersionState[] = [];
    p.PolicyVersionList.forEach((v, j) => {
      if (j === versionIndex || !v.Document) return;
      otherVersions.push({ id: v.VersionId ?? `version ${j + 1}`, document: document(v.Document, [...at, 'PolicyVersionList', j, 'Document']), ...(v.CreateDate ? { created: isoDate(v.CreateDate) } : {}) });
    });
    addUnique(policies, p.PolicyName, at, problems, locate, {
      kind: 'policy',
      name: p.PolicyName,
      path: p.Path,
      arn,
      ...(p.Description ? { description: p.Description } : {}),
      document: policy,
      tags: tagsOf(p.Tags),
      usage: boundaryOnly ? 'boundary' : 'policy',
      ...(version.VersionId ? { versionId: version.VersionId } : {}),
      ...(otherVersions.length ? { otherVersions } : {}),
      ...policyUnknown(p.Description, p.Tags),
    });
  });

  if (problems.length > 0) throw new InputError(problems);
  const state: IamState = { account: account.id, users, groups, roles, policies, externalPolicies, ...(settings ? { settings } : {}) };
  let fingerprint: string | undefined;
  return {
    state,
    source: file,
    // Only plans record it; simulation and analysis do not pay for hashing the whole account.
    get fingerprint() {
      fingerprint ??= fingerprintState(state);
      return fingerprint;
    },
    notes,
    // Beside the state, never in it: usage must not change a plan's fingerprint.
    ...(roleUses ? { roleUses } : {}),
  };
}

/**
 * What a policy's entry does not hold. Tags: never in an export (no bulk API returns them). Description: the API
 * reference lists it in ManagedPolicyDetail, but IAM's answers leave it out (a real export has none, not even
 * AdministratorAccess's), so an absent one is not known to be empty.
 */
function policyUnknown(description: unknown, tags: unknown): { unknown?: UnknownField[] } {
  const unknown: UnknownField[] = [...(description == null ? ['description' as const] : []), ...(tags == null ? ['tags' as const] : [])];
  return unknown.length ? { unknown } : {};
}

// --- The fast check: exactly the schema above, as predicates --------------------------------------------------

type Check = (value: unknown) => boolean;
const str: Check = (v) => typeof v === 'string';
const num: Check = (v) => typeof v === 'number';
const intNum: Check = (v) => Number.isInteger(v);
const bool: Check = (v) => typeof v === 'boolean';
const nullish = (check: Check): Check => (v) => v === undefined || v === null || check(v);
const list = (check: Check): Check => (v) => Array.isArray(v) && v.every(check);
const record: Check = (v) => isPlainObject(v);
const doc: Check = (v) => str(v) || record(v);
const shape = (fields: Record<string, Check>): Check => {
  const entries = Object.entries(fields);
  return (v) => isPlainObject(v) && entries.every(([k, check]) => check(v[k]));
};
const attached = shape({ PolicyArn: str, PolicyName: nullish(str) });
const inlinePolicy = shape({ PolicyName: str, PolicyDocument: doc });
const tag = shape({ Key: str, Value: str });
const boundary = shape({ PermissionsBoundaryArn: str });
const wellFormed = shape({
  UserDetailList: list(shape({ UserName: str, Path: str, Arn: str, GroupList: nullish(list(str)), AttachedManagedPolicies: nullish(list(attached)), UserPolicyList: nullish(list(inlinePolicy)), PermissionsBoundary: nullish(boundary), Tags: nullish(list(tag)) })),
  GroupDetailList: list(shape({ GroupName: str, Path: str, Arn: str, AttachedManagedPolicies: nullish(list(attached)), GroupPolicyList: nullish(list(inlinePolicy)) })),
  RoleDetailList: list(shape({ RoleName: str, Path: str, Arn: str, AssumeRolePolicyDocument: doc, AttachedManagedPolicies: nullish(list(attached)), RolePolicyList: nullish(list(inlinePolicy)), PermissionsBoundary: nullish(boundary), Tags: nullish(list(tag)), Description: nullish(str), MaxSessionDuration: nullish(intNum), InstanceProfileList: nullish(list(shape({ InstanceProfileName: str }))) })),
  Policies: list(shape({ PolicyName: str, Arn: str, Path: str, DefaultVersionId: nullish(str), Description: nullish(str), AttachmentCount: nullish(num), PermissionsBoundaryUsageCount: nullish(num), PolicyVersionList: list(shape({ Document: nullish(doc), VersionId: nullish(str), IsDefaultVersion: nullish(bool), CreateDate: nullish(str) })), Tags: nullish(list(tag)) })),
});

function isWellFormed(json: unknown): json is Snapshot {
  return wellFormed(json);
}

/** For tests: the fast check and the schema must agree on every input. */
export const snapshotChecks = { fast: isWellFormed, schema: (json: unknown): boolean => Snapshot.safeParse(json).success };

function inline(list: readonly { PolicyName: string; PolicyDocument: string | Record<string, unknown> }[] | null | undefined, at: (string | number)[], document: (v: string | Record<string, unknown>, path: (string | number)[]) => Policy): Record<string, Policy> {
  const out: Record<string, Policy> = {};
  (list ?? []).forEach((p, i) => {
    out[p.PolicyName] = document(p.PolicyDocument, [...at, i, 'PolicyDocument']);
  });
  return out;
}

/**
 * Every name and path in the snapshot, held to IAM's rules: a snapshot is data from outside (a file anyone may
 * edit), and names end up in file names (import), ARNs and messages. A name such as `../../victim` is refused at
 * its place, naming the rule.
 */
function checkIdentifiers(snapshot: Snapshot, problems: Diagnostic[], locate: () => (path: (string | number)[]) => SourceLocation | undefined): void {
  const name = (kind: IamNameKind, value: string, at: (string | number)[]): void => {
    const problem = iamNameProblem(kind, value);
    if (problem) problems.push(error(`snapshot ${formatJsonPath(at)}: ${JSON.stringify(value)} is not a valid IAM ${kind} name`, `${capitalised(problem)}. IAM never returns such a name: the snapshot was edited or is corrupt. ${HOW_TO_EXPORT}`, locate()(at)));
  };
  const path = (value: string, at: (string | number)[]): void => {
    const problem = iamPathProblem(value);
    if (problem) problems.push(error(`snapshot ${formatJsonPath(at)}: ${JSON.stringify(value)} is not a valid IAM path`, `${capitalised(problem)}. IAM never returns such a path: the snapshot was edited or is corrupt. ${HOW_TO_EXPORT}`, locate()(at)));
  };
  const inline = (list: readonly { PolicyName: string }[] | null | undefined, at: (string | number)[]): void => (list ?? []).forEach((p, i) => name('inline policy', p.PolicyName, [...at, i, 'PolicyName']));
  // An entity's ARN names its kind and, last, its name; its account (which ends up in every ARN the tool writes and
  // compares) is 12 digits, or "aws" for AWS managed policies. (The path in between is not compared: exports of AWS
  // managed policies do not always agree with their Path field.)
  const arn = (kind: 'user' | 'group' | 'role' | 'policy', entity: { Arn: string }, entityName: string, at: (string | number)[]): void => {
    const parsed = splitArn(entity.Arn);
    const resource = parsed && /^aws[a-z-]*$/.test(parsed.partition) && parsed.service === 'iam' && parsed.region === '' && /^(\d{12}|aws)$/.test(parsed.account) ? parseIamResource(parsed.resource) : undefined;
    if (resource && resource.type === kind && resource.name === entityName && (parsed!.account !== 'aws' || kind === 'policy')) return;
    problems.push(error(`snapshot ${formatJsonPath([...at, 'Arn'])}: ${JSON.stringify(entity.Arn)} is not the ARN of ${kind} ${JSON.stringify(entityName)}`, `IAM's ARN for it is arn:PARTITION:iam::ACCOUNT:${kind}/PATH/${entityName}, ACCOUNT being 12 digits. The snapshot was edited or is corrupt. ${HOW_TO_EXPORT}`, locate()([...at, 'Arn'])));
  };
  snapshot.UserDetailList.forEach((u, i) => {
    const at = ['UserDetailList', i];
    name('user', u.UserName, [...at, 'UserName']);
    path(u.Path, [...at, 'Path']);
    arn('user', u, u.UserName, at);
    (u.GroupList ?? []).forEach((g, j) => name('group', g, [...at, 'GroupList', j]));
    inline(u.UserPolicyList, [...at, 'UserPolicyList']);
  });
  snapshot.GroupDetailList.forEach((g, i) => {
    const at = ['GroupDetailList', i];
    name('group', g.GroupName, [...at, 'GroupName']);
    path(g.Path, [...at, 'Path']);
    arn('group', g, g.GroupName, at);
    inline(g.GroupPolicyList, [...at, 'GroupPolicyList']);
  });
  snapshot.RoleDetailList.forEach((r, i) => {
    const at = ['RoleDetailList', i];
    name('role', r.RoleName, [...at, 'RoleName']);
    path(r.Path, [...at, 'Path']);
    arn('role', r, r.RoleName, at);
    inline(r.RolePolicyList, [...at, 'RolePolicyList']);
    (r.InstanceProfileList ?? []).forEach((p, j) => name('instance profile', p.InstanceProfileName, [...at, 'InstanceProfileList', j, 'InstanceProfileName']));
  });
  snapshot.Policies.forEach((p, i) => {
    const at = ['Policies', i];
    name('policy', p.PolicyName, [...at, 'PolicyName']);
    path(p.Path, [...at, 'Path']);
    arn('policy', p, p.PolicyName, at);
  });
}

function capitalised(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function addUnique<T extends { name: string }>(map: Map<string, T>, name: string, at: (string | number)[], problems: Diagnostic[], locate: () => (path: (string | number)[]) => SourceLocation | undefined, entity: T): void {
  const key = nameKey(name);
  if (map.has(key)) {
    problems.push(error(`snapshot ${formatJsonPath(at)}: "${name}" appears twice`, 'IAM names are unique case-insensitively; the snapshot is corrupt or concatenated from two exports.', locate()(at)));
    return;
  }
  map.set(key, entity);
}

function tagsOf(tags: readonly { Key: string; Value: string }[] | null | undefined): Tags {
  return Object.fromEntries([...(tags ?? [])].sort((a, b) => a.Key.localeCompare(b.Key)).map((t) => [t.Key, t.Value]));
}

/**
 * A document as the CLI prints it (an object), as the raw API returns it (URL-encoded JSON text), or as plain
 * JSON text. Undefined when it is none of these.
 */
export function decodeDocument(value: string | Record<string, unknown>): PolicyJson | undefined {
  if (typeof value !== 'string') return value;
  const attempts = [() => value, () => decodeURIComponent(value), () => decodeURIComponent(value.replace(/\+/g, ' '))];
  for (const attempt of attempts) {
    try {
      const parsed: unknown = JSON.parse(attempt());
      if (isPlainObject(parsed)) return parsed;
    } catch {
      // try the next decoding
    }
  }
  return undefined;
}

/** Rewrites the IAM entity ARNs (users, groups, roles, policies) of `others` into `account`; AWS's own stay. */
function ownAccountArns(account: string, others: ReadonlySet<string>): (arn: string) => string {
  return (arn) => {
    const parsed = splitArn(arn);
    if (!parsed || parsed.service !== 'iam' || !others.has(parsed.account) || !/^(user|group|role|policy)\//.test(parsed.resource)) return arn;
    return formatArn({ ...parsed, region: '', account });
  };
}

function majorityAccount(arns: readonly string[]): { id: string; others: string[] } {
  const counts = new Map<string, number>();
  for (const arn of arns) {
    const account = accountOfArn(arn);
    if (account) counts.set(account, (counts.get(account) ?? 0) + 1);
  }
  const ranked = [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  return { id: ranked[0]?.[0] ?? '', others: ranked.slice(1).map(([id]) => id) };
}

function formatJsonPath(path: readonly (string | number)[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('') || '(top level)';
}

/** Line and column of a JSON path, found by re-reading the text with positions; only done when reporting. */
function locator(file: string, text: string): (path: readonly (string | number)[]) => SourceLocation {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  return (path) => {
    let node: unknown = doc.contents;
    let offset = 0;
    for (const segment of path) {
      if (isMap(node)) {
        const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(segment));
        node = pair?.value;
      } else if (isSeq(node) && typeof segment === 'number') {
        node = node.items[segment];
      } else break;
      const range = (node as Node | undefined)?.range;
      if (!range) break;
      offset = range[0];
    }
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, col };
  };
}

function lazyLocator(file: string, text: string | undefined): () => (path: readonly (string | number)[]) => SourceLocation | undefined {
  let cached: ((path: readonly (string | number)[]) => SourceLocation) | undefined;
  return () => (text === undefined ? () => undefined : (cached ??= locator(file, text)));
}

/** A date as one ISO form (the CLI prints `2026-03-01T09:00:00Z`, the SDK's Date `...09:00:00.000Z`); else as given. */
function isoDate(text: string): string {
  const time = Date.parse(text);
  return Number.isNaN(time) ? text : new Date(time).toISOString();
}
