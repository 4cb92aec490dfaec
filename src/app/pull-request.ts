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
import { adoptedDrift, classifyChanges } from '../plan/change-origin.js';
import { diffStates } from '../plan/diff-states.js';
import type { Change, Plan, PullRequestContext } from '../plan/plan.js';
import type { PullRequestGit } from '../git/pull-request-git.js';
import { validateManifests, type PlanResult } from './use-cases.js';

export async function withPullRequest(result: PlanResult, head: ManifestSource, pr: PullRequestGit): Promise<PlanResult> {
  if (!result.plan || !result.context) return result;
  const plan = result.plan;
  const changed = new Map(pr.context.files.filter((f) => f.status !== 'deleted').map((f) => [f.path, f]));
  const deleted = new Set(pr.context.files.filter((f) => f.status === 'deleted' || f.status === 'renamed').map((f) => f.from ?? f.path));
  const references = documentReferences(head, pr);

  if (!pr.baseManifests) {
    const changes = classifyChanges(plan.changes, [], (c) => filesBehind(c, undefined));
    return finish(result, plan, changes, pr.context);
  }
  const base = await validateManifests(pr.baseManifests);
  if (!base.desired || hasErrors(base.diagnostics)) {
    const errors = base.diagnostics.filter((d) => d.severity === 'error');
    const note = `The base's manifests (${pr.baseManifests.location}) do not validate (${errors.length === 1 ? '1 error' : `${errors.length} errors`}, first: ${errors[0]?.summary ?? 'unknown'}), so changes are not told apart from drift.`;
    return finish(result, plan, plan.changes, { ...pr.context, note }, warning(note, 'The plan itself is complete; only the origin of each change is unknown.'));
  }
  const baseDiff = diffStates(base.desired, result.context.live, { awsManagedPolicies: new Set(loadAwsManagedPolicies().byArn.keys()) });
  if (!baseDiff.plan) {
    const note = `The base's manifests (${pr.baseManifests.location}) cannot be planned against this account (${baseDiff.diagnostics.find((d) => d.severity === 'error')?.summary ?? 'unknown error'}), so changes are not told apart from drift.`;
    return finish(result, plan, plan.changes, { ...pr.context, note }, warning(note, 'The plan itself is complete; only the origin of each change is unknown.'));
  }
  const baseSources = base.desired.sources;
  const changes = classifyChanges(plan.changes, baseDiff.plan.changes, (c) => filesBehind(c, baseSources.get(sourceKey(c.kind, c.name))?.().file));
  const adopted = adoptedDrift(plan.changes, baseDiff.plan.changes).filter((c) => c.replacedBy === undefined);
  return finish(result, plan, changes, { ...pr.context, ...(adopted.length ? { adopted: adopted.map((c) => ({ action: c.action, kind: c.kind, name: c.name })) } : {}) });

  /** The pull request's files behind a change: its manifest (now, or before the pull request deleted or moved it) and the documents it reads. */
  function filesBehind(change: Change, baseFile: string | undefined): string[] {
    const files: string[] = [];
    const manifest = change.source ? pr.repoPath(change.source.file) : undefined;
    if (manifest && changed.has(manifest)) files.push(manifest);
    if (manifest) for (const doc of references.get(manifest) ?? []) if (changed.has(doc)) files.push(doc);
    // A base path is already a repository path (the base is read from git).
    if (baseFile && deleted.has(baseFile) && !files.includes(baseFile)) files.push(baseFile);
    return files;
  }
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
    const named = [...file.text.matchAll(/^\s*(?:-\s+)?documentFile:\s*["']?([^"'#\n]+?)["']?\s*(?:#.*)?$/gm)].map((m) => m[1]!);
    if (named.length === 0) continue;
    const manifest = pr.repoPath(file.path);
    references.set(manifest, named.map((p) => posix.normalize(posix.join(posix.dirname(manifest), p))));
  }
  return references;
}
