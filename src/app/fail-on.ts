/**
 * The fail-on rule every entry applies (`--fail-on` of plan, drift, apply and audit; the Action's `fail-on` input):
 * a run fails when findings at or above the threshold remain, accepted risks never counting and removed findings
 * never counting. What a failure is called (an exit code, a failed step) is the entry's; which findings fail is this.
 */
import { failingFindings, SEVERITY_ORDER, type Finding, type FindingSeverity } from '../analyze/findings.js';

// The thresholds are the severities, then never: defined once with them (core/severity.ts).
export { FAIL_ON, type FailOn } from '../core/severity.js';
import type { FailOn } from '../core/severity.js';

/** A finding as fail-on judges it: a plan's, drift's or apply's (with `change`), or an audit's (without). */
type Judged = Finding & { readonly change?: 'introduced' | 'removed' };

/** Findings that fail the run: at least one, the worst severity among them, and the first few named. */
export interface FailOnVerdict<F extends Judged> {
  readonly failing: readonly F[];
  readonly worst: FindingSeverity;
}

/** The findings that fail the run at this threshold, or undefined when the run passes. */
export function judgeFailOn<F extends Judged>(findings: readonly F[], failOn: FailOn): FailOnVerdict<F> | undefined {
  const failing = failingFindings(findings, failOn);
  if (failing.length === 0) return undefined;
  return { failing, worst: SEVERITY_ORDER.find((s) => failing.some((f) => f.severity === s))! };
}

/** The first three failing findings, as the failure line names them: `FULL_ADMIN on arn:..., ...`. */
export function nameFailing(failing: readonly Judged[], show: (principal: string) => string = (p) => p): string {
  return `${failing.slice(0, 3).map((f) => `${f.code} on ${show(f.principal)}`).join(', ')}${failing.length > 3 ? ', ...' : ''}`;
}

/** The most severe finding not accepted (an audit's `max-severity`), or `none`. */
export function worstUnaccepted(findings: readonly Finding[]): FindingSeverity | 'none' {
  return SEVERITY_ORDER.find((s) => findings.some((f) => f.severity === s && f.accepted === undefined)) ?? 'none';
}
