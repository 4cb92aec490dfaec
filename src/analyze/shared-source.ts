/**
 * Access items told as one line for a group, or for a managed policy's holders: "group g0 (347 members) gains ...",
 * not 347 names. An item (principals whose deltas are identical) may be told so exactly when
 *
 * - its principals are all, and only, the group's members (the policy's holders: attached directly or through a
 *   group) on each side of the change where it has any; and
 * - the change reaches each of them only through that group (policy): of the documents that apply to them, the ones
 *   that differ between before and after are all the group's own (its inline policies, and managed policies
 *   attached to it and not otherwise to the principal), or that policy's; their permissions boundary, path and tags
 *   are the same on both sides, and they exist on both.
 *
 * The first condition makes the line hide no one: whoever it stands for has the item's delta (the item groups
 * identical deltas), and whoever has that delta is in the item. The second makes "through the group" true: the
 * group's change is what causes the delta. Anything else is told principal by principal. Pure.
 */
import { stableStringify, type PolicyJson } from '../core/policy.js';
import type { IamState, RoleState, UserState } from '../core/state.js';
import { PrincipalResolver, type PrincipalDocuments } from '../evaluate/principal-policies.js';
import type { AccessDelta } from './access-delta.js';

/** The group whose members (or the managed policy whose holders) an item's principals are exactly. */
export interface SharedSource {
  readonly kind: 'group' | 'policy';
  /** The group's name, or the policy's (the last part of its ARN). */
  readonly name: string;
  readonly arn: string;
}

/** Sets `through` on the items told as one line; the others are returned as they are. */
export function withSharedSources(deltas: readonly AccessDelta[], before: IamState, after: IamState, moves: ReadonlyMap<string, string> = new Map()): AccessDelta[] {
  // One principal is told by name: that says more than "group g0 (1 member)".
  if (!deltas.some((d) => d.principals.length > 1)) return [...deltas];
  const renamed = (arn: string): string => moves.get(arn) ?? arn;
  const sides = [
    { state: before, resolver: new PrincipalResolver(before), rename: renamed },
    { state: after, resolver: new PrincipalResolver(after), rename: (arn: string) => arn },
  ];
  // Each candidate: the sorted ARNs (after the change) of its members or holders on each side.
  const candidates = new Map<string, { source: SharedSource; populations: Set<string>[] }>();
  for (const [index, { state, rename }] of sides.entries()) {
    const add = (key: string, source: SharedSource, principal: string | undefined): void => {
      let found = candidates.get(key);
      if (!found) candidates.set(key, (found = { source, populations: [new Set(), new Set()] }));
      if (principal) found.populations[index]!.add(rename(principal));
    };
    for (const group of state.groups.values()) add(`group ${group.name.toLowerCase()}`, { kind: 'group', name: group.name, arn: group.arn }, undefined);
    for (const user of state.users.values()) {
      for (const name of user.groups) {
        const group = state.groups.get(name.toLowerCase());
        if (group) add(`group ${group.name.toLowerCase()}`, { kind: 'group', name: group.name, arn: group.arn }, user.arn);
      }
    }
    for (const entity of [...state.users.values(), ...state.roles.values()]) {
      const groups = entity.kind === 'user' ? entity.groups.flatMap((g) => state.groups.get(g.toLowerCase()) ?? []) : [];
      for (const arn of new Set([...entity.managedPolicies, ...groups.flatMap((g) => g.managedPolicies)])) add(`policy ${arn}`, { kind: 'policy', name: arn.slice(arn.lastIndexOf('/') + 1), arn }, entity.arn);
    }
  }
  const byPopulation = new Map<string, { key: string; source: SharedSource }[]>();
  for (const [key, { source, populations }] of candidates) {
    const nonEmpty = populations.filter((p) => p.size > 0);
    if (nonEmpty.length === 0 || nonEmpty.some((p) => p.size < 2)) continue;
    const written = nonEmpty.map((p) => [...p].sort().join('\n'));
    if (written.some((w) => w !== written[0])) continue;
    const list = byPopulation.get(written[0]!) ?? [];
    list.push({ key, source });
    byPopulation.set(written[0]!, list);
  }
  if (byPopulation.size === 0) return [...deltas];
  const previous = new Map([...moves].map(([old, now]) => [now, old]));
  const keys = new Map<PolicyJson, string>();
  const documentKey = (document: PolicyJson): string => {
    let key = keys.get(document);
    if (key === undefined) keys.set(document, (key = stableStringify(document)));
    return key;
  };
  return deltas.map((delta) => {
    if (delta.principals.length < 2) return delta;
    const found = byPopulation.get([...delta.principals].sort().join('\n'));
    if (!found) return delta;
    // Groups first (a reviewer knows them as populations), then policies; by name, so the choice is stable.
    const ordered = [...found].sort((a, b) => Number(a.source.kind === 'policy') - Number(b.source.kind === 'policy') || a.key.localeCompare(b.key));
    const cause = ordered.find(({ source }) =>
      delta.principals.every((arn) => reachesOnlyThrough(source, sides[0]!.resolver.documents(previous.get(arn) ?? arn), sides[1]!.resolver.documents(arn), before, after, documentKey)),
    );
    return cause ? { ...delta, through: cause.source } : delta;
  });
}

/** Whether the documents that differ for this principal are all the source's (see the module comment). */
function reachesOnlyThrough(source: SharedSource, was: PrincipalDocuments | undefined, is: PrincipalDocuments | undefined, before: IamState, after: IamState, documentKey: (d: PolicyJson) => string): boolean {
  if (!was || !is) return false;
  if (was.entity.path !== is.entity.path || stableStringify(was.entity.tags) !== stableStringify(is.entity.tags)) return false;
  if ((was.boundary === undefined) !== (is.boundary === undefined)) return false;
  if (was.boundary && is.boundary && (was.boundary.name !== is.boundary.name || documentKey(was.boundary.document) !== documentKey(is.boundary.document))) return false;
  const keyed = (docs: PrincipalDocuments): Map<string, number> => {
    const counts = new Map<string, number>();
    for (const d of docs.identity) {
      const key = `${d.name}\u0000${documentKey(d.document)}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    return counts;
  };
  const [a, b] = [keyed(was), keyed(is)];
  const differing: { name: string; state: IamState; entity: UserState | RoleState }[] = [];
  for (const [key, n] of a) if ((b.get(key) ?? 0) !== n) differing.push({ name: key.slice(0, key.indexOf('\u0000')), state: before, entity: was.entity });
  for (const [key, n] of b) if ((a.get(key) ?? 0) !== n) differing.push({ name: key.slice(0, key.indexOf('\u0000')), state: after, entity: is.entity });
  if (differing.length === 0) return false;
  return differing.every(({ name, state, entity }) => (source.kind === 'group' ? isGroupDocument(name, source, state, entity) : name === `managed policy ${source.arn}`));
}

/** A document the principal holds through the group alone: the group's inline policy, or a policy only it attaches. */
function isGroupDocument(name: string, group: SharedSource, state: IamState, entity: UserState | RoleState): boolean {
  if (entity.kind !== 'user') return false;
  const own = state.groups.get(group.name.toLowerCase());
  if (!own) return false;
  if (name.startsWith(`group ${own.name}: inline policy `)) return true;
  if (!name.startsWith('managed policy ')) return false;
  const arn = name.slice('managed policy '.length);
  if (!own.managedPolicies.includes(arn) || entity.managedPolicies.includes(arn)) return false;
  // Another of the user's groups attaching it too would make the group's change not the only way it arrives.
  return !entity.groups.some((g) => g.toLowerCase() !== own.name.toLowerCase() && state.groups.get(g.toLowerCase())?.managedPolicies.includes(arn));
}
