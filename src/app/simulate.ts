/** Use case: evaluate requests against the live state, or against the state after the manifests are applied. */
import { loadActionCatalog } from '../catalog/iam-data-catalog.js';
import { arnFields, splitArn } from '../core/arn.js';
import { error, hasErrors, warning, type Diagnostic, type SourceLocation } from '../core/diagnostics.js';
import { evaluate } from '../evaluate/engine.js';
import { principalContext } from '../evaluate/specialize-policy.js';
import { PrincipalResolver, type ResolvedPrincipal } from '../evaluate/principal-policies.js';
import type { NumberedRequest, SimulatedRequest } from '../evaluate/request-lines.js';
import type { EvaluationRequest, EvaluationResult } from '../evaluate/types.js';
import type { LiveReader } from '../live/live-state.js';
import type { ManifestSource } from '../manifest/load-manifests.js';
import { readLive, stateToJudge } from './use-cases.js';

export interface SimulationOutcome {
  readonly results?: readonly SimulatedRequest[];
  readonly diagnostics: readonly Diagnostic[];
  /** What was evaluated: "live state" or "live state with the manifests applied". */
  readonly against: string;
}

/** The `source` of a request given by flags rather than a file. */
export const FROM_FLAGS = 'the command line';

export async function simulate(live: LiveReader, manifests: ManifestSource | undefined, requests: readonly NumberedRequest[], source: string): Promise<SimulationOutcome> {
  const [liveState, catalog] = await Promise.all([readLive(live), loadActionCatalog()]);
  const judged = await stateToJudge(liveState, manifests);
  const diagnostics: Diagnostic[] = [...judged.diagnostics];
  const { state, against } = judged;
  if (!state) return { diagnostics, against };

  // A requests file is named by line; a request from flags needs no place.
  const place = {
    prefix: (line: number): string => (source === FROM_FLAGS ? '' : `line ${line}: `),
    at: (line: number): SourceLocation | undefined => (source === FROM_FLAGS ? undefined : { file: source, line, col: 1 }),
  };
  const resolver = new PrincipalResolver(state);
  const resolved = new Map<string, ResolvedPrincipal>();
  const known = [...state.users.values(), ...state.roles.values()].map((e) => e.arn);
  for (const { line, request } of requests) {
    if (resolved.has(request.principal)) continue;
    const principal = resolver.resolve(request.principal);
    if (!principal) {
      const near = known.filter((arn) => arn.toLowerCase().endsWith(`/${request.principal.split('/').pop()?.toLowerCase()}`));
      diagnostics.push(error(`${place.prefix(line)}unknown principal ${request.principal}`, `No user or role in the ${manifests ? 'planned' : 'live'} state has this ARN.${near.length ? ` Did you mean ${near.join(' or ')}?` : ' Principals are users and roles, by full ARN including the path.'}`, place.at(line)));
      continue;
    }
    resolved.set(request.principal, principal);
    for (const arn of principal.unknownPolicies) {
      diagnostics.push(warning(`${principal.entity.kind} ${principal.entity.name}: policy ${arn} has no document in the state, so it was left out`, 'Neither the snapshot nor the shipped AWS managed policies hold it; decisions that depend on it may read ImplicitlyDenied where AWS allows.'));
    }
  }
  const resources = new Map<number, string>();
  for (const { line, request } of requests) {
    const [service, name] = request.action.split(':') as [string, string];
    const known = (catalog.actionsOf(service) ?? []).some((a) => a.name.toLowerCase() === name.toLowerCase());
    if (!known) {
      diagnostics.push(warning(`${place.prefix(line)}${request.action} is not in the AWS catalog (${catalog.version})`, 'Check the spelling; policies can only grant actions AWS has.', place.at(line)));
    }
    // An answer never reads broader than what was evaluated: "ALLOWED on *" for s3:GetObject would claim every
    // object. Actions that take no resource are requested on "*"; for the others, the caller says which one.
    if (request.resource !== undefined) resources.set(line, request.resource);
    else if (known && catalog.isWildcardOnly(request.action)) resources.set(line, '*');
    else {
      const how = source === FROM_FLAGS ? '--resource ARN' : '"resource": "ARN" in the request line';
      diagnostics.push(error(`${place.prefix(line)}${request.action} acts on a resource: say which`, `Give the resource's ARN (${how}), or "*" to ask whether it is allowed on some resource.`, place.at(line)));
    }
  }
  if (hasErrors(diagnostics)) return { diagnostics, against };

  const options = { isWildcardOnlyAction: (action: string) => catalog.isWildcardOnly(action) };
  // A request on an IAM user or role, or a customer managed policy whose tags are known, carries its tags
  // (aws:ResourceTag/*, iam:ResourceTag/*), as AWS sets them.
  const knownPolicies = [...state.policies.values()].filter((p) => !p.unknown?.includes('tags'));
  const taggedEntities = new Map([...state.users.values(), ...state.roles.values(), ...knownPolicies].map((e) => [e.arn, e.tags]));
  const resourceTags = (resource: string): Record<string, string> => Object.fromEntries(Object.entries(taggedEntities.get(resource) ?? {}).flatMap(([k, v]) => [[`aws:ResourceTag/${k}`, v], [`iam:ResourceTag/${k}`, v]]));
  const results = requests.map(({ line, request }): SimulatedRequest => {
    const principal = resolved.get(request.principal)!;
    const resource = resources.get(line)!;
    const derived = derivedContext(resource, request.context);
    const evaluated = { ...request, resource, context: { ...defaultContext(principal), ...resourceTags(resource), ...derived, ...request.context } };
    const onSomeResource = resource === '*' && !catalog.isWildcardOnly(request.action);
    return { line, request: evaluated, result: evaluate(principal.policies, evaluated, options), derived, onSomeResource };
  });
  return { results, diagnostics, against };
}

/**
 * Keys a real request would carry that follow from the resource: a request for a regional resource is sent to that
 * region, so aws:RequestedRegion is the ARN's region unless the caller gives it. Said in the output.
 */
function derivedContext(resource: string, given: Readonly<Record<string, unknown>>): Record<string, string> {
  if (Object.keys(given).some((k) => k.toLowerCase() === 'aws:requestedregion')) return {};
  const region = resource.startsWith('arn:') ? arnFields(resource)[3] : undefined;
  return region ? { 'aws:RequestedRegion': region } : {};
}

/**
 * The keys AWS sets on every request from this principal (IAM User Guide, "AWS global condition context keys"),
 * so that policies using ${aws:username} or aws:PrincipalTag work without spelling them out. Given keys win.
 */
function defaultContext(principal: ResolvedPrincipal): Record<string, string> {
  return principalContext(principal.entity, splitArn(principal.entity.arn)?.account ?? '');
}
