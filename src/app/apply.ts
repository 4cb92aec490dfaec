/**
 * Use case: apply the manifests to live AWS. Plan (a saved plan only approves that plan: refused unless equal),
 * gate on findings, guard against lockout, ask (unless auto-approved), schedule the steps, run them, and verify by
 * reading and planning again until live IAM matches or the consistency bound passes. Never a write before every
 * check has passed.
 */
import { entityKey, identityKey, isAwsOwnedPath, parseEntityArn, protectedMatcher } from '../core/arn.js';
import { SYSTEM_CLOCK, type Clock } from '../core/clock.js';
import { count } from '../core/plural.js';
import { DEFAULT_CONSISTENCY_TIMEOUT_MS, pollWithBackoff } from '../core/poll.js';
import { error, InputError } from '../core/diagnostics.js';
import { AwsIamWriter } from '../live/aws/aws-iam-writer.js';
import { AwsLiveReader } from '../live/aws/aws-live-reader.js';
import type { AwsClients } from '../live/aws/connection.js';
import type { LiveReader, LiveState } from '../live/live-state.js';
import type { ManifestSource } from '../manifest/load-manifests.js';
import { isOwnedPath, type DesiredState } from '../manifest/desired-state.js';
import { hasChanges, type Plan } from '../plan/plan.js';
import { loadActionCatalog } from '../catalog/iam-data-catalog.js';
import { failingFindings, type FindingSeverity } from '../analyze/findings.js';
import { compareSavedPlan, readSavedPlan, type SavedPlan } from '../apply/saved-plan.js';
import { executeSteps, type ApplyEvent } from '../apply/execute.js';
import type { ApplyOutcome } from '../apply/outcome.js';
import { lockoutRisks, touchesGuarded, type LockoutRisk } from '../apply/lockout.js';
import { forbiddenSteps } from '../apply/permissions.js';
import { deferSteps, scheduleSteps, type Step } from '../apply/steps.js';
import { awsPoliciesInUse, lockFromLive, type LockedVersions } from '../analyze/policy-lock.js';
import { detectDrift, unmanagedRisks } from './drift.js';
import { planChanges, type PlanResult } from './use-cases.js';

export interface ApplyRequest {
  readonly manifests: ManifestSource;
  readonly clients: AwsClients;
  /**
   * A saved plan (`plan --aws --format json --out FILE`) or drift report (`drift --aws --format json --out FILE`):
   * an approval. Apply computes the plan (or drift report) itself and runs it only if the saved one equals it.
   */
  readonly savedPlan?: { readonly path: string; readonly text: string };
  /** Refuse, before any write, a plan that introduces a finding at or above this severity (accepted risks aside). */
  readonly failOn?: FindingSeverity | 'never';
  readonly allowLockout: boolean;
  readonly concurrency: number;
  readonly now: Date;
  /** Shown the plan (and the lockout risks it lets through), says whether to go on. */
  readonly confirm: (plan: Plan, steps: readonly Step[], allowedRisks: readonly LockoutRisk[]) => Promise<boolean>;
  readonly onEvent?: (event: ApplyEvent) => void;
  readonly onWait?: (message: string) => void;
  /** What the entry point advises when IAM keeps throttling (its own flags), e.g. "lower --concurrency". */
  readonly throttlingAdvice?: string;
  readonly interrupted?: () => boolean;
  readonly consistencyTimeoutMs?: number;
  /** Where waiting for IAM's eventual consistency is measured and spent (default the system's; tests: virtual time). */
  readonly clock?: Clock;
}

// What an apply came to is the apply stage's type (renderers read it without importing the application layer).
export type { ApplyOutcome };

export async function applyManifests(request: ApplyRequest): Promise<ApplyOutcome> {
  let saved: SavedPlan | undefined;
  if (request.savedPlan) {
    const read = readSavedPlan(request.savedPlan.path, request.savedPlan.text);
    if (!read.saved) return { status: 'refused', diagnostics: read.diagnostics };
    saved = read.saved;
  }
  const driftReport = saved?.plan.perspective === 'drift';
  const reader = new AwsLiveReader(request.clients);
  // One read serves the plan and the guard: the plan records its fingerprint.
  const live = await reader.read();
  const once: LiveReader = { read: async () => live, readPolicyTags: (arns) => reader.readPolicyTags(arns), readUserCredentials: (users) => reader.readUserCredentials(users), readCredentialUsage: (clock) => reader.readCredentialUsage(clock) };
  // The plan apply runs is always its own: a saved plan (or drift report) only approves it, if equal.
  const computed = await computePlan(request, once, driftReport);
  if (!computed.planned.plan || !computed.planned.context) return { status: 'refused', diagnostics: computed.planned.diagnostics };
  const plan = computed.planned.plan;
  if (saved) {
    const differences = compareSavedPlan(saved, computed.report ?? plan);
    if (differences.length) return { status: 'refused', diagnostics: differences, plan };
  }
  const remainingRisks = computed.report ? { remainingRisks: unmanagedRisks(computed.report) } : {};
  if (!hasChanges(plan)) return { status: 'converged', plan, steps: [], ...remainingRisks, awsPolicyVersions: lockedVersions(computed.planned) };

  const { desired, after } = computed.planned.context;
  const catalog = await loadActionCatalog();
  const options = { isWildcardOnlyAction: (a: string) => catalog.isWildcardOnly(a) };
  // Every guard judges the steps that will run, by the entities their IAM calls name.
  let steps = scheduleSteps(plan);
  const risks = lockoutRisks({
    before: live.state,
    after,
    steps,
    trust: plan.trust,
    ...(live.caller?.principalArn ? { caller: live.caller.principalArn } : {}),
    protected: desired.account.protected,
    managedPaths: desired.account.managedPaths,
    options,
  });
  if (risks.length > 0 && !request.allowLockout) {
    return {
      status: 'refused',
      plan,
      risks,
      diagnostics: [error(`the plan could lock out ${new Set(risks.map((r) => r.principal)).size === 1 ? 'a guarded principal' : 'guarded principals'}; nothing was changed`, 'Change the manifests so the caller and protected principals keep what apply needs, or pass --allow-lockout to run the steps that cause it last.')],
    };
  }
  if (risks.length > 0) {
    const guarded = [...new Set(risks.map((r) => r.principal))];
    steps = deferSteps(steps, (s) => touchesGuarded(s, guarded, [live.state, after]));
  }
  const untouchable = ownershipGuard(live, desired);
  const refusedSteps = steps.flatMap((s) => [s.target, ...s.alsoTouches].flatMap((arn) => (untouchable(arn) ? [`${s.title}: ${arn} ${untouchable(arn)}`] : [])));
  if (refusedSteps.length) return { status: 'refused', plan, diagnostics: refusedSteps.map((r) => error(`the plan would touch what the tool must not: ${r}`, 'Nothing was changed. This is a bug if the plan came from this version; please report it.')) };
  // A step the caller certainly may not run would fail after the steps before it changed IAM: refuse now.
  const forbidden = forbiddenSteps(steps, { before: live.state, after }, live.caller?.principalArn, options);
  if (forbidden.length) {
    const listed = forbidden.slice(0, 10).map((f) => `[${f.step.id}] ${f.step.title}: ${f.action} on ${f.resource}`);
    return {
      status: 'refused',
      plan,
      diagnostics: [error(`the caller (${live.caller!.principalArn}) may not run ${forbidden.length === 1 ? '1 step' : `${forbidden.length} steps`} of this plan; nothing was changed: ${listed.join('; ')}${forbidden.length > 10 ? `; and ${forbidden.length - 10} more` : ''}`, 'No statement of its policies allows these actions (or an unconditional Deny refuses them), so apply would stop there with the steps before it done. Give the caller these permissions (see "Permissions the tool needs" in the README), or apply with a principal that has them.')],
    };
  }

  // The gate of --fail-on judges what applying does: the findings the plan introduces (for a drift report too,
  // whose own findings are read from the other side).
  const failing = failingFindings(plan.findings, request.failOn ?? 'never');
  if (failing.length) {
    const threshold = request.failOn!;
    return {
      status: 'refused',
      plan,
      failing,
      diagnostics: [error(`the plan introduces ${failing.length === 1 ? 'a finding' : `${failing.length} findings`} at or above ${threshold} (fail-on ${threshold}); nothing was changed`, `${failing.slice(0, 5).map((f) => `${f.severity} ${f.code} on ${f.principal}`).join('; ')}${failing.length > 5 ? `; and ${failing.length - 5} more` : ''}. Change the manifests, or accept the risk in the Account manifest's acceptedRisks (principal, code and a reason), then apply again.`)],
    };
  }

  if (!(await request.confirm(plan, steps, risks))) return { status: 'declined', plan };

  const writer = new AwsIamWriter(request.clients, {
    account: live.state.account,
    untouchable,
    ...(request.consistencyTimeoutMs !== undefined ? { consistencyTimeoutMs: request.consistencyTimeoutMs } : {}),
    onWait: (step, message) => request.onWait?.(`[${step.id}/${steps.length}] ${message}`),
    ...(request.throttlingAdvice ? { throttlingAdvice: request.throttlingAdvice } : {}),
    ...(request.clock ? { clock: request.clock } : {}),
  });
  const execution = await executeSteps(steps, writer, { concurrency: request.concurrency, ...(request.onEvent ? { onEvent: request.onEvent } : {}), ...(request.interrupted ? { interrupted: request.interrupted } : {}), ...(request.clock ? { now: () => request.clock!.now() } : {}) });
  if (execution.failed.length > 0 || execution.interrupted || execution.notRun.length > 0) return { status: 'incomplete', plan, steps, execution };

  const verified = await verify(request, reader, driftReport);
  if (verified.remaining) return { status: 'not-converged', plan, steps, execution, remaining: verified.remaining };
  return { status: 'converged', plan, steps, execution, verifiedAfterMs: verified.ms, ...(verified.report ? { remainingRisks: unmanagedRisks(verified.report) } : {}), ...(verified.planned ? { awsPolicyVersions: lockedVersions(verified.planned) } : {}) };
}

/** The AWS managed policies the manifests use, at the versions the live state read for this plan shows. */
function lockedVersions(planned: PlanResult): LockedVersions | undefined {
  if (!planned.context) return undefined;
  return lockFromLive(awsPoliciesInUse(planned.context.desired.state), planned.context.live.state);
}

/** The plan, and for a drift report the report read from it, computed from live IAM and the manifests now. */
async function computePlan(request: ApplyRequest, live: LiveReader, driftReport: boolean): Promise<{ planned: PlanResult; report?: Plan }> {
  if (!driftReport) return { planned: await planChanges(request.manifests, live, request.now) };
  const drift = await detectDrift(request.manifests, live, request.now);
  return { planned: drift.planned ?? { diagnostics: drift.diagnostics }, ...(drift.report ? { report: drift.report } : {}) };
}

/**
 * Reads and plans again until nothing is left to change, or the consistency bound passes: IAM may not show what was
 * just created for a while (polled, never a fixed sleep). After a drift report, the drift report again: what it
 * still holds is said.
 */
async function verify(request: ApplyRequest, reader: AwsLiveReader, driftReport: boolean): Promise<{ remaining?: Plan; report?: Plan; planned?: PlanResult; ms: number }> {
  // Pauses of 250 ms, doubling, at most 5 s. What is reported as eventual consistency is the pauses between readings
  // (waitedMs), not the readings themselves (which throttling may slow; that time is reported as throttling).
  const outcome = await pollWithBackoff<Awaited<ReturnType<typeof computePlan>>, Plan>(
    request.clock ?? SYSTEM_CLOCK,
    { timeoutMs: request.consistencyTimeoutMs ?? DEFAULT_CONSISTENCY_TIMEOUT_MS, firstPauseMs: 250, growth: 2, maxPauseMs: 5000 },
    async () => {
      const again = await computePlan(request, reader, driftReport);
      if (!again.planned.plan) throw new InputError(again.planned.diagnostics);
      return !hasChanges(again.planned.plan) ? { done: true, value: again } : { done: false, pending: again.planned.plan };
    },
    (pending, pause) => request.onWait?.(`verifying: live IAM does not show ${count(pending.changes.length + (pending.providerChanges?.length ?? 0), 'change', 'changes', { digits: 'plain' })} yet; reading again in ${(pause / 1000).toFixed(1)} s`),
  );
  if (!outcome.done) return { remaining: outcome.pending, ms: outcome.waitedMs };
  return { ms: outcome.waitedMs, planned: outcome.value.planned, ...(outcome.value.report ? { report: outcome.value.report } : {}) };
}

/**
 * Why the tool may not touch an entity, or undefined: outside managedPaths, AWS-owned, or protected. An entity is
 * judged by its kind and name (IAM names are unique per kind): entity listings (ListEntitiesForPolicy) name entities
 * without their paths, and a step names the entity its calls act on, so a name is resolved to the live entity.
 */
function ownershipGuard(live: LiveState, desired: DesiredState): (arn: string) => string | undefined {
  const isProtected = protectedMatcher(desired.account.protected);
  const byKey = new Map<string, string>();
  for (const map of [live.state.users, live.state.groups, live.state.roles, live.state.policies]) for (const e of map.values()) byKey.set(entityKey(e.arn) ?? e.arn, e.arn);
  return (arn) => {
    const id = parseEntityArn(arn);
    if (!id) return undefined;
    if (id.account === 'aws') return 'is AWS managed';
    const real = byKey.get(identityKey(id)) ?? arn;
    const path = parseEntityArn(real)?.path ?? '/';
    if (isAwsOwnedPath(path)) return 'is owned by AWS';
    if (isProtected(real)) return 'is protected (the Account manifest lists it)';
    if (id.kind !== 'instance-profile' && !isOwnedPath(desired.account, path)) return `is outside managedPaths (${desired.account.managedPaths.join(', ')})`;
    return undefined;
  };
}
