/**
 * One principal's entries in one direction without redundancy: entries over the same resources, condition and
 * carve-outs become one, then an entry whose requests all lie in another is folded into it. Both keep the set of
 * requests the same; only how it is written changes.
 */
import { addTo } from '../core/multimap.js';
import { stableStringify } from '../core/policy.js';
import type { AccessEntry } from './access-delta.js';
import { conditionImplied, isDisjoint, pickResources, resourcesWithin } from './access-shapes.js';
import type { DeltaContext } from './delta-context.js';
import { actionSpec, actionsWithin, RESOURCE_TYPES_LISTED, unitedActions, type ActionSpec } from './entry-actions.js';

/**
 * A principal's entries in one direction without redundancy: entries with the same resources, condition and
 * carve-outs become one (actions and reasons united, whichever classes of actions they came from); then an entry
 * whose requests all lie in another is folded into it, its reasons kept. Both keep the set of requests the same.
 */
export function tidy(entries: readonly AccessEntry[], context: DeltaContext): AccessEntry[] {
  if (entries.length < 2) return [...entries];
  // Entries come from the class cache: the same list of them (principals sharing classes) is tidied once.
  const key = entries.map((e) => context.entryId(e)).join(',');
  return context.remembered(context.tidied, key, () => foldContained(uniteSameWhere(entries, context), context));
}

function uniteSameWhere(entries: readonly AccessEntry[], context: DeltaContext): AccessEntry[] {
  const groups = new Map<string, AccessEntry[]>();
  for (const e of entries) addTo(groups, stableStringify([e.resources ?? null, e.notResources ?? null, e.condition ?? null, e.except ?? null]), e);
  return [...groups.values()].map((list) => {
    if (list.length === 1) return list[0]!;
    // The same entries (from shared classes: a group's policy) unite the same way for every principal: once.
    const key = list.map((e) => context.entryId(e)).join(',');
    return context.remembered(context.united, key, () => unite(list, context));
  });
}

/** Entries over the same resources, condition and carve-outs as one: their actions, reasons and resource types united. */
function unite(list: readonly AccessEntry[], context: DeltaContext): AccessEntry {
  const first = list[0]!;
  const types = list.every((e) => e.resourceTypes) ? [...new Set(list.flatMap((e) => e.resourceTypes!))].sort() : undefined;
  const example = list.find((e) => e.example)?.example;
  return {
    ...unitedActions(list, context),
    ...(first.resources ? { resources: first.resources } : {}),
    ...(first.notResources ? { notResources: first.notResources } : {}),
    ...(first.condition ? { condition: first.condition } : {}),
    ...(first.except ? { except: first.except } : {}),
    ...(list.some((e) => e.approximate) ? { approximate: true as const } : {}),
    ...(types && types.length <= RESOURCE_TYPES_LISTED ? { resourceTypes: types } : {}),
    ...(example ? { example } : {}),
    because: [...new Set(list.flatMap((e) => e.because))],
  };
}

/** Entries whose requests all lie in another entry, folded into it (smallest first, so chains end in the largest). */
function foldContained(entries: readonly AccessEntry[], context: DeltaContext): AccessEntry[] {
  if (entries.length < 2) return [...entries];
  const described = entries.map((e, i) => ({ e, i, actions: actionSpec(e, context), folded: false, extra: [] as string[] }));
  const bySize = [...described].sort((a, b) => a.actions.size - b.actions.size || a.i - b.i);
  for (const small of bySize) {
    const host = described.find((big) => big !== small && !big.folded && contains(big, small) && !(contains(small, big) && small.i < big.i));
    if (!host) continue;
    small.folded = true;
    host.extra.push(...small.e.because, ...small.extra);
  }
  return described
    .filter((d) => !d.folded)
    .map((d) => (d.extra.length ? { ...d.e, because: [...new Set([...d.e.because, ...d.extra])] } : d.e));
}

/** Whether every request of entry `inner` is one of entry `outer` (sound: true only when proven). */
function contains(outer: { e: AccessEntry; actions: ActionSpec }, inner: { e: AccessEntry; actions: ActionSpec }): boolean {
  if (inner.actions.size > outer.actions.size) return false;
  const o = outer.e;
  const i = inner.e;
  // The cheap tests first: most pairs differ in where or when.
  if (!conditionImplied(o.condition, i.condition)) return false;
  if (!resourcesWithin(i, o)) return false;
  // The outer entry's carve-outs must leave the inner entry whole: the inner has them too, or never reaches them.
  if (!(o.except ?? []).every((c) => (i.except ?? []).some((x) => stableStringify(x) === stableStringify(c)) || isDisjoint(c, { ...pickResources(i), approximate: false, because: [] }))) return false;
  return actionsWithin(inner.actions, outer.actions);
}
