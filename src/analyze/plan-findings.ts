/**
 * Findings of a plan: those the change introduces or removes, judged on effective permissions before (live) and
 * after (the planned state), for the principals the change can affect, each with the changes that touch it.
 */
import type { IamState } from '../core/state.js';
import type { Change, ChangeOrigin, ChangeSet, Plan } from '../plan/plan.js';
import { EffectiveAccess } from './effective-access.js';
import { statementsOf } from '../core/policy.js';
import { compileActions } from '../evaluate/compile-policy.js';
import { splitAction } from './action-classes.js';
import { passwordPolicyFindings } from './password-policy.js';
import { ADMIN_ONLY_ACTIONS, FACT_ACTIONS, findRisks, SEVERITY_ORDER, sortFindings, TARGETING_ACTIONS, type Finding, type FindingSeverity } from './findings.js';

export interface PlanFinding extends Finding {
  /**
   * `introduced`: holds after the change and not before (or holds with a higher severity: see `severityChange`);
   * `removed`: the reverse (or holds with a lower severity).
   */
  readonly change: 'introduced' | 'removed';
  /** The plan's changes that touch this principal: `update group developers`, ... */
  readonly causes: readonly string[];
  /**
   * Added field: the same risk (code, principal, targets) held before with another severity. A raised one is
   * `introduced` with `severity` the new one; a lowered one is `removed` with `severity` the old one.
   */
  readonly severityChange?: { readonly from: FindingSeverity; readonly to: FindingSeverity };
  /** Added field: the principal's ARN before the change, when the change moves it to another path. */
  readonly movedFrom?: string;
  /** Added field, with a pull request: the pull request's own finding, or drift's (apply would revert it anyway). */
  readonly origin?: ChangeOrigin;
  /**
   * Added field, with a pull request: the reason the head's Account manifest gives for accepting this risk, which
   * the base's does not accept. A pull request cannot accept its own risk: such a finding is not `accepted` (it
   * counts and fails --fail-on) until the acceptance is on the base branch.
   */
  readonly acceptedInPullRequest?: string;
}

/**
 * `before` and `after` judge the live and planned states (shared with the other analyses, so their caches are too).
 * `moves` (old ARN -> new ARN) lets a moved principal's findings be compared with its own, not reported anew.
 */
export function planFindings(plan: Pick<ChangeSet, 'changes'>, beforeAccess: EffectiveAccess, afterAccess: EffectiveAccess, affected: ReadonlySet<string>, moves: ReadonlyMap<string, string> = new Map()): PlanFinding[] {
  if (plan.changes.length === 0) return [];
  // Findings are the account's (law: exactly audit after minus audit before), judged where they can differ.
  const judged = principalsToJudge([beforeAccess, afterAccess], factsMayChange(plan, beforeAccess, afterAccess, affected, moves), moves);
  const before = beforeAccess.state;
  const after = afterAccess.state;
  const renamed = (arn: string): string => moves.get(arn) ?? arn;
  const previous = new Map([...moves].map(([old, now]) => [now, old]));
  const key = findingIdentity;
  const was = new Map(findRisks(beforeAccess, judged).map((f) => ({ ...f, principal: renamed(f.principal), ...(f.targets ? { targets: f.targets.map(renamed) } : {}) })).map((f) => [key(f), f]));
  const is = new Map(findRisks(afterAccess, judged).map((f) => [key(f), f]));
  const causes = (f: Finding): string[] => [...new Set(relatedChanges(f, previous.get(f.principal), plan, [before, after]).map(describe))];
  const moved = (principal: string): { movedFrom?: string } => (previous.has(principal) ? { movedFrom: previous.get(principal)! } : {});
  const out: PlanFinding[] = [];
  for (const [k, f] of is) {
    const old = was.get(k);
    if (!old) out.push({ ...f, change: 'introduced', causes: causes(f), ...moved(f.principal) });
    else if (old.severity !== f.severity) {
      const raised = SEVERITY_ORDER.indexOf(f.severity) < SEVERITY_ORDER.indexOf(old.severity);
      const shown = raised ? f : { ...f, severity: old.severity };
      out.push({ ...shown, change: raised ? 'introduced' : 'removed', severityChange: { from: old.severity, to: f.severity }, causes: causes(f), ...moved(f.principal) });
    }
  }
  for (const [k, f] of was) if (!is.has(k)) out.push({ ...f, change: 'removed', causes: causes(f), ...moved(f.principal) });
  out.push(...removedBoundaries(plan));
  out.push(...passwordPolicyChange(plan, before, after));
  return sortFindings(out);
}

/** The password policy finding the plan's change to the account's settings introduces or removes. */
function passwordPolicyChange(plan: Pick<ChangeSet, 'changes'>, before: IamState, after: IamState): PlanFinding[] {
  const cause = plan.changes.find((c) => c.kind === 'account' && c.details.some((d) => d.field === 'passwordPolicy'));
  if (!cause) return [];
  const causes = [`update account ${cause.name} (password policy)`];
  const [was] = passwordPolicyFindings(before);
  const [is] = passwordPolicyFindings(after);
  if (is && !was) return [{ ...is, change: 'introduced', causes }];
  if (was && !is) return [{ ...was, change: 'removed', causes }];
  return [];
}

/**
 * A risk's identity across two states: the same path to the same targets, whatever its severity. Being able to make
 * oneself an administrator is one risk however many ways there are to it.
 */
/**
 * Findings the pull request's own effect introduces that the plan does not: where the pull request adopts drift (its
 * manifests now say what live IAM already has beyond the base's), nothing changes in IAM, so the plan of the head
 * against live IAM has no finding; yet merging makes that access the manifests' own and drift detection stops
 * reporting it. `--fail-on`, the comment's counts and banner judge them as the pull request's (they are not in the
 * plan's `findings`, which describe what apply changes).
 */
export function adoptedDriftFindings(plan: Pick<Plan, 'findings'> & { readonly pullRequest?: Plan['pullRequest'] }): PlanFinding[] {
  const effect = plan.pullRequest?.effect?.findings;
  if (!effect?.length) return [];
  const key = (f: PlanFinding): string => `${f.severity} ${findingIdentity(f)}`;
  const inPlan = new Set(plan.findings.filter((f) => f.change === 'introduced').map(key));
  return effect
    .filter((f) => f.change === 'introduced' && !inPlan.has(key(f)))
    .map((f) => ({ ...f, origin: 'pull-request' as const, causes: f.causes.map((c) => `adopts drift: ${c}`) }));
}

/** The findings `--fail-on` judges for a plan: its own and, with a pull request, those of the drift it adopts. */
export function findingsToGate(plan: Pick<Plan, 'findings'> & { readonly pullRequest?: Plan['pullRequest'] }): PlanFinding[] {
  return [...plan.findings, ...adoptedDriftFindings(plan)];
}

export function findingIdentity(f: Finding): string {
  return `${f.code}|${f.principal}|${f.code === 'PRIVESC_TO_ADMIN' ? '' : [...(f.targets ?? [])].sort().join(',')}`;
}

/**
 * The principals among `affected` whose own facts can differ. A member of a changed group, or a holder of a changed
 * policy, reads the same facts on both sides unless a statement that changes for it covers an action the facts ask
 * about (FACT_ACTIONS) other than those only the administrator check reads (see ADMIN_ONLY_ACTIONS), or its boundary
 * changes. At quota, most of a 2,000-member group's members are left out this way. Principals the plan changes or
 * moves themselves are always kept: their tags, ARN and trust are facts too. Others whose findings change with them
 * (they target them, or assume them) are added by `principalsToJudge`, as is every principal allowed an action that
 * targets others.
 */
export function factsMayChange(plan: Pick<ChangeSet, 'changes'>, beforeAccess: EffectiveAccess, afterAccess: EffectiveAccess, affected: ReadonlySet<string>, moves: ReadonlyMap<string, string> = new Map()): Set<string> {
  const itself = new Set<string>([...moves.keys(), ...moves.values()]);
  for (const c of plan.changes) {
    itself.add(c.arn);
    if (c.previousArn) itself.add(c.previousArn);
  }
  // Statements by their text as written: the same statement written in another key order reads as changed, which
  // only keeps a principal that could have been left out. What a statement covers is computed for changed ones alone.
  const ids = new Map<string, number>();
  const idsOf = new WeakMap<object, number>();
  const idOf = (statement: Record<string, unknown>): number => {
    let id = idsOf.get(statement);
    if (id === undefined) {
      const text = JSON.stringify(statement);
      id = ids.get(text);
      if (id === undefined) ids.set(text, (id = ids.size));
      idsOf.set(statement, id);
    }
    return id;
  };
  const covered = new Map<number, readonly string[]>();
  const covers = (statement: Record<string, unknown>): readonly string[] => {
    const id = idOf(statement);
    let found = covered.get(id);
    if (!found) {
      const matches = compileActions(statement);
      covered.set(id, (found = [...FACT_ACTIONS].filter((a) => matches(...splitAction(a)))));
    }
    return found;
  };
  // Each statement where it applies: identity statements as even numbers, the boundary's as odd ones.
  const placed = (access: EffectiveAccess, arn: string): Map<number, Record<string, unknown>> | undefined => {
    const principal = access.principalByArn(arn);
    if (!principal) return undefined;
    const documents = access.namedDocumentsOf(principal);
    const out = new Map<number, Record<string, unknown>>();
    for (const d of documents.identity) for (const st of statementsOf(d.document)) out.set(2 * idOf(st), st);
    if (documents.boundary) for (const st of statementsOf(documents.boundary.document)) out.set(2 * idOf(st) + 1, st);
    return out;
  };
  const kept = new Set<string>();
  for (const arn of affected) {
    const was = placed(beforeAccess, arn);
    const is = placed(afterAccess, arn);
    if (itself.has(arn) || !was || !is) {
      kept.add(arn);
      continue;
    }
    const touched = new Set<string>();
    for (const [one, other] of [[was, is], [is, was]] as const) for (const [key, statement] of one) if (!other.has(key)) covers(statement).forEach((a) => touched.add(a));
    // A boundary statement that changes bounds every action: the facts may change.
    const boundaryChanged = [...was.keys(), ...is.keys()].some((k) => k % 2 === 1 && !(was.has(k) && is.has(k)));
    if (!boundaryChanged && [...touched].every((a) => ADMIN_ONLY_ACTIONS.has(a))) continue;
    kept.add(arn);
  }
  return kept;
}

/**
 * The principals whose findings can differ between the two sides: those whose own permissions the change can alter
 * (`affected`), every principal allowed an action that targets other principals, groups or policies on either side
 * (its paths run through them, and their power carries through), and whoever can assume a role among these (its
 * findings include the role's), transitively. Everyone else's findings depend on its own, unchanged, policies.
 */
export function principalsToJudge(accesses: readonly EffectiveAccess[], affected: ReadonlySet<string>, moves: ReadonlyMap<string, string> = new Map()): Set<string> {
  const judged = new Set<string>(affected);
  for (const [old, now] of moves) {
    if (affected.has(old) || affected.has(now)) [old, now].forEach((arn) => judged.add(arn));
  }
  const services = new Set(TARGETING_ACTIONS.map((a) => a.slice(0, a.indexOf(':')).toLowerCase()));
  for (const access of accesses) {
    for (const p of access.principals()) {
      if (judged.has(p.arn) || !access.mayAllowAny(p, services)) continue;
      if (TARGETING_ACTIONS.some((action) => access.decision(p, action, '*') !== 'ImplicitlyDenied')) judged.add(p.arn);
    }
  }
  // Whoever can reach a judged role: its findings include what the role can do.
  let grown = true;
  while (grown) {
    grown = false;
    for (const access of accesses) {
      for (const role of access.lists.roles) {
        if (!judged.has(role.arn)) continue;
        for (const p of access.possibleAssumers(role)) {
          if (!judged.has(p.arn) && access.canAssume(p, role)) {
            judged.add(p.arn);
            grown = true;
          }
        }
      }
    }
  }
  return judged;
}

/**
 * Principals whose effective permissions a change can alter: changed users and roles, members of changed groups,
 * holders of changed policies, and whoever can assume a changed role (its power reaches them).
 */
export function affectedPrincipals(plan: Pick<ChangeSet, 'changes'>, accesses: readonly EffectiveAccess[]): Set<string> {
  const affected = new Set<string>();
  for (const access of accesses) {
    const state = access.state;
    const changedGroups = new Set(plan.changes.filter((c) => c.kind === 'group').map((c) => c.name.toLowerCase()));
    const changedPolicies = new Set(plan.changes.filter((c) => c.kind === 'policy').map((c) => c.arn));
    for (const c of plan.changes) {
      if (c.kind !== 'user' && c.kind !== 'role') continue;
      affected.add(c.arn);
      if (c.previousArn) affected.add(c.previousArn);
    }
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

/**
 * The changes that may cause a finding: those of its principal's own entities (the principal, its groups, policies
 * and boundary) and of the entities its paths go through (their targets, and theirs), on either side.
 */
function relatedChanges(finding: Finding, previousArn: string | undefined, plan: Pick<ChangeSet, 'changes'>, states: readonly IamState[]): Change[] {
  const related = new Set<string>([finding.principal, ...(previousArn ? [previousArn] : [])]);
  const through = [...(finding.targets ?? []), ...(finding.paths ?? []).flatMap((p) => p.targets ?? [])];
  for (const arn of through) related.add(arn);
  for (const state of states) {
    for (const arn of [finding.principal, ...(previousArn ? [previousArn] : []), ...through]) {
      const entity = [...state.users.values(), ...state.roles.values(), ...state.groups.values()].find((e) => e.arn === arn);
      if (!entity) continue;
      for (const policy of entity.managedPolicies) related.add(policy);
      if (entity.kind !== 'group' && entity.permissionsBoundary) related.add(entity.permissionsBoundary);
      if (entity.kind === 'user') {
        for (const g of entity.groups) {
          const group = state.groups.get(g.toLowerCase());
          if (group) [group.arn, ...group.managedPolicies].forEach((a) => related.add(a));
        }
      }
    }
  }
  return plan.changes.filter((c) => (related.has(c.arn) || (c.previousArn !== undefined && related.has(c.previousArn))) && c.replacedBy === undefined);
}

/**
 * What a finding's severity would be in the state the plan leads to, without one of its changes (undefined: the
 * finding would not hold). Supplied by the caller, which can build that state.
 */
export type SeverityWithout = (change: Change, finding: PlanFinding) => FindingSeverity | undefined;

/** At most this many candidate causes of one finding are tried one by one; past it, all are named. */
const CAUSES_TRIED = 12;

/**
 * The changes that really cause each finding: of the changes that may (see relatedChanges), those without which it
 * would not be as the plan says (not introduced, not removed, not at that severity). Where no single one is needed
 * (two changes each enough on their own), all the candidates are named.
 */
export function attributeCauses(findings: readonly PlanFinding[], plan: Pick<ChangeSet, 'changes'>, severityWithout: SeverityWithout): PlanFinding[] {
  const byDescription = new Map(plan.changes.map((c) => [describe(c), c]));
  return findings.map((f) => {
    if (f.code === 'BOUNDARY_REMOVED' || f.causes.length < 2 || f.causes.length > CAUSES_TRIED) return f;
    const severityAfter: FindingSeverity | undefined = f.change === 'introduced' ? f.severity : f.severityChange ? f.severityChange.to : undefined;
    const needed = f.causes.filter((d) => {
      const change = byDescription.get(d);
      return change !== undefined && severityWithout(change, f) !== severityAfter;
    });
    return needed.length ? { ...f, causes: needed } : f;
  });
}

/** `update group developers`; `replace role deploy` for the create half of a replacement (its delete half is omitted). */
export function describe(change: Change): string {
  return `${change.replaces !== undefined ? 'replace' : change.action} ${change.kind} ${change.name}`;
}

/** A principal whose permissions boundary the plan removes loses its ceiling, whatever it holds today. */
function removedBoundaries(plan: Pick<ChangeSet, 'changes'>): PlanFinding[] {
  // Only updates: a deleted principal has nothing left to limit, and a replacement's create half has its own boundary.
  return plan.changes.filter((c) => c.action === 'update').flatMap((c) =>
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
