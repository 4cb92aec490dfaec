/**
 * The entries of a principal's delta in one direction: for each class of actions, what its new statements allow
 * that its old ones did not (the distributed terms in access-delta.ts's method), as entries of actions x resources
 * x condition minus carve-outs, kept to requests AWS can receive, each with an example; then the principal's
 * entries without redundancy, in a stable order.
 */
import type { PrincipalPolicies } from '../evaluate/engine.js';
import { hasPolicyVariable } from '../evaluate/resource-patterns.js';
import { resourceTypeIndex, type ResourceTypeIndex } from '../evaluate/resource-types.js';
import { stableStringify } from '../core/policy.js';
import type { AccessEntry, Carveout } from './access-delta.js';
import { splitAction, splitByServiceRefusals } from './action-classes.js';
import { carvedAway, conditionImplied, intersect, intersectShapes, isDisjoint, outsideCarveouts, pickResources, reachedBy, shape, type Shape } from './access-shapes.js';
import type { DeltaContext } from './delta-context.js';
import { RESOURCE_TYPES_LISTED, writeActions } from './entry-actions.js';
import { withExample } from './entry-examples.js';
import type { Piece, Side } from './statement-pieces.js';
import { tidy } from './tidy-entries.js';

/** The requests `to` allows and `from` does not, as entries. */
export function deltaEntries(from: Side, to: Side, classes: readonly { actions: string[] }[], fromCompiled: PrincipalPolicies | undefined, toCompiled: PrincipalPolicies | undefined, context: DeltaContext): AccessEntry[] {
  if (!to.exists || !toCompiled) return [];
  const entries: AccessEntry[] = [];
  for (const cls of classes) {
    const slice = (pieces: readonly Piece[] | undefined, service: string, action: string): Piece[] | undefined => pieces?.filter((p) => p.actionMatches(service, action));
    const [service, action] = splitAction(cls.actions[0]!);
    const slices: ClassSlices = {
      fromIdentity: from.exists ? slice(from.identity, service, action)! : [],
      fromBoundary: from.exists ? slice(from.boundary, service, action) : undefined,
      toIdentity: slice(to.identity, service, action)!,
      toBoundary: slice(to.boundary, service, action),
    };
    // A class's entries, examples included, are a function of its actions and the statements covering them (the
    // engine's decision on an action depends on those alone): principals that share them share the work.
    entries.push(...context.remembered(context.classes, classKey(from.exists, slices, cls.actions), () => classEntries(cls.actions, slices, fromCompiled, toCompiled, context)));
  }
  // A stable order, whatever order the classes were found in (keys computed once, not per comparison).
  return tidy(entries, context)
    .map((e) => ({ e, key: JSON.stringify([e.actions, e.notActions, e.resources, e.notResources, e.condition, e.except]) }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map(({ e }) => e);
}

/** The statements covering a class's actions on each side. */
interface ClassSlices {
  readonly fromIdentity: readonly Piece[];
  /** Undefined when there is no boundary before (or no principal). */
  readonly fromBoundary: readonly Piece[] | undefined;
  readonly toIdentity: readonly Piece[];
  readonly toBoundary: readonly Piece[] | undefined;
}

/**
 * A class's entries, examples included, are a function of its actions and the statements covering them (with the
 * policies they come from, which the reasons name): this key says all of that, within one analysis.
 */
function classKey(fromExists: boolean, slices: ClassSlices, actions: readonly string[]): string {
  const uids = (pieces: readonly Piece[] | undefined): string => (pieces ? pieces.map((p) => p.uid).join(',') : '-');
  return `${fromExists ? 1 : 0}|${uids(slices.fromIdentity)}|${uids(slices.fromBoundary)}|${uids(slices.toIdentity)}|${uids(slices.toBoundary)}|${actions.join(',')}`;
}

/** The entries of one class of actions: what its new statements allow that its old ones did not. */
function classEntries(classActions: readonly string[], slices: ClassSlices, fromCompiled: PrincipalPolicies | undefined, toCompiled: PrincipalPolicies, context: DeltaContext): AccessEntry[] {
  const { options } = context;
  const { fromIdentity, fromBoundary, toIdentity, toBoundary } = slices;
  const entries: AccessEntry[] = [];
  const newAllows = toIdentity.filter((p) => p.effect === 'Allow');
  const newDenies = [...toIdentity, ...(toBoundary ?? [])].filter((p) => p.effect === 'Deny');
  const boundaryAllows = toBoundary ? toBoundary.filter((p) => p.effect === 'Allow') : [undefined];
  const oldAllows = fromIdentity.filter((p) => p.effect === 'Allow');
  const oldDenies = [...fromIdentity, ...(fromBoundary ?? [])].filter((p) => p.effect === 'Deny');
  const oldBoundaryAllows = fromBoundary?.filter((p) => p.effect === 'Allow');

  let takingResources: readonly string[] | undefined; // the class's actions that take a resource, found on first need
  const index = resourceTypeIndex(options.catalog);
  for (const s of newAllows) {
    for (const b of boundaryAllows) {
      const base = b ? intersect(s, b) : { ...shape(s), approximate: false, because: [s.because] };
      if (!base) continue; // the Allow and the boundary's Allow share no resource
      const candidates: { base: Shape; except: Piece[]; extra?: Piece }[] = [{ base, except: [...newDenies, ...oldAllows] }];
      for (const d of oldDenies) candidates.push({ base, except: newDenies, extra: d });
      if (oldBoundaryAllows) candidates.push({ base, except: [...newDenies, ...oldBoundaryAllows] });
      for (const c of candidates) {
        const withDeny = c.extra ? intersectShapes(c.base, { ...shape(c.extra), approximate: false, because: [c.extra.because] }) : c.base;
        if (!withDeny) continue; // the old Deny never reached these resources
        const carveouts: Carveout[] = [...outsideCarveouts(withDeny), ...c.except];
        if (carvedAway(carveouts, withDeny)) continue; // nothing left
        // An action that takes no resource is only ever requested on "*": resources that cannot match "*" hold none of it.
        const admitsStar = withDeny.notResources !== undefined || (withDeny.resources ?? ['*']).includes('*');
        const actions = admitsStar ? classActions : (takingResources ??= classActions.filter((a) => !options.isWildcardOnlyAction(a)));
        if (actions.length === 0) continue;
        const patterns = [s, ...(b ? [b] : []), ...(c.extra ? [c.extra] : [])].flatMap((p) => p.actionPatterns);
        for (const { actions: subset, refusal } of splitByServiceRefusals(actions, context)) {
          // Requests the service refuses whatever the policies say are neither granted nor revoked.
          const refused: Carveout[] = refusal ? [{ resources: [refusal.resources] }] : [];
          if (refusal && carvedAway([...refused, ...carveouts], withDeny)) continue;
          for (const part of receivableParts(subset, withDeny, carveouts, index)) {
            if (part.shape !== withDeny && carvedAway([...refused, ...carveouts], part.shape)) continue;
            entries.push(finish(part.actions, part.shape, c.except, context, patterns, refused, index));
          }
        }
      }
    }
  }
  // Examples last, once per distinct entry.
  return withoutSubsumed(dedupe(entries)).map((entry) => withExample(entry, fromCompiled, toCompiled, context));
}

/**
 * The parts of an entry AWS can receive requests for: each action with the resources of the shape that can be of a
 * type it takes (the catalog's ARN formats), actions with the same resources together. A request on a resource no
 * type of its action matches (GetObject on a bucket, ListBucket on an object, SendMessage on a table) never reaches
 * policy evaluation, so it is in no entry. Nothing is dropped where the catalog cannot tell (an action it does not
 * list, a pattern with policy variables), and a NotResource shape is kept whole.
 */
function receivableParts(actions: readonly string[], s: Shape, carveouts: readonly Carveout[], index: ResourceTypeIndex): { actions: readonly string[]; shape: Shape }[] {
  // A carve-out on everything outside a list (a Deny with NotResource) that names no resource of an action's types
  // takes every request AWS can receive for it: the action has nothing left here.
  const leavesNothing = carveouts.filter((c) => c.notResources && conditionImplied(c.condition, s.condition) && !c.notResources.some(hasPolicyVariable));
  const kept = leavesNothing.length ? actions.filter((a) => !leavesNothing.some((c) => !c.notResources!.some((n) => index.canName(a, n)))) : actions;
  const resources = s.resources;
  if (!resources || (resources.includes('*') && resources.length === 1)) return kept.length ? [{ actions: kept, shape: s }] : [];
  const byResources = new Map<string, { actions: string[]; resources: readonly string[] }>();
  for (const action of kept) {
    const named = resources.filter((r) => index.canName(action, r));
    if (named.length === 0) continue;
    const key = named.join('\u0000');
    const part = byResources.get(key);
    if (part) part.actions.push(action);
    else byResources.set(key, { actions: [action], resources: named });
  }
  return [...byResources.values()].map((part) => ({ actions: part.actions, shape: part.resources.length === resources.length ? s : { ...s, resources: part.resources } }));
}

/** The resource types an entry's resources can be for its actions, as `service:type`. */
function resourceTypesOf(actions: readonly string[], s: Shape, index: ResourceTypeIndex): string[] | undefined {
  if (!s.resources || actions.length > 400) return undefined;
  const types = new Set<string>();
  for (const action of actions) {
    const service = action.slice(0, action.indexOf(':')).toLowerCase();
    for (const pattern of s.resources) {
      const match = index.typesNamed(action, pattern);
      if (!match) return undefined;
      for (const type of match.types) types.add(`${service}:${type}`);
      if (types.size > RESOURCE_TYPES_LISTED) return undefined;
    }
  }
  return types.size ? [...types].sort() : undefined;
}

function finish(actions: readonly string[], s: Shape, except: readonly Piece[], context: DeltaContext, patterns: readonly string[], refused: readonly Carveout[], index: ResourceTypeIndex): AccessEntry {
  const resourceTypes = resourceTypesOf(actions, s, index);
  // A carve-out the entry's requests never reach (a Deny on a table, beside an entry of functions) says nothing true.
  const inside = (c: Carveout): boolean => !isDisjoint(c, s) && reachedBy(c, s, actions, index);
  const carveouts = [
    ...outsideCarveouts(s).filter(inside),
    ...except.map((e): Carveout => shape(e)).filter(inside),
    ...refused.filter(inside),
  ];
  return {
    ...writeActions(actions, context, patterns),
    ...pickResources(s),
    ...(s.condition ? { condition: s.condition } : {}),
    ...(carveouts.length ? { except: dedupeCarveouts(carveouts) } : {}),
    ...(s.approximate ? { approximate: true as const } : {}),
    ...(resourceTypes ? { resourceTypes } : {}),
    because: [...new Set(s.because)],
  };
}

function dedupeCarveouts(items: Carveout[]): Carveout[] {
  const seen = new Set<string>();
  return items.filter((i) => {
    const key = stableStringify(i);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * Entries another entry contains are dropped: same actions, resources and condition, and carve-outs that include
 * all of the other's (the distributed terms often yield an entry and a narrower copy of it).
 */
function withoutSubsumed(entries: AccessEntry[]): AccessEntry[] {
  if (entries.length < 2) return entries;
  const described = entries.map((e) => ({ e, base: JSON.stringify([e.actions, e.notActions, e.resources, e.notResources, e.condition]), except: new Set((e.except ?? []).map((c) => stableStringify(c))) }));
  return described
    .filter((x, i) => !described.some((y, j) => j !== i && y.base === x.base && [...y.except].every((c) => x.except.has(c)) && (y.except.size < x.except.size || j < i)))
    .map(({ e }) => e);
}

function dedupe(entries: AccessEntry[]): AccessEntry[] {
  const seen = new Set<string>();
  return entries.filter((e) => {
    const key = JSON.stringify({ ...e, example: undefined, because: undefined });
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
