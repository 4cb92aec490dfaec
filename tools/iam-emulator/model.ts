/**
 * The emulated account: users, groups, roles, managed policies (with versions), instance profiles, credentials and
 * identity providers, with IAM's rules: names unique case-insensitively, delete-order conflicts, quotas, and
 * eventual consistency (an entity created a moment ago is hidden from reads and refused as a trust principal).
 * Every method is one IAM operation; a broken rule throws the IamError IAM answers with.
 */
import { randomBytes } from 'node:crypto';
import { alreadyExists, deleteConflict, IamError, invalidInput, limitExceeded, noSuchEntity, validationError } from './errors.js';
import { checkDocument, checkManagedPolicySize, checkTrustPolicySize, INLINE_QUOTA, type PrincipalChecks } from './documents.js';

export interface Tag {
  readonly Key: string;
  readonly Value: string;
}

interface Entity {
  name: string;
  path: string;
  readonly id: string;
  arn: string;
  readonly created: Date;
  /** Epoch ms from which reads show it (eventual consistency). */
  readonly visibleAt: number;
}

interface Principal extends Entity {
  /** Inline policies by name, documents as stored. */
  readonly inline: Map<string, string>;
  /** Attached managed policy ARNs, in attachment order. */
  readonly attached: string[];
  tags: Tag[];
}

export interface UserRecord extends Principal {
  boundary?: string;
  /** Group keys (lower-case names). */
  readonly groups: string[];
  loginProfile?: { created: Date };
  readonly accessKeys: { id: string; secret: string; status: 'Active' | 'Inactive'; created: Date }[];
  readonly mfaDevices: string[];
  readonly sshKeys: { id: string; body: string; status: 'Active' | 'Inactive'; uploaded: Date }[];
  readonly signingCertificates: { id: string; body: string; status: 'Active' | 'Inactive'; uploaded: Date }[];
  readonly serviceCredentials: { id: string; service: string; userName: string; password: string; status: 'Active' | 'Inactive'; created: Date }[];
}

export type GroupRecord = Principal;

export interface RoleRecord extends Principal {
  boundary?: string;
  trust: string;
  description?: string;
  maxSessionDuration: number;
}

export interface PolicyVersion {
  readonly id: string;
  readonly document: string;
  isDefault: boolean;
  readonly created: Date;
}

export interface PolicyRecord extends Entity {
  readonly description?: string;
  readonly versions: PolicyVersion[];
  nextVersion: number;
  tags: Tag[];
  updated: Date;
  /** AWS managed: attachable, never changed or deleted. */
  readonly awsManaged: boolean;
}

export interface InstanceProfileRecord extends Entity {
  /** Role keys; IAM allows one role per instance profile. */
  readonly roles: string[];
  tags: Tag[];
}

export interface ModelOptions {
  readonly account: string;
  /** How long a new entity stays hidden from reads and refused as a trust principal. */
  readonly consistencyDelayMs?: number;
  readonly now?: () => number;
}

const NAME = /^[\w+=,.@-]+$/;
const PATH = /^(\/|\/[\u0021-\u007E]+\/)$/;
const TAG_TEXT = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
export const MAX_MANAGED_POLICIES = 10;
export const MAX_GROUPS_PER_USER = 10;
export const MAX_POLICY_VERSIONS = 5;
const MAX_TAGS = 50;

export class IamModel {
  readonly account: string;
  readonly users = new Map<string, UserRecord>();
  readonly groups = new Map<string, GroupRecord>();
  readonly roles = new Map<string, RoleRecord>();
  /** Customer and AWS managed policies, by ARN. */
  readonly policies = new Map<string, PolicyRecord>();
  readonly instanceProfiles = new Map<string, InstanceProfileRecord>();
  readonly providers = new Set<string>();
  /** SAML providers' metadata and dates, by ARN (their ARNs are in `providers` too). */
  readonly samlProviders = new Map<string, { metadata: string; created: Date; validUntil?: Date }>();
  readonly virtualMfaDevices = new Map<string, { serial: string; user?: string; created: Date }>();
  private readonly delay: number;
  private readonly clock: () => number;
  /** Bumped on every change, so that derived views (authorization) know when to rebuild. */
  version = 0;

  constructor(options: ModelOptions) {
    this.account = options.account;
    this.delay = options.consistencyDelayMs ?? 0;
    this.clock = options.now ?? Date.now;
  }

  now(): Date {
    return new Date(this.clock());
  }

  /** Whether reads show the entity yet. */
  visible(entity: { readonly visibleAt: number }): boolean {
    return this.clock() >= entity.visibleAt;
  }

  private newEntity(kind: 'user' | 'group' | 'role' | 'policy' | 'instance-profile', prefix: string, name: string, path: string, visibleNow = false): Entity {
    const visibleAt = visibleNow ? 0 : this.clock() + this.delay;
    this.lastVisibleAt = Math.max(this.lastVisibleAt, visibleAt);
    return { name, path, id: newId(prefix), arn: `arn:aws:iam::${this.account}:${kind}${path}${name}`, created: this.now(), visibleAt };
  }

  /** The latest time an entity becomes visible: until then, what reads show changes with the clock alone. */
  private lastVisibleAt = 0;

  /** Whether every entity is visible now (reads then depend on the state alone, and can be cached by version). */
  allVisible(): boolean {
    return this.clock() >= this.lastVisibleAt;
  }

  /** How many principals attach each managed policy, and use each as a boundary: computed once per read. */
  usageCounts(): { attachments: Map<string, number>; boundaries: Map<string, number> } {
    const attachments = new Map<string, number>();
    const boundaries = new Map<string, number>();
    for (const map of [this.users, this.groups, this.roles] as Map<string, Principal & { boundary?: string }>[]) {
      for (const p of map.values()) {
        for (const arn of p.attached) attachments.set(arn, (attachments.get(arn) ?? 0) + 1);
        if (p.boundary) boundaries.set(p.boundary, (boundaries.get(p.boundary) ?? 0) + 1);
      }
    }
    return { attachments, boundaries };
  }

  private changed(): void {
    this.version++;
  }

  // --- lookups ---------------------------------------------------------------------------------------------------

  user(name: string): UserRecord {
    const found = this.users.get(name.toLowerCase());
    if (!found) throw noSuchEntity(`The user with name ${name} cannot be found.`);
    return found;
  }

  group(name: string): GroupRecord {
    const found = this.groups.get(name.toLowerCase());
    if (!found) throw noSuchEntity(`The group with name ${name} cannot be found.`);
    return found;
  }

  role(name: string): RoleRecord {
    const found = this.roles.get(name.toLowerCase());
    if (!found) throw noSuchEntity(`The role with name ${name} cannot be found.`);
    return found;
  }

  policy(arn: string): PolicyRecord {
    checkArn(arn, 'policyArn');
    const found = this.policies.get(arn);
    if (!found) throw noSuchEntity(`Policy ${arn} does not exist or is not attachable.`);
    return found;
  }

  instanceProfile(name: string): InstanceProfileRecord {
    const found = this.instanceProfiles.get(name.toLowerCase());
    if (!found) throw noSuchEntity(`Instance Profile ${name} cannot be found.`);
    return found;
  }

  /** For trust policies: same-account principals must exist and be visible; providers must exist. */
  principalChecks(): PrincipalChecks {
    return {
      account: this.account,
      principalExists: (arn) => {
        const m = /:(user|role)\/(?:.*\/)?([^/]+)$/.exec(arn);
        if (!m) return false;
        const entity = m[1] === 'user' ? this.users.get(m[2]!.toLowerCase()) : this.roles.get(m[2]!.toLowerCase());
        return entity !== undefined && entity.arn === arn && this.visible(entity);
      },
      providerExists: (arn) => this.providers.has(arn),
    };
  }

  // --- users -----------------------------------------------------------------------------------------------------

  createUser(name: string, path = '/', boundary?: string, tags: Tag[] = []): UserRecord {
    checkName(name, 'userName', 64);
    checkPath(path);
    checkTags(tags);
    if (this.users.has(name.toLowerCase())) throw alreadyExists(`User with name ${name} already exists.`);
    if (boundary !== undefined) this.boundaryPolicy(boundary);
    const user: UserRecord = {
      ...this.newEntity('user', 'AIDA', name, path),
      inline: new Map(),
      attached: [],
      tags: [...tags],
      groups: [],
      accessKeys: [],
      mfaDevices: [],
      sshKeys: [],
      signingCertificates: [],
      serviceCredentials: [],
      ...(boundary !== undefined ? { boundary } : {}),
    };
    this.users.set(name.toLowerCase(), user);
    this.changed();
    return user;
  }

  updateUser(name: string, newPath?: string, newName?: string): void {
    const user = this.user(name);
    if (newPath !== undefined) checkPath(newPath);
    if (newName !== undefined) {
      checkName(newName, 'newUserName', 64);
      if (newName.toLowerCase() !== name.toLowerCase() && this.users.has(newName.toLowerCase())) throw alreadyExists(`User with name ${newName} already exists.`);
    }
    this.users.delete(name.toLowerCase());
    if (newPath !== undefined) user.path = newPath;
    if (newName !== undefined) user.name = newName;
    user.arn = `arn:aws:iam::${this.account}:user${user.path}${user.name}`;
    this.users.set(user.name.toLowerCase(), user);
    this.changed();
  }

  deleteUser(name: string): void {
    const user = this.user(name);
    const conflict = (what: string): never => {
      throw deleteConflict(`Cannot delete entity, must ${what} first.`);
    };
    if (user.loginProfile) conflict('delete login profile');
    if (user.accessKeys.length) conflict('delete access keys');
    if (user.signingCertificates.length) conflict('delete signing certificates');
    if (user.sshKeys.length) conflict('delete SSH public keys');
    if (user.serviceCredentials.length) conflict('delete service-specific credentials');
    if (user.mfaDevices.length) conflict('delete MFA devices');
    if (user.inline.size) conflict('delete policies');
    if (user.attached.length) conflict('detach all policies');
    if (user.groups.length) conflict('remove user from all groups');
    this.users.delete(name.toLowerCase());
    this.changed();
  }

  // --- groups ----------------------------------------------------------------------------------------------------

  createGroup(name: string, path = '/'): GroupRecord {
    checkName(name, 'groupName', 128);
    checkPath(path);
    if (this.groups.has(name.toLowerCase())) throw alreadyExists(`Group with name ${name} already exists.`);
    const group: GroupRecord = { ...this.newEntity('group', 'AGPA', name, path), inline: new Map(), attached: [], tags: [] };
    this.groups.set(name.toLowerCase(), group);
    this.changed();
    return group;
  }

  updateGroup(name: string, newPath?: string, newName?: string): void {
    const group = this.group(name);
    if (newPath !== undefined) checkPath(newPath);
    if (newName !== undefined) {
      checkName(newName, 'newGroupName', 128);
      if (newName.toLowerCase() !== name.toLowerCase() && this.groups.has(newName.toLowerCase())) throw alreadyExists(`Group with name ${newName} already exists.`);
    }
    const oldKey = name.toLowerCase();
    this.groups.delete(oldKey);
    if (newPath !== undefined) group.path = newPath;
    if (newName !== undefined) group.name = newName;
    group.arn = `arn:aws:iam::${this.account}:group${group.path}${group.name}`;
    const newKey = group.name.toLowerCase();
    this.groups.set(newKey, group);
    if (newKey !== oldKey) for (const user of this.users.values()) user.groups.forEach((g, i) => g === oldKey && (user.groups[i] = newKey));
    this.changed();
  }

  deleteGroup(name: string): void {
    const group = this.group(name);
    const key = name.toLowerCase();
    if ([...this.users.values()].some((u) => u.groups.includes(key))) throw deleteConflict('Cannot delete entity, must remove users from group first.');
    if (group.inline.size) throw deleteConflict('Cannot delete entity, must delete policies first.');
    if (group.attached.length) throw deleteConflict('Cannot delete entity, must detach all policies first.');
    this.groups.delete(key);
    this.changed();
  }

  members(name: string): UserRecord[] {
    const key = this.group(name).name.toLowerCase();
    return [...this.users.values()].filter((u) => u.groups.includes(key));
  }

  addUserToGroup(groupName: string, userName: string): void {
    const group = this.group(groupName);
    const user = this.user(userName);
    const key = group.name.toLowerCase();
    if (user.groups.includes(key)) return;
    if (user.groups.length >= MAX_GROUPS_PER_USER) throw limitExceeded(`Cannot exceed quota for GroupsPerUser: ${MAX_GROUPS_PER_USER}`);
    user.groups.push(key);
    this.changed();
  }

  removeUserFromGroup(groupName: string, userName: string): void {
    const group = this.group(groupName);
    const user = this.user(userName);
    const index = user.groups.indexOf(group.name.toLowerCase());
    if (index < 0) throw noSuchEntity(`User ${userName} is not in group ${groupName}.`);
    user.groups.splice(index, 1);
    this.changed();
  }

  // --- roles -----------------------------------------------------------------------------------------------------

  createRole(name: string, path: string, trust: string, description?: string, maxSessionDuration?: number, boundary?: string, tags: Tag[] = []): RoleRecord {
    checkName(name, 'roleName', 64);
    checkPath(path);
    checkTags(tags);
    if (description !== undefined) checkDescription(description);
    const duration = maxSessionDuration ?? 3600;
    checkSessionDuration(duration);
    if (this.roles.has(name.toLowerCase())) throw alreadyExists(`Role with name ${name} already exists.`);
    const checked = checkDocument(trust, 'trust', 'assumeRolePolicyDocument', this.principalChecks());
    checkTrustPolicySize(checked.size);
    if (boundary !== undefined) this.boundaryPolicy(boundary);
    const role: RoleRecord = {
      ...this.newEntity('role', 'AROA', name, path),
      inline: new Map(),
      attached: [],
      tags: [...tags],
      trust: checked.stored,
      ...(description !== undefined && description !== '' ? { description } : {}),
      maxSessionDuration: duration,
      ...(boundary !== undefined ? { boundary } : {}),
    };
    this.roles.set(name.toLowerCase(), role);
    this.changed();
    return role;
  }

  private modifiableRole(name: string): RoleRecord {
    const role = this.role(name);
    if (role.path.startsWith('/aws-service-role/') || role.path.startsWith('/aws-reserved/')) {
      throw new IamError('UnmodifiableEntity', `Cannot perform the operation on the protected role '${role.name}' - this role is only modifiable by AWS`);
    }
    return role;
  }

  updateRole(name: string, description?: string, maxSessionDuration?: number): void {
    const role = this.modifiableRole(name);
    if (description !== undefined) checkDescription(description);
    if (maxSessionDuration !== undefined) checkSessionDuration(maxSessionDuration);
    if (description !== undefined) role.description = description === '' ? undefined : description;
    if (maxSessionDuration !== undefined) role.maxSessionDuration = maxSessionDuration;
    this.changed();
  }

  updateAssumeRolePolicy(name: string, document: string): void {
    const role = this.modifiableRole(name);
    const checked = checkDocument(document, 'trust', 'policyDocument', this.principalChecks());
    checkTrustPolicySize(checked.size);
    role.trust = checked.stored;
    this.changed();
  }

  deleteRole(name: string): void {
    const role = this.modifiableRole(name);
    const key = name.toLowerCase();
    if ([...this.instanceProfiles.values()].some((p) => p.roles.includes(key))) throw deleteConflict('Cannot delete entity, must remove roles from instance profile first.');
    if (role.inline.size) throw deleteConflict('Cannot delete entity, must delete policies first.');
    if (role.attached.length) throw deleteConflict('Cannot delete entity, must detach all policies first.');
    this.roles.delete(key);
    this.changed();
  }

  // --- inline and attached policies --------------------------------------------------------------------------------

  putInlinePolicy(kind: 'user' | 'group' | 'role', ownerName: string, policyName: string, document: string): void {
    const owner = kind === 'user' ? this.user(ownerName) : kind === 'group' ? this.group(ownerName) : this.modifiableRole(ownerName);
    checkName(policyName, 'policyName', 128);
    const checked = checkDocument(document, 'identity', 'policyDocument');
    const others = [...owner.inline].filter(([n]) => n !== policyName).reduce((sum, [, d]) => sum + compactSize(d), 0);
    if (others + checked.size > INLINE_QUOTA[kind]) throw limitExceeded(`Maximum policy size of ${INLINE_QUOTA[kind]} bytes exceeded for ${kind} ${owner.name}`);
    owner.inline.set(policyName, checked.stored);
    this.changed();
  }

  deleteInlinePolicy(kind: 'user' | 'group' | 'role', ownerName: string, policyName: string): void {
    const owner = kind === 'user' ? this.user(ownerName) : kind === 'group' ? this.group(ownerName) : this.modifiableRole(ownerName);
    if (!owner.inline.delete(policyName)) throw noSuchEntity(`The ${kind} policy with name ${policyName} cannot be found.`);
    this.changed();
  }

  attachPolicy(kind: 'user' | 'group' | 'role', ownerName: string, policyArn: string): void {
    const owner = kind === 'user' ? this.user(ownerName) : kind === 'group' ? this.group(ownerName) : this.modifiableRole(ownerName);
    this.policy(policyArn);
    if (owner.attached.includes(policyArn)) return;
    if (owner.attached.length >= MAX_MANAGED_POLICIES) {
      throw limitExceeded(`Cannot exceed quota for PoliciesPer${kind === 'user' ? 'User' : kind === 'group' ? 'Group' : 'Role'}: ${MAX_MANAGED_POLICIES}`);
    }
    owner.attached.push(policyArn);
    this.changed();
  }

  detachPolicy(kind: 'user' | 'group' | 'role', ownerName: string, policyArn: string): void {
    const owner = kind === 'user' ? this.user(ownerName) : kind === 'group' ? this.group(ownerName) : this.modifiableRole(ownerName);
    checkArn(policyArn, 'policyArn');
    const index = owner.attached.indexOf(policyArn);
    if (index < 0) throw noSuchEntity(`Policy ${policyArn} was not found.`);
    owner.attached.splice(index, 1);
    this.changed();
  }

  private boundaryPolicy(arn: string): PolicyRecord {
    checkArn(arn, 'permissionsBoundary');
    const policy = this.policies.get(arn);
    if (!policy) throw invalidInput(`ARN ${arn} is not valid.`);
    return policy;
  }

  setBoundary(kind: 'user' | 'role', name: string, arn: string): void {
    const owner = kind === 'user' ? this.user(name) : this.modifiableRole(name);
    this.boundaryPolicy(arn);
    owner.boundary = arn;
    this.changed();
  }

  deleteBoundary(kind: 'user' | 'role', name: string): void {
    const owner = kind === 'user' ? this.user(name) : this.modifiableRole(name);
    delete owner.boundary;
    this.changed();
  }

  // --- managed policies ------------------------------------------------------------------------------------------

  createPolicy(name: string, path: string, document: string, description?: string, tags: Tag[] = []): PolicyRecord {
    checkName(name, 'policyName', 128);
    checkPath(path);
    checkTags(tags);
    if (description !== undefined) checkDescription(description);
    if ([...this.policies.values()].some((p) => !p.awsManaged && p.name.toLowerCase() === name.toLowerCase())) {
      throw alreadyExists(`A policy called ${name} already exists. Duplicate names are not allowed.`);
    }
    const checked = checkDocument(document, 'identity', 'policyDocument');
    checkManagedPolicySize(checked.size);
    const entity = this.newEntity('policy', 'ANPA', name, path);
    const policy: PolicyRecord = {
      ...entity,
      ...(description !== undefined && description !== '' ? { description } : {}),
      versions: [{ id: 'v1', document: checked.stored, isDefault: true, created: entity.created }],
      nextVersion: 2,
      tags: [...tags],
      updated: entity.created,
      awsManaged: false,
    };
    this.policies.set(policy.arn, policy);
    this.changed();
    return policy;
  }

  private customerPolicy(arn: string): PolicyRecord {
    const policy = this.policy(arn);
    if (policy.awsManaged) throw new IamError('UnmodifiableEntity', `Policy ${arn} is an AWS managed policy and cannot be modified.`);
    return policy;
  }

  createPolicyVersion(arn: string, document: string, setAsDefault: boolean): PolicyVersion {
    const policy = this.customerPolicy(arn);
    if (policy.versions.length >= MAX_POLICY_VERSIONS) {
      throw limitExceeded(`A managed policy can have up to ${MAX_POLICY_VERSIONS} versions. Before you create a new version, you must delete an existing version.`);
    }
    const checked = checkDocument(document, 'identity', 'policyDocument');
    checkManagedPolicySize(checked.size);
    const version: PolicyVersion = { id: `v${policy.nextVersion++}`, document: checked.stored, isDefault: false, created: this.now() };
    policy.versions.push(version);
    if (setAsDefault) for (const v of policy.versions) v.isDefault = v === version;
    policy.updated = version.created;
    this.changed();
    return version;
  }

  deletePolicyVersion(arn: string, versionId: string): void {
    const policy = this.customerPolicy(arn);
    const index = policy.versions.findIndex((v) => v.id === versionId);
    if (index < 0) throw noSuchEntity(`Policy ${arn} version ${versionId} does not exist.`);
    if (policy.versions[index]!.isDefault) throw deleteConflict('Cannot delete the default version of a policy.');
    policy.versions.splice(index, 1);
    this.changed();
  }

  setDefaultPolicyVersion(arn: string, versionId: string): void {
    const policy = this.customerPolicy(arn);
    if (!policy.versions.some((v) => v.id === versionId)) throw noSuchEntity(`Policy ${arn} version ${versionId} does not exist.`);
    for (const v of policy.versions) v.isDefault = v.id === versionId;
    this.changed();
  }

  deletePolicy(arn: string): void {
    const policy = this.customerPolicy(arn);
    if (this.attachmentCount(arn) > 0 || this.boundaryUsageCount(arn) > 0) throw deleteConflict('Cannot delete a policy attached to entities.');
    if (policy.versions.length > 1) {
      throw deleteConflict("This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.");
    }
    this.policies.delete(arn);
    this.changed();
  }

  attachmentCount(arn: string): number {
    let n = 0;
    for (const map of [this.users, this.groups, this.roles] as Map<string, Principal>[]) for (const p of map.values()) if (p.attached.includes(arn)) n++;
    return n;
  }

  boundaryUsageCount(arn: string): number {
    let n = 0;
    for (const map of [this.users, this.roles] as Map<string, UserRecord | RoleRecord>[]) for (const p of map.values()) if (p.boundary === arn) n++;
    return n;
  }

  // --- tags ------------------------------------------------------------------------------------------------------

  tag(target: { tags: Tag[] }, tags: Tag[]): void {
    checkTags(tags);
    const merged = new Map(target.tags.map((t) => [t.Key.toLowerCase(), t]));
    for (const t of tags) merged.set(t.Key.toLowerCase(), t);
    if (merged.size > MAX_TAGS) throw limitExceeded(`Cannot exceed quota for TagsPerEntity: ${MAX_TAGS}`);
    target.tags = [...merged.values()];
    this.changed();
  }

  untag(target: { tags: Tag[] }, keys: string[]): void {
    const drop = new Set(keys.map((k) => k.toLowerCase()));
    target.tags = target.tags.filter((t) => !drop.has(t.Key.toLowerCase()));
    this.changed();
  }

  // --- instance profiles -------------------------------------------------------------------------------------------

  createInstanceProfile(name: string, path = '/'): InstanceProfileRecord {
    checkName(name, 'instanceProfileName', 128);
    checkPath(path);
    if (this.instanceProfiles.has(name.toLowerCase())) throw alreadyExists(`Instance Profile ${name} already exists.`);
    const profile: InstanceProfileRecord = { ...this.newEntity('instance-profile', 'AIPA', name, path), roles: [], tags: [] };
    this.instanceProfiles.set(name.toLowerCase(), profile);
    this.changed();
    return profile;
  }

  addRoleToInstanceProfile(profileName: string, roleName: string): void {
    const profile = this.instanceProfile(profileName);
    const role = this.role(roleName);
    if (profile.roles.length >= 1) throw limitExceeded('Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1');
    profile.roles.push(role.name.toLowerCase());
    this.changed();
  }

  removeRoleFromInstanceProfile(profileName: string, roleName: string): void {
    const profile = this.instanceProfile(profileName);
    this.role(roleName);
    const index = profile.roles.indexOf(roleName.toLowerCase());
    if (index < 0) throw noSuchEntity(`The role with name ${roleName} cannot be found in instance profile ${profileName}.`);
    profile.roles.splice(index, 1);
    this.changed();
  }

  deleteInstanceProfile(name: string): void {
    const profile = this.instanceProfile(name);
    if (profile.roles.length) throw deleteConflict('Cannot delete entity, must remove roles from instance profile first.');
    this.instanceProfiles.delete(name.toLowerCase());
    this.changed();
  }

  profilesOfRole(roleName: string): InstanceProfileRecord[] {
    const key = this.role(roleName).name.toLowerCase();
    return [...this.instanceProfiles.values()].filter((p) => p.roles.includes(key));
  }

  // --- credentials (what deleting a user must clean up) ------------------------------------------------------------

  createLoginProfile(userName: string): void {
    const user = this.user(userName);
    if (user.loginProfile) throw alreadyExists(`Login Profile for user ${userName} already exists.`);
    user.loginProfile = { created: this.now() };
    this.changed();
  }

  deleteLoginProfile(userName: string): void {
    const user = this.user(userName);
    if (!user.loginProfile) throw noSuchEntity(`Login Profile for User ${userName} cannot be found.`);
    delete user.loginProfile;
    this.changed();
  }

  createAccessKey(userName: string): UserRecord['accessKeys'][number] {
    const user = this.user(userName);
    if (user.accessKeys.length >= 2) throw limitExceeded('Cannot exceed quota for AccessKeysPerUser: 2');
    const key = { id: newId('AKIA'), secret: randomBytes(30).toString('base64').slice(0, 40), status: 'Active' as const, created: this.now() };
    user.accessKeys.push(key);
    this.changed();
    return key;
  }

  deleteAccessKey(userName: string, id: string): void {
    const user = this.user(userName);
    const index = user.accessKeys.findIndex((k) => k.id === id);
    if (index < 0) throw noSuchEntity(`The Access Key with id ${id} cannot be found.`);
    user.accessKeys.splice(index, 1);
    this.changed();
  }

  createVirtualMfaDevice(name: string, path = '/'): { serial: string; created: Date } {
    checkName(name, 'virtualMFADeviceName', 226);
    const serial = `arn:aws:iam::${this.account}:mfa${path}${name}`;
    if (this.virtualMfaDevices.has(serial)) throw alreadyExists(`MFADevice entity at the same path and name already exists.`);
    const device = { serial, created: this.now() };
    this.virtualMfaDevices.set(serial, device);
    this.changed();
    return device;
  }

  enableMfaDevice(userName: string, serial: string): void {
    const user = this.user(userName);
    const device = this.virtualMfaDevices.get(serial);
    if (!device) throw noSuchEntity(`VirtualMFADevice with serial number ${serial} doesn't exist.`);
    if (device.user) throw alreadyExists(`MFA device ${serial} is already in use.`);
    device.user = user.name;
    user.mfaDevices.push(serial);
    this.changed();
  }

  deactivateMfaDevice(userName: string, serial: string): void {
    const user = this.user(userName);
    const index = user.mfaDevices.indexOf(serial);
    if (index < 0) throw noSuchEntity(`MFA Device with serial number ${serial} does not exist.`);
    user.mfaDevices.splice(index, 1);
    const device = this.virtualMfaDevices.get(serial);
    if (device) delete device.user;
    this.changed();
  }

  deleteVirtualMfaDevice(serial: string): void {
    const device = this.virtualMfaDevices.get(serial);
    if (!device) throw noSuchEntity(`VirtualMFADevice with serial number ${serial} doesn't exist.`);
    if (device.user) throw deleteConflict('MFA Device is still in use.');
    this.virtualMfaDevices.delete(serial);
    this.changed();
  }

  uploadSshPublicKey(userName: string, body: string): UserRecord['sshKeys'][number] {
    const user = this.user(userName);
    if (!body.startsWith('ssh-rsa ') && !body.startsWith('ssh-ed25519 ') && !body.startsWith('-----BEGIN')) throw new IamError('InvalidInput', 'Invalid public key.');
    if (user.sshKeys.length >= 5) throw limitExceeded('Cannot exceed quota for PublicKeysPerUser: 5');
    const key = { id: newId('APKA'), body, status: 'Active' as const, uploaded: this.now() };
    user.sshKeys.push(key);
    this.changed();
    return key;
  }

  deleteSshPublicKey(userName: string, id: string): void {
    const user = this.user(userName);
    const index = user.sshKeys.findIndex((k) => k.id === id);
    if (index < 0) throw noSuchEntity(`Public key with id ${id} cannot be found.`);
    user.sshKeys.splice(index, 1);
    this.changed();
  }

  uploadSigningCertificate(userName: string, body: string): UserRecord['signingCertificates'][number] {
    const user = this.user(userName);
    if (!body.includes('BEGIN CERTIFICATE')) throw new IamError('InvalidInput', 'The certificate is malformed.');
    if (user.signingCertificates.length >= 2) throw limitExceeded('Cannot exceed quota for SigningCertificatesPerUser: 2');
    const cert = { id: newId('CERT'), body, status: 'Active' as const, uploaded: this.now() };
    user.signingCertificates.push(cert);
    this.changed();
    return cert;
  }

  deleteSigningCertificate(userName: string, id: string): void {
    const user = this.user(userName);
    const index = user.signingCertificates.findIndex((c) => c.id === id);
    if (index < 0) throw noSuchEntity(`The Certificate with id ${id} cannot be found.`);
    user.signingCertificates.splice(index, 1);
    this.changed();
  }

  createServiceSpecificCredential(userName: string, service: string): UserRecord['serviceCredentials'][number] {
    const user = this.user(userName);
    if (!['codecommit.amazonaws.com', 'cassandra.amazonaws.com', 'bedrock.amazonaws.com'].includes(service)) throw new IamError('InvalidInput', `No such service ${service} is supported for Service Specific Credentials`);
    if (user.serviceCredentials.filter((c) => c.service === service).length >= 2) throw limitExceeded('Cannot exceed quota for ServiceSpecificCredentialsPerUserPerService: 2');
    const credential = { id: newId('ACCA'), service, userName: `${user.name}-at-${this.account}`, password: randomBytes(24).toString('base64'), status: 'Active' as const, created: this.now() };
    user.serviceCredentials.push(credential);
    this.changed();
    return credential;
  }

  deleteServiceSpecificCredential(userName: string, id: string): void {
    const user = this.user(userName);
    const index = user.serviceCredentials.findIndex((c) => c.id === id);
    if (index < 0) throw noSuchEntity(`No such credential ${id} exists`);
    user.serviceCredentials.splice(index, 1);
    this.changed();
  }

  // --- identity providers ------------------------------------------------------------------------------------------

  createOpenIdConnectProvider(url: string): string {
    if (!/^https:\/\/[^\s]+$/.test(url)) throw validationError(url, 'url', 'Member must satisfy regular expression pattern: https://.*');
    const arn = `arn:aws:iam::${this.account}:oidc-provider/${url.replace(/^https:\/\//, '')}`;
    if (this.providers.has(arn)) throw alreadyExists(`Provider with url ${url} already exists.`);
    this.providers.add(arn);
    this.changed();
    return arn;
  }

  /** IAM's CreateSAMLProvider: a name of [\w._-], 1-128; metadata of 1,000 to 10,000,000 characters; 100 per account. */
  createSamlProvider(name: string, metadata: string): string {
    if (!/^[\w._-]{1,128}$/.test(name)) throw validationError(name, 'name', 'Member must satisfy regular expression pattern: [\\w._-]+ and have length between 1 and 128');
    checkSamlMetadata(metadata);
    const arn = `arn:aws:iam::${this.account}:saml-provider/${name}`;
    if (this.providers.has(arn)) throw alreadyExists(`SAMLProvider ${name} already exists.`);
    if (this.samlProviders.size >= 100) throw limitExceeded('Cannot exceed quota for SAMLProvidersPerAccount: 100.');
    this.providers.add(arn);
    this.samlProviders.set(arn, { metadata, created: new Date(), ...validUntilOf(metadata) });
    this.changed();
    return arn;
  }

  samlProvider(arn: string): { metadata: string; created: Date; validUntil?: Date } {
    const found = this.samlProviders.get(arn);
    if (!found) throw noSuchEntity(`Manifest not found for arn ${arn}`);
    return found;
  }

  updateSamlProvider(arn: string, metadata: string): string {
    const found = this.samlProvider(arn);
    checkSamlMetadata(metadata);
    this.samlProviders.set(arn, { metadata, created: found.created, ...validUntilOf(metadata) });
    this.changed();
    return arn;
  }

  deleteSamlProvider(arn: string): void {
    this.samlProvider(arn);
    this.samlProviders.delete(arn);
    this.providers.delete(arn);
    this.changed();
  }

  // --- seeding (no quotas: a snapshot is what IAM already holds) ----------------------------------------------------

  seedAwsManagedPolicy(arn: string, name: string, path: string, document: string, versionId = 'v1'): void {
    this.policies.set(arn, { name, path, id: newId('ANPA'), arn, created: new Date(0), visibleAt: 0, versions: [{ id: versionId, document, isDefault: true, created: new Date(0) }], nextVersion: 2, tags: [], updated: new Date(0), awsManaged: true });
  }

  seedPolicy(record: Omit<PolicyRecord, 'visibleAt' | 'awsManaged'>): void {
    this.policies.set(record.arn, { ...record, visibleAt: 0, awsManaged: false });
  }

  seedUser(record: Omit<UserRecord, 'visibleAt' | 'accessKeys' | 'mfaDevices' | 'sshKeys' | 'signingCertificates' | 'serviceCredentials'>): UserRecord {
    const user: UserRecord = { ...record, visibleAt: 0, accessKeys: [], mfaDevices: [], sshKeys: [], signingCertificates: [], serviceCredentials: [] };
    this.users.set(record.name.toLowerCase(), user);
    return user;
  }

  seedGroup(record: Omit<GroupRecord, 'visibleAt'>): void {
    this.groups.set(record.name.toLowerCase(), { ...record, visibleAt: 0 });
  }

  seedRole(record: Omit<RoleRecord, 'visibleAt'>): void {
    this.roles.set(record.name.toLowerCase(), { ...record, visibleAt: 0 });
  }

  seedInstanceProfile(record: Omit<InstanceProfileRecord, 'visibleAt'>): void {
    this.instanceProfiles.set(record.name.toLowerCase(), { ...record, visibleAt: 0 });
  }
}

/** IAM's unique ids: a four-letter kind prefix and 17 base32 characters. */
export function newId(prefix: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const bytes = randomBytes(17);
  return prefix + [...bytes].map((b) => alphabet[b % 32]).join('');
}

function checkName(name: string, member: string, max: number): void {
  if (name.length < 1 || name.length > max) throw validationError(name, member, `Member must have length less than or equal to ${max}`);
  if (!NAME.test(name)) throw validationError(name, member, 'Member must satisfy regular expression pattern: [\\w+=,.@-]+');
}

function checkPath(path: string): void {
  if (path.length > 512 || !PATH.test(path)) throw validationError(path, 'path', 'Member must satisfy regular expression pattern: (\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)');
}

function checkArn(arn: string, member: string): void {
  if (arn.length < 20 || arn.length > 2048 || !arn.startsWith('arn:')) throw invalidInput(`ARN ${arn} is not valid.`);
  void member;
}

function checkDescription(description: string): void {
  if (description.length > 1000) throw validationError(description.slice(0, 40), 'description', 'Member must have length less than or equal to 1000');
}

function checkSessionDuration(seconds: number): void {
  if (!Number.isInteger(seconds) || seconds < 3600 || seconds > 43200) {
    throw validationError(String(seconds), 'maxSessionDuration', seconds < 3600 ? 'Member must have value greater than or equal to 3600' : 'Member must have value less than or equal to 43200');
  }
}

function checkTags(tags: readonly Tag[]): void {
  if (tags.length > MAX_TAGS) throw validationError(JSON.stringify(tags).slice(0, 40), 'tags', `Member must have length less than or equal to ${MAX_TAGS}`);
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

/** A stored document's size as IAM counts it (white space outside strings not counted). */
function compactSize(document: string): number {
  try {
    return JSON.stringify(JSON.parse(document)).length;
  } catch {
    return document.length;
  }
}

/** SAML metadata as IAM takes it: 1,000 to 10,000,000 characters of an EntityDescriptor, else refused. */
function checkSamlMetadata(metadata: string): void {
  if (metadata.length < 1000 || metadata.length > 10_000_000) throw validationError(`${metadata.slice(0, 20)}...`, 'sAMLMetadataDocument', 'Member must have length between 1000 and 10000000');
  if (!/<(?:\w+:)?EntityDescriptor[\s>]/.test(metadata)) throw invalidInput('Could not parse metadata');
}

/** The metadata's validUntil, when it says one. */
function validUntilOf(metadata: string): { validUntil?: Date } {
  const found = /validUntil="([^"]+)"/.exec(metadata);
  const date = found ? new Date(found[1]!) : undefined;
  return date && !Number.isNaN(date.getTime()) ? { validUntil: date } : {};
}

