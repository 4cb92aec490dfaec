/**
 * The emulated account: users, groups, roles, managed policies (with versions), instance profiles, and what hangs
 * off them elsewhere (credentials in `credentials.ts`, identity providers and service-linked roles in
 * `federation.ts`), with eventual consistency (an entity created a moment ago is hidden from reads and refused as a
 * trust principal). Records are in `records.ts`, IAM's refusal rules in `rules.ts`. Every method is one IAM
 * operation; a broken rule throws the IamError IAM answers with.
 */
import { alreadyExists, deleteConflict, IamError, invalidInput, limitExceeded, noSuchEntity } from './errors.js';
import { checkDocument, checkManagedPolicySize, checkTrustPolicySize, INLINE_QUOTA, type PrincipalChecks } from './documents.js';
import {
  newId,
  type DeletionTaskRecord,
  type Entity,
  type GroupRecord,
  type InstanceProfileRecord,
  type OidcProviderRecord,
  type PolicyRecord,
  type PolicyVersion,
  type Principal,
  type RoleRecord,
  type SamlProviderRecord,
  type Tag,
  type UserRecord,
  type PasswordPolicyRecord,
  type VirtualMfaDeviceRecord,
} from './records.js';
import {
  checkArn,
  checkDeletable,
  checkDescription,
  checkName,
  checkPath,
  checkQuota,
  checkSessionDuration,
  checkTags,
  compactSize,
  GROUP_DELETE_PREREQUISITES,
  INSTANCE_PROFILE_DELETE_PREREQUISITES,
  mergeTags,
  QUOTAS,
  ROLE_DELETE_PREREQUISITES,
  USER_DELETE_PREREQUISITES,
} from './rules.js';

export { newId };
export type { GroupRecord, InstanceProfileRecord, PolicyRecord, PolicyVersion, RoleRecord, Tag, UserRecord };

export interface ModelOptions {
  readonly account: string;
  /** How long a new entity stays hidden from reads and refused as a trust principal. */
  readonly consistencyDelayMs?: number;
  readonly now?: () => number;
}

export class IamModel {
  readonly account: string;
  readonly users = new Map<string, UserRecord>();
  readonly groups = new Map<string, GroupRecord>();
  readonly roles = new Map<string, RoleRecord>();
  /** Customer and AWS managed policies, by ARN. */
  readonly policies = new Map<string, PolicyRecord>();
  readonly instanceProfiles = new Map<string, InstanceProfileRecord>();
  readonly oidcProviders = new Map<string, OidcProviderRecord>();
  readonly samlProviders = new Map<string, SamlProviderRecord>();
  readonly virtualMfaDevices = new Map<string, VirtualMfaDeviceRecord>();
  /** The account password policy (tools/iam-emulator/account-settings.ts); undefined: none is set. */
  passwordPolicy: PasswordPolicyRecord | undefined;
  /** The account alias, in a list as IAM lists it (at most one). */
  readonly accountAliases: string[] = [];
  /** Service-linked role deletions IAM has accepted, by task id. */
  readonly deletionTasks = new Map<string, DeletionTaskRecord>();
  /** How long a new entity stays hidden (and a service-linked role's deletion runs). */
  readonly consistencyDelayMs: number;
  private readonly clock: () => number;
  /** Bumped on every change, so that derived views (authorization) know when to rebuild. */
  version = 0;

  constructor(options: ModelOptions) {
    this.account = options.account;
    this.consistencyDelayMs = options.consistencyDelayMs ?? 0;
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
    const visibleAt = visibleNow ? 0 : this.clock() + this.consistencyDelayMs;
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

  /** Marks a change (credentials and federation change the account too). */
  changed(): void {
    this.version++;
  }

  /** Whether an OIDC or SAML provider with this ARN exists. */
  providerExists(arn: string): boolean {
    return this.oidcProviders.has(arn) || this.samlProviders.has(arn);
  }

  /** Carries out the service-linked role deletions whose time has come (IAM runs them after it answers). */
  settleDeletions(): void {
    for (const task of this.deletionTasks.values()) {
      if (this.clock() < task.doneAt || !this.roles.has(task.roleKey)) continue;
      this.roles.delete(task.roleKey);
      for (const profile of this.instanceProfiles.values()) profile.roles.splice(0, profile.roles.length, ...profile.roles.filter((r) => r !== task.roleKey));
      this.changed();
    }
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
    checkArn(arn);
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
      providerExists: (arn) => this.providerExists(arn),
    };
  }

  // --- users -----------------------------------------------------------------------------------------------------

  createUser(name: string, path = '/', boundary?: string, tags: Tag[] = []): UserRecord {
    checkName(name, 'userName');
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
      checkName(newName, 'newUserName');
      if (newName.toLowerCase() !== name.toLowerCase() && this.users.has(newName.toLowerCase())) throw alreadyExists(`User with name ${newName} already exists.`);
    }
    this.users.delete(name.toLowerCase());
    if (newPath !== undefined) user.path = newPath;
    // Keys, password, MFA devices and memberships stay with the user record; its devices follow the new name.
    if (newName !== undefined) for (const device of this.virtualMfaDevices.values()) if (device.user === user.name) device.user = newName;
    if (newName !== undefined) user.name = newName;
    const oldArn = user.arn;
    user.arn = `arn:aws:iam::${this.account}:user${user.path}${user.name}`;
    // Trust policies hold the principal's unique id: IAM shows them with its new ARN (not so conditions or resources).
    if (oldArn !== user.arn) for (const role of this.roles.values()) role.trust = withPrincipalArn(role.trust, oldArn, user.arn);
    this.users.set(user.name.toLowerCase(), user);
    this.changed();
  }

  deleteUser(name: string): void {
    const user = this.user(name);
    checkDeletable(USER_DELETE_PREREQUISITES, user);
    this.users.delete(name.toLowerCase());
    this.changed();
  }

  // --- groups ----------------------------------------------------------------------------------------------------

  createGroup(name: string, path = '/'): GroupRecord {
    checkName(name, 'groupName');
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
      checkName(newName, 'newGroupName');
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
    checkDeletable(GROUP_DELETE_PREREQUISITES, { group, members: [...this.users.values()].filter((u) => u.groups.includes(key)).length });
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
    checkQuota('GroupsPerUser', user.groups.length + 1);
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
    checkName(name, 'roleName');
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
    checkDeletable(ROLE_DELETE_PREREQUISITES, { role, profiles: [...this.instanceProfiles.values()].filter((p) => p.roles.includes(key)).length });
    this.roles.delete(key);
    this.changed();
  }

  // --- inline and attached policies --------------------------------------------------------------------------------

  putInlinePolicy(kind: 'user' | 'group' | 'role', ownerName: string, policyName: string, document: string): void {
    const owner = kind === 'user' ? this.user(ownerName) : kind === 'group' ? this.group(ownerName) : this.modifiableRole(ownerName);
    checkName(policyName, 'policyName');
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
    checkQuota(kind === 'user' ? 'PoliciesPerUser' : kind === 'group' ? 'PoliciesPerGroup' : 'PoliciesPerRole', owner.attached.length + 1);
    owner.attached.push(policyArn);
    this.changed();
  }

  detachPolicy(kind: 'user' | 'group' | 'role', ownerName: string, policyArn: string): void {
    const owner = kind === 'user' ? this.user(ownerName) : kind === 'group' ? this.group(ownerName) : this.modifiableRole(ownerName);
    checkArn(policyArn);
    const index = owner.attached.indexOf(policyArn);
    if (index < 0) throw noSuchEntity(`Policy ${policyArn} was not found.`);
    owner.attached.splice(index, 1);
    this.changed();
  }

  private boundaryPolicy(arn: string): PolicyRecord {
    checkArn(arn);
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
    checkName(name, 'policyName');
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
    if (policy.versions.length >= QUOTAS.VersionsPerPolicy) {
      throw limitExceeded(`A managed policy can have up to ${QUOTAS.VersionsPerPolicy} versions. Before you create a new version, you must delete an existing version.`);
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
    target.tags = mergeTags(target.tags, tags);
    this.changed();
  }

  untag(target: { tags: Tag[] }, keys: string[]): void {
    const drop = new Set(keys.map((k) => k.toLowerCase()));
    target.tags = target.tags.filter((t) => !drop.has(t.Key.toLowerCase()));
    this.changed();
  }

  // --- instance profiles -------------------------------------------------------------------------------------------

  createInstanceProfile(name: string, path = '/'): InstanceProfileRecord {
    checkName(name, 'instanceProfileName');
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
    checkQuota('InstanceSessionsPerInstanceProfile', profile.roles.length + 1);
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
    checkDeletable(INSTANCE_PROFILE_DELETE_PREREQUISITES, profile);
    this.instanceProfiles.delete(name.toLowerCase());
    this.changed();
  }

  profilesOfRole(roleName: string): InstanceProfileRecord[] {
    const key = this.role(roleName).name.toLowerCase();
    return [...this.instanceProfiles.values()].filter((p) => p.roles.includes(key));
  }

  // --- seeding (no quotas: a snapshot is what IAM already holds) ----------------------------------------------------

  seedAwsManagedPolicy(arn: string, name: string, path: string, document: string, versionId = 'v1'): void {
    this.policies.set(arn, { name, path, id: newId('ANPA'), arn, created: new Date(0), visibleAt: 0, versions: [{ id: versionId, document, isDefault: true, created: new Date(0) }], nextVersion: 2, tags: [], updated: new Date(0), awsManaged: true });
  }

  /**
   * AWS's side: a new default version of one of its managed policies, as AWS publishes them (the next version id,
   * the old versions kept and no longer default). Every account that attaches it has the new document at once.
   */
  publishAwsPolicyVersion(arn: string, document: string): string {
    const policy = this.policies.get(arn);
    if (!policy?.awsManaged) throw new IamError('NoSuchEntity', `Policy ${arn} is not an AWS managed policy this emulator knows.`);
    const highest = Math.max(0, ...policy.versions.map((v) => Number(/^v(\d+)$/.exec(v.id)?.[1] ?? 0)));
    const id = `v${highest + 1}`;
    const versions = [...policy.versions.map((v) => ({ ...v, isDefault: false })), { id, document, isDefault: true, created: this.now() }];
    this.policies.set(arn, { ...policy, versions, nextVersion: highest + 2, updated: this.now() });
    this.changed();
    return id;
  }

  /** A provider a snapshot's trust policy names (a real account that has the role has the provider). */
  seedProvider(arn: string): void {
    const [, kind, name] = /:(oidc-provider|saml-provider)\/(.+)$/.exec(arn) ?? [];
    if (kind === 'oidc-provider' && name) this.oidcProviders.set(arn, { arn, url: name, clientIds: [], thumbprints: [], created: new Date(0), tags: [] });
    // The snapshot does not hold the metadata, but IAM never keeps a SAML provider without one (CreateSAMLProvider
    // requires 1,000 characters or more): a stand-in document of that shape, as GetSAMLProvider would return one.
    if (kind === 'saml-provider' && name) this.samlProviders.set(arn, { arn, name, uuid: `p-${newId('SAML').toLowerCase()}`, metadata: standInMetadata(name), created: new Date(0), validUntil: new Date(Date.UTC(2100, 0, 1)), tags: [] });
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

/** SAML metadata of the shape IAM accepts (an EntityDescriptor with an IDPSSODescriptor, 1,000 characters or more). */
function standInMetadata(name: string): string {
  const certificate = 'MIIC'.padEnd(1024, 'A');
  return `<?xml version="1.0" encoding="UTF-8"?><md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://idp.example.com/${name}"><md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>${certificate}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor><md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://idp.example.com/${name}/sso"/></md:IDPSSODescriptor></md:EntityDescriptor>`;
}

/** A trust policy (stored text) with `from` replaced by `to` where a statement names it as an AWS principal. */
function withPrincipalArn(trust: string, from: string, to: string): string {
  if (!trust.includes(from)) return trust;
  const doc = JSON.parse(trust) as { Statement?: unknown };
  let changed = false;
  const statements = Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement];
  for (const s of statements) {
    const principal = (s as { Principal?: unknown } | undefined)?.Principal;
    if (typeof principal !== 'object' || principal === null) continue;
    const p = principal as Record<string, unknown>;
    const aws = p['AWS'];
    if (aws === from) (p['AWS'] = to), (changed = true);
    else if (Array.isArray(aws) && aws.includes(from)) (p['AWS'] = aws.map((a) => (a === from ? to : a))), (changed = true);
  }
  return changed ? JSON.stringify(doc) : trust;
}
