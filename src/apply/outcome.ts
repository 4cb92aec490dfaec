/**
 * What applying a plan came to: converged, not converged, incomplete, refused or declined, with what ran. The
 * application layer (app/apply.ts) returns it; the renderers (render/apply-report.ts) and entry points read it.
 */
import type { Diagnostic } from '../core/diagnostics.js';
import type { PlanFinding } from '../analyze/plan-findings.js';
import type { Plan } from '../plan/plan.js';
import type { ExecutionResult } from './execute.js';
import type { LockoutRisk } from './lockout.js';
import type { Step } from './steps.js';
import type { LockedVersions } from '../analyze/policy-lock.js';

export type ApplyOutcome =
  /**
   * Nothing to do, or applied and verified: live IAM matches the manifests. `remainingRisks`, after a drift report:
   * the risks of principals no manifest declares, which applying it leaves in place.
   */
  | {
      readonly status: 'converged';
      readonly plan: Plan;
      readonly steps: readonly Step[];
      readonly execution?: ExecutionResult;
      readonly verifiedAfterMs?: number;
      readonly remainingRisks?: readonly PlanFinding[];
      /** The AWS managed policies the manifests use, at the default versions live IAM shows after apply (for the lock file). */
      readonly awsPolicyVersions?: LockedVersions;
    }
  /** Every step ran, but live IAM still differs once the consistency bound passed. */
  | { readonly status: 'not-converged'; readonly plan: Plan; readonly steps: readonly Step[]; readonly execution: ExecutionResult; readonly remaining: Plan }
  /** A step failed or the run was interrupted: the execution says exactly what ran. */
  | { readonly status: 'incomplete'; readonly plan: Plan; readonly steps: readonly Step[]; readonly execution: ExecutionResult }
  /**
   * Refused before any write. `failing`: refused by `failOn`, these findings the plan introduces (the shells report
   * them with their fail-on helpers).
   */
  | { readonly status: 'refused'; readonly diagnostics: readonly Diagnostic[]; readonly plan?: Plan; readonly risks?: readonly LockoutRisk[]; readonly failing?: readonly PlanFinding[] }
  | { readonly status: 'declined'; readonly plan: Plan };
