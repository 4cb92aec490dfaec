/**
 * How the Action shows results on the runner: diagnostics as annotations on the manifest lines, the job summary,
 * the plan outputs, and the fail-on line that fails the step.
 */
import { relative, resolve } from 'node:path';
import { judgeFailOn, nameFailing, type FailOn } from '../app/fail-on.js';
import type { Finding } from '../analyze/findings.js';
import { formatDiagnostic, type Diagnostic } from '../core/diagnostics.js';
import { hasChanges, type Plan } from '../plan/plan.js';
import { maxSeverity, verdictOf } from '../render/comment.js';
import { text } from '../render/markdown-safe.js';
import type { ActionLog } from './log.js';
import type { ActionsPort } from './port.js';

export interface ActionReport {
  /** Diagnostics as annotations on the manifest lines (paths relative to the repository). */
  annotate(diagnostics: readonly Diagnostic[]): void;
  /** Appends to the job summary; without one (GITHUB_STEP_SUMMARY unset), the log gets it. */
  summary(markdown: string): Promise<void>;
  /** The outputs a plan (or a drift report, or the plan an apply ran) sets; without one, what says there is none. */
  planOutputs(plan: Plan | undefined, path?: string): void;
  /** Fails the step when findings at or above fail-on remain: `says` is who has them ("the change introduces"). */
  failOn(findings: readonly (Finding & { readonly change?: 'introduced' | 'removed' })[], failOn: FailOn, says: string): void;
  /** Errors of the manifests or inputs: annotated, listed in the summary, and the step failed. */
  inputErrors(diagnostics: readonly Diagnostic[]): Promise<void>;
}

export function createReport(port: ActionsPort, log: ActionLog, env: Readonly<Record<string, string | undefined>>): ActionReport {
  const report: ActionReport = {
    annotate(diagnostics) {
      for (const d of diagnostics) {
        const message = d.detail ? `${d.summary}\n${d.detail}` : d.summary;
        const where = d.at ? { title: `iam-gitops ${d.severity}`, file: relative(process.cwd(), resolve(d.at.file)), startLine: d.at.line, startColumn: d.at.col } : { title: `iam-gitops ${d.severity}` };
        if (d.severity === 'error') log.error(message, where);
        else log.warning(message, where);
      }
    },
    async summary(markdown) {
      if (!env['GITHUB_STEP_SUMMARY']) {
        log.info('GITHUB_STEP_SUMMARY is not set: the report goes to the log only');
        log.info(markdown);
        return;
      }
      try {
        await port.appendSummary(markdown);
      } catch (e) {
        log.warning(`iam-gitops: cannot write the job summary: ${e instanceof Error ? e.message : String(e)}`);
      }
    },
    planOutputs(plan, path) {
      port.setOutput('has-changes', String(plan ? hasChanges(plan) : false));
      port.setOutput('verdict', plan ? verdictOf(plan) : '');
      port.setOutput('max-severity', plan ? maxSeverity(plan) : 'none');
      if (path) port.setOutput('plan-path', path);
    },
    failOn(findings, failOn, says) {
      const verdict = judgeFailOn(findings, failOn);
      if (!verdict) return;
      const n = verdict.failing.length;
      log.failed(`iam-gitops: ${says} ${n === 1 ? 'a finding' : `${n} findings`} at or above ${failOn} (worst: ${verdict.worst}; fail-on: ${failOn}): ${nameFailing(verdict.failing)}`);
    },
    async inputErrors(diagnostics) {
      report.annotate(diagnostics);
      await report.summary(`### iam-gitops\n\n${diagnostics.map((d) => `- **${d.severity}:** ${text(formatDiagnostic(d))}`).join('\n')}\n`);
      log.failed(`iam-gitops: ${diagnostics.filter((d) => d.severity === 'error').map((d) => d.summary).join('; ')}`);
    },
  };
  return report;
}

/** The manifests folder as the marker and headings name it: relative to the repository, with forward slashes. */
export function folderName(manifests: string): string {
  return relative(process.cwd(), resolve(manifests)).split('\\').join('/') || '.';
}
