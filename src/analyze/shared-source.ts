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
  const sides = [populationsOf(before, renamed), populationsOf(after, (arn) => arn)];
  // Built only when some item is exactly a group's members (or a policy's holders): its cause is then checked.
  let resolvers: readonly [PrincipalResolver, PrincipalResolver] | undefined;
  const documents = (side: 0 | 1, arn: string): PrincipalDocuments | undefined => (resolvers ??= [new PrincipalResolver(before), new PrincipalResolver(after)])[side].documents(arn);
  const previous = new Map([...moves].map(([old, now]) => [now, old]));
  const keys = new Map<PolicyJson, string>();
  const documentKey = (document: PolicyJson): string => {
    let key = keys.get(document);
    if (key === undefined) keys.set(document, (key = stableStringify(document)));
    return key;
  };
  return deltas.map((delta) => {
    if (delta.principals.length < 2) return delta;
    const wanted = new Set(delta.principals);
    // The candidates are the groups and policies of any one of its principals (the first), on either side.
    const first = delta.principals[0]!;
    const candidates = new Map<string, SharedSource>();
    for (const side of sides) for (const source of side.sourcesOf(first)) candidates.set(`${source.kind} ${source.arn}`, source);
    const exact = [...candidates.values()].filter((source) => {
      const found = sides.map((side) => side.matches(source, wanted));
      return found.includes('same') && !found.includes('other');
    });
    // Groups first (a reviewer knows them as populations), then policies; by name, so the choice is stable.
    exact.sort((x, y) => Number(x.kind === 'policy') - Number(y.kind === 'policy') || x.arn.localeCompare(y.arn));
    const cause = exact.find((source) => delta.principals.every((arn) => reachesOnlyThrough(source, documents(0, previous.get(arn) ?? arn), documents(1, arn), before, after, documentKey)));
    return cause ? { ...delta, through: cause } : delta;
  });
}

interface Populations {
  /** A principal's groups and managed policies (attached directly or through a group). */
  sourcesOf(principal: string): readonly SharedSource[];
  /** Whether a group's members (a managed policy's holders) are exactly these principals, none, or others. */
  matches(source: SharedSource, principals: ReadonlySet<string>): 'same' | 'none' | 'other';
}

/**
 * A state's groups' members and managed policies' holders, under the ARNs principals have after the change. Only
 * the direct links are indexed; a policy's holders through groups are gathered when asked (at quota, every member
 * of every group times each of its policies would be most of the work).
 */
function populationsOf(state: IamState, rename: (arn: string) => string): Populations {
  const members = new Map<string, string[]>();
  const direct = new Map<string, string[]>();
  const attachingGroups = new Map<string, string[]>();
  const push = (map: Map<string, string[]>, key: string, value: string): void => {
    const list = map.get(key);
    if (list) list.push(value);
    else map.set(key, [value]);
  };
  for (const user of state.users.values()) for (const g of new Set(user.groups.map((x) => x.toLowerCase()))) if (state.groups.has(g)) push(members, g, rename(user.arn));
  for (const entity of [...state.users.values(), ...state.roles.values()]) for (const arn of new Set(entity.managedPolicies)) push(direct, arn, rename(entity.arn));
  for (const [key, group] of state.groups) for (const arn of new Set(group.managedPolicies)) push(attachingGroups, arn, key);
  const byArn = new Map<string, UserState | RoleState>();
  for (const entity of [...state.users.values(), ...state.roles.values()]) byArn.set(rename(entity.arn), entity);
  return {
    sourcesOf(principal) {
      const entity = byArn.get(principal);
      if (!entity) return [];
      const groups = entity.kind === 'user' ? [...new Set(entity.groups.map((g) => g.toLowerCase()))].flatMap((g) => state.groups.get(g) ?? []) : [];
      const policies = new Set([...entity.managedPolicies, ...groups.flatMap((g) => g.managedPolicies)]);
      return [...groups.map((g): SharedSource => ({ kind: 'group', name: g.name, arn: g.arn })), ...[...policies].map((arn): SharedSource => ({ kind: 'policy', name: arn.slice(arn.lastIndexOf('/') + 1), arn }))];
    },
    matches(source, principals) {
      // Stops at the first principal outside the set: most candidates are told apart at once.
      const lists = source.kind === 'group' ? [members.get(source.name.toLowerCase()) ?? []] : [direct.get(source.arn) ?? [], ...(attachingGroups.get(source.arn) ?? []).map((g) => members.get(g) ?? [])];
      const seen = new Set<string>();
      for (const list of lists) {
        for (const arn of list) {
          if (!principals.has(arn)) return 'other';
          seen.add(arn);
        }
      }
      return seen.size === 0 ? 'none' : seen.size === principals.size ? 'same' : 'other';
    },
  };
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
