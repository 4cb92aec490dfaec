/**
 * How serious a finding is, defined once: the severities, their order (most serious first), their icons, and the
 * thresholds `--fail-on` / the Action's `fail-on` accept (a severity, or `never`). Every renderer and entry point
 * reads them from here, so that a new severity or icon cannot reach one output and miss another.
 */

export type FindingSeverity = 'critical' | 'high' | 'medium' | 'low';

/** Most serious first: the order findings are listed and counted in, and thresholds are judged by. */
export const SEVERITY_ORDER: readonly FindingSeverity[] = ['critical', 'high', 'medium', 'low'];

/** A square per severity, red to grey, for Markdown tables (the comment, the audit, job summaries). */
export const SEVERITY_ICON: Readonly<Record<FindingSeverity, string>> = { critical: '🟥', high: '🟧', medium: '🟨', low: '⬜' };

/** What a fail-on threshold may be: a severity (that one or worse fails) or `never`. */
export const FAIL_ON = ['critical', 'high', 'medium', 'low', 'never'] as const satisfies readonly (FindingSeverity | 'never')[];

export type FailOn = (typeof FAIL_ON)[number];

/** Negative when `a` is more serious than `b`, as `Array.prototype.sort` wants. */
export function compareSeverity(a: FindingSeverity, b: FindingSeverity): number {
  return SEVERITY_ORDER.indexOf(a) - SEVERITY_ORDER.indexOf(b);
}

/** `2 critical, 0 high, 1 medium, 0 low`: how many findings of each severity, every severity said. */
export function severityCounts(findings: readonly { readonly severity: FindingSeverity }[]): string {
  return SEVERITY_ORDER.map((s) => `${findings.filter((f) => f.severity === s).length} ${s}`).join(', ');
}
