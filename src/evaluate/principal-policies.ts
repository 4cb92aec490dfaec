/**
 * Which policies apply to a principal, from the IAM state: a user's inline and attached policies plus every
 * group's; a role's own; and the permissions boundary. Managed policies are compiled once per state and shared by
 * every principal that attaches them (a policy attached to 1,000 roles is compiled once).
 */
import { cachedPer } from '../core/multimap.js';
import type { PolicyJson } from '../core/policy.js';
import type { IamState, RoleState, UserState } from '../core/state.js';
import { compilePolicy, type CompiledPolicy } from './compile-policy.js';
import type { PrincipalPolicies } from './engine.js';

export interface ResolvedPrincipal {
  readonly entity: UserState | RoleState;
  readonly policies: PrincipalPolicies;
  /** Attached policy ARNs whose documents the state does not hold; evaluation ignores them, so say so. */
  readonly unknownPolicies: readonly string[];
}

export interface NamedDocument {
  readonly name: string;
  readonly document: PolicyJson;
  /** Set for managed policies, which are compiled once and shared. */
  readonly managedArn?: string;
}

/**
 * Customer managed policies with another of their versions in force than the default (by policy ARN): a principal
 * as it would be after iam:SetDefaultPolicyVersion.
 */
export type PolicyVersionsInForce = ReadonlyMap<string, { readonly id: string; readonly document: PolicyJson }>;

export interface PrincipalDocuments {
  readonly entity: UserState | RoleState;
  readonly identity: readonly NamedDocument[];
  readonly boundary?: NamedDocument;
  readonly unknown: readonly string[];
}

export class PrincipalResolver {
  private readonly byArn = new Map<string, UserState | RoleState>();
  private readonly managed = new Map<string, CompiledPolicy>();
  private readonly boundaries = new Map<string, CompiledPolicy>();
  private readonly documentsByArn = new Map<string, PolicyJson>();
  /**
   * Inline documents compiled, per document object and name: a group's inline policy applies to every member and is
   * the same object for each, so 2,000 members compile it once, not 2,000 times.
   */
  private readonly inline = new WeakMap<PolicyJson, Map<string, CompiledPolicy>>();

  constructor(private readonly state: IamState) {
    for (const policy of state.externalPolicies.values()) this.documentsByArn.set(policy.arn, policy.document);
    for (const policy of state.policies.values()) this.documentsByArn.set(policy.arn, policy.document.document);
    for (const user of state.users.values()) this.byArn.set(user.arn, user);
    for (const role of state.roles.values()) this.byArn.set(role.arn, role);
  }

  /** Undefined when no user or role of the state has this ARN. */
  resolve(arn: string): ResolvedPrincipal | undefined {
    const entity = this.byArn.get(arn);
    return entity ? this.resolveEntity(entity) : undefined;
  }

  /** A user or role given as a value: one of the state's, or one as it would be (a user with one more group). */
  resolveEntity(entity: UserState | RoleState, versions?: PolicyVersionsInForce): ResolvedPrincipal {
    const documents = this.documentsOf(entity, versions);
    const compile = (d: NamedDocument, cache: Map<string, CompiledPolicy>): CompiledPolicy => {
      if (!d.managedArn) return cachedPer(this.inline, d.document, d.name, () => compilePolicy(d.name, d.document));
      const version = versions?.get(d.managedArn);
      const key = version ? `${d.managedArn}\u0000${version.id}` : d.managedArn;
      let compiled = cache.get(key);
      if (!compiled) cache.set(key, (compiled = compilePolicy(d.name, d.document)));
      return compiled;
    };
    const identity = documents.identity.map((d) => compile(d, this.managed));
    // A boundary is a managed policy too, shared by every principal it bounds; it is named as a boundary, so it has
    // its own cache.
    const boundary = documents.boundary ? compile(documents.boundary, this.boundaries) : undefined;
    return { entity: documents.entity, policies: { identity, ...(boundary ? { boundary } : {}) }, unknownPolicies: documents.unknown };
  }

  /** The documents that apply to a principal, named as evaluation results name them. */
  documents(arn: string): PrincipalDocuments | undefined {
    const entity = this.byArn.get(arn);
    return entity ? this.documentsOf(entity) : undefined;
  }

  documentsOf(entity: UserState | RoleState, versions?: PolicyVersionsInForce): PrincipalDocuments {
    const unknown: string[] = [];
    const identity: NamedDocument[] = [];
    const addManaged = (policyArn: string): void => {
      const document = versions?.get(policyArn)?.document ?? this.documentOf(policyArn);
      if (document) identity.push({ name: `managed policy ${policyArn}`, document, managedArn: policyArn });
      else unknown.push(policyArn);
    };
    const label = `${entity.kind} ${entity.name}`;
    for (const [name, policy] of Object.entries(entity.inlinePolicies)) identity.push({ name: `${label}: inline policy ${name}`, document: policy.document });
    entity.managedPolicies.forEach(addManaged);
    if (entity.kind === 'user') {
      for (const groupName of entity.groups) {
        const group = this.state.groups.get(groupName.toLowerCase());
        if (!group) continue;
        for (const [name, policy] of Object.entries(group.inlinePolicies)) identity.push({ name: `group ${group.name}: inline policy ${name}`, document: policy.document });
        group.managedPolicies.forEach(addManaged);
      }
    }
    let boundary: NamedDocument | undefined;
    if (entity.permissionsBoundary) {
      const document = versions?.get(entity.permissionsBoundary)?.document ?? this.documentOf(entity.permissionsBoundary);
      if (document) boundary = { name: `permissions boundary ${entity.permissionsBoundary}`, document, managedArn: entity.permissionsBoundary };
      else unknown.push(entity.permissionsBoundary);
    }
    return { entity, identity, ...(boundary ? { boundary } : {}), unknown };
  }

  private documentOf(arn: string): PolicyJson | undefined {
    return this.documentsByArn.get(arn);
  }
}
