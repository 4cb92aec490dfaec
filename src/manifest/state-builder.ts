/**
 * The desired state built from the manifests that passed their schema: each entity checked (names, paths within
 * managedPaths, IAM's limits, descriptions and tags), its references resolved and documents read, in an order that
 * lets principals refer to policies; entities marked deleted are listed apart.
 */
import type { ActionCatalog } from '../catalog/action-catalog.js';
import { entityArn, nameKey, type EntityKind } from '../core/arn.js';
import { error, warning, type Diagnostic, type SourceLocation } from '../core/diagnostics.js';
import { makePolicy, policySize, statementsOf, type Policy, type PolicyJson } from '../core/policy.js';
import {
  DEFAULT_MAX_SESSION_DURATION,
  sortedUnique,
  type GroupState,
  type IamState,
  type InlinePolicies,
  type ManagedPolicyState,
  type RoleState,
  type Tags,
  type UnknownField,
  type CredentialPolicy,
  type UserState,
} from '../core/state.js';
import { didYouMean } from '../core/suggest.js';
import { iamNameProblem } from '../core/iam-names.js';
import { AcceptUnknown } from './accept-unknown.js';
import { checkPath, type Declared, type EntityManifest } from './declared.js';
import { isOwnedPath, sourceKey, type AccountConfig, type DeletedEntity, type DesiredState } from './desired-state.js';
import type { EntityIndex } from './entity-index.js';
import * as limits from './limits.js';
import type { ManifestOptions } from './load-manifests.js';
import type { ManifestSource } from './manifest-source.js';
import { PolicyDocuments } from './policy-documents.js';
import { PolicyReferences } from './policy-references.js';
import type { BoundaryManifest, GroupManifest, PolicyManifest, RoleManifest, UserManifest } from './schema.js';
import type { SourceDocument } from './source-document.js';

/** Builds one folder's desired state from its indexed manifests; problems go to `diagnostics`. */
export class StateBuilder {
  private readonly users = new Map<string, UserState>();
  private readonly groups = new Map<string, GroupState>();
  private readonly roles = new Map<string, RoleState>();
  private readonly policies = new Map<string, ManagedPolicyState>();
  private readonly deleted: DeletedEntity[] = [];
  private readonly sources = new Map<string, () => SourceLocation>();
  private readonly previousNames = new Map<string, string>();

  private readonly accepted: AcceptUnknown;
  private readonly documents: PolicyDocuments;
  private readonly references: PolicyReferences;

  constructor(
    private readonly account: AccountConfig | undefined,
    private readonly index: EntityIndex,
    private readonly source: ManifestSource,
    private readonly catalog: ActionCatalog,
    private readonly diagnostics: Diagnostic[],
    private readonly options: ManifestOptions,
  ) {
    this.accepted = new AcceptUnknown(account, catalog, diagnostics, options);
    this.documents = new PolicyDocuments(source, catalog, this.accepted, diagnostics, options);
    this.references = new PolicyReferences(account, index, this.policies, this.accepted, diagnostics, options);
  }

  build(): DesiredState | undefined {
    const account = this.account;
    if (!account) return undefined;
    // Policies first: principals refer to them by name and need their ARNs.
    for (const entity of this.index.policies.values()) this.addPolicy(account, entity);
    for (const entity of this.index.groups.values()) this.addGroup(account, entity);
    for (const entity of this.index.roles.values()) this.addRole(account, entity);
    for (const entity of this.index.users.values()) this.addUser(account, entity);
    for (const entity of this.index.duplicates) this.checkAlone(account, entity);
    this.accepted.checkUnused(account);
    this.documents.reportLints();
    const state: IamState = {
      account: account.id,
      users: this.users,
      groups: this.groups,
      roles: this.roles,
      policies: this.policies,
      externalPolicies: new Map(),
      ...(account.settings.passwordPolicy !== undefined || account.settings.alias !== undefined ? { settings: account.settings } : {}),
    };
    this.checkPreviousNames();
    return { account, state, deleted: this.deleted, sources: this.sources, ...(this.previousNames.size ? { previousNames: this.previousNames } : {}) };
  }

  /**
   * A second declaration of a name, checked as if it were the only one (its path, references, documents), into a
   * scratch state: what it says is left out, what is wrong with it is reported with the rest.
   */
  private checkAlone(account: AccountConfig, entity: Declared<EntityManifest>): void {
    const scratch = new StateBuilder(account, this.index, this.source, this.catalog, this.diagnostics, this.options);
    // Principals refer to policies by name: the scratch state knows the declared ones.
    for (const [key, policy] of this.policies) scratch.policies.set(key, policy);
    const manifest = entity.manifest;
    switch (manifest.kind) {
      case 'Policy':
      case 'Boundary':
        return scratch.addPolicy(account, { ...entity, manifest });
      case 'Group':
        return scratch.addGroup(account, { ...entity, manifest });
      case 'Role':
        return scratch.addRole(account, { ...entity, manifest });
      case 'User':
        return scratch.addUser(account, { ...entity, manifest });
    }
  }

  /** Common checks; returns the normalised path, or undefined for an entity marked deleted. */
  private declare(account: AccountConfig, kind: EntityKind, entity: Declared<EntityManifest>): string | undefined {
    const { manifest, doc } = entity;
    this.sources.set(sourceKey(kind, manifest.name), () => doc.locate([]));
    this.checkName(kind, manifest.name, doc);
    if (manifest.previousName !== undefined) this.declarePreviousName(kind, manifest.name, manifest.previousName, manifest.kind, doc);
    const path = manifest.path ?? '/';
    const validPath = checkPath(path, doc, ['path'], this.diagnostics);
    if (validPath && !isOwnedPath(account, path)) {
      this.diagnostics.push(error(`${manifest.kind} "${manifest.name}" has path "${path}", outside managedPaths`, `This repo owns only ${account.managedPaths.join(', ')} (the Account's managedPaths). Move the ${manifest.kind.toLowerCase()} under one of them or add its path there.`, doc.locate(manifest.path ? ['path'] : [])));
    }
    if (manifest.deleted) {
      this.deleted.push({ kind, name: manifest.name, at: doc.locate([]) });
      return undefined;
    }
    return path;
  }

  /** A rename in place: users and groups only (IAM has UpdateUser and UpdateGroup; roles and policies cannot be renamed). */
  private declarePreviousName(kind: EntityKind, name: string, previous: string, manifestKind: string, doc: SourceDocument): void {
    if (kind !== 'user' && kind !== 'group') {
      const what = kind === 'role' ? 'a role' : 'a managed policy';
      this.diagnostics.push(error(`IAM cannot rename ${what}: previousName is for users and groups`, `To move ${manifestKind} "${previous}" to the name "${name}", declare the new one and mark the old one deleted: true in the same change (the plan creates one and deletes the other; whatever names the old ARN must be updated too).`, doc.locate(['previousName'], { key: true })));
      return;
    }
    if (!limits.NAME_PATTERN.test(previous) || previous.length > limits.MAX_NAME_LENGTH[kind]) {
      this.diagnostics.push(error(`invalid previousName "${previous}"`, `IAM ${kind} names have 1 to ${limits.MAX_NAME_LENGTH[kind]} characters: letters, digits and + = , . @ _ -.`, doc.locate(['previousName'])));
      return;
    }
    if (nameKey(previous) === nameKey(name)) {
      this.diagnostics.push(error(`previousName "${previous}" is the ${manifestKind}'s own name`, 'IAM names are case-insensitive: this renames nothing. Remove previousName.', doc.locate(['previousName'])));
      return;
    }
    this.previousNames.set(sourceKey(kind, name), previous);
    this.previousAt.set(sourceKey(kind, name), () => doc.locate(['previousName']));
  }

  private readonly previousAt = new Map<string, () => SourceLocation>();

  /** A previous name that another manifest of the kind declares (or that two renames claim) would be two entities at once. */
  private checkPreviousNames(): void {
    const claimed = new Map<string, string>();
    for (const [key, previous] of this.previousNames) {
      const kind = key.slice(0, key.indexOf(':')) as 'user' | 'group';
      const at = this.previousAt.get(key)?.();
      const declared = kind === 'user' ? this.index.users : this.index.groups;
      if (declared.has(nameKey(previous))) {
        this.diagnostics.push(error(`previousName "${previous}" is declared too`, `A ${kind} manifest declares "${previous}" as well: the rename would make two ${kind}s one. Remove that manifest (the rename keeps everything of it), or previousName.`, at));
      }
      const other = claimed.get(`${kind}:${nameKey(previous)}`);
      if (other) this.diagnostics.push(error(`previousName "${previous}" is claimed twice`, `${kind} "${other}" renames it too; one ${kind} can become only one.`, at));
      claimed.set(`${kind}:${nameKey(previous)}`, key.slice(key.indexOf(':') + 1));
    }
  }

  private checkName(kind: EntityKind, name: string, doc: SourceDocument): void {
    const max = limits.MAX_NAME_LENGTH[kind];
    if (!limits.NAME_PATTERN.test(name) || name.length > max) {
      this.diagnostics.push(error(`invalid ${kind} name "${name}"`, `IAM ${kind} names have 1 to ${max} characters: letters, digits and + = , . @ _ -.`, doc.locate(['name'])));
    }
  }

  private addPolicy(account: AccountConfig, entity: Declared<PolicyManifest | BoundaryManifest>): void {
    const { manifest, doc } = entity;
    const path = this.declare(account, 'policy', entity);
    const arn = entityArn(account.id, 'policy', path ?? manifest.path ?? '/', manifest.name);
    if (path === undefined) return;
    this.checkDescription(manifest.description, doc);
    const tags = this.tags(manifest.tags, doc);
    let document: Policy | undefined;
    if (manifest.document !== undefined && manifest.documentFile !== undefined) {
      this.diagnostics.push(error(`${manifest.kind} "${manifest.name}" has both document and documentFile`, 'Keep one of them.', doc.locate(['documentFile'], { key: true })));
    } else if (manifest.document === undefined && manifest.documentFile === undefined) {
      this.diagnostics.push(error(`${manifest.kind} "${manifest.name}" has no document`, 'Add document: {Version: "2012-10-17", Statement: [...]} or documentFile: path/to/policy.json.', doc.locate([])));
    } else {
      const found = manifest.document !== undefined
        ? this.documents.checkedDocument(manifest.document, doc, ['document'], 'identity')
        : this.documents.documentFromFile(manifest.documentFile!, doc, ['documentFile'], 'identity');
      if (found) {
        const size = policySize(found.document);
        if (size > limits.MAX_MANAGED_POLICY_SIZE) {
          this.diagnostics.push(error(`managed policy "${manifest.name}" is ${size} characters, over IAM's limit of ${limits.MAX_MANAGED_POLICY_SIZE}`, 'White space is not counted. Split it into two policies, or use wildcards where they grant exactly what you mean.', found.locate()));
        }
        document = found.policy;
      }
    }
    if (!document) return;
    if (manifest.kind === 'Boundary' && !statementsOf(document.document).some((st) => st['Effect'] === 'Allow')) {
      this.diagnostics.push(warning(`Boundary "${manifest.name}" has no Allow statement: it denies everything`, 'A permissions boundary lets through only what it allows; with no Allow, whoever it bounds can do nothing (sts:GetCallerIdentity aside). Add Allow statements for what the principals may do.', doc.locate(manifest.document !== undefined ? ['document'] : ['documentFile'])));
    }
    this.policies.set(nameKey(manifest.name), {
      kind: 'policy',
      name: manifest.name,
      path,
      arn,
      ...(manifest.description !== undefined ? { description: manifest.description } : {}),
      document,
      tags,
      usage: manifest.kind === 'Boundary' ? 'boundary' : 'policy',
    });
  }

  private addGroup(account: AccountConfig, entity: Declared<GroupManifest>): void {
    const { manifest, doc } = entity;
    const path = this.declare(account, 'group', entity);
    if (path === undefined) return;
    this.groups.set(nameKey(manifest.name), {
      kind: 'group',
      name: manifest.name,
      path,
      arn: entityArn(account.id, 'group', path, manifest.name),
      managedPolicies: this.references.policyRefs(manifest.managedPolicies, doc, manifest.name),
      inlinePolicies: this.inlinePolicies(manifest.inlinePolicies, doc, 'group', manifest.name),
    });
  }

  private addRole(account: AccountConfig, entity: Declared<RoleManifest>): void {
    const { manifest, doc } = entity;
    const path = this.declare(account, 'role', entity);
    if (path === undefined) return;
    this.checkDescription(manifest.description, doc);
    const unmanaged = this.unmanagedFields(manifest, doc);
    const duration = manifest.maxSessionDuration ?? DEFAULT_MAX_SESSION_DURATION;
    if (duration < limits.MIN_SESSION_DURATION || duration > limits.MAX_SESSION_DURATION) {
      this.diagnostics.push(error(`maxSessionDuration ${duration} is out of range`, `Use ${limits.MIN_SESSION_DURATION} (1 hour) to ${limits.MAX_SESSION_DURATION} (12 hours) seconds.`, doc.locate(['maxSessionDuration'])));
    }
    let trustPolicy: Policy | undefined;
    if (manifest.trustPolicy === undefined) {
      this.diagnostics.push(error(`Role "${manifest.name}" has no trustPolicy`, 'Add trustPolicy: who may assume the role, e.g. {Version: "2012-10-17", Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}]}.', doc.locate([])));
    } else {
      const found = this.documents.policyOrFile(manifest.trustPolicy, doc, ['trustPolicy'], 'trust');
      if (found) {
        const size = policySize(found.document);
        if (size > limits.MAX_TRUST_POLICY_SIZE) {
          this.diagnostics.push(error(`trust policy of role "${manifest.name}" is ${size} characters, over IAM's limit of ${limits.MAX_TRUST_POLICY_SIZE}`, 'White space is not counted. The quota can be raised to 4,096 through Service Quotas; otherwise merge statements.', found.locate()));
        }
        trustPolicy = found.policy;
      }
    }
    const role: RoleState = {
      kind: 'role',
      name: manifest.name,
      path,
      arn: entityArn(account.id, 'role', path, manifest.name),
      ...(manifest.description !== undefined ? { description: manifest.description } : {}),
      // Unmanaged, the duration has no value here (not IAM's default): live IAM's stays.
      ...(unmanaged.includes('maxSessionDuration') ? {} : { maxSessionDuration: duration }),
      trustPolicy: trustPolicy ?? makePolicy({}),
      managedPolicies: this.references.policyRefs(manifest.managedPolicies, doc, manifest.name),
      inlinePolicies: this.inlinePolicies(manifest.inlinePolicies, doc, 'role', manifest.name),
      ...this.references.boundary(manifest.permissionsBoundary, doc),
      tags: this.tags(manifest.tags, doc),
      ...this.instanceProfiles(manifest, doc),
      ...(unmanaged.length ? { unknown: unmanaged } : {}),
    };
    this.roles.set(nameKey(manifest.name), role);
  }

  /** A role's `instanceProfile`: true means a profile of the role's own name (as the console creates one). */
  private instanceProfiles(manifest: RoleManifest, doc: SourceDocument): Pick<RoleState, 'instanceProfiles'> {
    const declared = manifest.instanceProfile;
    if (declared === undefined) return {};
    if (declared === false) return { instanceProfiles: [] };
    const name = declared === true ? manifest.name : declared.name;
    const problem = iamNameProblem('instance profile', name);
    if (problem) {
      this.diagnostics.push(error(`instance profile name "${name}" of role "${manifest.name}" is not valid: ${problem}`, 'Fix the name, or write instanceProfile: true to name the profile like the role.', doc.locate(declared === true ? ['instanceProfile'] : ['instanceProfile', 'name'])));
      return {};
    }
    return { instanceProfiles: [name] };
  }

  private addUser(account: AccountConfig, entity: Declared<UserManifest>): void {
    const { manifest, doc } = entity;
    const path = this.declare(account, 'user', entity);
    if (path === undefined) return;
    const groups: string[] = [];
    (manifest.groups ?? []).forEach((name, i) => {
      const group = this.index.groups.get(nameKey(name));
      if (!group) {
        const defined = [...this.index.groups.values()].map((g) => g.manifest.name);
        this.diagnostics.push(error(`unknown group "${name}"`, `User "${manifest.name}" lists group "${name}", which no Group manifest declares.${didYouMean(name, defined)}${defined.length ? ` Defined groups: ${defined.join(', ')}.` : ' Declare it with kind: Group.'}`, doc.locate(['groups', i])));
      } else if (group.manifest.deleted) {
        this.diagnostics.push(error(`group "${name}" is marked deleted`, `User "${manifest.name}" cannot stay in a group that this change deletes; remove the group from the user's list.`, doc.locate(['groups', i])));
      } else {
        groups.push(group.manifest.name);
      }
    });
    const uniqueGroups = sortedUnique(groups);
    if (uniqueGroups.length > limits.MAX_GROUPS_PER_USER) {
      this.diagnostics.push(error(`user "${manifest.name}" is in ${uniqueGroups.length} groups, over IAM's limit of ${limits.MAX_GROUPS_PER_USER}`, 'Merge groups, or give the user a role to assume instead.', doc.locate(['groups'])));
    }
    this.users.set(nameKey(manifest.name), {
      kind: 'user',
      name: manifest.name,
      path,
      arn: entityArn(account.id, 'user', path, manifest.name),
      groups: uniqueGroups,
      managedPolicies: this.references.policyRefs(manifest.managedPolicies, doc, manifest.name),
      inlinePolicies: this.inlinePolicies(manifest.inlinePolicies, doc, 'user', manifest.name),
      ...this.references.boundary(manifest.permissionsBoundary, doc),
      tags: this.tags(manifest.tags, doc),
      ...credentialPolicyOf(account.credentials, manifest.credentials),
    });
  }


  private inlinePolicies(policies: Record<string, PolicyJson> | undefined, doc: SourceDocument, kind: 'user' | 'group' | 'role', owner: string): InlinePolicies {
    const out: Record<string, Policy> = {};
    let total = 0;
    for (const [name, value] of Object.entries(policies ?? {})) {
      if (!limits.NAME_PATTERN.test(name) || name.length > limits.MAX_INLINE_POLICY_NAME_LENGTH) {
        this.diagnostics.push(error(`invalid inline policy name "${name}"`, 'Inline policy names have 1 to 128 characters: letters, digits and + = , . @ _ -.', doc.locate(['inlinePolicies', name], { key: true })));
      }
      const found = this.documents.policyOrFile(value, doc, ['inlinePolicies', name], 'identity');
      if (!found) continue;
      total += policySize(found.document);
      out[name] = found.policy;
    }
    const max = limits.MAX_INLINE_POLICIES_SIZE[kind];
    if (total > max) {
      this.diagnostics.push(error(`inline policies of ${kind} "${owner}" total ${total} characters, over IAM's limit of ${max}`, `IAM limits the combined size of a ${kind}'s inline policies (white space not counted). Move some into a customer managed Policy.`, doc.locate(['inlinePolicies'])));
    }
    return out;
  }


  // --- small fields ----------------------------------------------------------------------------------------

  /**
   * A role's `unmanagedFields`, sorted and without repeats. A field both set and listed is an error: the manifest
   * would say two things about it.
   */
  private unmanagedFields(manifest: RoleManifest, doc: SourceDocument): UnknownField[] {
    const fields = [...new Set(manifest.unmanagedFields ?? [])].sort();
    for (const field of fields) {
      if (manifest[field] === undefined) continue;
      this.diagnostics.push(error(`${field} is set and listed under unmanagedFields`, `Role "${manifest.name}" both sets ${field} and leaves it unmanaged. Remove ${field} from unmanagedFields to manage it (import lists fields its source did not hold), or remove the ${field} line to leave live IAM's value as it is.`, doc.locate(['unmanagedFields', (manifest.unmanagedFields ?? []).indexOf(field)])));
    }
    return fields;
  }

  private checkDescription(description: string | undefined, doc: SourceDocument): void {
    if (description !== undefined && description.length > limits.MAX_DESCRIPTION_LENGTH) {
      this.diagnostics.push(error(`description is ${description.length} characters, over IAM's limit of ${limits.MAX_DESCRIPTION_LENGTH}`, 'Shorten it.', doc.locate(['description'])));
    }
  }

  tags(tags: Record<string, string> | undefined, doc: SourceDocument): Tags {
    if (!tags) return {};
    const keys = Object.keys(tags);
    if (keys.length > limits.MAX_TAGS) {
      this.diagnostics.push(error(`${keys.length} tags, over IAM's limit of ${limits.MAX_TAGS}`, 'Remove some tags.', doc.locate(['tags'])));
    }
    for (const key of keys) {
      const value = tags[key]!;
      if (key.length === 0 || key.length > limits.MAX_TAG_KEY_LENGTH || !limits.TAG_PATTERN.test(key) || key.toLowerCase().startsWith('aws:')) {
        this.diagnostics.push(error(`invalid tag key "${key}"`, 'Tag keys have 1 to 128 letters, digits, spaces and _ . : / = + - @, and may not start with "aws:".', doc.locate(['tags', key], { key: true })));
      }
      if (value.length > limits.MAX_TAG_VALUE_LENGTH || !limits.TAG_PATTERN.test(value)) {
        this.diagnostics.push(error(`invalid value of tag "${key}"`, 'Tag values have up to 256 letters, digits, spaces and _ . : / = + - @.', doc.locate(['tags', key])));
      }
    }
    return Object.fromEntries(keys.sort().map((k) => [k, tags[k]!]));
  }
}

/** A user's credentials policy: its own fields over the Account's default; absent when neither sets any. */
function credentialPolicyOf(defaults: CredentialPolicy | undefined, own: CredentialPolicy | undefined): { credentialPolicy?: CredentialPolicy } {
  const merged = { ...defaults, ...own };
  return Object.keys(merged).length ? { credentialPolicy: merged } : {};
}
