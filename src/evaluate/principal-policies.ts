/**
 * Which policies apply to a principal, from the IAM state: a user's inline and attached policies plus every
 * group's; a role's own; and the permissions boundary. Managed policies are compiled once per state and shared by
 * every principal that attaches them (a policy attached to 1,000 roles is compiled once).
 */
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

export class PrincipalResolver {
  private readonly byArn = new Map<string, UserState | RoleState>();
  private readonly managed = new Map<string, CompiledPolicy | null>();
  private readonly documents = new Map<string, PolicyJson>();

  constructor(private readonly state: IamState) {
    for (const policy of state.externalPolicies.values()) this.documents.set(policy.arn, policy.document);
    for (const policy of state.policies.values()) this.documents.set(policy.arn, policy.document.document);
    for (const user of state.users.values()) this.byArn.set(user.arn, user);
    for (const role of state.roles.values()) this.byArn.set(role.arn, role);
  }

  /** Undefined when no user or role of the state has this ARN. */
  resolve(arn: string): ResolvedPrincipal | undefined {
    const entity = this.byArn.get(arn);
    if (!entity) return undefined;
    const unknown: string[] = [];
    const identity: CompiledPolicy[] = [];
    const addManaged = (policyArn: string): void => {
      const compiled = this.managedPolicy(policyArn);
      if (compiled) identity.push(compiled);
      else unknown.push(policyArn);
    };
    const label = `${entity.kind} ${entity.name}`;
    for (const [name, policy] of Object.entries(entity.inlinePolicies)) identity.push(compilePolicy(`${label}: inline policy ${name}`, policy.document));
    entity.managedPolicies.forEach(addManaged);
    if (entity.kind === 'user') {
      for (const groupName of entity.groups) {
        const group = this.state.groups.get(groupName.toLowerCase());
        if (!group) continue;
        for (const [name, policy] of Object.entries(group.inlinePolicies)) identity.push(compilePolicy(`group ${group.name}: inline policy ${name}`, policy.document));
        group.managedPolicies.forEach(addManaged);
      }
    }
    let boundary: CompiledPolicy | undefined;
    if (entity.permissionsBoundary) {
      const document = this.documentOf(entity.permissionsBoundary);
      if (document) boundary = compilePolicy(`permissions boundary ${entity.permissionsBoundary}`, document);
      else unknown.push(entity.permissionsBoundary);
    }
    return { entity, policies: { identity, ...(boundary ? { boundary } : {}) }, unknownPolicies: unknown };
  }

  private managedPolicy(arn: string): CompiledPolicy | undefined {
    if (!this.managed.has(arn)) {
      const document = this.documentOf(arn);
      this.managed.set(arn, document ? compilePolicy(`managed policy ${arn}`, document) : null);
    }
    return this.managed.get(arn) ?? undefined;
  }

  private documentOf(arn: string): PolicyJson | undefined {
    return this.documents.get(arn);
  }
}
