/**
 * Identity-based policy evaluation, as AWS documents it ("Policy evaluation logic", for a principal acting in
 * its own account, with no resource policy, SCP or session policy): an explicit Deny in any identity policy or
 * the permissions boundary decides; otherwise the request needs an Allow from an identity policy and, when the
 * principal has a boundary, an Allow from the boundary too; otherwise it is implicitly denied.
 */
import { prepareContext } from './context.js';
import type { CompiledPolicy, CompiledStatement } from './compile-policy.js';
import { prepareResource } from './resources.js';
import { serviceDecision } from './service-rules.js';
import type { EvaluationRequest, EvaluationResult, MatchedStatement } from './types.js';

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

  const matching = (policy: CompiledPolicy): CompiledStatement[] => {
    const out: CompiledStatement[] = [];
    const consider = (s: CompiledStatement): void => {
      if (s.actionMatches(service, action) && s.resourceMatches(resource, context, wildcardOnly) && s.conditionHolds(context)) out.push(s);
    };
    for (const s of policy.byService.get(service) ?? []) consider(s);
    for (const s of policy.anyService) consider(s);
    return out.sort((a, b) => a.index - b.index);
  };

  const identity = principal.identity.flatMap(matching);
  const boundary = principal.boundary ? matching(principal.boundary) : [];
  const result = decide(principal, identity, boundary);
  const imposed = serviceDecision(`${service}:${action}`, request.resource, result.decision);
  return imposed && imposed !== result.decision ? { decision: imposed, matched: imposed === 'Allowed' ? [] : result.decision === 'ExplicitlyDenied' ? result.matched : [] } : result;
}

function decide(principal: PrincipalPolicies, identity: readonly CompiledStatement[], boundary: readonly CompiledStatement[]): EvaluationResult {
  const denies = [...identity.filter((s) => s.effect === 'Deny'), ...boundary.filter((s) => s.effect === 'Deny')];
  if (denies.length > 0) return { decision: 'ExplicitlyDenied', matched: denies.map((s) => matched(s, principal)) };
  const allows = identity.filter((s) => s.effect === 'Allow');
  const boundaryAllows = boundary.filter((s) => s.effect === 'Allow');
  if (allows.length === 0 || (principal.boundary && boundaryAllows.length === 0)) return { decision: 'ImplicitlyDenied', matched: [] };
  return { decision: 'Allowed', matched: [...allows, ...boundaryAllows].map((s) => matched(s, principal)) };
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
