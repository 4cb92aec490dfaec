/**
 * Use case: a plan that knows its pull request. The head's plan (as `plan` makes it) and the changes the base's
 * manifests would need against the same live IAM (read once) tell which changes the pull request causes and which
 * are drift already there; each change names the pull request's files behind it.
 */
import { posix } from 'node:path';
import { hasErrors, warning } from '../core/diagnostics.js';
import { loadAwsManagedPolicies } from '../catalog/aws-managed-policies.js';
import { sourceKey } from '../manifest/desired-state.js';
import type { ManifestSource } from '../manifest/load-manifests.js';
import { adoptedDrift, classifyChanges, classifyProviderChanges } from '../plan/change-origin.js';
import type { ProviderChange } from '../plan/provider-diff.js';
import { diffStates } from '../plan/diff-states.js';
import type { Change, Plan, PullRequestContext } from '../plan/plan.js';
import type { PullRequestGit } from '../git/pull-request-git.js';
import { analyzeChanges, validateManifests, type PlanResult } from './use-cases.js';
import type { AccessDelta, AccessEntry } from '../analyze/access-delta.js';
import { findingIdentity, type PlanFinding } from '../analyze/plan-findings.js';
import { withAcceptedRisks } from '../analyze/findings.js';
import type { AcceptedRisk } from '../core/finding-codes.js';
import type { TrustDelta, TrustGrant } from '../analyze/trust-delta.js';
import { stableStringify } from '../core/policy.js';
import { fingerprintState } from '../core/fingerprint.js';
import { completeAwsManagedPolicies } from '../live/complete-managed-policies.js';
import { plannedState } from '../plan/planned-state.js';
import type { ChangeOrigin, PullRequestEffect } from '../plan/plan.js';

export async function withPullRequest(result: PlanResult, head: ManifestSource, pr: PullRequestGit, now: Date): Promise<PlanResult> {
  if (!result.plan || !result.context) return result;
  const plan = result.plan;
  const changed = new Map(pr.context.files.filter((f) => f.status !== 'deleted').map((f) => [f.path, f]));
  const deleted = new Set(pr.context.files.filter((f) => f.status === 'deleted' || f.status === 'renamed').map((f) => f.from ?? f.path));
  const references = documentReferences(head, pr);

  if (!pr.baseManifests) {
    const changes = classifyChanges(plan.changes, [], (c) => filesBehind(c, undefined));
    return finish(result, withProviderOrigins(plan, []), changes, pr.context);
  }
  const base = await validateManifests(pr.baseManifests);
  if (!base.desired || hasErrors(base.diagnostics)) {
    const errors = base.diagnostics.filter((d) => d.severity === 'error');
    const note = `The base's manifests (${pr.baseManifests.location}) do not validate (${errors.length === 1 ? '1 error' : `${errors.length} errors`}, first: ${errors[0]?.summary ?? 'unknown'}), so changes are not told apart from drift.`;
    return finish(result, plan, plan.changes, { ...pr.context, note }, warning(note, 'The plan itself is complete; only the origin of each change is unknown.'));
  }
  const baseDiff = diffStates(base.desired, result.context.live, { awsManagedPolicies: new Set(loadAwsManagedPolicies().byArn.keys()) });
  if (!baseDiff.changeSet) {
    const note = `The base's manifests (${pr.baseManifests.location}) cannot be planned against this account (${baseDiff.diagnostics.find((d) => d.severity === 'error')?.summary ?? 'unknown error'}), so changes are not told apart from drift.`;
    return finish(result, plan, plan.changes, { ...pr.context, note }, warning(note, 'The plan itself is complete; only the origin of each change is unknown.'));
  }
  const baseSources = base.desired.sources;
  const changes = classifyChanges(plan.changes, baseDiff.changeSet.changes, (c) => filesBehind(c, baseSources.get(sourceKey(c.kind, c.name))?.().file));
  const adopted = adoptedDrift(plan.changes, baseDiff.changeSet.changes).filter((c) => c.replacedBy === undefined);
  // The pull request's own effect: its manifests planned against live IAM as the base's manifests would leave it.
  // What live IAM has beyond that is drift apply reverts whether or not the pull request merges.
  const live = result.context.live;
  const baseApplied = completeAwsManagedPolicies(plannedState(live, base.desired, baseDiff.changeSet), loadAwsManagedPolicies());
  const own = await analyzeChanges(result.context.desired, { state: baseApplied, source: `${live.source} with the base's manifests applied`, fingerprint: fingerprintState(baseApplied), notes: [] }, now);
  // A pull request cannot accept its own risk: only the base's acceptedRisks count (the head's are shown).
  const acceptance = acceptedByBase(base.desired.account.acceptedRisks);
  const effect: PullRequestEffect | undefined = own.plan ? { access: own.plan.access, trust: own.plan.trust, findings: own.plan.findings.map(acceptance) } : undefined;
  const context: PullRequestContext = { ...pr.context, ...(adopted.length ? { adopted: adopted.map((c) => ({ action: c.action, kind: c.kind, name: c.name })) } : {}), ...(effect ? { effect } : {}) };
  const judged = { ...plan, changes, findings: plan.findings.map(acceptance) };
  const classified = withProviderOrigins(effect ? withOrigins(judged, effect) : judged, baseDiff.changeSet.providerChanges ?? []);
  return finish(result, classified, classified.changes, context);

  /** Provider changes marked as changes are: the pull request's, drift, or both (against the base's own plan). */
  function withProviderOrigins(of: Plan, base: readonly ProviderChange[]): Plan {
    if (!of.providerChanges?.length) return of;
    return { ...of, providerChanges: classifyProviderChanges(of.providerChanges, base, (c) => filesBehind(c, undefined)) };
  }

  /** The pull request's files behind a change: its manifest (now, or before the pull request deleted or moved it) and the documents it reads. */
  function filesBehind(change: Pick<Change, 'source'>, baseFile: string | undefined): string[] {
    const files: string[] = [];
    const manifest = change.source ? pr.repoPath(change.source.file) : undefined;
    if (manifest && changed.has(manifest)) files.push(manifest);
    if (manifest) for (const doc of references.get(manifest) ?? []) if (changed.has(doc)) files.push(doc);
    // A base path is already a repository path (the base is read from git).
    if (baseFile && deleted.has(baseFile) && !files.includes(baseFile)) files.push(baseFile);
    return files;
  }
}

/**
 * Each access item, trust item and finding of the plan marked with its origin, as changes are: the pull request's
 * own (its effect has it, the same), drift (its effect lacks it), or both (its effect has part of it).
 */
export function withOrigins(plan: Plan, effect: PullRequestEffect): Plan {
  const originOf = (own: boolean, same: boolean): ChangeOrigin => (!own ? 'drift' : same ? 'pull-request' : 'pull-request+drift');
  const scope = (d: { granted: readonly AccessEntry[]; revoked: readonly AccessEntry[] }): string => stableStringify([d.granted.map(entryScope), d.revoked.map(entryScope)]);
  const ownAccess = new Map(effect.access.flatMap((d) => d.principals.map((p) => [p, scope(d)] as const)));
  const access = plan.access.map((d): AccessDelta => {
    const origins = new Set(d.principals.map((p) => originOf(ownAccess.has(p), ownAccess.get(p) === scope(d))));
    return { ...d, origin: origins.size === 1 ? [...origins][0]! : 'pull-request+drift' };
  });
  const grants = (t: TrustDelta): string => stableStringify([t.gained.map(grantScope), t.lost.map(grantScope)]);
  const ownTrust = new Map(effect.trust.map((t) => [t.role, grants(t)]));
  const trust = plan.trust.map((t): TrustDelta => ({ ...t, origin: originOf(ownTrust.has(t.role), ownTrust.get(t.role) === grants(t)) }));
  const ownFindings = new Set(effect.findings.map((f) => `${f.change} ${f.severity} ${findingIdentity(f)}`));
  const findings = plan.findings.map((f): PlanFinding => ({ ...f, origin: ownFindings.has(`${f.change} ${f.severity} ${findingIdentity(f)}`) ? 'pull-request' : 'drift' }));
  return { ...plan, access, trust, findings };
}

/**
 * A finding as the base's accepted risks judge it: accepted by the head's Account manifest and not by the base's, it
 * is not accepted, and says the pull request accepts it (`acceptedInPullRequest`).
 */
function acceptedByBase(baseRisks: readonly AcceptedRisk[]): (finding: PlanFinding) => PlanFinding {
  return (finding) => {
    if (finding.accepted === undefined) return finding;
    const { accepted, ...rest } = finding;
    const byBase: PlanFinding = withAcceptedRisks<PlanFinding>([rest], baseRisks)[0]!;
    return byBase.accepted !== undefined ? finding : { ...rest, acceptedInPullRequest: accepted };
  };
}

/** An entry's requests (what, where, when), without its reasons or example. */
function entryScope(entry: AccessEntry): string {
  const { because: _because, example: _example, ...scope } = entry;
  return stableStringify(scope);
}

function grantScope(grant: TrustGrant): string {
  const { example: _example, ...scope } = grant;
  return stableStringify(scope);
}

function finish(result: PlanResult, plan: Plan, changes: readonly Change[], context: PullRequestContext, note?: ReturnType<typeof warning>): PlanResult {
  const diagnostics = note ? [...plan.diagnostics, note] : plan.diagnostics;
  const updated: Plan = { ...plan, changes, pullRequest: context, diagnostics };
  return { ...result, plan: updated, diagnostics };
}

/**
 * For each manifest (by repository path), the document files it names (`documentFile: path`), as repository paths:
 * a pull request that edits only `policies/deploy.json` causes the change of the policy whose manifest reads it.
 */
function documentReferences(head: ManifestSource, pr: PullRequestGit): Map<string, string[]> {
  const references = new Map<string, string[]>();
  for (const file of head.files) {
    const named = [...file.text.matchAll(/^\s*(?:-\s+)?(?:documentFile|metadataDocumentFile):\s*["']?([^"'#\n]+?)["']?\s*(?:#.*)?$/gm)].map((m) => m[1]!);
    if (named.length === 0) continue;
    const manifest = pr.repoPath(file.path);
    references.set(manifest, named.map((p) => posix.normalize(posix.join(posix.dirname(manifest), p))));
  }
  return references;
}
