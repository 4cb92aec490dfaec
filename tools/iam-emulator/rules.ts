/**
 * IAM's refusal rules, as tables where IAM's reference gives tables: name lengths per parameter, quotas, and what must
 * go before an entity can be deleted (in the order IAM checks it). The checks throw the IamError IAM answers with.
 * Sources: the IAM API reference (each action's parameter constraints) and "IAM and AWS STS quotas".
 */
import { deleteConflict, invalidInput, limitExceeded, validationError } from './errors.js';
import type { GroupRecord, InstanceProfileRecord, RoleRecord, Tag, UserRecord } from './records.js';

/** Maximum length of each name parameter (all share the pattern `[\w+=,.@-]+`). */
export const NAME_MAX_LENGTH = {
  userName: 64,
  newUserName: 64,
  groupName: 128,
  newGroupName: 128,
  roleName: 64,
  policyName: 128,
  instanceProfileName: 128,
  virtualMFADeviceName: 226,
} as const;

export type NameMember = keyof typeof NAME_MAX_LENGTH;

/** IAM's default quotas (the ones an account can raise are at their default). */
export const QUOTAS = {
  PoliciesPerUser: 10,
  PoliciesPerGroup: 10,
  PoliciesPerRole: 10,
  GroupsPerUser: 10,
  VersionsPerPolicy: 5,
  TagsPerEntity: 50,
  AccessKeysPerUser: 2,
  PublicKeysPerUser: 5,
  SigningCertificatesPerUser: 2,
  ServiceSpecificCredentialsPerUserPerService: 2,
  InstanceSessionsPerInstanceProfile: 1,
  SAMLProvidersInAccount: 100,
  OpenIdConnectProvidersInAccount: 100,
  ClientIDsPerOpenIdConnectProvider: 100,
  ThumbprintsPerOpenIdConnectProvider: 5,
  PolicySize: 6144,
  ACLSizePerRole: 2048,
} as const;

export type Quota = keyof typeof QUOTAS;

/** LimitExceeded when `count` more would pass the quota. */
export function checkQuota(quota: Quota, count: number): void {
  if (count > QUOTAS[quota]) throw limitExceeded(`Cannot exceed quota for ${quota}: ${QUOTAS[quota]}`);
}

/** A rule "this must be removed first": whether it blocks the delete, and what IAM says must go first. */
interface DeletePrerequisite<T> {
  readonly blocks: (subject: T) => boolean;
  readonly first: string;
}

/** What blocks deleting a user, in IAM's order. */
export const USER_DELETE_PREREQUISITES: readonly DeletePrerequisite<UserRecord>[] = [
  { blocks: (u) => u.loginProfile !== undefined, first: 'delete login profile' },
  { blocks: (u) => u.accessKeys.length > 0, first: 'delete access keys' },
  { blocks: (u) => u.signingCertificates.length > 0, first: 'delete signing certificates' },
  { blocks: (u) => u.sshKeys.length > 0, first: 'delete SSH public keys' },
  { blocks: (u) => u.serviceCredentials.length > 0, first: 'delete service-specific credentials' },
  { blocks: (u) => u.mfaDevices.length > 0, first: 'delete MFA devices' },
  { blocks: (u) => u.inline.size > 0, first: 'delete policies' },
  { blocks: (u) => u.attached.length > 0, first: 'detach all policies' },
  { blocks: (u) => u.groups.length > 0, first: 'remove user from all groups' },
];

export const GROUP_DELETE_PREREQUISITES: readonly DeletePrerequisite<{ group: GroupRecord; members: number }>[] = [
  { blocks: (g) => g.members > 0, first: 'remove users from group' },
  { blocks: (g) => g.group.inline.size > 0, first: 'delete policies' },
  { blocks: (g) => g.group.attached.length > 0, first: 'detach all policies' },
];

export const ROLE_DELETE_PREREQUISITES: readonly DeletePrerequisite<{ role: RoleRecord; profiles: number }>[] = [
  { blocks: (r) => r.profiles > 0, first: 'remove roles from instance profile' },
  { blocks: (r) => r.role.inline.size > 0, first: 'delete policies' },
  { blocks: (r) => r.role.attached.length > 0, first: 'detach all policies' },
];

export const INSTANCE_PROFILE_DELETE_PREREQUISITES: readonly DeletePrerequisite<InstanceProfileRecord>[] = [{ blocks: (p) => p.roles.length > 0, first: 'remove roles from instance profile' }];

/** DeleteConflict for the first prerequisite that blocks. */
export function checkDeletable<T>(rules: readonly DeletePrerequisite<T>[], subject: T): void {
  const blocking = rules.find((rule) => rule.blocks(subject));
  if (blocking) throw deleteConflict(`Cannot delete entity, must ${blocking.first} first.`);
}

const NAME = /^[\w+=,.@-]+$/;
const PATH = /^(\/|\/[\u0021-\u007E]+\/)$/;
const TAG_TEXT = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

export function checkName(name: string, member: NameMember): void {
  const max = NAME_MAX_LENGTH[member];
  if (name.length < 1 || name.length > max) throw validationError(name, member, `Member must have length less than or equal to ${max}`);
  if (!NAME.test(name)) throw validationError(name, member, 'Member must satisfy regular expression pattern: [\\w+=,.@-]+');
}

export function checkPath(path: string): void {
  if (path.length > 512 || !PATH.test(path)) throw validationError(path, 'path', 'Member must satisfy regular expression pattern: (\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)');
}

/** An ARN parameter (arnType): 20 to 2048 characters; IAM answers InvalidInput for one it cannot read. */
export function checkArn(arn: string): void {
  if (arn.length < 20 || arn.length > 2048 || !arn.startsWith('arn:')) throw invalidInput(`ARN ${arn} is not valid.`);
}

export function checkDescription(description: string): void {
  if (description.length > 1000) throw validationError(description.slice(0, 40), 'description', 'Member must have length less than or equal to 1000');
}

export function checkSessionDuration(seconds: number): void {
  if (!Number.isInteger(seconds) || seconds < 3600 || seconds > 43200) {
    throw validationError(String(seconds), 'maxSessionDuration', seconds < 3600 ? 'Member must have value greater than or equal to 3600' : 'Member must have value less than or equal to 43200');
  }
}

export function checkTags(tags: readonly Tag[]): void {
  const max = QUOTAS.TagsPerEntity;
  if (tags.length > max) throw validationError(JSON.stringify(tags).slice(0, 40), 'tags', `Member must have length less than or equal to ${max}`);
  const keys = new Set<string>();
  for (const tag of tags) {
    if (tag.Key.length < 1 || tag.Key.length > 128) throw validationError(tag.Key, 'tags.X.member.key', 'Member must have length less than or equal to 128');
    if (tag.Value.length > 256) throw validationError(tag.Value, 'tags.X.member.value', 'Member must have length less than or equal to 256');
    if (!TAG_TEXT.test(tag.Key) || !TAG_TEXT.test(tag.Value)) throw validationError(tag.Key, 'tags.X.member.key', 'Member must satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+');
    if (tag.Key.toLowerCase().startsWith('aws:')) throw invalidInput('User-defined tag keys cannot start with aws:.');
    if (keys.has(tag.Key.toLowerCase())) throw invalidInput('Duplicate tag keys found. Please note that Tag keys are case insensitive.');
    keys.add(tag.Key.toLowerCase());
  }
}

/** Tags merged as TagX merges them (keys case-insensitive, later wins), within TagsPerEntity. */
export function mergeTags(current: readonly Tag[], added: readonly Tag[]): Tag[] {
  checkTags(added);
  const merged = new Map(current.map((t) => [t.Key.toLowerCase(), t]));
  for (const t of added) merged.set(t.Key.toLowerCase(), t);
  checkQuota('TagsPerEntity', merged.size);
  return [...merged.values()];
}

/** A stored document's size as IAM counts it (white space outside strings not counted). */
export function compactSize(document: string): number {
  try {
    return JSON.stringify(JSON.parse(document)).length;
  } catch {
    return document.length;
  }
}
