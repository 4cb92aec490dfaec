/**
 * Which planned changes a pull request causes. Pure: the plan of the head's manifests against live IAM, and the
 * changes the base's manifests would need against the same live IAM. A change
 * - absent from the base's changes is the pull request's (live matched the base; the pull request asks for it);
 * - identical in the base's changes is drift (live already differed from the base the same way; apply reverts it
 *   whether or not this pull request merges);
 * - present in both but different is both (say, a drifted role whose trust the pull request edits too).
 */
import type { Change, ChangeOrigin } from './plan.js';
import type { ProviderChange } from './provider-diff.js';

/** A change's identity across two plans of the same live state: what happens to which entity. */
function changeKey(change: Change): string {
  return [change.action, change.kind, change.arn, change.replacedBy ?? '', change.replaces ?? ''].join('\u0000');
}

function changeBody(change: Change): string {
  return JSON.stringify([change.path, change.details, change.differences ?? [], change.previousArn ?? '']);
}

export function classifyChanges(head: readonly Change[], base: readonly Change[], filesOf: (change: Change) => readonly string[]): Change[] {
  return classify(head, base, changeKey, changeBody, filesOf);
}

/** The same for identity providers' changes (`providerChanges`): by action and ARN, then by details. */
export function classifyProviderChanges(head: readonly ProviderChange[], base: readonly ProviderChange[], filesOf: (change: ProviderChange) => readonly string[]): ProviderChange[] {
  return classify(head, base, (c) => `${c.action}\u0000${c.arn}`, (c) => JSON.stringify(c.details), filesOf);
}

function classify<C extends { readonly origin?: ChangeOrigin; readonly files?: readonly string[] }>(head: readonly C[], base: readonly C[], key: (c: C) => string, body: (c: C) => string, filesOf: (change: C) => readonly string[]): C[] {
  const byKey = new Map(base.map((c) => [key(c), c]));
  return head.map((change) => {
    const before = byKey.get(key(change));
    const origin: ChangeOrigin = !before ? 'pull-request' : body(before) === body(change) ? 'drift' : 'pull-request+drift';
    const files = origin === 'drift' ? [] : filesOf(change);
    return { ...change, origin, ...(files.length ? { files } : {}) };
  });
}

/** Changes the base needed that the head does not: drift the pull request adopts (its manifests now say what live IAM has). */
export function adoptedDrift(head: readonly Change[], base: readonly Change[]): Change[] {
  const keys = new Set(head.map(changeKey));
  return base.filter((c) => !keys.has(changeKey(c)));
}
