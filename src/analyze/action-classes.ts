/**
 * The request space's first cut: catalog actions grouped into classes whose statement slices (the statements
 * covering them, on each side) are the same. A principal's decision on an action depends only on its slice, so
 * actions whose slices did not change cannot change, and the actions of one class change alike.
 */
import type { ActionCatalog } from '../catalog/action-catalog.js';
import { addTo } from '../core/multimap.js';
import { ALWAYS_ALLOWED_ACTION, SERVICE_REFUSALS, type ServiceRefusal } from '../evaluate/service-rules.js';
import type { DeltaContext } from './delta-context.js';
import type { Piece, Side } from './statement-pieces.js';

/**
 * Classes of catalog actions whose statement slices differ between the two sides. The partition is the same
 * whichever side is "before", so it is computed once per principal and used for both granted and revoked.
 */
export function actionClasses(from: Side, to: Side, context: DeltaContext): { actions: string[] }[] {
  // A statement is told apart by where it sits too: the same one in an identity policy and in the boundary are two
  // (a group given the statement its members' boundary already has changes what they may do).
  const placed = (side: Side): { piece: Piece; key: string }[] => [...side.identity.map((piece) => ({ piece, key: `i${piece.sig}` })), ...(side.boundary ?? []).map((piece) => ({ piece, key: `b${piece.sig}` }))];
  const [fromPlaced, toPlaced] = [placed(from), placed(to)];
  const fromSigs = new Set(fromPlaced.map((p) => p.key));
  const toSigs = new Set(toPlaced.map((p) => p.key));
  const differing = [...fromPlaced, ...toPlaced].filter((p) => fromSigs.has(p.key) !== toSigs.has(p.key) || from.exists !== to.exists).map((p) => p.piece);
  // A boundary added or removed changes every action an Allow covers.
  const boundaryChanged = (from.boundary === undefined) !== (to.boundary === undefined) || from.exists !== to.exists;
  const pieces = boundaryChanged ? [...differing, ...from.identity, ...to.identity] : differing;
  const candidates = new Set<string>();
  for (const piece of pieces) for (const a of actionsOf(piece, context)) candidates.add(a);
  if (candidates.size === 0) return [];

  // Each candidate's slice on each side, written as the sorted ids of the pieces covering it. Each piece adds its
  // id to the candidates it covers, walking whichever is smaller: its coverage or the candidates.
  const slices = new Map<string, string[]>();
  for (const a of candidates) slices.set(a, ['', '', '', '']);
  const sides = [from.identity, from.boundary, to.identity, to.boundary];
  sides.forEach((side, index) => {
    if (!side) {
      for (const key of slices.values()) key[index] = '-';
      return;
    }
    for (const piece of [...side].sort((x, y) => x.id - y.id)) {
      const covered = coverageOf(piece, context);
      const mark = (a: string): void => {
        const key = slices.get(a);
        if (key) key[index] += `${piece.id},`;
      };
      if (covered.size < candidates.size) for (const a of covered) mark(a);
      else for (const a of candidates) if (covered.has(a)) mark(a);
    }
  });
  const byKey = new Map<string, string[]>();
  for (const [a, [fi, fb, ti, tb]] of slices) {
    if (from.exists === to.exists && fi === ti && fb === tb) continue;
    addTo(byKey, `${fi}|${fb}|${ti}|${tb}`, a);
  }
  return [...byKey.values()].map((actions) => ({ actions: actions.sort() }));
}

/**
 * The catalog actions a statement's Action/NotAction covers, computed once per distinct statement in an analysis: a
 * group policy shared by 2,000 users is expanded once, not 2,000 times.
 */
function actionsOf(piece: Piece, context: DeltaContext): readonly string[] {
  const { catalog } = context;
  return cached(context.expansions, piece.sig, () => {
    // From the patterns' expansions, which the catalog memoises: patterns repeat far more than statements do.
    if (!piece.notActionPatterns) return [...new Set(piece.actionPatterns.flatMap((p) => expandLikeTheEngine(p, catalog)))];
    const excluded = new Set(piece.notActionPatterns.flatMap((p) => expandLikeTheEngine(p, catalog)));
    return catalog.expand('*').filter((a) => !excluded.has(a));
  });
}

/** Catalog actions an Action pattern covers, as the engine matches it: a literal service prefix, any-case names. */
function expandLikeTheEngine(pattern: string, catalog: ActionCatalog): readonly string[] {
  if (pattern === '*') return catalog.expand('*');
  const colon = pattern.indexOf(':');
  const name = pattern.slice(colon + 1);
  if (colon <= 0 || name === '' || /\s/.test(name) || /[*?]/.test(pattern.slice(0, colon))) return [];
  return catalog.expand(pattern);
}

export function coverageOf(piece: Piece, context: DeltaContext): ReadonlySet<string> {
  return cached(context.coverage, piece.sig, () => new Set(actionsOf(piece, context)));
}

function cached<V>(cache: Map<string, V>, key: string, compute: () => V): V {
  let value = cache.get(key);
  if (value === undefined) cache.set(key, (value = compute()));
  return value;
}

/** `service:Action` as lower-case service and action names, as the statements' action tests take them. */
export function splitAction(a: string): [string, string] {
  const colon = a.indexOf(':');
  return [a.slice(0, colon).toLowerCase(), a.slice(colon + 1).toLowerCase()];
}

/**
 * The actions, split by the service refusal that applies to them (GetCallerIdentity, always allowed, left out):
 * computed once per action list, which is shared by all the entries of a class.
 */
export function splitByServiceRefusals(actions: readonly string[], context: DeltaContext): { actions: string[]; refusal?: ServiceRefusal }[] {
  let split = context.refusalSplits.get(actions);
  if (!split) {
    const groups = new Map<ServiceRefusal | undefined, string[]>();
    for (const action of actions) {
      const lower = action.toLowerCase();
      if (lower === ALWAYS_ALLOWED_ACTION) continue;
      addTo(groups, SERVICE_REFUSALS.find((r) => r.actions.has(lower)), action);
    }
    split = [...groups].map(([refusal, list]) => ({ actions: list, ...(refusal ? { refusal } : {}) }));
    context.refusalSplits.set(actions, split);
  }
  return split;
}
