/**
 * The plan as one pull-request comment (and job summary): pure, from the plan JSON. A reviewer reads, in order:
 * the verdict (broadening, narrowing, mixed, no access change) with counts and a loud banner for deletions and
 * critical or high findings; the findings; who gains or loses what (per principal or group of principals, by
 * service and access level); trust and reach changes (with a Mermaid diagram); the resource changes; and a footer
 * saying what happens next. Long sections are folded in `<details>`.
 *
 * Size: the comment never exceeds `limit` characters (GitHub refuses bodies over 65,536). It degrades step by step
 * (LADDER), access detail and per-principal lists first; the change itself, its documents' diffs, goes last and only
 * as far as it must (whole changes as many as fit, a document too big alone cut, saying so); each shortened section
 * says where the full report is.
 *
 * Safety: every string from manifests or live IAM goes through markdown-safe (`text`, `html`, `fence`,
 * `mermaidLabel`), so names and documents cannot change the structure, ping, link, or fake the marker.
 */
import type { AccessDelta } from '../analyze/access-delta.js';
import { findingsToGate, type PlanFinding } from '../analyze/plan-findings.js';
import { orderFindings } from '../analyze/finding-order.js';
import type { TrustDelta } from '../analyze/trust-delta.js';
import { count } from '../core/plural.js';
import { SEVERITY_ICON, SEVERITY_ORDER, severityCounts, type FindingSeverity } from '../core/severity.js';
import type { ActionCatalog } from '../catalog/action-catalog.js';
import { protectedMatcher } from '../core/arn.js';
import type { Change, ChangeOrigin, Plan } from '../plan/plan.js';
import { conditionWords, deltaHeadline, grantNotes, DRIFT_LABELS, entryLines, movedWord, PLAN_LABELS, principalName, type DeltaWords } from './access.js';
import { actionPhrase, deletedCredentialsLine, detailLine, detailSign, documentLines, shownChanges, snapshotChangeWarning, type Mood, type ShownChange } from './describe-change.js';
import { code, fence, html, htmlCode, mermaidLabel, text } from './markdown-safe.js';
import { providerChangeHeadline, providerDetailLine } from './provider-changes.js';

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

/** The comment's counts: the one plural rule (core/plural.ts), digits ungrouped as the comment has always written them. */
const plural = (n: number, one: string, many: string): string => count(n, one, many, { digits: 'plain' });

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
/** The hidden marker a rightsize pull request's body starts with: one per manifests folder. */
export function rightsizeMarker(folder: string): string {
  return `<!-- iam-gitops:rightsize:${folder.replace(/[^A-Za-z0-9._/-]/g, '_')} -->`;
}

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
  const access = source.access;
  const trust = source.trust;
  const broadens = access.some((d) => d.granted.length > 0) || trust.some((t) => t.gained.length > 0);
  const narrows = access.some((d) => d.revoked.length > 0) || trust.some((t) => t.lost.length > 0);
  return broadens && narrows ? 'mixed' : broadens ? 'broadening' : narrows ? 'narrowing' : 'no access change';
}


/** The most severe finding the change introduces or raises (accepted risks aside), or `none`. */
export function maxSeverity(plan: Pick<Plan, 'findings'> & { readonly pullRequest?: Plan['pullRequest'] }): FindingSeverity | 'none' {
  const introduced = findingsToGate(plan).filter((f) => f.change === 'introduced' && !f.accepted);
  return SEVERITY_ORDER.find((s) => introduced.some((f) => f.severity === s)) ?? 'none';
}

export function renderComment(plan: Plan, catalog: ActionCatalog, options: CommentOptions): string {
  const limit = options.limit ?? COMMENT_LIMIT;
  const ctx = contextOf(plan, catalog, options, limit);
  for (const detail of LADDER) {
    const body = build(ctx, detail, limit);
    if (body !== undefined && body.length <= limit) return body;
  }
  const body = [...headLines(ctx), ctx.shortened('This report is'), '', ...footLines(ctx)].join('\n') + '\n';
  return body.length <= limit ? body : `${body.slice(0, limit - 200)}\n\n…(cut at ${limit.toLocaleString('en-US')} characters: see ${options.fullReport ?? 'the plan JSON'})\n`;
}

/**
 * How much of each section a comment shows. The ladder gives detail up in this order, so that the change itself (its
 * documents' diffs) is the last thing trimmed: the reasons under access entries and groups' member lists; the
 * access entries (one headline per item remains) and the trust diagram and per-grant lines; unmanaged entities,
 * warnings and the tail of the findings table; then access and trust headlines, as many as fit beside every diff;
 * only then the diffs, as many whole changes as fit (the pull request's own first, a document too big alone trimmed,
 * saying so). Each shortened section says where the full report is; below the last step, only the counts remain.
 */
interface Detail {
  /** `entries`: each item's entries with their reasons; `plain-entries`: without reasons; `headlines`: one line per item; `fit`: as many headlines as fit; `none`: a note. */
  readonly access: 'entries' | 'plain-entries' | 'headlines' | 'fit' | 'none';
  /** `full`: the diagram and each grant; `compact`: one line per role; `fit`: as many as fit; `none`: a note. */
  readonly trust: 'full' | 'compact' | 'fit' | 'none';
  /** `capped`: the first rows of the findings table, as many as its share of the comment allows. */
  readonly findings: 'all' | 'capped';
  /** Unmanaged entities and warnings. */
  readonly extras: boolean;
  /** `full`: every change with its diff; `fit`: as many as fit. */
  readonly changes: 'full' | 'fit';
  /** Headline lists are cut at their share of the comment. */
  readonly capped: boolean;
}

const LADDER: readonly Detail[] = [
  { access: 'entries', trust: 'full', findings: 'all', extras: true, changes: 'full', capped: false },
  { access: 'plain-entries', trust: 'full', findings: 'all', extras: true, changes: 'full', capped: false },
  { access: 'headlines', trust: 'compact', findings: 'all', extras: true, changes: 'full', capped: false },
  { access: 'headlines', trust: 'compact', findings: 'capped', extras: false, changes: 'full', capped: true },
  { access: 'fit', trust: 'fit', findings: 'capped', extras: false, changes: 'full', capped: true },
  { access: 'none', trust: 'none', findings: 'capped', extras: false, changes: 'fit', capped: true },
];

/** What every step of the ladder shares: the plan's parts, in the order they are listed. */
interface Context {
  readonly plan: Plan;
  readonly catalog: ActionCatalog;
  readonly options: CommentOptions;
  readonly words: Words;
  readonly access: readonly AccessDelta[];
  readonly trust: readonly TrustDelta[];
  /**
   * Introduced before removed, most severe first (finding-order.ts). With a pull request, access, trust and findings
   * list its own first; drift apply would revert anyway (origin `drift`) follows, told apart.
   */
  readonly findings: readonly PlanFinding[];
  readonly shown: readonly ShownChange[];
  /** Sections list this many times their comment-sized share: the job summary (1 MiB) holds far more. */
  readonly scale: number;
  readonly shortened: (what: string) => string;
  /** Each change's table row and diff block, computed once for every step. */
  readonly changeParts: () => readonly { readonly row: string; readonly block: readonly string[] }[];
}

function contextOf(plan: Plan, catalog: ActionCatalog, options: CommentOptions, limit: number): Context {
  const shown = shownChanges(plan.changes);
  const words = options.perspective === 'drift' ? DRIFT_WORDS : PLAN_WORDS;
  let parts: { row: string; block: string[] }[] | undefined;
  return {
    plan,
    catalog,
    options,
    words,
    access: ownFirst(plan.access),
    trust: ownFirst(plan.trust),
    // Drift the pull request adopts has no finding in the plan (nothing changes in IAM); its own effect has them.
    findings: ownFirst(orderFindings(findingsToGate(plan))),
    shown,
    scale: Math.max(1, Math.floor(limit / COMMENT_LIMIT)),
    shortened: (what) => `_${what} shortened to fit: the full report is in ${options.fullReport ?? 'the plan JSON'}._`,
    changeParts: () => (parts ??= shown.map((c) => ({ row: changeRow(c, plan.pullRequest !== undefined), block: changeDetails(c, words.mood) }))),
  };
}

/**
 * Drift a pull request's merge would revert, which the base branch's manifests already asked for: not what the pull
 * request does. Only plans with a pull request mark items so; without one, everything is the change's own.
 */
const isDrift = (item: { readonly origin?: ChangeOrigin }): boolean => item.origin === 'drift';
const isOwn = (item: { readonly origin?: ChangeOrigin }): boolean => item.origin !== 'drift';

/** The pull request's own items, then the drift (each part in its order). */
function ownFirst<T extends { readonly origin?: ChangeOrigin }>(items: readonly T[]): T[] {
  return [...items.filter(isOwn), ...items.filter(isDrift)];
}

/** Said once, where drift items start in a section. */
const DRIFT_APART = "**Drift this pull request would revert** (live IAM already differs from the base branch's manifests; merging applies them, undoing it; not this pull request's doing):";

/** Lines that know their size, and stop being worth building once over `cap` (huge plans). */
class Lines {
  readonly lines: string[] = [];
  private characters = 0;
  constructor(private readonly cap: number = Infinity) {}
  push(...lines: string[]): void {
    for (const line of lines) {
      this.lines.push(line);
      this.characters += line.length + 1;
    }
  }
  /** Characters so far, each line with its newline. */
  get size(): number {
    return this.characters;
  }
  get full(): boolean {
    return this.characters > this.cap;
  }
}

const sizeOf = (lines: readonly string[]): number => lines.reduce((n, l) => n + l.length + 1, 0);

const ICON = { create: '🟢', update: '🟡', delete: '🔴', replace: '🔁' } as const;

/** The comment at one step of the ladder, or undefined when it cannot fit `limit`. */
function build(ctx: Context, detail: Detail, limit: number): string | undefined {
  const head = headLines(ctx);
  const foot = footLines(ctx);
  const findings = ctx.findings.length ? findingsSection(ctx, detail.findings) : [];
  const extras = detail.extras ? extraLines(ctx) : [];
  let room = limit - sizeOf(head) - sizeOf(findings) - sizeOf(extras) - sizeOf(foot);
  if (room < 0) return undefined;
  let access: string[];
  let trust: string[];
  let changes: string[];
  if (detail.changes === 'full') {
    const full = ctx.shown.length ? changesSection(ctx, 'full', room) : [];
    if (full === undefined) return undefined;
    changes = full;
    room -= sizeOf(changes);
    // Trust first, within half of what is left (it is short, one line per role); access takes the rest.
    const t = ctx.trust.length ? trustSection(ctx, detail.trust, detail.trust === 'fit' ? Math.floor(room / 2) : room) : [];
    if (t === undefined) return undefined;
    trust = t;
    room -= sizeOf(trust);
    const a = ctx.access.length ? accessSection(ctx, detail, room) : [];
    if (a === undefined) return undefined;
    access = a;
  } else {
    access = ctx.access.length ? accessSection(ctx, detail, room)! : [];
    trust = ctx.trust.length ? trustSection(ctx, 'none', room)! : [];
    room -= sizeOf(access) + sizeOf(trust);
    const fitted = ctx.shown.length ? changesSection(ctx, 'fit', room) : [];
    if (fitted === undefined) return undefined;
    changes = fitted;
  }
  const body = [...head, ...findings, ...access, ...trust, ...changes, ...extras, ...foot];
  return `${body.join('\n')}\n`;
}

function headLines(ctx: Context): string[] {
  const { plan, words, options } = ctx;
  const out = [words.marker(options.folder)];
  const verdict = verdictOf(plan);
  const mark = { broadening: '🔺', narrowing: '🔻', mixed: '🔀', 'no access change': '⚪' }[verdict];
  out.push(`### ${mark} ${words.title}: ${verdict} · account ${code(plan.account)} · ${text(options.folder)}`, '');

  const snapshotWarning = snapshotChangeWarning(plan.pullRequest);
  if (snapshotWarning) out.push('> [!CAUTION]', `> **${text(snapshotWarning)}**`, '');
  const banner = bannerLines(ctx);
  if (banner.length) out.push('> [!CAUTION]', ...banner.map((l) => `> ${l}`), '');
  out.push(countsLine(ctx), '');
  if (plan.pullRequest) out.push(...originLines(plan), '');
  if (options.liveNote) out.push(`> [!NOTE]\n> ${text(options.liveNote)}`, '');
  out.push(...policyVersionLines(ctx));
  out.push(...providerLines(ctx));
  return out;
}

/** Identity provider changes: few and short, always shown whole (the trust they open or close is in the trust section). */
function providerLines(ctx: Context): string[] {
  const changes = ctx.plan.providerChanges ?? [];
  if (changes.length === 0) return [];
  const origin = (c: (typeof changes)[number]): string => (c.origin === 'drift' ? ' (drift: not this pull request)' : c.origin === 'pull-request+drift' ? ' (this pull request, on top of drift)' : '');
  const lines = changes.map((c) => `- ${ICON[c.action]} ${text(providerChangeHeadline(c))}${text(origin(c))}${c.details.length ? `: ${c.details.map((d) => text(providerDetailLine(d))).join('; ')}` : ''}`);
  return [`**Identity providers** (${plural(changes.length, 'change', 'changes')}):`, ...lines, ''];
}

/** AWS managed policies the manifests use that AWS has changed since the lock file: one line each, with its effect. */
function policyVersionLines(ctx: Context): string[] {
  const updates = ctx.plan.awsManagedPolicyUpdates ?? [];
  if (updates.length === 0) return [];
  const lines = updates.map((u) => {
    const effect = u.access.length ? u.access.map((d) => text(deltaHeadline(d, ctx.catalog))).join('; ') : 'no access change for its holders';
    return `- ${code(u.name)}: ${code(u.lockedVersion)} locked, ${code(u.liveVersion)} in force, held by ${u.holders.length}: ${effect}`;
  });
  return [`**AWS published new versions of ${updates.length === 1 ? 'a policy' : `${updates.length} policies`} the manifests use** (compared with \`aws-managed-policies.lock.json\`; accept with \`iam-gitops drift --update-lock\` and commit it):`, ...lines, ''];
}

function footLines(ctx: Context): string[] {
  const { plan, catalog, options, words } = ctx;
  const made = `Plan of ${text(plan.tool ? `${plan.tool.name} ${plan.tool.version}` : 'iam-gitops')} against ${code(plan.live.source)}; actions as in ${text(plan.catalog ?? catalog.version)}; live IAM fingerprint ${code(plan.live.fingerprint.slice(0, 19))}.`;
  return ['---', `<sub>${text(options.nextSteps ?? (plan.changes.length || plan.providerChanges?.length ? words.next : words.noChangesNext))} ${made}</sub>`];
}

/** Deletions, then the critical and high findings the change introduces, counted by severity. */
function bannerLines(ctx: Context): string[] {
  const { words } = ctx;
  const lines: string[] = [];
  const deletes = ctx.shown.filter((c) => c.action === 'delete' || c.action === 'replace');
  if (deletes.length) {
    const names = deletes.slice(0, 5).map((c) => `${c.action === 'replace' ? 'replaces' : 'deletes'} ${c.change.kind} ${code(c.change.name)}`);
    lines.push(`**${words.changesVerb} ${names.join(', ')}${deletes.length > 5 ? ` and ${deletes.length - 5} more` : ''}.**`);
  }
  const serious = ctx.findings.filter((f) => f.change === 'introduced' && !f.accepted && (f.severity === 'critical' || f.severity === 'high'));
  const own = serious.filter(isOwn);
  const drift = serious.filter(isDrift);
  if (own.length) lines.push(seriousLine(`${words.introduces} `, own));
  if (drift.length) lines.push(seriousLine('Merging also reverts drift, which introduces ', drift));
  return lines;
}

/** `**It introduces 2 critical and 3 high-severity findings:** X on a, Y on b, Z on c, and 2 more.` */
function seriousLine(lead: string, serious: readonly PlanFinding[]): string {
  const counts = (['critical', 'high'] as const).flatMap((sev) => {
    const n = serious.filter((f) => f.severity === sev).length;
    return n ? [serious.length === 1 ? `a ${sev}` : `${n} ${sev}`] : [];
  });
  const listed = serious.slice(0, 3).map((f) => `${code(f.code)} on ${code(principalName(f.principal))}`).join(', ');
  return `**${lead}${counts.join(' and ')}-severity finding${serious.length === 1 ? '' : 's'}:** ${listed}${serious.length > 3 ? `, and ${serious.length - 3} more` : ''}.`;
}

/** Each count is of the items the comment lists: shown changes, distinct principals, findings. */
function countsLine(ctx: Context): string {
  const { words } = ctx;
  const by = (action: ShownChange['action']): number => ctx.shown.filter((c) => c.action === action).length;
  const [create, update, remove, replace] = [by('create'), by('update'), by('delete'), by('replace')];
  const own = ctx.access.filter(isOwn);
  const gaining = distinctPrincipals(own.filter((d) => d.granted.length));
  const losing = distinctPrincipals(own.filter((d) => d.revoked.length));
  const ownFindings = ctx.findings.filter(isOwn);
  const introduced = ownFindings.filter((f) => f.change === 'introduced' && !f.accepted);
  const bySeverity = severityCounts(introduced);
  const total = ctx.shown.length;
  const changes = total === 0 ? '**No changes**' : `**${plural(total, 'change', 'changes')}** (${create} create, ${update} update, ${remove} delete${replace ? `, ${replace} replace` : ''})`;
  const removed = ownFindings.filter((f) => f.change === 'removed').length;
  return `${changes} · ${words.gainCount(gaining)}, ${words.loseCount(losing)} · ${words.findingsCounted}: ${bySeverity}${removed ? ` (${removed} removed)` : ''}${driftCounts(ctx)}`;
}

/** ` · drift it would revert: 2 principals gain access, 1 loses; 1 finding introduced, 1 removed`, when there is any. */
function driftCounts(ctx: Context): string {
  const access = ctx.access.filter(isDrift);
  const findings = ctx.findings.filter(isDrift);
  const trust = ctx.trust.filter(isDrift);
  if (!access.length && !findings.length && !trust.length) return '';
  const gaining = distinctPrincipals(access.filter((d) => d.granted.length));
  const losing = distinctPrincipals(access.filter((d) => d.revoked.length));
  const introduced = findings.filter((f) => f.change === 'introduced' && !f.accepted).length;
  const removed = findings.filter((f) => f.change === 'removed').length;
  const roles = trust.length ? `, ${plural(trust.length, "role's trust", "roles' trust")}` : '';
  return ` · drift it would revert: ${gaining} ${gaining === 1 ? 'principal gains' : 'principals gain'} access, ${losing} ${losing === 1 ? 'loses' : 'lose'}${roles}; ${plural(introduced, 'finding', 'findings')} introduced${removed ? `, ${removed} removed` : ''}`;
}

function distinctPrincipals(items: readonly AccessDelta[]): number {
  return new Set(items.flatMap((d) => d.principals)).size;
}

function originLines(plan: Plan): string[] {
  const pr = plan.pullRequest!;
  // Identity providers' changes count as changes do (a pull request that adds a SAML provider causes a change).
  const count = (o: Change['origin']): number => plan.changes.filter((c) => c.origin === o && c.replacedBy === undefined).length + (plan.providerChanges ?? []).filter((c) => c.origin === o).length;
  const head = `${code(pr.head.slice(0, 7))}${pr.workingTree ? ' (working tree)' : ''}`;
  const lines = [`This pull request (${code(pr.mergeBase.slice(0, 7))}…${head}) changes ${plural(pr.files.length, 'manifest file', 'manifest files')} and causes **${count('pull-request') + count('pull-request+drift')}** of the changes.`];
  const drift = count('drift') + count('pull-request+drift');
  if (drift) lines.push(`**${drift}** ${drift === 1 ? 'change is' : 'changes are'} drift already in live IAM (it differs from the base branch's manifests too): apply would revert ${drift === 1 ? 'it' : 'them'} as well.`);
  if (pr.adopted?.length) lines.push(`It adopts drift on ${plural(pr.adopted.length, 'entity', 'entities')} (its manifests now say what live IAM has): ${pr.adopted.slice(0, 5).map((a) => `${a.kind} ${code(a.name)}`).join(', ')}${pr.adopted.length > 5 ? ', …' : ''}.`);
  if (pr.note) lines.push(text(pr.note));
  return [lines.join(' ')];
}

/** The findings table: the change's own; with a pull request, the drift it would revert in a table of its own. */
function findingsSection(ctx: Context, mode: Detail['findings']): string[] {
  const { findings, words } = ctx;
  const shown = mode === 'capped' ? findings.slice(0, 30 * ctx.scale) : findings;
  const header = [`| | Severity | Finding | Principal | What | ${words.causedBy} |`, '|---|---|---|---|---|---|'];
  const row = (f: PlanFinding): string => {
    const change = f.severityChange ? `${f.severityChange.from} → ${f.severityChange.to}` : f.change === 'removed' ? 'removed' : 'new';
    const struck = f.change === 'removed' && !f.severityChange ? '~~' : '';
    const what = `${struck}${text(f.summary)}${struck}${f.accepted ? ` _(accepted: ${text(f.accepted)})_` : ''}${f.acceptedInPullRequest ? ` **(accepted by this pull request, not by the base branch: ${text(f.acceptedInPullRequest)}; it counts until the acceptance is merged on its own)**` : ''}`;
    return `| ${SEVERITY_ICON[f.severity]} | ${f.severity} (${change}) | ${code(f.code)} | ${code(principalName(f.principal))} | ${what} | ${(f.causes ?? []).map(text).join('<br>') || '—'} |`;
  };
  const own = shown.filter(isOwn);
  const drift = shown.filter(isDrift);
  const out = ['#### Risk findings', ''];
  if (own.length) out.push(...header, ...own.map(row));
  else out.push('None of its own.');
  if (drift.length) out.push('', '#### Risk findings of drift it would revert', '', DRIFT_APART, '', ...header, ...drift.map(row));
  if (shown.length < findings.length) out.push('', ctx.shortened(`${findings.length - shown.length} more findings:`));
  out.push('');
  return out;
}

/** The access section at the step's detail, or undefined when it grows past `room` (a `fit` one never does). */
function accessSection(ctx: Context, detail: Detail, room: number): string[] | undefined {
  const { access, catalog, words } = ctx;
  const out = new Lines(room);
  // The intro counts the change's own items (with a pull request, its drift is counted where it starts).
  const own = access.filter(isOwn);
  out.push(`#### ${words.accessHeading}`, '', words.accessIntro(distinctPrincipals(own.filter((d) => d.granted.length)), distinctPrincipals(own.filter((d) => d.revoked.length))), '');
  const omitted = (from: number): string => ctx.shortened(`${plural(access.length - from, 'more access item', 'more access items')} (${plural(distinctPrincipals(access.slice(from)), 'principal', 'principals')}):`);
  if (detail.access === 'none') {
    out.push(omitted(0), '');
    return out.lines;
  }
  if (detail.access === 'headlines' || detail.access === 'fit') {
    const limit = detail.access === 'headlines' && detail.capped ? 100 * ctx.scale : access.length;
    // A `fit` list keeps room for its closing note.
    const reserve = detail.access === 'fit' ? omitted(0).length + 2 : 0;
    let listed = 0;
    for (const [i, delta] of access.slice(0, limit).entries()) {
      const line = `- ${principalsText(delta)}: ${text(deltaHeadline(delta, catalog, words.delta))}`;
      const apart = driftStartsAt(access, i) ? ['', DRIFT_APART, ''] : [];
      if (detail.access === 'fit' && out.size + sizeOf(apart) + line.length + 1 + reserve > room) break;
      out.push(...apart, line);
      listed++;
      if (out.full) return undefined;
    }
    if (listed < access.length) out.push('', omitted(listed));
    out.push('');
    return out.full ? undefined : out.lines;
  }
  for (const [i, delta] of access.entries()) {
    if (driftStartsAt(access, i)) out.push(DRIFT_APART, '');
    out.push(`<details><summary>${principalsHtml(delta)}: ${html(deltaHeadline(delta, catalog, words.delta))}</summary>`, '');
    if (detail.access === 'entries' && delta.through) out.push(`${delta.through.kind === 'group' ? 'Members' : 'Holders'}: ${namesText(delta, 10)}`, '');
    for (const [label, entries] of [[words.granted, delta.granted], [words.revoked, delta.revoked]] as const) {
      if (entries.length === 0) continue;
      out.push(`**${label}:**`, '');
      for (const entry of entries) {
        const [first, ...rest] = entryLines(entry, catalog);
        const kept = detail.access === 'entries' ? rest : rest.filter((l) => !l.startsWith('because '));
        out.push(`- ${text(first!)}${kept.map((r) => `<br><sub>${text(r)}</sub>`).join('')}`);
      }
      out.push('');
    }
    out.push('</details>', '');
    if (out.full) return undefined;
  }
  return out.lines;
}

/** Whether item `i` is the first drift item of a list that has the pull request's own first. */
function driftStartsAt(items: readonly { readonly origin?: ChangeOrigin }[], i: number): boolean {
  return isDrift(items[i]!) && (i === 0 || !isDrift(items[i - 1]!));
}

/** Who an item stands for, in an HTML block: a group (policy) told as one, or the first ten by name and a count. */
function principalsHtml(delta: AccessDelta): string {
  if (delta.through) return sourceWords(delta, htmlCode);
  const names = delta.principals.slice(0, 10).map((arn) => `${htmlCode(principalName(arn))}${delta.movedFrom?.[arn] ? ` (${movedWord(arn, delta.movedFrom[arn]!)} ${htmlCode(delta.movedFrom[arn]!)})` : ''}`);
  const more = delta.principals.length - names.length;
  return `${delta.principals.length > 1 ? `${delta.principals.length} principals: ` : ''}${names.join(', ')}${more ? ` and ${more} more` : ''}`;
}

/** Who an item stands for, in markdown, on one line: a group (policy) told as one, or the first three and a count. */
function principalsText(delta: AccessDelta): string {
  if (delta.through) return sourceWords(delta, code);
  return `${delta.principals.length > 1 ? `${delta.principals.length} principals: ` : ''}${namesText(delta, 3)}`;
}

/** `group <code>developers</code> (347 members)`: an item that is exactly a group's members (a policy's holders). */
function sourceWords(delta: AccessDelta, name: (value: string) => string): string {
  const through = delta.through!;
  const n = delta.principals.length.toLocaleString('en-US');
  return through.kind === 'group' ? `group ${name(through.name)} (${n} members)` : `holders of policy ${name(through.name)} (${n} principals)`;
}

function namesText(delta: AccessDelta, count: number): string {
  const names = delta.principals.slice(0, count).map((arn) => `${code(principalName(arn))}${delta.movedFrom?.[arn] ? ` (${movedWord(arn, delta.movedFrom[arn]!)} ${code(delta.movedFrom[arn]!)})` : ''}`);
  const more = delta.principals.length - names.length;
  return `${names.join(', ')}${more ? ` and ${more} more` : ''}`;
}

function trustSection(ctx: Context, mode: Detail['trust'], room: number): string[] | undefined {
  const { trust, words } = ctx;
  const out = new Lines(room);
  out.push('#### Trust and reach', '', words.trustIntro, '');
  const omitted = (from: number): string => ctx.shortened(`${plural(trust.length - from, "more role's trust changes", "more roles' trust changes")}:`);
  if (mode === 'none') {
    out.push(omitted(0), '');
    return out.lines;
  }
  if (mode === 'full') out.push(...mermaid(trust, words), '');
  const limit = mode === 'compact' ? 50 * ctx.scale : trust.length;
  const reserve = mode === 'fit' ? omitted(0).length + 2 : 0;
  let listed = 0;
  for (const [i, t] of trust.slice(0, limit).entries()) {
    if (driftStartsAt(trust, i)) out.push('', DRIFT_APART, '');
    const role = `role ${code(principalName(t.role).replace(/^role /, ''))}${t.movedFrom ? ` (moved from ${code(t.movedFrom)})` : ''}`;
    const worst = [...t.roleFindings].sort((a, b) => SEVERITY_ORDER.indexOf(a.severity as FindingSeverity) - SEVERITY_ORDER.indexOf(b.severity as FindingSeverity));
    const worth = worst.length ? ` — it ${worst.slice(0, 2).map((f) => text(f.summary)).join('; ')}` : '';
    if (mode !== 'full') {
      const line = `- ${role}: ${t.gained.length} gained, ${t.lost.length} lost${worth}`;
      if (mode === 'fit' && out.size + line.length + 1 + reserve > room) break;
      out.push(line);
    } else {
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
    listed++;
    if (out.full) return undefined;
  }
  if (listed < trust.length) out.push('', omitted(listed));
  out.push('');
  return out.full ? undefined : out.lines;
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

/**
 * The changes: a table, then each change's diff. `full`: all of them, or undefined past `room`. `fit`: whole changes
 * as many as fit in `room`, the pull request's own before drift it would revert (then in plan order); a change too
 * big to fit alone is cut to what is left, saying so; the rest are counted and left to the full report.
 */
function changesSection(ctx: Context, mode: Detail['changes'], room: number): string[] | undefined {
  const { words } = ctx;
  const origin = ctx.plan.pullRequest !== undefined;
  const heading = [`#### ${words.changesHeading}`, '', `| | Kind | Name | What | ${origin ? 'Origin | ' : ''}Why |`, `|---|---|---|---|${origin ? '---|' : ''}---|`];
  const parts = ctx.changeParts();
  if (mode === 'full') {
    const out = new Lines(room);
    out.push(...heading, ...parts.map((p) => p.row), '');
    if (out.full) return undefined;
    for (const p of parts) {
      out.push(...p.block);
      if (out.full) return undefined;
    }
    return out.lines;
  }
  const note = (n: number): string => ctx.shortened(`${plural(n, 'more change', 'more changes')} (with ${n === 1 ? 'its diff' : 'their diffs'}):`);
  const budget = room - sizeOf(heading) - (note(parts.length).length + 3);
  const order = parts.map((_, i) => i).sort((a, b) => Number(ctx.shown[a]!.change.origin === 'drift') - Number(ctx.shown[b]!.change.origin === 'drift') || a - b);
  const chosen = new Map<number, readonly string[]>();
  let left = budget;
  for (const i of order) {
    const cost = parts[i]!.row.length + 1 + sizeOf(parts[i]!.block);
    if (cost > left) continue;
    chosen.set(i, parts[i]!.block);
    left -= cost;
  }
  // A change too big to fit even alone is shown cut to what is left (when that is worth reading), saying so.
  for (const i of order) {
    const rowCost = parts[i]!.row.length + 1;
    if (chosen.has(i) || rowCost + sizeOf(parts[i]!.block) <= budget || left - rowCost < MIN_CUT_DIFF) continue;
    const cut = changeDetails(ctx.shown[i]!, words.mood, left - rowCost);
    chosen.set(i, cut);
    left -= rowCost + sizeOf(cut);
  }
  const kept = [...chosen.keys()].sort((a, b) => a - b);
  const out = [...heading, ...kept.map((i) => parts[i]!.row)];
  if (kept.length < parts.length) out.push('', note(parts.length - kept.length));
  out.push('');
  for (const i of kept) out.push(...chosen.get(i)!);
  return sizeOf(out) <= room ? out : undefined;
}

/** A diff cut to fit is worth showing from this many characters. */
const MIN_CUT_DIFF = 1_500;

function changeRow(c: ShownChange, withOrigin: boolean): string {
  const fields = [...new Set([...c.details.map((d) => d.field), ...(c.action === 'delete' && c.change.credentials ? ['credentials'] : [])])].join(', ') || '—';
  const from = withOrigin ? ` ${c.change.origin === 'drift' ? 'drift' : c.change.origin === 'pull-request+drift' ? 'this PR + drift' : 'this PR'}${c.change.files?.length ? `<br>${c.change.files.map((f) => code(f)).join('<br>')}` : ''} |` : '';
  return `| ${ICON[c.action]} ${c.action} | ${c.change.kind} | ${code(c.change.name)} | ${text(fields)} |${from} ${text(c.change.reason)} |`;
}

/** A change's diff, folded; with `room`, cut to about that many characters with a line saying how much is left out. */
function changeDetails(shown: ShownChange, mood: Mood, room?: number): string[] {
  const change = shown.change;
  const previous = shown.replaced?.arn ?? change.previousArn;
  const lines: string[] = [];
  if (previous) lines.push(`# ${previous} -> ${change.arn}`);
  for (const detail of shown.details) {
    lines.push(`${detailSign(detail) === '~' ? '!' : detailSign(detail)} ${detailLine(detail)}`);
    for (const line of documentLines(detail)) lines.push(line.sign === '@' ? `@@ ${line.text.replace(/^@@ | @@$/g, '')} @@` : `${line.sign}   ${line.text}`);
  }
  const credentials = shown.action === 'delete' ? deletedCredentialsLine(change) : undefined;
  if (credentials) lines.push(`- ${credentials}`);
  const summary = `<details><summary>${ICON[shown.action]} ${htmlCode(`${change.kind} ${change.name}`)} ${actionPhrase(shown.action, mood)}`;
  const whole = [`${summary}</summary>`, '', ...fence(lines, 'diff'), '', '</details>', ''];
  if (room === undefined || sizeOf(whole) <= room) return whole;
  // Room for the frame, the fences and the closing line; then the diff's lines while they fit.
  let left = room - summary.length - 200;
  const kept: string[] = [];
  for (const line of lines) {
    if (line.length + 1 > left) break;
    kept.push(line);
    left -= line.length + 1;
  }
  const cut = lines.length - kept.length;
  return [`${summary} (diff cut to fit)</summary>`, '', ...fence([...kept, `… ${count(cut, 'more line', 'more lines')} of this diff, cut to fit: the full report has them`], 'diff'), '', '</details>', ''];
}

function extraLines(ctx: Context): string[] {
  const { plan } = ctx;
  const out: string[] = [];
  if (plan.unmanaged.length) {
    const isProtected = protectedMatcher(plan.protected ?? []);
    out.push(
      `<details><summary>${plural(plan.unmanaged.length, 'unmanaged entity', 'unmanaged entities')} (under managedPaths, declared by no manifest)</summary>`,
      '',
      ...plan.unmanaged.slice(0, 200).map((arn) => `- ${code(arn)}${isProtected(arn) ? ' (protected: never deleted)' : ''}`),
      ...(plan.unmanaged.length > 200 ? [`- …and ${plan.unmanaged.length - 200} more`] : []),
      '',
      '</details>',
      '',
    );
  }
  const notes = plan.diagnostics.filter((d) => d.severity === 'warning');
  if (notes.length) {
    out.push(`<details><summary>${plural(notes.length, 'warning', 'warnings')}</summary>`, '');
    for (const d of notes.slice(0, 50)) out.push(`- ${d.at ? `${code(`${d.at.file}:${d.at.line}`)} ` : ''}${text(d.summary)}`);
    if (notes.length > 50) out.push(`- …and ${notes.length - 50} more`);
    out.push('', '</details>', '');
  }
  return out;
}
