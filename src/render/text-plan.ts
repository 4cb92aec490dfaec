/** The plan as a terminal reads it, in the manner of a careful terraform plan. Pure: plan in, string out. */
import { formatDiagnostic } from '../core/diagnostics.js';
import type { Change, Plan } from '../plan/plan.js';
import { ACTION_SIGN, actionPhrase, detailLine, detailSign, documentLines, type Mood } from './describe-change.js';
import { NO_COLOR, type Palette } from './palette.js';
import type { Finding } from '../analyze/findings.js';
import { renderFindingsText } from './findings.js';
import type { AccessDelta } from '../analyze/access-delta.js';
import type { ActionCatalog } from '../catalog/action-catalog.js';
import { conditionWords, renderAccessText } from './access.js';
import type { TrustDelta } from '../analyze/trust-delta.js';

export function renderPlanText(plan: Plan, colors: Palette = NO_COLOR, mood: Mood = 'proposal', catalog?: ActionCatalog): string {
  const out: string[] = [];
  out.push(colors.bold(`iam-gitops ${mood === 'drift' ? 'drift report' : 'plan'} for account ${plan.account}`) + colors.dim(` (live: ${plan.live.source})`));
  out.push('');
  if (plan.changes.length === 0) {
    out.push(mood === 'drift' ? 'No drift: live IAM matches the manifests.' : 'No changes. Live IAM matches the manifests.');
  } else {
    out.push(`${colors.create('+ create')}   ${colors.update('~ update in place')}   ${colors.delete('- delete')}`);
    out.push('');
    for (const change of plan.changes) out.push(...renderChange(change, colors, mood), '');
  }
  if (plan.unmanaged.length > 0) {
    out.push(colors.bold(`Unmanaged: ${plan.unmanaged.length} live ${plan.unmanaged.length === 1 ? 'entity' : 'entities'} under managedPaths that no manifest declares`) + colors.dim(' (left alone; prune: true would delete them):'));
    for (const arn of plan.unmanaged) out.push(`    ${arn}`);
    out.push('');
  }
  const access = plan.access as readonly AccessDelta[];
  if (access.length > 0 && catalog) {
    out.push(colors.bold(`Access changes: ${access.reduce((n, d) => n + d.principals.length, 0)} principals gain or lose permissions`) + colors.dim(` (actions as in ${plan.catalog ?? catalog.version})`));
    out.push(...renderAccessText(access, catalog, colors), '');
  }
  const trust = plan.trust as readonly TrustDelta[];
  if (trust.length > 0) {
    out.push(colors.bold('Trust changes: who can assume which role'));
    for (const t of trust) {
      const worth = t.roleFindings.length ? colors.dim(` (it ${t.roleFindings.map((f) => f.summary).slice(0, 2).join('; ')})`) : '';
      out.push(`  role ${t.role.split('/').pop()}${worth}`);
      for (const [sign, grants, paint] of [['+', t.gained, colors.create], ['-', t.lost, colors.delete]] as const) {
        for (const g of grants) {
          const when = g.condition ? colors.dim(`, ${conditionWords(g.condition as Record<string, Record<string, unknown>>)}`) : '';
          const via = g.via?.length ? colors.dim(` (through ${g.via.map((v) => v.split('/').pop()).join(' -> ')})`) : '';
          out.push(paint(`    ${sign} ${g.type} ${g.principal}`) + via + when);
        }
      }
    }
    out.push('');
  }
  const findings = plan.findings as readonly (Finding & { change?: 'introduced' | 'removed' })[];
  if (findings.length > 0) {
    out.push(colors.bold(`Risk findings this change ${findings.some((f) => f.change === 'removed') ? 'introduces or removes' : 'introduces'}:`));
    out.push(...renderFindingsText(findings, colors).map((l) => `  ${l}`), '');
  }
  for (const d of plan.diagnostics) out.push(colors.warn(formatDiagnostic(d)));
  if (plan.diagnostics.length > 0) out.push('');
  const s = plan.summary;
  out.push(colors.bold(`Plan: ${s.create} to create, ${s.update} to update, ${s.delete} to delete.`) + (s.unmanaged ? ` ${s.unmanaged} unmanaged.` : ''));
  return `${out.join('\n')}\n`;
}

function renderChange(change: Change, colors: Palette, mood: Mood): string[] {
  const paint = colors[change.action];
  const lines = [paint(`${ACTION_SIGN[change.action]} ${change.kind} ${change.name}`) + colors.dim(` ${actionPhrase(change.action, mood)}`)];
  lines.push(colors.dim(`    ${change.arn}`));
  for (const detail of change.details) {
    const sign = detailSign(detail);
    const color = sign === '+' ? colors.create : sign === '-' ? colors.delete : colors.update;
    lines.push(color(`    ${sign} ${detailLine(detail)}`));
    for (const line of documentLines(detail)) {
      const text = `        ${line.sign === '@' ? '' : `${line.sign} `}${line.text}`;
      lines.push(line.sign === '+' ? colors.create(text) : line.sign === '-' ? colors.delete(text) : colors.dim(text));
    }
  }
  lines.push(colors.dim(`    # ${change.reason}`));
  return lines;
}
