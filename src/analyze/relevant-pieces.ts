/**
 * The statements that can matter to a principal's delta. A request's decision changes only if the set of statements
 * that apply to it changes, so only requests some differing statement (one side has it, the other not) applies to
 * can change. A statement both sides share that no differing statement can meet on any request (their actions, or
 * their resources, are disjoint) applies to none of those requests: it cannot change what is granted or revoked, nor
 * how an entry reads, and is left out.
 *
 * This is what lets principals share work: 2,000 members of a changed group each hold their own policy on their own
 * bucket; left out, what remains of each is the same, so their delta is computed once (see `principalDelta`). The
 * delta is a function of what remains alone, so which principal computed it first (or on which thread) does not
 * matter.
 */
import { intersectResourcePatterns } from '../evaluate/resource-patterns.js';
import { coverageOf } from './action-classes.js';
import type { DeltaContext } from './delta-context.js';
import type { Piece, Side } from './statement-pieces.js';

/** Both sides without the shared statements that no differing statement can meet. */
export function relevantSides(from: Side, to: Side, context: DeltaContext): { from: Side; to: Side } {
  // A principal created or deleted, or a boundary added or removed: every statement is part of the change.
  if (from.exists !== to.exists || (from.boundary === undefined) !== (to.boundary === undefined)) return { from, to };
  // A statement's place is part of it: the same one in an identity policy and in the boundary are two.
  const placed = (p: Piece, place: 'i' | 'b'): number => (place === 'i' ? p.id : -1 - p.id);
  const keysOf = (side: Side): Set<number> => new Set([...side.identity.map((p) => placed(p, 'i')), ...(side.boundary ?? []).map((p) => placed(p, 'b'))]);
  const fromKeys = keysOf(from);
  const toKeys = keysOf(to);
  const differing: Piece[] = [];
  for (const p of from.identity) if (!toKeys.has(placed(p, 'i'))) differing.push(p);
  for (const p of from.boundary ?? []) if (!toKeys.has(placed(p, 'b'))) differing.push(p);
  for (const p of to.identity) if (!fromKeys.has(placed(p, 'i'))) differing.push(p);
  for (const p of to.boundary ?? []) if (!fromKeys.has(placed(p, 'b'))) differing.push(p);
  const matters = (p: Piece, place: 'i' | 'b', otherKeys: Set<number>): boolean => !otherKeys.has(placed(p, place)) || differing.some((d) => mayMeet(p, d, context));
  const keep = (side: Side, otherKeys: Set<number>): Side => {
    const identity = side.identity.filter((p) => matters(p, 'i', otherKeys));
    const boundary = side.boundary?.filter((p) => matters(p, 'b', otherKeys));
    if (identity.length === side.identity.length && boundary?.length === side.boundary?.length) return side;
    return { identity, ...(boundary ? { boundary } : {}), exists: side.exists };
  };
  return { from: keep(from, toKeys), to: keep(to, fromKeys) };
}

/** The statements of both sides, as a key: equal keys, equal deltas (statements are told apart by policy and place). */
export function sidesKey(from: Side, to: Side): string {
  const ids = (pieces: readonly Piece[] | undefined): string => (pieces ? pieces.map((p) => p.uid).sort((a, b) => a - b).join(',') : '-');
  return `${from.exists ? 1 : 0}${to.exists ? 1 : 0}|${ids(from.identity)}|${ids(from.boundary)}|${ids(to.identity)}|${ids(to.boundary)}`;
}

/**
 * Whether some request could be one both statements apply to, as far as their actions and resources tell: false
 * only when provably not (no common catalog action, or resource patterns that share no ARN). Conditions are not
 * compared: two statements on the same requests meet whatever their conditions say.
 */
function mayMeet(a: Piece, b: Piece, context: DeltaContext): boolean {
  // Ids are small interned numbers: the pair as one number keys the cache.
  const key = a.id < b.id ? a.id * 2 ** 26 + b.id : b.id * 2 ** 26 + a.id;
  let meet = context.meetings.get(key);
  if (meet === undefined) {
    meet = actionsMeet(a, b, context) && resourcesMeet(a, b);
    if (context.meetings.size >= MEETINGS_LIMIT) context.meetings.clear();
    context.meetings.set(key, meet);
  }
  return meet;
}

/** The pairs remembered at most, so that one huge plan cannot grow the cache without bound. */
const MEETINGS_LIMIT = 200_000;

function actionsMeet(a: Piece, b: Piece, context: DeltaContext): boolean {
  const [small, large] = [coverageOf(a, context), coverageOf(b, context)].sort((x, y) => x.size - y.size) as [ReadonlySet<string>, ReadonlySet<string>];
  for (const action of small) if (large.has(action)) return true;
  return false;
}

function resourcesMeet(a: Piece, b: Piece): boolean {
  // NotResource, or no Resource at all: left to the full analysis.
  if (!a.resources || !b.resources || a.notResources || b.notResources) return true;
  return a.resources.some((x) => b.resources!.some((y) => intersectResourcePatterns(x, y)?.length !== 0));
}
