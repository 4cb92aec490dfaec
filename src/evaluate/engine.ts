/**
 * Identity-based policy evaluation, as AWS documents it ("Policy evaluation logic", for a principal acting in
 * its own account, with no resource policy, SCP or session policy): an explicit Deny in any identity policy or
 * the permissions boundary decides; otherwise the request needs an Allow from an identity policy and, when the
 * principal has a boundary, an Allow from the boundary too; otherwise it is implicitly denied.
 */
import { addAllTo } from '../core/multimap.js';
import { prepareContext, type PreparedContext } from './context.js';
import type { CompiledPolicy, CompiledStatement } from './compile-policy.js';
import { prepareResource, type PreparedResource } from './resources.js';
import { defaultContext, findContext, type ConditionEntry, type RequestSpace } from './request-space.js';
import { serviceDecision } from './service-rules.js';
import type { Decision, EvaluationRequest, EvaluationResult, MatchedStatement, RequestContext } from './types.js';

/** The policies that apply to one principal, compiled. */
export interface PrincipalPolicies {
  readonly identity: readonly CompiledPolicy[];
  /** Absent when the principal has no permissions boundary. */
  readonly boundary?: CompiledPolicy;
}

export interface EvaluateOptions {
  /** Actions that take no resource ("*" only), from the catalog; they match only `Resource: "*"`. */
  readonly isWildcardOnlyAction: (action: string) => boolean;
}

export function evaluate(principal: PrincipalPolicies, request: EvaluationRequest, options: EvaluateOptions): EvaluationResult {
  const colon = request.action.indexOf(':');
  const service = request.action.slice(0, colon).toLowerCase();
  const action = request.action.slice(colon + 1).toLowerCase();
  const resource = prepareResource(request.resource);
  const context = prepareContext(request.context);
  const wildcardOnly = resource.isAll && options.isWildcardOnlyAction(request.action);
  const index = indexOf(principal);

  const prepared = { service, action, resource, context, wildcardOnly };
  const identity = matchingStatements(index.identity.get(service), index.identityAny, prepared, true);
  const boundary = index.boundary ? matchingStatements(index.boundary.get(service), index.boundaryAny, prepared, true) : NONE;
  const result = decide(principal, identity, boundary);
  const imposed = serviceDecision(`${service}:${action}`, resource, result.decision);
  if (!imposed || imposed === result.decision) return result;
  if (imposed === 'Allowed') return { decision: imposed, matched: [] };
  return result.decision === 'ExplicitlyDenied' ? { decision: imposed, matched: result.matched } : { decision: imposed, matched: [], reason: 'service-rule' };
}

const NONE: readonly CompiledStatement[] = [];

/** The decision in the context the caller chose, which `context` holds. */
export interface ChosenContextResult extends EvaluationResult {
  readonly context: RequestContext;
  /** False when the search for an allowing context stopped at its bound: an Allowed may have been missed. */
  readonly complete: boolean;
  /** For an Allowed reached only in some contexts: the conditions of the Allows (and boundary Allows) that hold in it. */
  readonly conditions?: readonly ConditionEntry[];
}

/**
 * A principal's statements that a request's action and resource select, conditions aside: what a search over
 * request contexts varies. Resources read policy variables from `fixed` (the keys the caller cannot choose).
 */
export interface SelectedStatements {
  readonly principal: PrincipalPolicies;
  readonly service: string;
  readonly action: string;
  readonly resource: PreparedResource;
  readonly identity: readonly CompiledStatement[];
  readonly boundary: readonly CompiledStatement[];
}

export function selectStatements(principal: PrincipalPolicies, request: Omit<EvaluationRequest, 'principal'>, options: EvaluateOptions): SelectedStatements {
  const colon = request.action.indexOf(':');
  const service = request.action.slice(0, colon).toLowerCase();
  const action = request.action.slice(colon + 1).toLowerCase();
  const resource = prepareResource(request.resource);
  const wildcardOnly = resource.isAll && options.isWildcardOnlyAction(request.action);
  const index = indexOf(principal);
  const context = prepareContext(request.context);
  const prepared = { service, action, resource, context, wildcardOnly };
  const identity = matchingStatements(index.identity.get(service), index.identityAny, prepared, false);
  const boundary = index.boundary ? matchingStatements(index.boundary.get(service), index.boundaryAny, prepared, false) : NONE;
  return { principal, service, action, resource, identity, boundary };
}

/** The decision on selected statements in one context (as `evaluate` reaches it). */
export function decideSelected(selected: SelectedStatements, context: RequestContext): EvaluationResult {
  const prepared = prepareContext(context);
  const holds = (s: CompiledStatement): boolean => s.conditionHolds(prepared);
  const result = decide(selected.principal, selected.identity.filter(holds), selected.boundary.filter(holds));
  const imposed = serviceDecision(`${selected.service}:${selected.action}`, selected.resource, result.decision);
  if (!imposed || imposed === result.decision) return result;
  if (imposed === 'Allowed') return { decision: imposed, matched: [] };
  return result.decision === 'ExplicitlyDenied' ? { decision: imposed, matched: result.matched } : { decision: imposed, matched: [], reason: 'service-rule' };
}

/**
 * The decision alone, for a question asked thousands of times (is it allowed anywhere?): as `evaluateInSomeContext`
 * decides, without the statements that decide it or the context that shows it.
 */
export function decisionInSomeContext(principal: PrincipalPolicies, request: Omit<EvaluationRequest, 'context'>, space: RequestSpace, options: EvaluateOptions): Decision {
  const base = defaultContext(space);
  const selected = selectStatements(principal, { action: request.action, resource: request.resource, context: base }, options);
  if (selected.identity.length === 0) return serviceDecision(`${selected.service}:${selected.action}`, selected.resource, 'ImplicitlyDenied') ?? 'ImplicitlyDenied';
  if (!hasConditions(selected)) return decisionOf(selected, base);
  return evaluateInSomeContext(principal, request, space, options).decision;
}

/** `decideSelected`'s decision, without building its report. */
function decisionOf(selected: SelectedStatements, context: RequestContext): Decision {
  const prepared = prepareContext(context);
  let allow = false;
  let boundaryAllow = false;
  for (const s of selected.identity) {
    if (!s.conditionHolds(prepared)) continue;
    if (s.effect === 'Deny') return imposed(selected, 'ExplicitlyDenied');
    allow = true;
  }
  for (const s of selected.boundary) {
    if (!s.conditionHolds(prepared)) continue;
    if (s.effect === 'Deny') return imposed(selected, 'ExplicitlyDenied');
    boundaryAllow = true;
  }
  const decision: Decision = allow && (!selected.principal.boundary || boundaryAllow) ? 'Allowed' : 'ImplicitlyDenied';
  return imposed(selected, decision);
}

function imposed(selected: SelectedStatements, decision: Decision): Decision {
  return serviceDecision(`${selected.service}:${selected.action}`, selected.resource, decision) ?? decision;
}

/** Whether any selected statement has a condition: without one, every context gets the same decision. */
export function hasConditions(selected: SelectedStatements): boolean {
  return selected.identity.some((s) => s.conditions.length > 0) || selected.boundary.some((s) => s.conditions.length > 0);
}

/** The ways selected statements can allow (an Allow with each of the boundary's Allows), and the Denies that can stop them. */
export function allowPaths(selected: SelectedStatements): { paths: { conditions: readonly ConditionEntry[] }[]; denies: (readonly ConditionEntry[])[] } {
  const allows = selected.identity.filter((s) => s.effect === 'Allow');
  const boundaryAllows = selected.principal.boundary ? selected.boundary.filter((s) => s.effect === 'Allow') : undefined;
  const paths = allows.flatMap((s) => (boundaryAllows ? boundaryAllows.map((b) => ({ conditions: [...s.conditions, ...b.conditions] })) : [{ conditions: s.conditions }]));
  const denies = [...selected.identity, ...selected.boundary].filter((s) => s.effect === 'Deny').map((s) => s.conditions);
  return { paths, denies };
}

/**
 * The decision for the most favourable request the caller can make: Allowed when some context the caller can
 * present is allowed (`space.fixed` holds the keys it cannot choose). Otherwise ExplicitlyDenied when an Allow can
 * hold but a Deny then always applies, else ImplicitlyDenied.
 */
export function evaluateInSomeContext(principal: PrincipalPolicies, request: Omit<EvaluationRequest, 'context'>, space: RequestSpace, options: EvaluateOptions): ChosenContextResult {
  const base = defaultContext(space);
  const selected = selectStatements(principal, { action: request.action, resource: request.resource, context: base }, options);
  if (!hasConditions(selected)) return { ...decideSelected(selected, base), context: base, complete: true };
  const { paths, denies } = allowPaths(selected);
  const found = findContext({ paths, denies, space, decide: (context) => decisionOf(selected, context) === 'Allowed' });
  if (found.context) {
    const prepared = prepareContext(found.context);
    const holding = [...selected.identity, ...selected.boundary].filter((s) => s.effect === 'Allow' && s.conditionHolds(prepared));
    const conditions = holding.flatMap((s) => s.conditions);
    return { ...decideSelected(selected, found.context), context: found.context, complete: true, ...(conditions.length ? { conditions } : {}) };
  }
  const result = decideSelected(selected, base);
  if (found.pathCanHold && result.decision === 'ImplicitlyDenied' && result.reason !== 'service-rule') {
    // An Allow holds in some context, and a Deny then applies in every one: denied, explicitly.
    return { decision: 'ExplicitlyDenied', matched: report([...selected.identity, ...selected.boundary].filter((s) => s.effect === 'Deny'), principal), context: base, complete: found.complete };
  }
  return { ...result, context: base, complete: found.complete };
}

/** The statements of a service's list and the any-service list that pass `test`, in order (NONE when none does). */
function statementsWhere(forService: readonly CompiledStatement[] | undefined, forAny: readonly CompiledStatement[], test: (s: CompiledStatement) => boolean): readonly CompiledStatement[] {
  let out: CompiledStatement[] | undefined;
  for (const list of [forService ?? NONE, forAny]) {
    for (let i = 0; i < list.length; i++) {
      const s = list[i]!;
      if (test(s)) (out ??= []).push(s);
    }
  }
  return out ?? NONE;
}

/**
 * Whether any identity statement can apply to an action of this service (lower case). When none can, every request
 * for it is implicitly denied, except sts:GetCallerIdentity, which needs no permission: callers probing many actions
 * skip building requests for services the principal has nothing for.
 */
export function hasStatementsFor(principal: PrincipalPolicies, service: string): boolean {
  const index = indexOf(principal);
  return index.identityAny.length > 0 || index.identity.has(service);
}

/** A principal's statements by service, merged across its policies; built on first use and kept with it. */
interface PrincipalIndex {
  readonly identity: ReadonlyMap<string, readonly CompiledStatement[]>;
  readonly identityAny: readonly CompiledStatement[];
  readonly boundary?: ReadonlyMap<string, readonly CompiledStatement[]>;
  readonly boundaryAny: readonly CompiledStatement[];
}

const indexes = new WeakMap<PrincipalPolicies, PrincipalIndex>();

function indexOf(principal: PrincipalPolicies): PrincipalIndex {
  let index = indexes.get(principal);
  if (!index) {
    const merge = (policies: readonly CompiledPolicy[]): [Map<string, CompiledStatement[]>, CompiledStatement[]] => {
      const byService = new Map<string, CompiledStatement[]>();
      const any: CompiledStatement[] = [];
      for (const policy of policies) {
        for (const [service, statements] of policy.byService) addAllTo(byService, service, statements);
        any.push(...policy.anyService);
      }
      return [byService, any];
    };
    const [identity, identityAny] = merge(principal.identity);
    const [boundary, boundaryAny] = principal.boundary ? merge([principal.boundary]) : [undefined, []];
    index = { identity, identityAny, ...(boundary ? { boundary } : {}), boundaryAny };
    indexes.set(principal, index);
  }
  return index;
}

/**
 * Statements that cover the request, cheapest test first: action, then resource, then (with `conditions`, the
 * request's own evaluation) conditions; without, whatever their conditions (the search over contexts decides those).
 */
function matchingStatements(
  forService: readonly CompiledStatement[] | undefined,
  forAny: readonly CompiledStatement[],
  request: { readonly service: string; readonly action: string; readonly resource: PreparedResource; readonly context: PreparedContext; readonly wildcardOnly: boolean },
  conditions: boolean,
): readonly CompiledStatement[] {
  const { service, action, resource, context, wildcardOnly } = request;
  return statementsWhere(forService, forAny, (s) => s.actionMatches(service, action) && s.resourceMatches(resource, context, wildcardOnly) && (!conditions || s.conditionHolds(context)));
}

function decide(principal: PrincipalPolicies, identity: readonly CompiledStatement[], boundary: readonly CompiledStatement[]): EvaluationResult {
  const denies = [...identity.filter((s) => s.effect === 'Deny'), ...boundary.filter((s) => s.effect === 'Deny')];
  if (denies.length > 0) return { decision: 'ExplicitlyDenied', matched: report(denies, principal) };
  const allows = identity.filter((s) => s.effect === 'Allow');
  const boundaryAllows = boundary.filter((s) => s.effect === 'Allow');
  if (allows.length === 0) return { decision: 'ImplicitlyDenied', matched: [], reason: 'no-allow' };
  if (principal.boundary && boundaryAllows.length === 0) return { decision: 'ImplicitlyDenied', matched: report(allows, principal), reason: 'boundary' };
  return { decision: 'Allowed', matched: report([...allows, ...boundaryAllows], principal) };
}

/** Deciding statements in a stable order: the principal's policies in order, the boundary last, then by index. */
function report(statements: readonly CompiledStatement[], principal: PrincipalPolicies): MatchedStatement[] {
  const order = (s: CompiledStatement): number => {
    const position = principal.identity.findIndex((p) => p.name === s.policy);
    return position < 0 ? principal.identity.length : position;
  };
  return [...statements].sort((a, b) => order(a) - order(b) || a.index - b.index).map((s) => matched(s, principal));
}

function matched(s: CompiledStatement, principal: PrincipalPolicies): MatchedStatement {
  return {
    policy: s.policy,
    statement: s.index,
    ...(s.sid ? { sid: s.sid } : {}),
    effect: s.effect,
    ...(principal.boundary && principal.boundary.name === s.policy && !principal.identity.some((p) => p.name === s.policy) ? { boundary: true as const } : {}),
  };
}
