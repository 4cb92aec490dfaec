/**
 * Words for changes, shared by the text and markdown renderers. The same detail reads differently as a
 * proposal ("will be") and as drift ("was ... outside git"); `Mood` chooses.
 */
import { structuredPatch } from 'diff';
import { tidyPolicy, type PolicyJson } from '../core/policy.js';
import { count } from '../core/plural.js';
import { assertNever } from '../core/diagnostics.js';
import type { Change, ChangeAction, ChangeDetail, PullRequestContext } from '../plan/plan.js';

export type Mood = 'proposal' | 'drift';

/** What a reader sees as one item: a change, or a replacement (the delete and create halves of one move). */
export type ShownAction = ChangeAction | 'replace';

export const ACTION_SIGN: Record<ShownAction, string> = { create: '+', update: '~', delete: '-', replace: '-/+' };

export function actionPhrase(action: ShownAction, mood: Mood): string {
  if (mood === 'drift') return { create: 'is missing from live IAM', update: 'was changed outside git', delete: 'exists in live IAM, and the manifests say it should not', replace: 'was moved outside git' }[action];
  return { create: 'will be created', update: 'will be updated in place', delete: 'will be deleted', replace: 'will be replaced (deleted, then created at its new path)' }[action];
}

/** Where a change comes from, with a pull request (`origin` on changes and provider changes). */
export const ORIGIN_WORDS = {
  'pull-request': 'caused by this pull request',
  drift: 'drift: live IAM already differs from the base branch; not caused by this pull request',
  'pull-request+drift': 'caused by this pull request, on top of drift from the base branch',
} as const;

export interface ShownChange {
  readonly action: ShownAction;
  /** The change as a reader sees it: for a replacement, the create half (new ARN, reason, source). */
  readonly change: Change;
  /** For a replacement: the delete half (old ARN; what the deletion takes). */
  readonly replaced?: Change;
  /** The details to show: for a replacement, what differs from the old entity, then what goes with the old one. */
  readonly details: readonly ChangeDetail[];
}

/**
 * The plan's changes as a reader sees them: each replacement's two halves joined into one item. Of the old entity's
 * details, a replacement shows only what reaches beyond the entity (detachments from other principals, instance
 * profiles); its own policies are recreated, as `differences` says.
 */
export function shownChanges(changes: readonly Change[]): ShownChange[] {
  const creates = new Map(changes.filter((c) => c.replaces !== undefined).map((c) => [c.replaces!, c]));
  const out: ShownChange[] = [];
  for (const change of changes) {
    if (change.replaces !== undefined) continue;
    const created = change.replacedBy !== undefined ? creates.get(change.arn) : undefined;
    if (created) {
      const beyond = change.details.filter((d) => d.field === 'attachment' || d.field === 'instanceProfile');
      const regained = created.details.filter((d) => d.field === 'instanceProfile');
      out.push({ action: 'replace', change: created, replaced: change, details: [...(created.differences ?? []), ...beyond, ...regained] });
    } else {
      // A changed password policy lists every setting (IAM sets it whole); a reader sees those that change.
      out.push({ action: change.action, change, details: change.details.filter((d) => d.field !== 'passwordPolicy' || d.before !== d.after) });
    }
  }
  return out;
}

/**
 * What a deleted user takes with it, in words ("console password, 1 active access key, 1 MFA device"), where the
 * plan's source read its credentials and it has any; undefined otherwise.
 */
export function deletedCredentialsLine(change: Change): string | undefined {
  const c = change.credentials;
  if (!c) return undefined;
  const parts = [
    ...(c.consolePassword ? ['console password'] : []),
    ...(c.activeAccessKeys ? [count(c.activeAccessKeys, 'active access key')] : []),
    ...(c.inactiveAccessKeys ? [count(c.inactiveAccessKeys, 'inactive access key')] : []),
    ...(c.mfaDevices ? [count(c.mfaDevices, 'MFA device')] : []),
  ];
  return parts.length ? `its credentials go with it: ${parts.join(', ')}` : 'it has no credentials (no console password, access key or MFA device)';
}

/** `+`, `-` or `~` for a detail: what it adds, removes or changes. */
export function detailSign(detail: ChangeDetail): '+' | '-' | '~' {
  switch (detail.field) {
    case 'managedPolicy':
      return detail.op === 'attach' ? '+' : '-';
    case 'group':
      return detail.op === 'add' ? '+' : '-';
    case 'member':
    case 'attachment':
      return '-';
    case 'instanceProfile':
      return detail.op === 'add' ? '+' : '-';
    case 'name':
      return '~';
    case 'path':
    case 'description':
    case 'maxSessionDuration':
    case 'permissionsBoundary':
    case 'tag':
    case 'inlinePolicy':
    case 'trustPolicy':
    case 'document':
    case 'passwordPolicy':
    case 'accountAlias':
      return detail.before === null ? '+' : detail.after === null ? '-' : '~';
    case 'loginProfile':
    case 'accessKey':
      return '-';
    default:
      return assertNever(detail, 'change detail');
  }
}

/** One line describing a detail, without its sign; documents are rendered separately by `documentLines`. */
export function detailLine(detail: ChangeDetail): string {
  switch (detail.field) {
    case 'name':
      return `renamed from ${detail.before} (in place: it keeps its access keys, password, MFA devices and memberships)`;
    case 'path':
      return `path: ${detail.before} -> ${detail.after}${detail.replacement ? ' (forces replacement: IAM cannot move it, so it is deleted and created again)' : ''}`;
    case 'description':
      return settingLine('description', detail.before, detail.after);
    case 'maxSessionDuration':
      return `max session duration: ${detail.before === null ? 'default' : `${detail.before}s`} -> ${detail.after}s`;
    case 'permissionsBoundary':
      return `permissions boundary: ${detail.before ?? 'none'} -> ${detail.after ?? 'none'}`;
    case 'tag':
      return settingLine(`tag ${detail.key}`, detail.before, detail.after);
    case 'inlinePolicy':
      return `inline policy ${detail.name}`;
    case 'managedPolicy':
      return `${detail.op} managed policy ${detail.arn}`;
    case 'group':
      return `${detail.op === 'add' ? 'join' : 'leave'} group ${detail.group}`;
    case 'member':
      return `member ${detail.user} leaves the group`;
    case 'attachment':
      return `detach from ${detail.principal}${detail.as === 'permissionsBoundary' ? ' (as its permissions boundary)' : ''}`;
    case 'instanceProfile':
      if (detail.op === 'remove') return `leave instance profile ${detail.name}${detail.delete ? ', which is deleted' : ''} (EC2 instances using it lose this role's credentials)`;
      return detail.create ? `join instance profile ${detail.name} (created if absent; EC2 instances launched with it get this role's credentials)` : `join instance profile ${detail.name} again (the old role was in it)`;
    case 'trustPolicy':
      return 'trust policy';
    case 'document':
      return 'policy document';
    case 'passwordPolicy': {
      const value = (v: number | boolean | null): string => (v === null ? 'no policy' : String(v));
      return `password policy ${detail.setting}: ${value(detail.before)} -> ${value(detail.after)}`;
    }
    case 'accountAlias':
      return `account alias: ${detail.before ?? 'none'} -> ${detail.after ?? 'none'}`;
    case 'loginProfile':
      return 'delete the console password (credentials.console: false; the user can no longer sign in to the console)';
    case 'accessKey':
      return `delete ${detail.active ? 'active' : 'inactive'} access key ${detail.id}${detail.created ? ` (created ${detail.created.slice(0, 10)})` : ''} (over credentials.accessKeys; programs using it stop working)`;
    default:
      return assertNever(detail, 'change detail');
  }
}

/** `name = "new"` when set, `name (was "old")` when removed, `name: "old" -> "new"` when changed. */
function settingLine(name: string, before: string | null, after: string | null): string {
  if (before === null) return `${name} = ${JSON.stringify(after)}`;
  if (after === null) return `${name} (was ${JSON.stringify(before)})`;
  return `${name}: ${JSON.stringify(before)} -> ${JSON.stringify(after)}`;
}

/** Lines of a policy document change: the whole document for a new one, a unified diff for a changed one. */
export function documentLines(detail: ChangeDetail): { sign: ' ' | '+' | '-' | '@'; text: string }[] {
  if (detail.field !== 'inlinePolicy' && detail.field !== 'trustPolicy' && detail.field !== 'document') return [];
  const before = detail.before ? prettyPolicy(detail.before) : '';
  const after = detail.after ? prettyPolicy(detail.after) : '';
  if (!detail.before) return after.split('\n').map((text) => ({ sign: '+' as const, text }));
  if (!detail.after) return [];
  const patch = structuredPatch('live', 'desired', `${before}\n`, `${after}\n`, '', '', { context: 3 });
  const lines: { sign: ' ' | '+' | '-' | '@'; text: string }[] = [];
  for (const hunk of patch.hunks) {
    lines.push({ sign: '@', text: `@@ line ${hunk.newStart} @@` });
    for (const line of hunk.lines) {
      if (line.startsWith('\\')) continue;
      lines.push({ sign: line[0] as ' ' | '+' | '-', text: line.slice(1) });
    }
  }
  return lines;
}

/** Tidied (canonical order, lists) and indented, so a diff shows meaning, not formatting. */
export function prettyPolicy(document: PolicyJson): string {
  return JSON.stringify(tidyPolicy(document), null, 2);
}

/**
 * The warning when a pull request changes the snapshot its plan reads live IAM from (a fork editing live IAM to
 * match its change): said first, in the text plan and the comment. Undefined when it does not.
 */
export function snapshotChangeWarning(pr: PullRequestContext | undefined): string | undefined {
  const snapshot = pr?.snapshot;
  if (!snapshot?.change) return undefined;
  const verb = { modified: 'changes', deleted: 'deletes', replaced: 'replaces' }[snapshot.change];
  return `This pull request ${verb} ${snapshot.path}, the snapshot of live IAM it is planned against. A pull request cannot say what live IAM is: this plan is against the base's copy (${snapshot.base.slice(0, 7)}), not the pull request's. A snapshot should only ever change by a fresh export of the account (iam-gitops snapshot --aws): review that change on its own.`;
}

export function changeTitle(change: Change): string {
  return `${change.kind} ${change.name}`;
}
