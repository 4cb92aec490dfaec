/**
 * The lockout guard, judged with the evaluation engine on the planned state. The caller of `apply` (for an assumed
 * role, the role) and every protected user or role must not, after the change:
 * - lose a permission that apply itself needs on the repo's managed paths (allowed before, not after);
 * - lose the trust that lets the caller in (for a role: any principal its trust policy stops admitting);
 * - be deleted (a replacement deletes too).
 * Pure: states in, risks out. `touchesGuarded` says which steps can cause them, so that --allow-lockout runs those
 * steps last.
 */
import type { IamState, RoleState, UserState } from '../core/state.js';
import { evaluate, type EvaluateOptions } from '../evaluate/engine.js';
import { PrincipalResolver } from '../evaluate/principal-policies.js';
import type { TrustDelta } from '../analyze/trust-delta.js';
import type { Change } from '../plan/plan.js';
import type { Step } from './steps.js';

/** What apply calls, by the kind of resource it names (`*` for listings and reads of the whole account). */
export const APPLY_PERMISSIONS: Readonly<Record<'*' | 'user' | 'group' | 'role' | 'policy', readonly string[]>> = {
  '*': ['iam:GetAccountAuthorizationDetails', 'iam:ListRoles'],
  user: ['iam:CreateUser', 'iam:DeleteUser', 'iam:UpdateUser', 'iam:TagUser', 'iam:UntagUser', 'iam:PutUserPolicy', 'iam:DeleteUserPolicy', 'iam:AttachUserPolicy', 'iam:DetachUserPolicy', 'iam:PutUserPermissionsBoundary', 'iam:DeleteUserPermissionsBoundary', 'iam:ListAccessKeys', 'iam:DeleteAccessKey', 'iam:DeleteLoginProfile', 'iam:ListGroupsForUser'],
  group: ['iam:CreateGroup', 'iam:DeleteGroup', 'iam:UpdateGroup', 'iam:GetGroup', 'iam:PutGroupPolicy', 'iam:DeleteGroupPolicy', 'iam:AttachGroupPolicy', 'iam:DetachGroupPolicy', 'iam:AddUserToGroup', 'iam:RemoveUserFromGroup'],
  role: ['iam:CreateRole', 'iam:DeleteRole', 'iam:UpdateRole', 'iam:UpdateAssumeRolePolicy', 'iam:TagRole', 'iam:UntagRole', 'iam:PutRolePolicy', 'iam:DeleteRolePolicy', 'iam:AttachRolePolicy', 'iam:DetachRolePolicy', 'iam:PutRolePermissionsBoundary', 'iam:DeleteRolePermissionsBoundary', 'iam:ListInstanceProfilesForRole', 'iam:RemoveRoleFromInstanceProfile'],
  policy: ['iam:CreatePolicy', 'iam:CreatePolicyVersion', 'iam:DeletePolicyVersion', 'iam:DeletePolicy', 'iam:ListPolicyVersions', 'iam:ListEntitiesForPolicy', 'iam:TagPolicy', 'iam:UntagPolicy', 'iam:ListPolicyTags'],
};

export interface LockoutRisk {
  /** The guarded principal, and why it is guarded: `the caller` or `protected`. */
  readonly principal: string;
  readonly as: 'caller' | 'protected';
  readonly summary: string;
  /** The statements involved: what allowed it before, what denies it (or that nothing allows it) after. */
  readonly statements: readonly string[];
}

export interface LockoutInput {
  readonly before: IamState;
  readonly after: IamState;
  readonly changes: readonly Change[];
  readonly trust: readonly TrustDelta[];
  /** The IAM principal apply runs as (a user, or an assumed role's role), when it is in the account. */
  readonly caller?: string;
  readonly protectedArns: readonly string[];
  readonly managedPaths: readonly string[];
  readonly options: EvaluateOptions;
}

export function lockoutRisks(input: LockoutInput): LockoutRisk[] {
  const guarded = new Map<string, 'caller' | 'protected'>();
  for (const arn of input.protectedArns) if (/:(user|role)\//.test(arn)) guarded.set(arn, 'protected');
  if (input.caller) guarded.set(input.caller, 'caller');
  const resolvers = { before: new PrincipalResolver(input.before), after: new PrincipalResolver(input.after) };
  const risks: LockoutRisk[] = [];
  for (const [arn, as] of guarded) {
    const who = as === 'caller' ? `the caller (${arn})` : `protected ${arn}`;
    const deleted = input.changes.find((c) => c.action === 'delete' && c.arn === arn);
    if (deleted) {
      risks.push({ principal: arn, as, summary: `${who} is ${deleted.replacedBy ? 'replaced (deleted and created again: its credentials and sessions end)' : 'deleted by this plan'}`, statements: [] });
      continue;
    }
    const was = resolvers.before.resolve(arn);
    const is = resolvers.after.resolve(arn);
    if (!was || !is) continue;
    const lost: { action: string; resource: string; statements: string[] }[] = [];
    for (const [kind, actions] of Object.entries(APPLY_PERMISSIONS) as [keyof typeof APPLY_PERMISSIONS, readonly string[]][]) {
      const resources = kind === '*' ? ['*'] : input.managedPaths.map((path) => `arn:aws:iam::${input.before.account}:${kind}${path}iam-gitops-probe`);
      for (const action of actions) {
        for (const resource of resources) {
          const request = (entity: UserState | RoleState) => ({ principal: arn, action, resource, context: contextOf(entity) });
          const before = evaluate(was.policies, request(was.entity), input.options);
          if (before.decision !== 'Allowed') continue;
          const after = evaluate(is.policies, request(is.entity), input.options);
          if (after.decision === 'Allowed') continue;
          const allowedBy = before.matched.filter((m) => m.effect === 'Allow').map((m) => `before: allowed by ${m.policy}, statement ${m.statement}${m.sid ? ` (${m.sid})` : ''}`);
          const deniedBy = after.decision === 'ExplicitlyDenied' ? after.matched.map((m) => `after: denied by ${m.policy}, statement ${m.statement}${m.sid ? ` (${m.sid})` : ''}`) : [after.reason === 'boundary' ? 'after: the permissions boundary does not allow it' : 'after: no statement allows it'];
          lost.push({ action, resource, statements: [...allowedBy, ...deniedBy] });
        }
      }
    }
    if (lost.length) {
      const actions = [...new Set(lost.map((l) => l.action))];
      risks.push({
        principal: arn,
        as,
        summary: `${who} would lose ${actions.length === 1 ? actions[0] : `${actions.length} permissions apply needs (${actions.slice(0, 4).join(', ')}${actions.length > 4 ? ', ...' : ''})`} on ${lost[0]!.resource === '*' ? 'the account' : 'the managed paths'}`,
        statements: [...new Set(lost.flatMap((l) => l.statements))].slice(0, 6),
      });
    }
    // The caller's own role must keep admitting whoever assumes it (a CI system's OIDC trust, say); who else may
    // assume a protected role is not apply's to judge (its trust policy is never changed anyway).
    const trust = as === 'caller' ? input.trust.find((t) => t.role === arn) : undefined;
    if (trust?.lost.length) {
      risks.push({ principal: arn, as, summary: `${who} would stop trusting ${trust.lost.map((g) => `${g.type} ${g.principal}`).join(', ')}: whoever assumes it that way (the caller, perhaps) is locked out`, statements: [] });
    }
  }
  return risks;
}

/** The keys AWS sets for the principal's own requests. */
function contextOf(entity: UserState | RoleState): Record<string, string> {
  return {
    'aws:PrincipalArn': entity.arn,
    'aws:PrincipalAccount': entity.arn.split(':')[4] ?? '',
    'aws:PrincipalType': entity.kind === 'user' ? 'User' : 'AssumedRole',
    ...(entity.kind === 'user' ? { 'aws:username': entity.name } : {}),
    'aws:SecureTransport': 'true',
    'aws:RequestedRegion': 'us-east-1',
    ...Object.fromEntries(Object.entries(entity.tags).map(([k, v]) => [`aws:PrincipalTag/${k}`, v])),
  };
}

/**
 * Whether a step can change what a guarded principal may do or who may assume it: a step on the principal itself,
 * on a group it belongs to, or on a policy it (or its groups) holds or is bounded by.
 */
export function touchesGuarded(step: Step, guarded: readonly string[], states: readonly IamState[]): boolean {
  const related = new Set<string>();
  for (const state of states) {
    for (const principal of [...state.users.values(), ...state.roles.values()]) {
      if (!guarded.includes(principal.arn)) continue;
      related.add(principal.arn);
      for (const p of principal.managedPolicies) related.add(p);
      if (principal.permissionsBoundary) related.add(principal.permissionsBoundary);
      if (principal.kind === 'user') {
        for (const g of principal.groups) {
          const group = state.groups.get(g.toLowerCase());
          if (!group) continue;
          related.add(group.arn);
          for (const p of group.managedPolicies) related.add(p);
        }
      }
    }
  }
  return related.has(step.target) || step.alsoTouches.some((a) => related.has(a));
}
