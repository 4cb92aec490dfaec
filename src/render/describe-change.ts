/**
 * Words for changes, shared by the text and markdown renderers. The same detail reads differently as a
 * proposal ("will be") and as drift ("was ... outside git"); `Mood` chooses.
 */
import { structuredPatch } from 'diff';
import { tidyPolicy, type PolicyJson } from '../core/policy.js';
import { assertNever } from '../core/diagnostics.js';
import type { Change, ChangeAction, ChangeDetail } from '../plan/plan.js';

export type Mood = 'proposal' | 'drift';

export const ACTION_SIGN: Record<ChangeAction, string> = { create: '+', update: '~', delete: '-' };

export function actionPhrase(action: ChangeAction, mood: Mood): string {
  if (mood === 'drift') return { create: 'is missing from live IAM', update: 'was changed outside git', delete: 'exists in live IAM but is marked deleted' }[action];
  return { create: 'will be created', update: 'will be updated in place', delete: 'will be deleted' }[action];
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
    case 'path':
    case 'description':
    case 'maxSessionDuration':
    case 'permissionsBoundary':
    case 'tag':
    case 'inlinePolicy':
    case 'trustPolicy':
    case 'document':
      return detail.before === null ? '+' : detail.after === null ? '-' : '~';
    default:
      return assertNever(detail, 'change detail');
  }
}

/** One line describing a detail, without its sign; documents are rendered separately by `documentLines`. */
export function detailLine(detail: ChangeDetail): string {
  switch (detail.field) {
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
    case 'trustPolicy':
      return 'trust policy';
    case 'document':
      return 'policy document';
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

export function changeTitle(change: Change): string {
  return `${change.kind} ${change.name}`;
}
