/**
 * Drift detection: how live IAM differs from the manifests (of the default branch, on a schedule). The plan
 * against live IAM, read from the manifests' side (`driftView`), plus the risks of live principals no manifest
 * declares under the managed paths: someone created them by hand, and an administrator made that way is exactly
 * what a drift check is for.
 */
import { createHash } from 'node:crypto';
import type { AccessEntry } from '../analyze/access-delta.js';
import { driftView } from '../analyze/drift-view.js';
import { orderFindings } from '../analyze/finding-order.js';
import { findRisks, withAcceptedRisks, type Finding } from '../analyze/findings.js';
import type { PlanFinding } from '../analyze/plan-findings.js';
import type { TrustGrant } from '../analyze/trust-delta.js';
import { protectedMatcher } from '../core/arn.js';
import { warning, type Diagnostic } from '../core/diagnostics.js';
import { awsPoliciesInUse, awsPolicyUpdates, type PolicyLock } from '../analyze/policy-lock.js';
import { loadActionCatalog } from '../catalog/iam-data-catalog.js';
import type { Clock } from '../core/clock.js';
import { hygieneFindings } from '../analyze/hygiene.js';
import { stableStringify } from '../core/policy.js';
import type { LiveReader } from '../live/live-state.js';
import type { ManifestSource } from '../manifest/load-manifests.js';
import { hasChanges, type AwsManagedPolicyUpdate, type Plan } from '../plan/plan.js';
import { PASSWORD_POLICY_NOT_JUDGED, planChanges, readUsageFacts, type PlanResult } from './use-cases.js';
import { passwordPolicyFindings } from '../analyze/password-policy.js';
import type { IamState } from '../core/state.js';
import type { DesiredState } from '../manifest/desired-state.js';
import { mfaViolations } from '../plan/credential-plan.js';

export interface DriftResult {
  /** Absent when the manifests have errors or live IAM cannot be read. */
  readonly report?: Plan;
  readonly diagnostics: readonly Diagnostic[];
  /** The plan the report is read from (what apply would do, from live IAM's side), with what it was computed from. */
  readonly planned?: PlanResult;
}

/** The cause a finding on an unmanaged principal names: it has no manifest to blame. */
export const UNMANAGED_CAUSE = 'not declared in any manifest (unmanaged)';

/** The cause a hygiene finding names: IAM's usage records, which no manifest change makes or removes. */
export const HYGIENE_CAUSE = "IAM's usage records (credential report, roles' last use)";

export interface DriftOptions {
  /**
   * Also judge hygiene (src/analyze/hygiene.ts) from IAM's usage records: the scheduled drift check does; apply's
   * verification does not (it asks whether apply converged, and must not spend calls on the credential report).
   */
  readonly hygiene?: boolean;
  /** With hygiene: also read IAM's service last-accessed reports (one job per principal). */
  readonly lastAccessed?: boolean;
  readonly clock?: Clock;
  /**
   * The lock file of AWS managed policy versions (src/analyze/policy-lock.ts): with it, a newer default version of a
   * policy the manifests use is drift, with the access it adds or removes. Absent: versions are not compared.
   */
  readonly lock?: PolicyLock;
}

export async function detectDrift(manifests: ManifestSource, live: LiveReader, now: Date, options: DriftOptions = {}): Promise<DriftResult> {
  const planned = await planChanges(manifests, live, now);
  if (!planned.plan || !planned.context) return { diagnostics: planned.diagnostics, planned };
  const plan = planned.plan;
  const liveAccess = planned.context.liveAccess;

  const trustRoles = plan.trust.map((t) => t.movedFrom ?? t.role);
  // Protected entities are named in the Account manifest: known to the repo, so not drift (a break-glass role).
  const isProtected = protectedMatcher(plan.protected ?? []);
  const unmanagedPrincipals = plan.unmanaged.filter((arn) => /:(user|role)\//.test(arn) && !isProtected(arn));
  const risks = findRisks(liveAccess, new Set([...trustRoles, ...unmanagedPrincipals]));
  const byPrincipal = new Map<string, Finding[]>();
  for (const f of risks) byPrincipal.set(f.principal, [...(byPrincipal.get(f.principal) ?? []), f]);

  const report = driftView(plan, byPrincipal);
  const unmanaged = new Set(unmanagedPrincipals);
  const unmanagedFindings = withAcceptedRisks(
    risks.filter((f) => unmanaged.has(f.principal)).map((f): PlanFinding => ({ ...f, change: 'introduced', causes: [UNMANAGED_CAUSE] })),
    planned.context.desired.account.acceptedRisks,
  );
  const diagnostics = [...planned.diagnostics];
  const hygieneFound: PlanFinding[] = [];
  if (options.hygiene) {
    const usage = await readUsageFacts(live, planned.context.live, options.clock, { lastAccessed: options.lastAccessed === true });
    if (usage.unavailable.length) diagnostics.push(warning(`hygiene findings judge part of IAM's usage records only: not read: ${usage.unavailable.join('; ')}`, 'Run drift with --aws as a caller that may read them to judge every credential.'));
    const found = hygieneFindings(planned.context.live.state, usage, planned.context.desired.account.hygiene, now);
    // A password policy no manifest manages is judged as live IAM has it (a managed one is the plan's to compare).
    if (planned.context.desired.account.settings.passwordPolicy === undefined) {
      if (planned.context.live.state.settings?.passwordPolicy === undefined) diagnostics.push(PASSWORD_POLICY_NOT_JUDGED(planned.context.live.source));
      else found.push(...passwordPolicyFindings(planned.context.live.state));
    }
    hygieneFound.push(...withAcceptedRisks(found.map((f): PlanFinding => ({ ...f, change: 'introduced', causes: [HYGIENE_CAUSE] })), planned.context.desired.account.acceptedRisks));
  }
  const credentialFound = withAcceptedRisks(credentialPolicyFindings(planned.context.desired, planned.context.live.state), planned.context.desired.account.acceptedRisks);
  const updates = options.lock ? await lockedVersionDrift(options.lock, planned, diagnostics) : [];
  // One order for the whole list: the drift's findings (turned round), the unmanaged principals' and hygiene's.
  return { report: { ...report, findings: orderFindings([...report.findings, ...unmanagedFindings, ...hygieneFound, ...credentialFound]), ...(updates.length ? { awsManagedPolicyUpdates: updates } : {}) }, diagnostics, planned };
}

/** The cause a credentials-policy finding names: the manifest that requires MFA, which apply cannot enroll. */
export const CREDENTIALS_POLICY_CAUSE = "the user's credentials policy (mfa: required), which apply cannot meet: only the user can enroll an MFA device";

/** Console users without the MFA their credentials policy requires: drift that no apply reverts. */
function credentialPolicyFindings(desired: DesiredState, live: IamState): PlanFinding[] {
  return mfaViolations(desired, live).map((v) => ({
    code: 'CREDENTIALS_MFA_MISSING',
    severity: 'medium',
    principal: v.arn,
    summary: `user ${v.user} signs in to the console without an MFA device, which its credentials policy requires`,
    detail: `A stolen password is enough to sign in. Ask ${v.user} to assign an MFA device (IAM console, Security credentials), or set credentials.console: false in its manifest (or the Account's default) to delete the password.`,
    change: 'introduced',
    causes: [CREDENTIALS_POLICY_CAUSE],
  }));
}

/** AWS managed policies the manifests use whose live default version is not the locked one; what is not compared, said. */
async function lockedVersionDrift(lock: PolicyLock, planned: PlanResult, diagnostics: Diagnostic[]): Promise<AwsManagedPolicyUpdate[]> {
  const context = planned.context!;
  const catalog = await loadActionCatalog();
  const inUse = awsPoliciesInUse(context.desired.state);
  const { updates, notCompared } = awsPolicyUpdates(lock, context.live.state, inUse, { catalog, isWildcardOnlyAction: (a) => catalog.isWildcardOnly(a) });
  const unlocked = notCompared.filter((arn) => !lock.policies[arn]);
  const unseen = notCompared.filter((arn) => lock.policies[arn]);
  if (unlocked.length) diagnostics.push(warning(`AWS managed policy versions not compared: the lock file does not record ${unlocked.join(', ')}`, 'Apply records them; or accept the versions live IAM has now with `iam-gitops drift --update-lock`, and commit the lock file.'));
  if (unseen.length) diagnostics.push(warning(`AWS managed policy versions not compared: live IAM shows no version of ${unseen.join(', ')}`, 'A snapshot without these policies cannot tell; read live IAM with --aws (or a snapshot of get-account-authorization-details that includes AWSManagedPolicy).'));
  return updates;
}

/**
 * Whether a drift report has drift: a managed entity differs from its manifest, or live IAM holds a risk the
 * manifests do not (an unmanaged principal's included; accepted risks aside). Unmanaged entities without risk are
 * listed, not counted: an account adopted gradually has many.
 */
export function hasDrift(report: Plan): boolean {
  return hasChanges(report) || report.findings.some((f) => f.change === 'introduced' && !f.accepted) || (report.awsManagedPolicyUpdates?.length ?? 0) > 0;
}

/**
 * What the drift is, as a short hash: the entities that differ and how, the access and trust they change, the risks
 * and the unmanaged entities. Not the run, the time, the line numbers of the manifests, the reasons' wording or the
 * example requests: a scheduled check that finds the same drift again must not tell anyone it changed.
 */
export function driftFingerprint(report: Plan): string {
  const access = report.access.map((d) => ({ principals: [...d.principals].sort(), granted: d.granted.map(entryScope).sort(), revoked: d.revoked.map(entryScope).sort() }));
  const content = {
    changes: report.changes.map((c) => ({ action: c.action, kind: c.kind, arn: c.arn, details: c.details })),
    access: access.sort((a, b) => a.principals.join().localeCompare(b.principals.join())),
    trust: report.trust.map((t) => ({ role: t.role, gained: t.gained.map(grantScope), lost: t.lost.map(grantScope) })).sort((a, b) => a.role.localeCompare(b.role)),
    findings: report.findings.map((f) => `${f.change} ${f.severity} ${f.code} ${f.principal} ${(f.targets ?? []).join(',')}`).sort(),
    unmanaged: [...report.unmanaged].sort(),
    // Added with the lock: absent without updates, so the fingerprints of earlier reports stay what they were.
    ...(report.awsManagedPolicyUpdates?.length ? { awsManagedPolicyUpdates: report.awsManagedPolicyUpdates.map((u) => `${u.arn} ${u.lockedVersion} ${u.liveVersion}`).sort() } : {}),
  };
  return createHash('sha256').update(stableStringify(content)).digest('hex').slice(0, 16);
}

/** Who a trust grant admits and when, without its example request. */
function grantScope(grant: TrustGrant): Omit<TrustGrant, 'example'> {
  const { example: _example, ...scope } = grant;
  return scope;
}

/** An entry's requests (what it allows, where, when), without the statements behind it or its example. */
function entryScope(entry: AccessEntry): string {
  const { because: _because, example: _example, ...scope } = entry;
  return stableStringify(scope);
}

/**
 * The risks a drift report holds that applying it cannot remove: those of principals no manifest declares (apply
 * leaves them alone unless they are marked deleted or the Account prunes), not accepted.
 */
export function unmanagedRisks(report: Plan): PlanFinding[] {
  return report.findings.filter((f) => f.change === 'introduced' && !f.accepted && (f.causes.includes(UNMANAGED_CAUSE) || f.causes.includes(HYGIENE_CAUSE)));
}
