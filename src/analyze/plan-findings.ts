/**
 * Findings of a plan: those the change introduces or removes, judged on effective permissions before (live) and
 * after (the planned state), for the principals the change can affect, each with the changes that touch it.
 */
import type { IamState } from '../core/state.js';
import type { Change, Plan } from '../plan/plan.js';
import { EffectiveAccess } from './effective-access.js';
import { findRisks, sortFindings, type Finding } from './findings.js';

export interface PlanFinding extends Finding {
  /** `introduced`: holds after the change and not before; `removed`: the reverse. */
  readonly change: 'introduced' | 'removed';
  /** The plan's changes that touch this principal: `update group developers`, ... */
  readonly causes: readonly string[];
}

/** `before` and `after` judge the live and planned states (shared with the other analyses, so their caches are too). */
export function planFindings(plan: Plan, beforeAccess: EffectiveAccess, afterAccess: EffectiveAccess, affected: ReadonlySet<string>): PlanFinding[] {
  if (plan.changes.length === 0) return [];
  const before = beforeAccess.state;
  const after = afterAccess.state;
  const key = (f: Finding): string => `${f.code}|${f.principal}|${[...(f.targets ?? [])].sort().join(',')}`;
  const was = findRisks(beforeAccess, affected);
  const is = findRisks(afterAccess, affected);
  const wasKeys = new Set(was.map(key));
  const isKeys = new Set(is.map(key));
  const causes = (principal: string): string[] => causesFor(principal, plan, [before, after]);
  const out: PlanFinding[] = [
    ...is.filter((f) => !wasKeys.has(key(f))).map((f) => ({ ...f, change: 'introduced' as const, causes: causes(f.principal) })),
    ...was.filter((f) => !isKeys.has(key(f))).map((f) => ({ ...f, change: 'removed' as const, causes: causes(f.principal) })),
    ...removedBoundaries(plan),
  ];
  return sortFindings(out) as PlanFinding[];
}

/**
 * Principals whose effective permissions a change can alter: changed users and roles, members of changed groups,
 * holders of changed policies, and whoever can assume a changed role (its power reaches them).
 */
export function affectedPrincipals(plan: Plan, accesses: readonly EffectiveAccess[]): Set<string> {
  const affected = new Set<string>();
  for (const access of accesses) {
    const state = access.state;
    const changedGroups = new Set(plan.changes.filter((c) => c.kind === 'group').map((c) => c.name.toLowerCase()));
    const changedPolicies = new Set(plan.changes.filter((c) => c.kind === 'policy').map((c) => c.arn));
    for (const c of plan.changes) if (c.kind === 'user' || c.kind === 'role') affected.add(c.arn);
    for (const p of access.principals()) {
      const groups = p.kind === 'user' ? p.groups.map((g) => state.groups.get(g.toLowerCase())).filter((g) => g !== undefined) : [];
      const policies = [...p.managedPolicies, ...groups.flatMap((g) => g.managedPolicies), ...(p.permissionsBoundary ? [p.permissionsBoundary] : [])];
      if (groups.some((g) => changedGroups.has(g.name.toLowerCase())) || policies.some((arn) => changedPolicies.has(arn))) affected.add(p.arn);
    }
    const changedRoles = [...state.roles.values()].filter((r) => affected.has(r.arn));
    for (const role of changedRoles) for (const p of access.possibleAssumers(role)) if (access.canAssume(p, role)) affected.add(p.arn);
  }
  return affected;
}

function causesFor(principal: string, plan: Plan, states: readonly IamState[]): string[] {
  const related = new Set<string>([principal]);
  for (const state of states) {
    const entity = [...state.users.values(), ...state.roles.values()].find((e) => e.arn === principal);
    if (!entity) continue;
    for (const arn of entity.managedPolicies) related.add(arn);
    if (entity.permissionsBoundary) related.add(entity.permissionsBoundary);
    if (entity.kind === 'user') {
      for (const g of entity.groups) {
        const group = state.groups.get(g.toLowerCase());
        if (group) [group.arn, ...group.managedPolicies].forEach((a) => related.add(a));
      }
    }
  }
  return plan.changes.filter((c) => related.has(c.arn)).map(describe);
}

function describe(change: Change): string {
  return `${change.action} ${change.kind} ${change.name}`;
}

/** A principal whose permissions boundary the plan removes loses its ceiling, whatever it holds today. */
function removedBoundaries(plan: Plan): PlanFinding[] {
  return plan.changes.flatMap((c) =>
    c.details
      .filter((d) => d.field === 'permissionsBoundary' && d.before !== null && d.after === null)
      .map((d) => ({
        code: 'BOUNDARY_REMOVED',
        severity: 'medium' as const,
        principal: c.arn,
        summary: `${c.kind} ${c.name} loses its permissions boundary`,
        detail: `Its policies are no longer limited by ${d.field === 'permissionsBoundary' ? d.before : ''}; any policy attached later applies in full.`,
        change: 'introduced' as const,
        causes: [describe(c)],
      })),
  );
}
