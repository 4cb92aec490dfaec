/** Findings as text and markdown. Pure. Text is made inert (terminal-safe): principals and details quote IAM. */
import type { Finding } from '../analyze/findings.js';
import { arnFields } from '../core/arn.js';
import { SEVERITY_ICON, severityCounts, type FindingSeverity } from '../core/severity.js';
import { count } from '../core/plural.js';
import { inert, inertDeep } from '../core/terminal-safe.js';
import { orderFindings } from '../analyze/finding-order.js';
import { NO_COLOR, type Palette } from './palette.js';

type Reportable = Finding & {
  readonly change?: 'introduced' | 'removed';
  readonly causes?: readonly string[];
  readonly severityChange?: { readonly from: FindingSeverity; readonly to: FindingSeverity };
  readonly accepted?: string;
  readonly acceptedInPullRequest?: string;
};

/** `no longer: `, `now HIGH (was MEDIUM): `, or nothing: how a plan's finding relates to the live state. */
function changeWords(f: Reportable): string {
  if (f.severityChange) return `${f.severityChange.to.toUpperCase()} now, was ${f.severityChange.from.toUpperCase()}: `;
  return f.change === 'removed' ? 'no longer: ' : '';
}

/** Findings in the one listing order (finding-order.ts): introduced before removed, most severe first. */
export function renderFindingsText(untrusted: readonly Reportable[], colors: Palette = NO_COLOR): string[] {
  const out: string[] = [];
  for (const f of orderFindings(inertDeep(untrusted))) {
    const paint = f.severity === 'critical' || f.severity === 'high' ? colors.delete : f.severity === 'medium' ? colors.update : colors.dim;
    const prefix = changeWords(f);
    out.push(`${paint(f.severity.toUpperCase().padEnd(8))} ${f.code}  ${f.principal}${f.accepted ? colors.dim(` (accepted risk: ${f.accepted})`) : ''}${f.acceptedInPullRequest ? ` (accepted by this pull request, not by the base branch: ${f.acceptedInPullRequest}; it counts until the acceptance is merged on its own)` : ''}`);
    out.push(`    ${prefix}${f.summary}`);
    out.push(colors.dim(`    ${f.detail}`));
    if (f.targets?.length) out.push(colors.dim(`    via ${f.targets.slice(0, 5).join(', ')}${f.targets.length > 5 ? ', ...' : ''}`));
    if (f.causes?.length) out.push(colors.dim(`    caused by: ${f.causes.join('; ')}`));
  }
  return out;
}

export function renderFindingsMarkdown(findings: readonly Reportable[]): string[] {
  if (findings.length === 0) return [];
  const out = ['| Severity | Finding | Principal | What | Caused by |', '|---|---|---|---|---|'];
  for (const f of orderFindings(findings)) {
    const struck = f.change === 'removed' && !f.severityChange;
    const what = `${f.severityChange ? `**${f.severityChange.from} → ${f.severityChange.to}:** ` : ''}${struck ? '~~' : ''}${f.summary}${struck ? '~~ (removed)' : ''}${f.accepted ? ` (accepted risk: ${f.accepted})` : ''}`;
    out.push(`| ${SEVERITY_ICON[f.severity]} ${f.severity} | \`${f.code}\` | \`${arnFields(f.principal).at(-1)}\` | ${what.replace(/\|/g, '\\|')} | ${(f.causes ?? []).join('<br>') || '—'} |`);
  }
  return out;
}

export function renderAuditText(findings: readonly Finding[], against: string, colors: Palette = NO_COLOR): string {
  const counts = severityCounts(findings);
  const body = findings.length ? renderFindingsText(findings, colors) : ['No findings.'];
  return `${[colors.dim(`Audit of the ${inert(against)}.`), '', ...body, '', colors.bold(`Findings: ${counts}.`)].join('\n')}\n`;
}

export function renderAuditMarkdown(findings: readonly Finding[], against: string): string {
  const counts = severityCounts(findings);
  return `${['### iam-gitops audit', '', `Audit of the ${against}: **${count(findings.length, 'finding', 'findings', { digits: 'plain' })}** (${counts}).`, '', ...(findings.length ? renderFindingsMarkdown(findings) : ['No findings.'])].join('\n')}\n`;
}
