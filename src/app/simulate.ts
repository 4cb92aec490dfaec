/** Use case: evaluate requests against the live state, or against the state after the manifests are applied. */
import { loadActionCatalog } from '../catalog/iam-data-catalog.js';
import { error, hasErrors, warning, type Diagnostic } from '../core/diagnostics.js';
import { evaluate } from '../evaluate/engine.js';
import { PrincipalResolver, type ResolvedPrincipal } from '../evaluate/principal-policies.js';
import type { NumberedRequest } from '../evaluate/request-lines.js';
import type { EvaluationRequest, EvaluationResult } from '../evaluate/types.js';
import type { LiveReader } from '../live/live-state.js';
import type { ManifestSource } from '../manifest/load-manifests.js';
import { readLive, stateToJudge } from './use-cases.js';

export interface SimulationOutcome {
  readonly results?: readonly { readonly line: number; readonly request: EvaluationRequest; readonly result: EvaluationResult }[];
  readonly diagnostics: readonly Diagnostic[];
  /** What was evaluated: "live state" or "live state with the manifests applied". */
  readonly against: string;
}

export async function simulate(live: LiveReader, manifests: ManifestSource | undefined, requests: readonly NumberedRequest[], source: string): Promise<SimulationOutcome> {
  const [liveState, catalog] = await Promise.all([readLive(live), loadActionCatalog()]);
  const judged = await stateToJudge(liveState, manifests);
  const diagnostics: Diagnostic[] = [...judged.diagnostics];
  const { state, against } = judged;
  if (!state) return { diagnostics, against };

  const resolver = new PrincipalResolver(state);
  const resolved = new Map<string, ResolvedPrincipal>();
  const known = [...state.users.values(), ...state.roles.values()].map((e) => e.arn);
  for (const { line, request } of requests) {
    if (resolved.has(request.principal)) continue;
    const principal = resolver.resolve(request.principal);
    if (!principal) {
      const near = known.filter((arn) => arn.toLowerCase().endsWith(`/${request.principal.split('/').pop()?.toLowerCase()}`));
      diagnostics.push(error(`line ${line}: unknown principal ${request.principal}`, `No user or role in the ${manifests ? 'planned' : 'live'} state has this ARN.${near.length ? ` Did you mean ${near.join(' or ')}?` : ' Principals are users and roles, by full ARN including the path.'}`, { file: source, line, col: 1 }));
      continue;
    }
    resolved.set(request.principal, principal);
    for (const arn of principal.unknownPolicies) {
      diagnostics.push(warning(`${principal.entity.kind} ${principal.entity.name}: policy ${arn} has no document in the state, so it was left out`, 'Neither the snapshot nor the shipped AWS managed policies hold it; decisions that depend on it may read ImplicitlyDenied where AWS allows.'));
    }
  }
  for (const { line, request } of requests) {
    const [service, name] = request.action.split(':') as [string, string];
    if (!(catalog.actionsOf(service) ?? []).some((a) => a.name.toLowerCase() === name.toLowerCase())) {
      diagnostics.push(warning(`line ${line}: ${request.action} is not in the AWS catalog (${catalog.version})`, 'Check the spelling; policies can only grant actions AWS has.', { file: source, line, col: 1 }));
    }
  }
  if (hasErrors(diagnostics)) return { diagnostics, against };

  const options = { isWildcardOnlyAction: (action: string) => catalog.isWildcardOnly(action) };
  const results = requests.map(({ line, request }) => {
    const principal = resolved.get(request.principal)!;
    const withDefaults = { ...request, context: { ...defaultContext(principal), ...request.context } };
    return { line, request: withDefaults, result: evaluate(principal.policies, withDefaults, options) };
  });
  return { results, diagnostics, against };
}

/**
 * The keys AWS sets on every request from this principal (IAM User Guide, "AWS global condition context keys"),
 * so that policies using ${aws:username} or aws:PrincipalTag work without spelling them out. Given keys win.
 */
function defaultContext(principal: ResolvedPrincipal): Record<string, string> {
  const entity = principal.entity;
  const account = entity.arn.split(':')[4] ?? '';
  const context: Record<string, string> = {
    'aws:PrincipalArn': entity.arn,
    'aws:PrincipalAccount': account,
    'aws:PrincipalType': entity.kind === 'user' ? 'User' : 'AssumedRole',
  };
  if (entity.kind === 'user') context['aws:username'] = entity.name;
  for (const [key, value] of Object.entries(entity.tags)) context[`aws:PrincipalTag/${key}`] = value;
  return context;
}
