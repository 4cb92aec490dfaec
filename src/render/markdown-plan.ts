/** The plan as GitHub markdown (PR comments, job summaries). Pure. */
import type { Change, Plan } from '../plan/plan.js';
import type { Finding } from '../analyze/findings.js';
import { renderFindingsMarkdown } from './findings.js';
import type { AccessDelta } from '../analyze/access-delta.js';
import type { ActionCatalog } from '../catalog/action-catalog.js';
import { renderAccessMarkdown } from './access.js';
import { actionPhrase, detailLine, detailSign, documentLines, type Mood } from './describe-change.js';

const ICON = { create: '🟢', update: '🟡', delete: '🔴' } as const;

export function renderPlanMarkdown(plan: Plan, mood: Mood = 'proposal', catalog?: ActionCatalog): string {
  const s = plan.summary;
  const out: string[] = [];
  out.push(`### iam-gitops ${mood === 'drift' ? 'drift report' : 'plan'} for account \`${plan.account}\``);
  out.push('');
  out.push(`**${s.create} to create, ${s.update} to update, ${s.delete} to delete**${s.unmanaged ? ` · ${s.unmanaged} unmanaged` : ''}`);
  out.push('');
  if (plan.changes.length > 0) {
    out.push('| | Kind | Name | Changes | Why |', '|---|---|---|---|---|');
    for (const c of plan.changes) out.push(`| ${ICON[c.action]} ${c.action} | ${c.kind} | \`${c.name}\` | ${summarizeDetails(c)} | ${escapeCell(c.reason)} |`);
    out.push('');
    for (const c of plan.changes) out.push(...renderDetails(c, mood));
  } else {
    out.push('No changes: live IAM matches the manifests.', '');
  }
  const findings = plan.findings as readonly (Finding & { change?: 'introduced' | 'removed'; causes?: readonly string[] })[];
  if (findings.length > 0) out.push('#### Risk findings', '', ...renderFindingsMarkdown(findings), '');
  const access = plan.access as readonly AccessDelta[];
  if (access.length > 0 && catalog) out.push('#### Access changes', '', ...renderAccessMarkdown(access, catalog));
  if (plan.unmanaged.length > 0) {
    out.push(`<details><summary>${plan.unmanaged.length} unmanaged entities (under managedPaths, declared by no manifest)</summary>`, '');
    for (const arn of plan.unmanaged) out.push(`- \`${arn}\``);
    out.push('', '</details>', '');
  }
  for (const d of plan.diagnostics) out.push(`> **${d.severity}:** ${d.summary}${d.detail ? ` — ${d.detail}` : ''}`, '');
  return `${out.join('\n').trimEnd()}\n`;
}

function summarizeDetails(change: Change): string {
  if (change.details.length === 0) return '—';
  const counts = new Map<string, number>();
  for (const d of change.details) counts.set(d.field, (counts.get(d.field) ?? 0) + 1);
  return [...counts].map(([field, n]) => `${n} ${field}`).join(', ');
}

function renderDetails(change: Change, mood: Mood): string[] {
  const out = [`<details><summary>${ICON[change.action]} <code>${change.kind} ${change.name}</code> ${actionPhrase(change.action, mood)}</summary>`, '', '```diff'];
  for (const detail of change.details) {
    out.push(`${detailSign(detail) === '~' ? '!' : detailSign(detail)} ${detailLine(detail)}`);
    for (const line of documentLines(detail)) out.push(`${line.sign === '@' ? '@@' : line.sign}   ${line.text}`);
  }
  out.push('```', '', '</details>', '');
  return out;
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|');
}
