/**
 * What an apply did, in Markdown: the job summary of the apply run, and the comment on the pull request whose merge
 * it applied (so the people who reviewed the plan see, where they reviewed it, whether it reached AWS). Pure.
 */
import type { ApplyOutcome } from '../apply/outcome.js';
import { formatDiagnostic } from '../core/diagnostics.js';
import { code, text } from './markdown-safe.js';

export interface ApplyReportOptions {
  /** The commit the run applied (GITHUB_SHA). */
  readonly sha?: string;
  /** The run's page, linked from the comment. */
  readonly runUrl?: string;
  /** The manifests folder: named in the heading and in the marker, like the plan comment. */
  readonly folder?: string;
  /** The most steps listed per section (applied, failed, not run); the rest are counted. */
  readonly maxItemsPerSection: number;
}

/** The hidden first line of the apply comment: one per folder, apart from the plan's. */
export function applyCommentMarker(folder: string): string {
  return `<!-- iam-gitops:apply:${folder.replace(/[^A-Za-z0-9._/-]/g, '_')} -->`;
}

/** What a report of a converged apply that changed something says, after its heading: to tell it from a stopped one. */
export const APPLIED_HEADING = '### ✅ iam-gitops apply';

export function applyHeadline(outcome: ApplyOutcome): string {
  switch (outcome.status) {
    case 'converged': {
      const risks = outcome.remainingRisks ?? [];
      const matches = risks.length ? `every managed entity matches its manifest, but ${risks.length} risks of principals no manifest declares remain (mark them deleted: true in a manifest, or prune)` : 'live IAM matches the manifests';
      return outcome.execution ? `applied ${outcome.execution.applied.length} steps; ${matches}` : `no changes: ${matches}`;
    }
    case 'not-converged':
      return `every step ran, but live IAM still differs from the manifests (${outcome.remaining.changes.length} changes left): something else changed IAM meanwhile, or IAM is slow to show changes; run again`;
    case 'incomplete':
      return `apply stopped: ${outcome.execution.applied.length} steps applied, ${outcome.execution.failed.length} failed, ${outcome.execution.notRun.length} not run; every step is safe to repeat: fix the failure and re-run the job`;
    case 'refused':
      return `apply refused before any change: ${outcome.diagnostics.filter((d) => d.severity === 'error').map((d) => d.summary).join('; ') || (outcome.risks ?? []).map((r) => r.summary).join('; ')}`;
    case 'declined':
      return 'apply declined';
  }
}

/** The apply run's report: the headline, then the steps applied, failed and not run (failures open). */
export function renderApplyReport(outcome: ApplyOutcome, options: ApplyReportOptions): string {
  const icon = outcome.status === 'converged' ? '✅' : '⛔';
  const at = options.sha ? ` at ${code(options.sha.slice(0, 7))}` : '';
  const folder = options.folder && options.folder !== '.' ? ` · ${text(options.folder)}` : '';
  const headline = applyHeadline(outcome);
  // A refusal's headline joins its reasons; each is listed below in full.
  const lines = [`### ${icon} iam-gitops apply${at}${folder}`, '', text(headline.length > 2000 ? `${headline.slice(0, 2000)}…` : headline), ''];
  const limited = (items: readonly string[]): string[] => {
    const shown = items.slice(0, options.maxItemsPerSection).map((i) => `- ${i}`);
    if (items.length > shown.length) shown.push(`- …and ${items.length - shown.length} more${options.runUrl ? ` (the [run's summary](${options.runUrl}) lists them all)` : ''}`);
    return shown;
  };
  if (outcome.status === 'refused') {
    lines.push(...limited([...outcome.diagnostics.map((d) => text(formatDiagnostic(d))), ...(outcome.risks ?? []).map((r) => text(r.summary))]), '');
  }
  if ((outcome.status === 'incomplete' || outcome.status === 'not-converged' || outcome.status === 'converged') && outcome.execution) {
    const ex = outcome.execution;
    const section = (title: string, items: readonly string[], open: boolean): void => {
      if (items.length) lines.push(`<details${open ? ' open' : ''}><summary>${title} (${items.length})</summary>`, '', ...limited(items), '', '</details>', '');
    };
    section('Failed', ex.failed.map((f) => `${text(f.step.title)}: ${text(f.error.summary)}`), true);
    section('Applied', ex.applied.map((a) => text(a.step.title)), false);
    section('Not run', ex.notRun.map((s) => text(s.title)), false);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * The comment on the merged pull request: the report, bounded for GitHub's 65,536-character comments, with where
 * to look next. Starts with its marker, so a re-run of the same apply updates it in place.
 */
export function renderApplyComment(outcome: ApplyOutcome, options: Omit<ApplyReportOptions, 'maxItemsPerSection'> & { readonly folder: string }): string {
  const next =
    outcome.status === 'converged'
      ? 'Live IAM now matches the manifests of this merge.'
      : 'Every step is safe to repeat: fix what the report says and re-run the apply workflow; this comment is updated.';
  const footer = ['', '---', `<sub>${next}${options.runUrl ? ` [The apply run](${options.runUrl}).` : ''}</sub>`, ''];
  // Step titles are short; 200 per section keeps three sections well under GitHub's limit.
  for (const max of [200, 50, 10]) {
    const body = `${applyCommentMarker(options.folder)}\n${renderApplyReport(outcome, { ...options, maxItemsPerSection: max })}${footer.join('\n')}`;
    if (body.length <= 60_000) return body;
  }
  return `${applyCommentMarker(options.folder)}\n${renderApplyReport(outcome, { ...options, maxItemsPerSection: 0 })}${footer.join('\n')}`;
}
