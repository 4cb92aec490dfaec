/**
 * Drift, read the other way round. A plan compares live IAM (before) with the manifests (after): what applying would
 * grant and revoke. Drift is the same difference seen from the manifests: what live IAM grants that they do not,
 * and what it lacks that they grant. Access and trust deltas are set differences, so turning them round is exact:
 * the plan's revoked entries are the access drift added, its granted entries the access drift took away; a finding
 * the plan removes is one the drift introduced. The changes stay as they are: they are what restores the manifests (no `origin`: that
 * is relative to a pull request).
 * Pure.
 */
import type { Finding } from './findings.js';
import type { Plan } from '../plan/plan.js';

/**
 * `liveRoleFindings`: what each role with trust drift can do in live IAM (the plan's trust deltas say what it can
 * do under the manifests, which is not what assuming it is worth today).
 */
export function driftView(plan: Plan, liveRoleFindings: ReadonlyMap<string, readonly Finding[]>): Plan {
  const access = plan.access.map((d) => ({ ...d, granted: d.revoked, revoked: d.granted }));
  const trust = plan.trust.map((t) => ({
    ...t,
    gained: t.lost,
    lost: t.gained,
    roleFindings: (liveRoleFindings.get(t.movedFrom ?? t.role) ?? []).map((f) => ({ code: f.code, severity: f.severity, summary: f.summary })),
  }));
  const findings = plan.findings.map((f) => ({
    ...f,
    change: f.change === 'introduced' ? ('removed' as const) : ('introduced' as const),
    ...(f.severityChange ? { severityChange: { from: f.severityChange.to, to: f.severityChange.from } } : {}),
  }));
  const { pullRequest: _pullRequest, ...rest } = plan;
  return {
    ...rest,
    access,
    trust,
    findings,
    perspective: 'drift',
  };
}
