/**
 * Use case: apply the manifests to live AWS. Plan (or take a saved plan, refused when stale), guard against
 * lockout, ask (unless auto-approved), schedule the steps, run them, and verify by reading and planning again until
 * live IAM matches or the consistency bound passes. Never a write before every check has passed.
 */
import { isAwsOwnedPath } from '../core/arn.js';
import { error, InputError, type Diagnostic } from '../core/diagnostics.js';
import { AwsIamWriter } from '../live/aws/aws-iam-writer.js';
import { AwsLiveReader } from '../live/aws/aws-live-reader.js';
import type { AwsClients } from '../live/aws/connection.js';
import type { LiveReader, LiveState } from '../live/live-state.js';
import type { ManifestSource } from '../manifest/load-manifests.js';
import { isOwnedPath, type DesiredState } from '../manifest/desired-state.js';
import type { Plan } from '../plan/plan.js';
import { loadActionCatalog } from '../catalog/iam-data-catalog.js';
import type { TrustDelta } from '../analyze/trust-delta.js';
import { TOOL_NAME, TOOL_VERSION } from '../version.js';
import { executeSteps, type ApplyEvent, type ExecutionResult } from '../apply/execute.js';
import { lockoutRisks, touchesGuarded, type LockoutRisk } from '../apply/lockout.js';
import { forbiddenSteps } from '../apply/permissions.js';
import { deferSteps, scheduleSteps, type Step } from '../apply/steps.js';
import { planChanges } from './use-cases.js';

export interface ApplyRequest {
  readonly manifests: ManifestSource;
  readonly clients: AwsClients;
  /** A saved plan (`plan --aws --format json --out FILE`): applied only if live IAM and the manifests are as it saw them. */
  readonly savedPlan?: { readonly path: string; readonly text: string };
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
}

export type ApplyOutcome =
  /** Nothing to do, or applied and verified: live IAM matches the manifests. */
  | { readonly status: 'converged'; readonly plan: Plan; readonly steps: readonly Step[]; readonly execution?: ExecutionResult; readonly verifiedAfterMs?: number }
  /** Every step ran, but live IAM still differs once the consistency bound passed. */
  | { readonly status: 'not-converged'; readonly plan: Plan; readonly steps: readonly Step[]; readonly execution: ExecutionResult; readonly remaining: Plan }
  /** A step failed or the run was interrupted: the execution says exactly what ran. */
  | { readonly status: 'incomplete'; readonly plan: Plan; readonly steps: readonly Step[]; readonly execution: ExecutionResult }
  /** Refused before any write. */
  | { readonly status: 'refused'; readonly diagnostics: readonly Diagnostic[]; readonly plan?: Plan; readonly risks?: readonly LockoutRisk[] }
  | { readonly status: 'declined'; readonly plan: Plan };

export async function applyManifests(request: ApplyRequest): Promise<ApplyOutcome> {
  const reader = new AwsLiveReader(request.clients);
  // One read serves the plan and the guard: the plan records its fingerprint.
  const live = await reader.read();
  const once: LiveReader = { read: async () => live, readPolicyTags: (arns) => reader.readPolicyTags(arns) };
  const planned = await planChanges(request.manifests, once, request.now);
  if (!planned.plan) return { status: 'refused', diagnostics: planned.diagnostics };
  let plan = planned.plan;
  if (request.savedPlan) {
    const problem = staleness(request.savedPlan, plan);
    if (problem) return { status: 'refused', diagnostics: [problem], plan };
    plan = { ...plan, changes: (JSON.parse(request.savedPlan.text) as Plan).changes };
  }
  if (plan.changes.length === 0) return { status: 'converged', plan, steps: [] };

  const { desired, after } = planned.context!;
  const catalog = await loadActionCatalog();
  const risks = lockoutRisks({
    before: live.state,
    after,
    changes: plan.changes,
    trust: plan.trust as TrustDelta[],
    ...(live.caller?.principalArn ? { caller: live.caller.principalArn } : {}),
    protectedArns: desired.account.protected,
    managedPaths: desired.account.managedPaths,
    options: { isWildcardOnlyAction: (a) => catalog.isWildcardOnly(a) },
  });
  if (risks.length > 0 && !request.allowLockout) {
    return {
      status: 'refused',
      plan,
      risks,
      diagnostics: [error(`the plan could lock out ${new Set(risks.map((r) => r.principal)).size === 1 ? 'a guarded principal' : 'guarded principals'}; nothing was changed`, 'Change the manifests so the caller and protected principals keep what apply needs, or pass --allow-lockout to run the steps that cause it last.')],
    };
  }
  let steps = scheduleSteps(plan);
  if (risks.length > 0) {
    const guarded = [...new Set(risks.map((r) => r.principal))];
    steps = deferSteps(steps, (s) => touchesGuarded(s, guarded, [live.state, after]));
  }
  const untouchable = ownershipGuard(live, desired);
  const refusedSteps = steps.flatMap((s) => [s.target, ...s.alsoTouches].flatMap((arn) => (untouchable(arn) ? [`${s.title}: ${arn} ${untouchable(arn)}`] : [])));
  if (refusedSteps.length) return { status: 'refused', plan, diagnostics: refusedSteps.map((r) => error(`the plan would touch what the tool must not: ${r}`, 'Nothing was changed. This is a bug if the plan came from this version; please report it.')) };
  // A step the caller certainly may not run would fail after the steps before it changed IAM: refuse now.
  const forbidden = forbiddenSteps(steps, { before: live.state, after }, live.caller?.principalArn, { isWildcardOnlyAction: (a) => catalog.isWildcardOnly(a) });
  if (forbidden.length) {
    const listed = forbidden.slice(0, 10).map((f) => `[${f.step.id}] ${f.step.title}: ${f.action} on ${f.resource}`);
    return {
      status: 'refused',
      plan,
      diagnostics: [error(`the caller (${live.caller!.principalArn}) may not run ${forbidden.length === 1 ? '1 step' : `${forbidden.length} steps`} of this plan; nothing was changed: ${listed.join('; ')}${forbidden.length > 10 ? `; and ${forbidden.length - 10} more` : ''}`, 'No statement of its policies allows these actions (or an unconditional Deny refuses them), so apply would stop there with the steps before it done. Give the caller these permissions (see "Permissions the tool needs" in the README), or apply with a principal that has them.')],
    };
  }

  if (!(await request.confirm(plan, steps, risks))) return { status: 'declined', plan };

  const writer = new AwsIamWriter(request.clients, {
    account: live.state.account,
    untouchable,
    ...(request.consistencyTimeoutMs !== undefined ? { consistencyTimeoutMs: request.consistencyTimeoutMs } : {}),
    onWait: (step, message) => request.onWait?.(`[${step.id}/${steps.length}] ${message}`),
    ...(request.throttlingAdvice ? { throttlingAdvice: request.throttlingAdvice } : {}),
  });
  const execution = await executeSteps(steps, writer, { concurrency: request.concurrency, ...(request.onEvent ? { onEvent: request.onEvent } : {}), ...(request.interrupted ? { interrupted: request.interrupted } : {}) });
  if (execution.failed.length > 0 || execution.interrupted || execution.notRun.length > 0) return { status: 'incomplete', plan, steps, execution };

  const verified = await verify(request, reader);
  return verified.remaining ? { status: 'not-converged', plan, steps, execution, remaining: verified.remaining } : { status: 'converged', plan, steps, execution, verifiedAfterMs: verified.ms };
}

/**
 * Reads and plans again until nothing is left to change, or the consistency bound passes: IAM may not show what was
 * just created for a while (polled, never a fixed sleep).
 */
async function verify(request: ApplyRequest, reader: AwsLiveReader): Promise<{ remaining?: Plan; ms: number }> {
  const started = Date.now();
  const bound = request.consistencyTimeoutMs ?? 120_000;
  let pause = 250;
  // What is reported as eventual consistency: the pauses between readings, not the readings themselves (which
  // throttling may slow; that time is reported as throttling).
  let waited = 0;
  for (;;) {
    const again = await planChanges(request.manifests, reader, request.now);
    if (!again.plan) throw new InputError(again.diagnostics);
    if (again.plan.changes.length === 0) return { ms: waited };
    if (Date.now() - started > bound) return { remaining: again.plan, ms: waited };
    request.onWait?.(`verifying: live IAM does not show ${again.plan.changes.length === 1 ? '1 change' : `${again.plan.changes.length} changes`} yet; reading again in ${(pause / 1000).toFixed(1)} s`);
    await new Promise((r) => setTimeout(r, pause));
    waited += pause;
    pause = Math.min(pause * 2, 5000);
  }
}

/** Why a saved plan may not be applied now, or undefined. */
function staleness(saved: { path: string; text: string }, fresh: Plan): Diagnostic | undefined {
  let plan: Partial<Plan>;
  try {
    plan = JSON.parse(saved.text) as Partial<Plan>;
  } catch {
    return error(`${saved.path} is not a plan: not JSON`, 'Save a plan with: iam-gitops plan --aws --format json --out FILE.');
  }
  if (plan.formatVersion !== 1 || !Array.isArray(plan.changes) || !plan.live || !plan.desired) return error(`${saved.path} is not an iam-gitops plan (formatVersion 1)`, 'Save a plan with: iam-gitops plan --aws --format json --out FILE.');
  if (plan.tool?.name !== TOOL_NAME || plan.tool.version !== TOOL_VERSION) {
    return error(`${saved.path} was made by ${plan.tool ? `${plan.tool.name} ${plan.tool.version}` : 'an unknown tool'}; this is ${TOOL_NAME} ${TOOL_VERSION}`, 'Plan again with this version: a plan is applied by the version that made it.');
  }
  if (plan.account !== fresh.account) return error(`${saved.path} is a plan for account ${plan.account}, not ${fresh.account}`, 'Use the credentials of the account the plan was made for, or plan again.');
  if (plan.live.fingerprint !== fresh.live.fingerprint) return error('live IAM changed since this plan was made: re-run plan', `${saved.path} was computed against live IAM as it was (${plan.live.fingerprint}); it is now ${fresh.live.fingerprint}. Nothing was changed.`);
  if (plan.desired.fingerprint !== fresh.desired.fingerprint) return error('the manifests changed since this plan was made: re-run plan', `${saved.path} was computed from other manifests than --manifests holds now. Nothing was changed.`);
  return undefined;
}

/**
 * Why the tool may not touch an entity, or undefined: outside managedPaths, AWS-owned, or protected. Entity listings
 * (ListEntitiesForPolicy) name entities without their paths, so a name is resolved to the live entity's ARN.
 */
function ownershipGuard(live: LiveState, desired: DesiredState): (arn: string) => string | undefined {
  const protectedArns = new Set(desired.account.protected);
  const byName = new Map<string, string>();
  for (const map of [live.state.users, live.state.groups, live.state.roles, live.state.policies]) for (const e of map.values()) byName.set(`${e.kind}:${e.name.toLowerCase()}`, e.arn);
  return (arn) => {
    const m = /^arn:aws[\w-]*:iam::(\d{12}|aws):(user|group|role|policy|instance-profile)(\/.*\/|\/)([^/]+)$/.exec(arn);
    if (!m) return undefined;
    const [, account, kind, , name] = m as unknown as [string, string, string, string, string];
    if (account === 'aws') return 'is AWS managed';
    const real = byName.get(`${kind}:${name.toLowerCase()}`) ?? arn;
    const path = /:(?:user|group|role|policy|instance-profile)(\/.*\/|\/)[^/]+$/.exec(real)?.[1] ?? '/';
    if (isAwsOwnedPath(path)) return 'is owned by AWS';
    if (protectedArns.has(real)) return 'is protected (the Account manifest lists it)';
    if (kind !== 'instance-profile' && !isOwnedPath(desired.account, path)) return `is outside managedPaths (${desired.account.managedPaths.join(', ')})`;
    return undefined;
  };
}
