/** The plan as GitHub markdown (PR comments, job summaries). Pure. */
import type { ChangeDetail, Plan } from '../plan/plan.js';
import { summaryLine } from './text-plan.js';
import type { Finding } from '../analyze/findings.js';
import { renderFindingsMarkdown } from './findings.js';
import type { AccessDelta } from '../analyze/access-delta.js';
import type { ActionCatalog } from '../catalog/action-catalog.js';
import { renderAccessMarkdown } from './access.js';
import { actionPhrase, detailLine, detailSign, documentLines, shownChanges, type Mood, type ShownChange } from './describe-change.js';

const ICON = { create: '🟢', update: '🟡', delete: '🔴', replace: '🔁' } as const;

export function renderPlanMarkdown(plan: Plan, mood: Mood = 'proposal', catalog?: ActionCatalog): string {
  const s = plan.summary;
  const out: string[] = [];
  out.push(`### iam-gitops ${mood === 'drift' ? 'drift report' : 'plan'} for account \`${plan.account}\``);
  out.push('');
  out.push(`**${summaryLine(plan).replace(/^Plan: |\.$/g, '')}**${s.unmanaged ? ` · ${s.unmanaged} unmanaged` : ''}`);
  out.push('');
  if (plan.changes.length > 0) {
    const shown = shownChanges(plan.changes);
    out.push('| | Kind | Name | Changes | Why |', '|---|---|---|---|---|');
    for (const c of shown) out.push(`| ${ICON[c.action]} ${c.action} | ${c.change.kind} | \`${c.change.name}\` | ${summarizeDetails(c.details)} | ${escapeCell(c.change.reason)} |`);
    out.push('');
    for (const c of shown) out.push(...renderDetails(c, mood));
  } else {
    out.push('No changes: live IAM matches the manifests.', '');
  }
  const findings = plan.findings as readonly (Finding & { change?: 'introduced' | 'removed'; causes?: readonly string[] })[];
  if (findings.length > 0) out.push('#### Risk findings', '', ...renderFindingsMarkdown(findings), '');
  const access = plan.access as readonly AccessDelta[];
  if (access.length > 0 && catalog) out.push('#### Access changes', '', ...renderAccessMarkdown(access, catalog));
  if (plan.unmanaged.length > 0) {
    const isProtected = new Set(plan.protected ?? []);
    out.push(`<details><summary>${plan.unmanaged.length === 1 ? '1 unmanaged entity' : `${plan.unmanaged.length} unmanaged entities`} (under managedPaths, declared by no manifest)</summary>`, '');
    for (const arn of plan.unmanaged) out.push(`- \`${arn}\`${isProtected.has(arn) ? ' (protected: never deleted)' : ''}`);
    out.push('', '</details>', '');
  }
  for (const d of plan.diagnostics) out.push(`> **${d.severity}:** ${d.summary}${d.detail ? ` — ${d.detail}` : ''}`, '');
  return `${out.join('\n').trimEnd()}\n`;
}

function summarizeDetails(details: readonly ChangeDetail[]): string {
  if (details.length === 0) return '—';
  const counts = new Map<string, number>();
  for (const d of details) counts.set(d.field, (counts.get(d.field) ?? 0) + 1);
  return [...counts].map(([field, n]) => `${n} ${field}`).join(', ');
}

function renderDetails(shown: ShownChange, mood: Mood): string[] {
  const change = shown.change;
  const previous = shown.replaced?.arn ?? change.previousArn;
  const out = [`<details><summary>${ICON[shown.action]} <code>${change.kind} ${change.name}</code> ${actionPhrase(shown.action, mood)}</summary>`, '', '```diff'];
  if (previous) out.push(`# ${previous} -> ${change.arn}`);
  for (const detail of shown.details) {
    out.push(`${detailSign(detail) === '~' ? '!' : detailSign(detail)} ${detailLine(detail)}`);
    for (const line of documentLines(detail)) out.push(line.sign === '@' ? `@@ ${line.text.replace(/^@@ | @@$/g, '')} @@` : `${line.sign}   ${line.text}`);
  }
  out.push('```', '', '</details>', '');
  return out;
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|');
}
