/**
 * How an entry writes its actions: compactly (a statement's own wildcard, `service:*`, `*`), or as every catalog
 * action but a few (`notActions`) when that is shorter; and entries' actions as sets, to unite and compare them.
 * Wildcards in entries mean catalog actions, as the plan's `catalog` version defines them.
 */
import type { ActionCatalog } from '../catalog/action-catalog.js';
import { addTo, cachedPer } from '../core/multimap.js';
import type { AccessEntry } from './access-delta.js';
import type { DeltaContext } from './delta-context.js';

/** At most this many resource types are listed on an entry (`s3:*` on "*" would list every S3 type). */
export const RESOURCE_TYPES_LISTED = 8;

/**
 * The union of entries' actions, written as `actions` or `notActions`. Where one of them is "every action but a few"
 * the union is computed on those few (the catalog's 22,000 actions are never listed, as a principal with
 * AdministratorAccess would otherwise cost).
 */
export function unitedActions(list: readonly AccessEntry[], context: DeltaContext): Pick<AccessEntry, 'actions' | 'notActions'> {
  const { catalog } = context;
  const specs = list.map((e) => actionSpec(e, context));
  if (specs.some((x) => x.outside)) {
    // Outside the union: outside every entry.
    let outside: Set<string> | undefined;
    for (const x of specs.filter((y) => y.outside)) outside = outside ? new Set([...outside].filter((a) => x.set.has(a))) : new Set(x.set);
    for (const x of specs.filter((y) => !y.outside)) for (const a of x.set) outside!.delete(a);
    const excluded = catalog.expand('*').filter((a) => outside!.has(a.toLowerCase()));
    return excluded.length === 0 ? { actions: ['*'] } : { notActions: compressActions(excluded, catalog) };
  }
  const actions = [...new Set(list.flatMap((e) => entryActions(e, catalog)))].sort();
  return writeActions(actions, context, list.flatMap((e) => e.actions ?? []).filter((a) => /[*?]/.test(a)));
}

/** An entry's actions as a set (lower case): the actions it names, or (`outside`) the ones it names by exclusion. */
export interface ActionSpec {
  readonly outside: boolean;
  readonly set: ReadonlySet<string>;
  /** How many catalog actions the entry holds. */
  readonly size: number;
}

/** An entry's actions as a set, once per entry object in an analysis. */
export function actionSpec(e: AccessEntry, context: DeltaContext): ActionSpec {
  const { catalog } = context;
  let spec = context.actionSpecs.get(e);
  if (!spec) {
    const lower = (list: readonly string[]): Set<string> => new Set(concreteActions(list, catalog).map((a) => a.toLowerCase()));
    if (e.notActions) {
      const set = lower(e.notActions);
      spec = { outside: true, set, size: catalog.expand('*').length - set.size };
    } else {
      const set = lower(e.actions ?? []);
      spec = { outside: false, set, size: set.size };
    }
    context.actionSpecs.set(e, spec);
  }
  return spec;
}

/** Whether every action of `inner` is one of `outer`'s, on their compact forms. */
export function actionsWithin(inner: ActionSpec, outer: ActionSpec): boolean {
  if (inner.size > outer.size) return false;
  if (!inner.outside && !outer.outside) return [...inner.set].every((a) => outer.set.has(a));
  if (!inner.outside && outer.outside) return [...inner.set].every((a) => !outer.set.has(a));
  if (inner.outside && outer.outside) return [...outer.set].every((a) => inner.set.has(a));
  return false; // "all but a few" inside a list: only if the list is nearly the catalog, which the sizes rule out mostly
}

/**
 * `actions` compressed, or `notActions` (the catalog's other actions, compressed) when the set is most of the
 * catalog and that is shorter: "every action but iam:CreatePolicyVersion, ..." rather than 400 services.
 */
export function writeActions(actions: readonly string[], context: DeltaContext, patterns: readonly string[]): Pick<AccessEntry, 'actions' | 'notActions'> {
  // The same action list (a class's, shared by its entries) with the same statements' patterns is written once.
  return cachedPer(context.written, actions, patterns.join('\u0001'), () => writeActionsUncached(actions, context.catalog, patterns));
}

function writeActionsUncached(actions: readonly string[], catalog: ActionCatalog, patterns: readonly string[]): Pick<AccessEntry, 'actions' | 'notActions'> {
  const written = compressActions(actions, catalog, patterns);
  const all = catalog.expand('*');
  if (actions.length * 2 < all.length || written.length <= 3) return { actions: written };
  const inSet = new Set(actions.map((a) => a.toLowerCase()));
  const complement = compressActions(all.filter((a) => !inSet.has(a.toLowerCase())), catalog);
  return complement.length < written.length ? { notActions: complement } : { actions: written };
}

/**
 * A service whose every catalog action is in the set becomes `service:*`, and every action of every service `*`
 * (meaning the catalog's actions, as the plan's `catalog` version defines them).
 */
export function compressActions(all: readonly string[], catalog: ActionCatalog, patterns: readonly string[] = []): string[] {
  // First the statements' own wildcard patterns whose every catalog action is in the set (largest first)...
  // A pattern may stand for its actions when all of them are in the set (it then means exactly those).
  const inSet = new Set(all.map((a) => a.toLowerCase()));
  const remaining = new Set(inSet);
  const used: string[] = [];
  const candidates = [...new Set(patterns.filter((p) => /[*?]/.test(p) && p !== '*'))]
    .map((p) => ({ p, expanded: catalog.expand(p).map((a) => a.toLowerCase()) }))
    .sort((a, b) => b.expanded.length - a.expanded.length);
  for (const { p, expanded } of candidates) {
    if (expanded.length > 1 && expanded.every((a) => inSet.has(a)) && expanded.some((a) => remaining.has(a))) {
      used.push(p);
      for (const a of expanded) remaining.delete(a);
    }
  }
  const actions = all.filter((a) => remaining.has(a.toLowerCase()));
  // ...then whole services.
  const byService = new Map<string, string[]>();
  for (const a of actions) {
    const service = a.slice(0, a.indexOf(':'));
    addTo(byService, service, a);
  }
  const full = [...byService].filter(([service, list]) => list.length === (catalog.actionsOf(service)?.length ?? -1));
  if (used.length === 0 && full.length === catalog.services.length) return ['*'];
  const fullServices = new Set(full.map(([service]) => service));
  return [...used, ...full.map(([service]) => `${service}:*`), ...actions.filter((a) => !fullServices.has(a.slice(0, a.indexOf(':'))))].sort();
}

/** The concrete actions of a list: `service:*` and `*` expand through the catalog. */
export function concreteActions(actions: readonly string[], catalog: ActionCatalog): string[] {
  return actions.flatMap((a) => (/[*?]/.test(a) ? catalog.expand(a) : [a]));
}

/** The catalog actions an entry names, by `actions` or by `notActions`. */
export function entryActions(entry: Pick<AccessEntry, 'actions' | 'notActions'>, catalog: ActionCatalog): string[] {
  if (entry.actions) return concreteActions(entry.actions, catalog);
  const excluded = new Set(concreteActions(entry.notActions ?? [], catalog).map((a) => a.toLowerCase()));
  return catalog.expand('*').filter((a) => !excluded.has(a.toLowerCase()));
}
