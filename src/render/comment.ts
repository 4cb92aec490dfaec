/**
 * The plan as one pull-request comment (and job summary): pure, from the plan JSON. A reviewer reads, in order:
 * the verdict (broadening, narrowing, mixed, no access change) with counts and a loud banner for deletions and
 * critical or high findings; the findings; who gains or loses what (per principal or group of principals, by
 * service and access level); trust and reach changes (with a Mermaid diagram); the resource changes; and a footer
 * saying what happens next. Long sections are folded in `<details>`.
 *
 * Size: the comment never exceeds `limit` characters (GitHub refuses bodies over 65,536). It degrades section by
 * section, most detailed first: documents' diffs go, then per-entry detail (principals keep a headline), then
 * everything but the counts; each shortened section says where the full report is.
 *
 * Safety: every string from manifests or live IAM goes through markdown-safe (`text`, `html`, `fence`,
 * `mermaidLabel`), so names and documents cannot change the structure, ping, link, or fake the marker.
 */
import type { AccessDelta } from '../analyze/access-delta.js';
import type { PlanFinding } from '../analyze/plan-findings.js';
import type { TrustDelta } from '../analyze/trust-delta.js';
import type { FindingSeverity } from '../analyze/findings.js';
import type { ActionCatalog } from '../catalog/action-catalog.js';
import { protectedMatcher } from '../core/arn.js';
import type { Change, Plan } from '../plan/plan.js';
import { conditionWords, deltaHeadline, grantNotes, DRIFT_LABELS, entryLines, PLAN_LABELS, principalName, type DeltaWords } from './access.js';
import { actionPhrase, detailLine, detailSign, documentLines, shownChanges, snapshotChangeWarning, type Mood, type ShownChange } from './describe-change.js';
import { code, fence, html, htmlCode, mermaidLabel, text } from './markdown-safe.js';

export const COMMENT_LIMIT = 65_536;
/** GitHub's limit for a step's job summary. */
export const SUMMARY_LIMIT = 1_048_576;

export type Verdict = 'broadening' | 'narrowing' | 'mixed' | 'no access change';

export interface CommentOptions {
  /** The config repo folder the plan is for: the sticky comment's marker names it. */
  readonly folder: string;
  /** At most this many characters (default 65,536). */
  readonly limit?: number;
  /** Where the full report is, when the comment is shortened: "the job summary of this run", a URL. */
  readonly fullReport?: string;
  /** What happens next, for the footer. Default: merging applies the plan; each push plans again. */
  readonly nextSteps?: string;
  /** Said under the counts, e.g. that live IAM came from a committed snapshot rather than AWS (fork pull requests). */
  readonly liveNote?: string;
  /**
   * `plan` (default): what merging would change. `drift`: what live IAM has that the manifests do not say, read from
   * a drift plan (`driftView`): access and trust as live IAM has them beyond (or short of) the manifests, findings
   * the drift introduced, and the changes that would restore the manifests.
   */
  readonly perspective?: 'plan' | 'drift';
}

/** The words that differ between a plan's comment and a drift report; the structure is the same. */
interface Words {
  readonly marker: (folder: string) => string;
  readonly title: string;
  readonly changesVerb: string;
  readonly introduces: string;
  readonly gainCount: (n: number) => string;
  readonly loseCount: (n: number) => string;
  readonly findingsCounted: string;
  readonly accessHeading: string;
  readonly accessIntro: (gaining: number, losing: number) => string;
  readonly granted: string;
  readonly revoked: string;
  readonly delta: DeltaWords;
  readonly trustIntro: string;
  readonly edges: readonly [string, string];
  readonly changesHeading: string;
  /** How a change is told: what apply will do (`will be deleted`), or what drifted (`exists in live IAM, and the manifests say it should not`). */
  readonly mood: Mood;
  readonly causedBy: string;
  readonly next: string;
  readonly noChangesNext: string;
}

const plural = (n: number, one: string, many: string): string => (n === 1 ? `1 ${one}` : `${n} ${many}`);

const PLAN_WORDS: Words = {
  marker: (folder) => commentMarker(folder),
  title: 'iam-gitops',
  changesVerb: 'This plan',
  introduces: 'It introduces',
  gainCount: (n) => `**${n}** ${n === 1 ? 'principal gains' : 'principals gain'} access`,
  loseCount: (n) => `**${n}** ${n === 1 ? 'loses' : 'lose'}`,
  findingsCounted: 'findings introduced',
  accessHeading: 'Access changes',
  accessIntro: (g, l) => `${g === 1 ? '1 principal gains' : `${g} principals gain`} and ${l === 1 ? '1 loses' : `${l} lose`} permissions (exact, by principal; identical changes share one item).`,
  granted: 'Can now',
  revoked: 'Can no longer',
  delta: PLAN_LABELS,
  trustIntro: 'Who gains (+) or loses (−) the ability to assume each role, directly or through other roles.',
  edges: ['-->|can now assume|', '-.->|no longer|'],
  changesHeading: 'Changes',
  mood: 'proposal',
  causedBy: 'Caused by',
  next: 'What happens next: merging this pull request applies the plan (the apply workflow plans again at the merge commit); every push plans again and updates this comment.',
  noChangesNext: 'Nothing to apply: live IAM already matches these manifests. Every push plans again and updates this comment.',
};

const DRIFT_WORDS: Words = {
  marker: (folder) => driftMarker(folder),
  title: 'iam-gitops drift',
  changesVerb: 'Restoring the manifests',
  introduces: 'The drift introduces',
  gainCount: (n) => `**${n}** ${n === 1 ? 'principal has' : 'principals have'} access the manifests do not grant`,
  loseCount: (n) => `**${n}** ${n === 1 ? 'lacks' : 'lack'} access they grant`,
  findingsCounted: 'findings the drift introduces',
  accessHeading: 'Access drift',
  accessIntro: (g, l) => `Compared with the manifests, live IAM lets ${plural(g, 'principal', 'principals')} do more and ${plural(l, 'principal', 'principals')} do less (exact, by principal; identical drift shares one item).`,
  granted: 'Can, though the manifests do not grant it',
  revoked: 'Cannot, though the manifests grant it',
  delta: DRIFT_LABELS,
  trustIntro: 'Who can (+) or cannot (−) assume each role in live IAM, compared with the manifests, directly or through other roles.',
  edges: ['-->|can assume, out of band|', '-.->|cannot, out of band|'],
  changesHeading: 'Changes that restore the manifests',
  mood: 'drift',
  causedBy: 'Where it differs',
  next: 'Live IAM differs from the manifests on the default branch. Apply them to restore what they say, or change the manifests to adopt what live IAM has (`iam-gitops import` writes them); this report is updated on every scheduled run and closed when the drift is gone.',
  noChangesNext: 'No drift: live IAM matches the manifests.',
};

/** The hidden marker of the drift report (an issue's body) for one manifests folder. */
export function driftMarker(folder: string): string {
  return `<!-- iam-gitops:drift:${folder.replace(/[^A-Za-z0-9._/-]/g, '_')} -->`;
}


/** The hidden marker that finds this comment again among a pull request's comments. */
export function commentMarker(folder: string): string {
  // The folder is a path: what a marker may hold is spelled out, so that no name can close the comment early.
  return `<!-- iam-gitops:plan:${folder.replace(/[^A-Za-z0-9._/-]/g, '_')} -->`;
}

/**
 * From the deltas alone: broadening when someone can do or assume more, narrowing when less. With a pull request, its
 * own effect decides (drift apply would revert is not what the pull request does).
 */
export function verdictOf(plan: Pick<Plan, 'access' | 'trust'> & { readonly pullRequest?: Plan['pullRequest'] }): Verdict {
  const source = plan.pullRequest?.effect ?? plan;
  const access = source.access as readonly AccessDelta[];
  const trust = source.trust as readonly TrustDelta[];
  const broadens = access.some((d) => d.granted.length > 0) || trust.some((t) => t.gained.length > 0);
  const narrows = access.some((d) => d.revoked.length > 0) || trust.some((t) => t.lost.length > 0);
  return broadens && narrows ? 'mixed' : broadens ? 'broadening' : narrows ? 'narrowing' : 'no access change';
}

const SEVERITIES: readonly FindingSeverity[] = ['critical', 'high', 'medium', 'low'];

/** The most severe finding the change introduces or raises (accepted risks aside), or `none`. */
export function maxSeverity(plan: Pick<Plan, 'findings'>): FindingSeverity | 'none' {
  const introduced = (plan.findings as readonly PlanFinding[]).filter((f) => f.change === 'introduced' && !f.accepted);
  return SEVERITIES.find((s) => introduced.some((f) => f.severity === s)) ?? 'none';
}

export function renderComment(plan: Plan, catalog: ActionCatalog, options: CommentOptions): string {
  const limit = options.limit ?? COMMENT_LIMIT;
  for (const level of [0, 1, 2] as const) {
    const body = build(plan, catalog, options, level, limit);
    if (body !== undefined && body.length <= limit) return body;
  }
  const body = build(plan, catalog, options, 3, Infinity)!;
  return body.length <= limit ? body : `${body.slice(0, limit - 200)}\n\n…(cut at ${limit.toLocaleString('en-US')} characters: see ${options.fullReport ?? 'the plan JSON'})\n`;
}

/** 0: everything; 1: no documents' diffs or reasons; 2: headlines and tables only; 3: counts only. */
type Level = 0 | 1 | 2 | 3;

/** Lines that know their size: a level that cannot fit stops building as soon as it is over (huge plans). */
class Sink {
  readonly lines: string[] = [];
  private size = 0;
  constructor(private readonly limit: number) {}
  push(...lines: string[]): void {
    for (const line of lines) {
      this.lines.push(line);
      this.size += line.length + 1;
    }
  }
  get full(): boolean {
    return this.size > this.limit;
  }
}

const ICON = { create: '🟢', update: '🟡', delete: '🔴', replace: '🔁' } as const;
const SEVERITY_ICON: Record<FindingSeverity, string> = { critical: '🟥', high: '🟧', medium: '🟨', low: '⬜' };

/** The comment at one level of detail, or undefined as soon as it grows past `limit`. */
function build(plan: Plan, catalog: ActionCatalog, options: CommentOptions, level: Level, limit: number): string | undefined {
  const out = new Sink(limit);
  const words = options.perspective === 'drift' ? DRIFT_WORDS : PLAN_WORDS;
  out.push(words.marker(options.folder));
  const access = plan.access as readonly AccessDelta[];
  const trust = plan.trust as readonly TrustDelta[];
  const findings = plan.findings as readonly PlanFinding[];
  const verdict = verdictOf(plan);
  const mark = { broadening: '🔺', narrowing: '🔻', mixed: '🔀', 'no access change': '⚪' }[verdict];
  out.push(`### ${mark} ${words.title}: ${verdict} · account ${code(plan.account)} · ${text(options.folder)}`, '');

  const snapshotWarning = snapshotChangeWarning(plan.pullRequest);
  if (snapshotWarning) out.push('> [!CAUTION]', `> **${text(snapshotWarning)}**`, '');
  const banner = bannerLines(plan, findings, words);
  if (banner.length) out.push('> [!CAUTION]', ...banner.map((l) => `> ${l}`), '');
  out.push(countsLine(plan, access, findings, words), '');
  if (plan.pullRequest) out.push(...originLines(plan), '');
  if (options.liveNote) out.push(`> [!NOTE]\n> ${text(options.liveNote)}`, '');
  // At level 2, sections list this many times their comment-sized share: the job summary (1 MiB) holds far more.
  const scale = Math.max(1, Math.floor(limit / COMMENT_LIMIT));
  const shortened = (what: string): string => `_${what} shortened to fit: the full report is in ${options.fullReport ?? 'the plan JSON'}._`;

  if (level === 3) {
    out.push(shortened('This report is'), '');
  } else {
    if (findings.length) findingsSection(out, findings, level, shortened, scale, words);
    if (access.length && !out.full) accessSection(out, access, catalog, level, shortened, scale, words);
    if (trust.length && !out.full) trustSection(out, trust, level, shortened, scale, words);
    if (plan.changes.length && !out.full) changesSection(out, plan, level, shortened, scale, words);
    if (plan.unmanaged.length && level < 2 && !out.full) unmanagedSection(out, plan);
    if (out.full) return undefined;
    const notes = plan.diagnostics.filter((d) => d.severity === 'warning');
    if (notes.length && level < 2) {
      out.push(`<details><summary>${notes.length === 1 ? '1 warning' : `${notes.length} warnings`}</summary>`, '');
      for (const d of notes.slice(0, 50)) out.push(`- ${d.at ? `${code(`${d.at.file}:${d.at.line}`)} ` : ''}${text(d.summary)}`);
      if (notes.length > 50) out.push(`- …and ${notes.length - 50} more`);
      out.push('', '</details>', '');
    }
  }
  const made = `Plan of ${text(plan.tool ? `${plan.tool.name} ${plan.tool.version}` : 'iam-gitops')} against ${code(plan.live.source)}; actions as in ${text(plan.catalog ?? catalog.version)}; live IAM fingerprint ${code(plan.live.fingerprint.slice(0, 19))}.`;
  out.push('---', `<sub>${text(options.nextSteps ?? (plan.changes.length ? words.next : words.noChangesNext))} ${made}</sub>`);
  return out.full ? undefined : `${out.lines.join('\n')}\n`;
}

function bannerLines(plan: Plan, findings: readonly PlanFinding[], words: Words): string[] {
  const lines: string[] = [];
  const deletes = shownChanges(plan.changes).filter((c) => c.action === 'delete' || c.action === 'replace');
  if (deletes.length) {
    const names = deletes.slice(0, 5).map((c) => `${c.action === 'replace' ? 'replaces' : 'deletes'} ${c.change.kind} ${code(c.change.name)}`);
    lines.push(`**${words.changesVerb} ${names.join(', ')}${deletes.length > 5 ? ` and ${deletes.length - 5} more` : ''}.**`);
  }
  const serious = findings.filter((f) => f.change === 'introduced' && !f.accepted && (f.severity === 'critical' || f.severity === 'high'));
  if (serious.length) {
    lines.push(`**${words.introduces} ${serious.length === 1 ? 'a' : serious.length} ${serious.some((f) => f.severity === 'critical') ? 'critical' : 'high'}-severity finding${serious.length === 1 ? '' : 's'}:** ${serious.slice(0, 3).map((f) => `${code(f.code)} on ${code(principalName(f.principal))}`).join(', ')}${serious.length > 3 ? ', …' : ''}.`);
  }
  return lines;
}

function countsLine(plan: Plan, access: readonly AccessDelta[], findings: readonly PlanFinding[], words: Words): string {
  const s = plan.summary;
  const gaining = access.filter((d) => d.granted.length).reduce((n, d) => n + d.principals.length, 0);
  const losing = access.filter((d) => d.revoked.length).reduce((n, d) => n + d.principals.length, 0);
  const introduced = findings.filter((f) => f.change === 'introduced' && !f.accepted);
  const bySeverity = SEVERITIES.map((sev) => `${introduced.filter((f) => f.severity === sev).length} ${sev}`).join(', ');
  const changes = plan.changes.length === 0 ? '**No changes**' : `**${s.create + s.update + s.delete - s.replace === 1 ? '1 change' : `${s.create + s.update + s.delete - s.replace} changes`}** (${s.create - s.replace} create, ${s.update} update, ${s.delete - s.replace} delete${s.replace ? `, ${s.replace} replace` : ''})`;
  const removed = findings.filter((f) => f.change === 'removed').length;
  return `${changes} · ${words.gainCount(gaining)}, ${words.loseCount(losing)} · ${words.findingsCounted}: ${bySeverity}${removed ? ` (${removed} removed)` : ''}`;
}

function originLines(plan: Plan): string[] {
  const pr = plan.pullRequest!;
  const count = (o: Change['origin']): number => plan.changes.filter((c) => c.origin === o && c.replacedBy === undefined).length;
  const head = `${code(pr.head.slice(0, 7))}${pr.workingTree ? ' (working tree)' : ''}`;
  const lines = [`This pull request (${code(pr.mergeBase.slice(0, 7))}…${head}) changes ${pr.files.length === 1 ? '1 manifest file' : `${pr.files.length} manifest files`} and causes **${count('pull-request') + count('pull-request+drift')}** of the changes.`];
  const drift = count('drift') + count('pull-request+drift');
  if (drift) lines.push(`**${drift}** ${drift === 1 ? 'change is' : 'changes are'} drift already in live IAM (it differs from the base branch's manifests too): apply would revert ${drift === 1 ? 'it' : 'them'} as well.`);
  if (pr.adopted?.length) lines.push(`It adopts drift on ${pr.adopted.length === 1 ? '1 entity' : `${pr.adopted.length} entities`} (its manifests now say what live IAM has): ${pr.adopted.slice(0, 5).map((a) => `${a.kind} ${code(a.name)}`).join(', ')}${pr.adopted.length > 5 ? ', …' : ''}.`);
  if (pr.note) lines.push(text(pr.note));
  return [lines.join(' ')];
}

function findingsSection(out: Sink, findings: readonly PlanFinding[], level: Level, shortened: (what: string) => string, scale: number, words: Words): void {
  const shown = level >= 2 ? findings.slice(0, 30 * scale) : findings;
  out.push('#### Risk findings', '', `| | Severity | Finding | Principal | What | ${words.causedBy} |`, '|---|---|---|---|---|---|');
  for (const f of shown) {
    if (out.full) return;
    const change = f.severityChange ? `${f.severityChange.from} → ${f.severityChange.to}` : f.change === 'removed' ? 'removed' : 'new';
    const what = `${f.change === 'removed' && !f.severityChange ? '~~' : ''}${text(f.summary)}${f.change === 'removed' && !f.severityChange ? '~~' : ''}${f.accepted ? ` _(accepted: ${text(f.accepted)})_` : ''}`;
    out.push(`| ${SEVERITY_ICON[f.severity]} | ${f.severity} (${change}) | ${code(f.code)} | ${code(principalName(f.principal))} | ${what} | ${(f.causes ?? []).map(text).join('<br>') || '—'} |`);
  }
  if (shown.length < findings.length) out.push('', shortened(`${findings.length - shown.length} more findings:`));
  out.push('');
}

function accessSection(out: Sink, access: readonly AccessDelta[], catalog: ActionCatalog, level: Level, shortened: (what: string) => string, scale: number, words: Words): void {
  const gaining = access.filter((d) => d.granted.length).reduce((n, d) => n + d.principals.length, 0);
  const losing = access.filter((d) => d.revoked.length).reduce((n, d) => n + d.principals.length, 0);
  out.push(`#### ${words.accessHeading}`, '', words.accessIntro(gaining, losing), '');
  const groups = level >= 2 ? access.slice(0, 100 * scale) : access;
  for (const delta of groups) {
    if (out.full) return;
    const who = principalsHtml(delta);
    const headline = html(deltaHeadline(delta, catalog, words.delta));
    if (level >= 2) {
      out.push(`- ${principalsText(delta)}: ${text(deltaHeadline(delta, catalog, words.delta))}`);
      continue;
    }
    out.push(`<details><summary>${who}: ${headline}</summary>`, '');
    for (const [label, entries] of [[words.granted, delta.granted], [words.revoked, delta.revoked]] as const) {
      if (entries.length === 0) continue;
      out.push(`**${label}:**`, '');
      for (const entry of entries) {
        const [first, ...rest] = entryLines(entry, catalog);
        const kept = level === 0 ? rest : rest.filter((l) => !l.startsWith('because '));
        out.push(`- ${text(first!)}${kept.map((r) => `<br><sub>${text(r)}</sub>`).join('')}`);
      }
      out.push('');
    }
    out.push('</details>', '');
  }
  if (groups.length < access.length) out.push(shortened(`${access.length - groups.length} more principals' changes:`), '');
}

/** The principals of one access item, for an HTML block: the first ten by name, and a count beyond. */
function principalsHtml(delta: AccessDelta): string {
  const names = delta.principals.slice(0, 10).map((arn) => `${htmlCode(principalName(arn))}${delta.movedFrom?.[arn] ? ` (moved from ${htmlCode(delta.movedFrom[arn]!)})` : ''}`);
  const more = delta.principals.length - names.length;
  return `${delta.principals.length > 1 ? `${delta.principals.length} principals: ` : ''}${names.join(', ')}${more ? ` and ${more} more` : ''}`;
}

function principalsText(delta: AccessDelta): string {
  const names = delta.principals.slice(0, 10).map((arn) => code(principalName(arn)));
  const more = delta.principals.length - names.length;
  return `${delta.principals.length > 1 ? `${delta.principals.length} principals: ` : ''}${names.join(', ')}${more ? ` and ${more} more` : ''}`;
}

function trustSection(out: Sink, trust: readonly TrustDelta[], level: Level, shortened: (what: string) => string, scale: number, words: Words): void {
  out.push('#### Trust and reach', '', words.trustIntro, '');
  if (level <= 1) out.push(...mermaid(trust, words), '');
  const shown = level >= 2 ? trust.slice(0, 50 * scale) : trust;
  for (const t of shown) {
    if (out.full) return;
    const role = `role ${code(principalName(t.role).replace(/^role /, ''))}${t.movedFrom ? ` (moved from ${code(t.movedFrom)})` : ''}`;
    const worth = t.roleFindings.length ? ` — it ${t.roleFindings.slice(0, 2).map((f) => text(f.summary)).join('; ')}` : '';
    if (level >= 2) {
      out.push(`- ${role}: ${t.gained.length} gained, ${t.lost.length} lost${worth}`);
      continue;
    }
    out.push(`- ${role}${worth}`);
    for (const [sign, grants] of [['+', t.gained], ['−', t.lost]] as const) {
      for (const g of grants) {
        const via = g.via?.length ? ` through ${g.via.map((v) => code(principalName(v))).join(' → ')}` : '';
        const when = g.condition ? `, ${text(conditionWords(g.condition as Record<string, Record<string, unknown>>))}` : '';
        const notes = grantNotes(g, sign === '+' ? 'gained' : 'lost', words.mood === 'drift' ? 'drift' : 'proposal').map((n) => `; ${text(n)}`).join('');
        out.push(`  - ${sign} ${text(g.type)} ${code(g.principal)}${via}${when}${notes}`);
      }
    }
  }
  if (shown.length < trust.length) out.push('', shortened(`${trust.length - shown.length} more roles' trust changes:`));
  out.push('');
}

/** The changed assume-role edges: who can newly (solid) or no longer (dashed) assume which role. */
function mermaid(trust: readonly TrustDelta[], words: Words): string[] {
  const ids = new Map<string, string>();
  const id = (key: string): string => {
    if (!ids.has(key)) ids.set(key, `n${ids.size}`);
    return ids.get(key)!;
  };
  const nodes = new Map<string, string>();
  const edges: string[] = [];
  let count = 0;
  for (const t of trust) {
    const role = id(t.role);
    nodes.set(role, `${role}["${mermaidLabel(principalName(t.role))}"]`);
    for (const [grants, arrow] of [[t.gained, words.edges[0]], [t.lost, words.edges[1]]] as const) {
      for (const g of grants) {
        if (count++ >= 60) continue;
        const from = id(`${g.type}:${g.principal}`);
        nodes.set(from, `${from}["${mermaidLabel(g.type === 'user' || g.type === 'role' ? principalName(g.principal) : `${g.type} ${g.principal}`)}"]`);
        edges.push(`  ${from} ${arrow} ${role}`);
      }
    }
  }
  if (edges.length === 0) return [];
  return fence(['flowchart LR', ...[...nodes.values()].map((n) => `  ${n}`), ...edges, ...(count > 60 ? [`  more["…and ${count - 60} more edges"]`] : [])], 'mermaid');
}

function changesSection(out: Sink, plan: Plan, level: Level, shortened: (what: string) => string, scale: number, words: Words): void {
  const shown = shownChanges(plan.changes);
  const rows = level >= 2 ? shown.slice(0, 200 * scale) : shown;
  const origin = plan.pullRequest !== undefined;
  out.push(`#### ${words.changesHeading}`, '', `| | Kind | Name | What | ${origin ? 'Origin | ' : ''}Why |`, `|---|---|---|---|${origin ? '---|' : ''}---|`);
  for (const c of rows) {
    if (out.full) return;
    const fields = [...new Set(c.details.map((d) => d.field))].join(', ') || '—';
    const from = origin ? ` ${c.change.origin === 'drift' ? 'drift' : c.change.origin === 'pull-request+drift' ? 'this PR + drift' : 'this PR'}${c.change.files?.length ? `<br>${c.change.files.map((f) => code(f)).join('<br>')}` : ''} |` : '';
    out.push(`| ${ICON[c.action]} ${c.action} | ${c.change.kind} | ${code(c.change.name)} | ${text(fields)} |${from} ${text(c.change.reason)} |`);
  }
  if (rows.length < shown.length) out.push('', shortened(`${shown.length - rows.length} more changes:`));
  out.push('');
  if (level <= 1) {
    for (const c of rows) {
      if (out.full) return;
      out.push(...changeDetails(c, level, words.mood));
    }
  }
}

function changeDetails(shown: ShownChange, level: Level, mood: Mood): string[] {
  const change = shown.change;
  const previous = shown.replaced?.arn ?? change.previousArn;
  const lines: string[] = [];
  if (previous) lines.push(`# ${previous} -> ${change.arn}`);
  for (const detail of shown.details) {
    lines.push(`${detailSign(detail) === '~' ? '!' : detailSign(detail)} ${detailLine(detail)}`);
    if (level === 0) for (const line of documentLines(detail)) lines.push(line.sign === '@' ? `@@ ${line.text.replace(/^@@ | @@$/g, '')} @@` : `${line.sign}   ${line.text}`);
  }
  return [`<details><summary>${ICON[shown.action]} ${htmlCode(`${change.kind} ${change.name}`)} ${actionPhrase(shown.action, mood)}</summary>`, '', ...fence(lines, 'diff'), '', '</details>', ''];
}

function unmanagedSection(out: Sink, plan: Plan): void {
  const isProtected = protectedMatcher(plan.protected ?? []);
  out.push(
    `<details><summary>${plan.unmanaged.length === 1 ? '1 unmanaged entity' : `${plan.unmanaged.length} unmanaged entities`} (under managedPaths, declared by no manifest)</summary>`,
    '',
    ...plan.unmanaged.slice(0, 200).map((arn) => `- ${code(arn)}${isProtected(arn) ? ' (protected: never deleted)' : ''}`),
    ...(plan.unmanaged.length > 200 ? [`- …and ${plan.unmanaged.length - 200} more`] : []),
    '',
    '</details>',
    '',
  );
}
