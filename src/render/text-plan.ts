/**
 * The plan as a terminal reads it, in the manner of a careful terraform plan. Pure: plan in, string out. Every
 * string of the plan came from manifests, live IAM or file names: the plan is made inert (terminal-safe) before a
 * word of it is written, so no name, condition or document can drive the terminal or the Actions runner.
 */
import { protectedMatcher } from '../core/arn.js';
import { formatDiagnostic } from '../core/diagnostics.js';
import { inertDeep } from '../core/terminal-safe.js';
import type { ChangeOrigin, Plan } from '../plan/plan.js';
import { verdictOf } from './comment.js';
import { ACTION_SIGN, actionPhrase, deletedCredentialsLine, ORIGIN_WORDS, detailLine, detailSign, documentLines, shownChanges, snapshotChangeWarning, type Mood, type ShownChange } from './describe-change.js';
import { NO_COLOR, type Palette } from './palette.js';
import { renderProviderChangesText } from './provider-changes.js';
import { count as plural } from '../core/plural.js';
import { SEVERITY_ORDER, type FindingSeverity } from '../core/severity.js';
import { orderFindings } from '../analyze/finding-order.js';
import { renderFindingsText } from './findings.js';
import type { ActionCatalog } from '../catalog/action-catalog.js';
import { conditionWords, grantNotes, DRIFT_LABELS, PLAN_LABELS, renderAccessText } from './access.js';

export function renderPlanText(untrusted: Plan, colors: Palette = NO_COLOR, mood: Mood = 'proposal', catalog?: ActionCatalog): string {
  const plan = inertDeep(untrusted);
  const out: string[] = [];
  out.push(colors.bold(`iam-gitops ${mood === 'drift' ? 'drift report' : 'plan'} for account ${plan.account}`) + colors.dim(` (live: ${plan.live.source})`));
  out.push('');
  const snapshotWarning = snapshotChangeWarning(plan.pullRequest);
  if (snapshotWarning) out.push(colors.delete(colors.bold(`warning: ${snapshotWarning}`)), '');
  if (plan.changes.length === 0 && !plan.providerChanges?.length) {
    out.push(mood === 'drift' ? 'Every managed entity matches its manifest.' : 'No changes. Live IAM matches the manifests.');
  } else {
    const shown = shownChanges(plan.changes);
    const legend = [colors.create('+ create'), colors.update('~ update in place'), colors.delete('- delete'), ...(shown.some((c) => c.action === 'replace') ? [colors.delete('-/+ replace')] : [])];
    out.push(legend.join('   '));
    if (mood === 'drift') out.push(colors.dim('What apply would change to restore the manifests: + is what they say and live IAM lacks, - what live IAM has beyond them.'));
    out.push('');
    for (const change of shown) out.push(...renderChange(change, colors, mood), '');
  }
  out.push(...renderProviderChangesText(plan.providerChanges ?? [], colors));
  if (plan.unmanaged.length > 0) {
    if (plan.changes.length === 0 && !plan.providerChanges?.length) out.push('');
    const isProtected = protectedMatcher(plan.protected ?? []);
    const isProvider = (arn: string): boolean => /:(oidc|saml)-provider\//.test(arn);
    const deletable = plan.unmanaged.some((arn) => !isProtected(arn) && !isProvider(arn));
    out.push(colors.bold(`Unmanaged: ${plural(plan.unmanaged.length, 'live entity', 'live entities')} under managedPaths that no manifest declares`) + colors.dim(` (left alone${deletable ? '; prune: true would delete those not protected' : ''}):`));
    for (const arn of plan.unmanaged) out.push(`    ${arn}${isProtected(arn) ? colors.dim(' (protected: never deleted)') : isProvider(arn) ? colors.dim(' (identity provider: never pruned)') : ''}`);
    out.push('');
  }
  const access = plan.access;
  if (access.length > 0 && catalog) {
    const principals = new Set(access.flatMap((d) => d.principals)).size;
    const heading = mood === 'drift' ? `Access drift: ${plural(principals, 'principal has', 'principals have')} more or less access in live IAM than the manifests grant` : `Access changes: ${plural(principals, 'principal gains or loses', 'principals gain or lose')} permissions`;
    out.push(colors.bold(heading) + colors.dim(` (actions as in ${plan.catalog ?? catalog.version})`));
    const labels = mood === 'drift' ? DRIFT_LABELS : PLAN_LABELS;
    out.push(...renderAccessText(access.filter(isOwn), catalog, colors, labels));
    if (access.some(isDrift)) out.push(colors.bold(`  ${DRIFT_APART}`), ...renderAccessText(access.filter(isDrift), catalog, colors, labels));
    out.push('');
  }
  const trust = plan.trust;
  if (trust.length > 0) {
    out.push(colors.bold(mood === 'drift' ? 'Trust drift: who can (+) or cannot (-) assume which role in live IAM, compared with the manifests' : 'Trust changes: who can assume which role'));
    const ordered = [...trust.filter(isOwn), ...trust.filter(isDrift)];
    const firstDrift = ordered.findIndex(isDrift);
    for (const [i, t] of ordered.entries()) {
      if (i === firstDrift) out.push(colors.bold(`  ${DRIFT_APART}`));
      const worst = [...t.roleFindings].sort((a, b) => SEVERITY_ORDER.indexOf(a.severity as FindingSeverity) - SEVERITY_ORDER.indexOf(b.severity as FindingSeverity));
      const worth = worst.length ? colors.dim(` (it ${worst.map((f) => f.summary).slice(0, 2).join('; ')})`) : '';
      out.push(`  role ${t.role.split('/').pop()}${t.movedFrom ? colors.dim(` (moved from ${t.movedFrom})`) : ''}${worth}`);
      for (const [sign, grants, paint] of [['+', t.gained, colors.create], ['-', t.lost, colors.delete]] as const) {
        for (const g of grants) {
          const when = g.condition ? colors.dim(`, ${conditionWords(g.condition as Record<string, Record<string, unknown>>)}`) : '';
          const via = g.via?.length ? colors.dim(` (through ${g.via.map((v) => v.split('/').pop()).join(' -> ')})`) : '';
          const moved = g.movedFrom ? colors.dim(` (moved from ${g.movedFrom})`) : '';
          const notes = grantNotes(g, sign === '+' ? 'gained' : 'lost', mood === 'drift' ? 'drift' : 'proposal').map((n) => colors.dim(`; ${n}`)).join('');
          out.push(paint(`    ${sign} ${g.type} ${g.principal}`) + moved + via + when + notes);
        }
      }
    }
    out.push('');
  }
  const updates = plan.awsManagedPolicyUpdates ?? [];
  if (updates.length > 0 && catalog) {
    out.push(colors.bold(`AWS managed policy versions: AWS published a new default version of ${plural(updates.length, 'policy', 'policies')} the manifests use`) + colors.dim(' (compared with aws-managed-policies.lock.json)'));
    for (const u of updates) {
      out.push(`  ${u.name}: ${u.lockedVersion} locked, ${u.liveVersion} in force; ${plural(u.holders.length, 'principal holds', 'principals hold')} it`);
      out.push(...(u.access.length ? renderAccessText(u.access, catalog, colors, PLAN_LABELS).map((l) => `  ${l}`) : [colors.dim('    no access changes for its holders')]));
    }
    out.push(colors.dim('  Accept the new versions with `iam-gitops drift --update-lock` and commit the lock file (or stop attaching the policy).'), '');
  }
  const findings = orderFindings(plan.findings);
  if (findings.length > 0) {
    out.push(colors.bold(`Risk findings ${mood === 'drift' ? 'the drift' : 'this change'} ${findings.some((f) => f.change === 'removed') ? 'introduces or removes' : 'introduces'}:`));
    out.push(...renderFindingsText(findings.filter(isOwn), colors).map((l) => `  ${l}`));
    if (findings.some(isDrift)) out.push(colors.bold(`  ${DRIFT_APART}`), ...renderFindingsText(findings.filter(isDrift), colors).map((l) => `  ${l}`));
    out.push('');
  }
  for (const d of plan.diagnostics) out.push(colors.warn(formatDiagnostic(d)));
  if (plan.diagnostics.length > 0) out.push('');
  if (plan.pullRequest) {
    const pr = plan.pullRequest;
    const caused = plan.changes.filter((c) => c.replacedBy === undefined && c.origin !== 'drift' && c.origin !== undefined).length;
    const drift = plan.changes.filter((c) => c.replacedBy === undefined && (c.origin === 'drift' || c.origin === 'pull-request+drift')).length;
    out.push(colors.bold(`Pull request: ${plural(pr.files.length, 'changed manifest file')} since ${pr.mergeBase.slice(0, 7)}; it causes ${plural(caused, 'change')}, ${plural(drift, 'change')} ${drift === 1 ? 'is' : 'are'} drift already there.`));
    if (pr.effect) out.push(`Its own effect on access: ${verdictOf(plan)}.`);
    if (pr.adopted?.length) out.push(`It adopts drift on ${pr.adopted.map((a) => `${a.kind} ${a.name}`).join(', ')}.`);
    if (pr.note) out.push(pr.note);
    out.push('');
  }
  const s = plan.summary;
  const summary = mood === 'drift' ? driftSummaryLine(plan) : summaryLine(plan);
  out.push(colors.bold(summary) + (s.unmanaged ? ` ${s.unmanaged} unmanaged.` : ''));
  return `${out.join('\n')}\n`;
}


/** `Plan: 2 to create, 1 to update, 2 to delete (1 replacement).`: replacements count as a create and a delete. */
export function summaryLine(plan: Plan): string {
  const s = plan.summary;
  const replaced = s.replace ? ` (${plural(s.replace, 'replacement', 'replacements', { digits: 'plain' })}: deleted and created again)` : '';
  return `Plan: ${s.create} to create, ${s.update} to update, ${s.delete} to delete${replaced}.`;
}

/** `Drift: 5 changes would restore the manifests (1 create, 4 update).`, or `No drift.` */
export function driftSummaryLine(plan: Plan): string {
  const s = plan.summary;
  const risks = plan.findings.filter((f) => f.change === 'introduced' && !f.accepted).length;
  const riskNote = risks ? ` Live IAM holds ${plural(risks, 'risk')} the manifests do not (see the findings).` : '';
  const updates = plan.awsManagedPolicyUpdates?.length ?? 0;
  const versionNote = updates ? ` AWS published new versions of ${plural(updates, 'policy', 'policies')} the manifests use.` : '';
  if (plan.changes.length === 0 && !plan.providerChanges?.length) {
    if (risks) return `Drift: every managed entity matches its manifest, but live IAM holds ${plural(risks, 'risk')} the manifests do not (see the findings).${versionNote}`;
    return updates ? `Drift: every managed entity matches its manifest, but AWS published new versions of ${plural(updates, 'policy', 'policies')} the manifests use (see above).` : 'No drift.';
  }
  const parts = [[s.create - s.replace, 'create'], [s.update, 'update'], [s.delete - s.replace, 'delete'], [s.replace, 'replace']].filter(([n]) => (n as number) > 0).map(([n, w]) => `${n} ${w}`);
  const total = s.create + s.update + s.delete - s.replace;
  return `Drift: ${plural(total, 'change')} would restore the manifests (${parts.join(', ')}).${riskNote}${versionNote}`;
}

/** Drift a pull request's merge would revert (origin `drift`): listed after its own items, under this line. */
const isDrift = (item: { readonly origin?: ChangeOrigin }): boolean => item.origin === 'drift';
const isOwn = (item: { readonly origin?: ChangeOrigin }): boolean => item.origin !== 'drift';
const DRIFT_APART = "Drift this pull request would revert (live IAM already differs from the base branch's manifests; not this pull request's doing):";


function renderChange(shown: ShownChange, colors: Palette, mood: Mood): string[] {
  const { change, action } = shown;
  const paint = action === 'replace' ? colors.delete : colors[action];
  const lines = [paint(`${ACTION_SIGN[action]} ${change.kind} ${change.name}`) + colors.dim(` ${actionPhrase(action, mood)}`)];
  const previous = shown.replaced?.arn ?? change.previousArn;
  lines.push(colors.dim(`    ${previous ? `${previous} -> ${change.arn}` : change.arn}`));
  for (const detail of shown.details) {
    const sign = detailSign(detail);
    const color = sign === '+' ? colors.create : sign === '-' ? colors.delete : colors.update;
    lines.push(color(`    ${sign} ${detailLine(detail)}`));
    for (const line of documentLines(detail)) {
      const text = `        ${line.sign === '@' ? '' : `${line.sign} `}${line.text}`;
      lines.push(line.sign === '+' ? colors.create(text) : line.sign === '-' ? colors.delete(text) : colors.dim(text));
    }
  }
  const credentials = action === 'delete' ? deletedCredentialsLine(change) : undefined;
  if (credentials) lines.push(colors.delete(`    - ${credentials}`));
  lines.push(colors.dim(`    # ${change.reason}`));
  if (change.origin) lines.push(colors.dim(`    # ${ORIGIN_WORDS[change.origin]}${change.files?.length ? `: ${change.files.join(', ')}` : ''}`));
  return lines;
}
