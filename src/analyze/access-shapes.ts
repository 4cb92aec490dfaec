/**
 * Shapes: the resources x condition part of a statement or entry, their intersections, and the sound tests the
 * analysis makes on them (one within another, disjoint, carved away). Sound means "true" only when proven: an
 * intersection that cannot be written down exactly keeps the superset and says `approximate`.
 */
import { stableStringify } from '../core/policy.js';
import { hasPolicyVariable, intersectResourcePatterns, resourcePatternCovers } from '../evaluate/resource-patterns.js';
import type { ResourceTypeIndex } from '../evaluate/resource-types.js';
import type { AccessEntry, Carveout } from './access-delta.js';
import type { Piece } from './statement-pieces.js';

/** Resources x condition, with the reasons (statements) it comes from. */
export interface Shape {
  readonly resources?: readonly string[];
  readonly notResources?: readonly string[];
  readonly condition?: Record<string, Record<string, unknown>>;
  /** Resources taken out (a NotResource met by a Resource): they become carve-outs of the entry. */
  readonly outside?: readonly (readonly string[])[];
  readonly approximate: boolean;
  readonly because: readonly string[];
}

/** A statement's resources and condition. */
export function shape(p: Piece): Omit<Shape, 'approximate' | 'because'> {
  return { ...(p.resources ? { resources: p.resources } : {}), ...(p.notResources ? { notResources: p.notResources } : {}), ...(p.condition ? { condition: p.condition } : {}) };
}

/** The shape two statements share, or undefined when it is provably empty. */
export function intersect(a: Piece, b: Piece): Shape | undefined {
  return intersectShapes({ ...shape(a), approximate: false, because: [a.because] }, { ...shape(b), approximate: false, because: [b.because] });
}

export const isAll = (s: { resources?: readonly string[]; notResources?: readonly string[] }): boolean =>
  (s.resources !== undefined && s.resources.includes('*')) || (s.notResources !== undefined && s.notResources.length === 0) || (s.resources === undefined && s.notResources === undefined);

/** The intersection of two shapes, or undefined when it is provably empty. */
export function intersectShapes(a: Shape, b: Shape): Shape | undefined {
  let approximate = a.approximate || b.approximate;
  const outside = [...(a.outside ?? []), ...(b.outside ?? [])];
  let resources: Pick<Shape, 'resources' | 'notResources'>;
  if (isAll(b)) resources = pickResources(a);
  else if (isAll(a)) resources = pickResources(b);
  else if (stableStringify(pickResources(a)) === stableStringify(pickResources(b))) resources = pickResources(a);
  else if (a.resources && b.resources) {
    // Pattern by pattern: a pair where one covers the other contributes the smaller; a disjoint pair nothing.
    const out = new Set<string>();
    for (const x of a.resources) {
      for (const y of b.resources) {
        const common = intersectResourcePatterns(x, y);
        if (common) for (const c of common) out.add(c);
        else if (globCovers(y, x)) out.add(x);
        else if (globCovers(x, y)) out.add(y);
        else if (!globsDisjoint(x, y)) {
          out.add(x); // policy variables: the overlap cannot be written down; keep the larger side (a superset)
          approximate = true;
        }
      }
    }
    if (out.size === 0) return undefined;
    resources = { resources: [...out].sort() };
  } else if (a.notResources && b.notResources) {
    // Outside both lists is outside their union.
    resources = { notResources: [...new Set([...a.notResources, ...b.notResources])].sort() };
  } else {
    // Resources of one side, minus the other's NotResource list: exact, as a carve-out.
    const [listed, excluded] = a.resources ? [a, b] : [b, a];
    resources = { resources: listed.resources! };
    outside.push(excluded.notResources!);
    // Where a variable has no value, the NotResource side holds nowhere, but the carve-out removes nothing.
    if (excluded.notResources!.some(hasPolicyVariable)) approximate = true;
  }
  const condition: Record<string, Record<string, unknown>> = {};
  for (const source of [a.condition, b.condition]) {
    for (const [op, block] of Object.entries(source ?? {})) {
      for (const [key, value] of Object.entries(block ?? {})) {
        const existing = condition[op]?.[key];
        let merged = value;
        if (existing !== undefined && stableStringify(existing) !== stableStringify(value)) {
          const common = equalityIntersection(op, existing, value);
          if (common === 'never') return undefined; // no value satisfies both
          if (common === undefined) {
            approximate = true; // two constraints on one key and operator: kept as the first (a superset)
            continue;
          }
          merged = common;
        }
        condition[op] = { ...(condition[op] ?? {}), [key]: merged };
      }
    }
  }
  return { ...resources, ...(Object.keys(condition).length ? { condition } : {}), ...(outside.length ? { outside } : {}), approximate, because: [...a.because, ...b.because] };
}

/**
 * Two constraints of one equality operator on one key: a value satisfies both iff it is in both lists (the key has
 * one value; a list of values fails a single-valued operator either way). 'never' when the lists share nothing
 * (and a missing key fails too); undefined for operators this cannot say exactly (wildcards, comparisons, sets,
 * policy variables, or IfExists lists sharing nothing, which only a missing key satisfies).
 */
function equalityIntersection(operator: string, a: unknown, b: unknown): string[] | 'never' | undefined {
  const op = operator.toLowerCase();
  const ifExists = op.endsWith('ifexists');
  const base = ifExists ? op.slice(0, -'ifexists'.length) : op;
  if (base !== 'stringequals' && base !== 'stringequalsignorecase') return undefined;
  const list = (v: unknown): string[] => (Array.isArray(v) ? v : [v]).filter((x) => typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean').map(String);
  const [x, y] = [list(a), list(b)];
  if ([...x, ...y].some((v) => v.includes('${'))) return undefined;
  const fold = (v: string): string => (base === 'stringequalsignorecase' ? v.toLowerCase() : v);
  const inY = new Set(y.map(fold));
  const common = [...new Set(x.filter((v) => inY.has(fold(v))))];
  if (common.length > 0) return common;
  return ifExists ? undefined : 'never';
}

/** A shape's resources: its Resource list, its NotResource list, or "*". */
export function pickResources(s: Pick<Shape, 'resources' | 'notResources'>): Pick<Shape, 'resources' | 'notResources'> {
  return s.resources ? { resources: s.resources } : s.notResources ? { notResources: s.notResources } : { resources: ['*'] };
}

/**
 * Whether two patterns can match no common string: their literal starts (up to the first wildcard or variable)
 * diverge, or so do their literal ends. Sound, not complete: "no" means "not proven disjoint".
 */
function globsDisjoint(rawX: string, rawY: string): boolean {
  // IAM pads short ARNs with "*" parts and compares the first parts case-insensitively: compare in that form,
  // lower-cased throughout (which can only make patterns look less disjoint, never more).
  const normal = (p: string): string => {
    const parts = p.split(':');
    if (parts[0] === 'arn') while (parts.length < 6) parts.push('*');
    return parts.join(':').toLowerCase();
  };
  const x = normal(rawX);
  const y = normal(rawY);
  const literal = (p: string): [string, string] => {
    const first = p.search(/[*?]|\$\{/);
    if (first < 0) return [p, p];
    const last = Math.max(p.lastIndexOf('*'), p.lastIndexOf('?'), p.lastIndexOf('}'));
    return [p.slice(0, first), p.slice(last + 1)];
  };
  const [xs, xe] = literal(x);
  const [ys, ye] = literal(y);
  const startsClash = !(xs.startsWith(ys) || ys.startsWith(xs));
  const endsClash = !(xe.endsWith(ye) || ye.endsWith(xe));
  if (!/[*?]|\$\{/.test(x) && !/[*?]|\$\{/.test(y)) return x !== y;
  return startsClash || endsClash;
}

/** Whether pattern `outer` matches everything pattern `inner` does (sound, not complete: unproven means no). */
function globCovers(outer: string, inner: string): boolean {
  if (outer === '*' || outer === inner) return true;
  const star = outer.indexOf('*');
  if (star === outer.length - 1 && !/[?]/.test(outer) && !outer.includes('${')) return inner.startsWith(outer.slice(0, -1)) && !/[*?]/.test(inner.slice(0, outer.length - 1));
  return false;
}

/**
 * Whether the carve-outs together remove the whole shape (sound: true only when proven). Only carve-outs that hold
 * whenever the shape does count, and of those: one on every resource; NotResource lists no wider than the shape's
 * own; Resource lists that cover every resource of the shape, or every resource a NotResource carve-out leaves.
 */
export function carvedAway(carveouts: readonly Carveout[], s: Shape): boolean {
  const applicable = carveouts.filter((c) => conditionImplied(c.condition, s.condition));
  if (applicable.some(isAll)) return true;
  const listed = applicable.flatMap((c) => c.resources ?? []);
  const coveredByListed = (x: string): boolean => listed.some((y) => resourcePatternCovers(y, x));
  if (s.resources && s.resources.every(coveredByListed)) return true;
  for (const c of applicable) {
    if (!c.notResources) continue;
    // Outside the shape's own list, nothing of the shape exists: a carve-out excluding no more than it covers all.
    // (A pattern the shape's list has too, variables and all, fails wherever the shape's does.)
    const withinShapeList = (x: string): boolean => s.notResources!.includes(x) || (!hasPolicyVariable(x) && s.notResources!.some((y) => resourcePatternCovers(y, x)));
    if (s.notResources && c.notResources.every(withinShapeList)) return true;
    // A NotResource pattern with a policy variable holds nowhere when the variable has no value: no other proof.
    if (c.notResources.some(hasPolicyVariable)) continue;
    // Outside its list, the carve-out holds; inside it, the listed carve-outs must.
    if (c.notResources.every(coveredByListed)) return true;
    if (s.resources && s.resources.every((x) => c.notResources!.every((n) => patternsDisjoint(n, x)))) return true;
  }
  return false;
}

/** Whether condition `c` holds whenever `given` does: each of its constraints is one of the given ones. */
export function conditionImplied(c: Carveout['condition'], given: Carveout['condition']): boolean {
  if (!c) return true;
  return Object.entries(c).every(([op, block]) => Object.entries(block ?? {}).every(([k, v]) => given?.[op]?.[k] !== undefined && stableStringify(given[op]![k]) === stableStringify(v)));
}

/** The resources a shape leaves out (a NotResource it met), as carve-outs. */
export function outsideCarveouts(s: Shape): Carveout[] {
  return (s.outside ?? []).map((resources) => ({ resources }));
}

/** Whether every resource `inner` names is one `outer` names (sound: true only when proven). */
export function resourcesWithin(inner: Pick<AccessEntry, 'resources' | 'notResources'>, outer: Pick<AccessEntry, 'resources' | 'notResources'>): boolean {
  if (isAll(outer)) return true;
  if (outer.resources && inner.resources) return inner.resources.every((x) => outer.resources!.some((y) => resourcePatternCovers(y, x)));
  if (outer.notResources && inner.resources) return inner.resources.every((x) => !hasPolicyVariable(x) && outer.notResources!.every((n) => !hasPolicyVariable(n) && patternsDisjoint(n, x)));
  if (outer.notResources && inner.notResources) return outer.notResources.every((n) => inner.notResources!.some((m) => resourcePatternCovers(m, n)));
  return false;
}

/**
 * Whether two resource patterns share no ARN: exactly, or for patterns with policy variables, when their literal
 * starts or ends differ (sound either way).
 */
export function patternsDisjoint(a: string, b: string): boolean {
  const common = intersectResourcePatterns(a, b);
  return common ? common.length === 0 : globsDisjoint(a, b);
}

/**
 * Whether some request of the entry can fall in the carve-out: an ARN both name that one of the entry's actions can
 * be asked on (per the catalog's ARN formats). Sound: where it cannot tell (policy variables, unknown actions), yes.
 */
export function reachedBy(carve: Carveout, s: Shape, actions: readonly string[], index: ResourceTypeIndex): boolean {
  if (!carve.resources || carve.resources.includes('*')) return true;
  const shared = s.resources && !isAll(s) ? carve.resources.flatMap((c) => s.resources!.flatMap((r) => intersectResourcePatterns(c, r) ?? [c])) : carve.resources;
  // The actions of the pattern's own service first: they are the ones that usually name it.
  return shared.some((pattern) => {
    const service = pattern.split(':')[2]?.toLowerCase() ?? '';
    const own = actions.filter((a) => a.slice(0, a.indexOf(':')).toLowerCase() === service);
    return own.some((a) => index.canName(a, pattern)) || actions.some((a) => index.canName(a, pattern));
  });
}

/** A carve-out on resources the shape cannot reach is noise. */
export function isDisjoint(carve: Carveout, s: Shape): boolean {
  if (!carve.resources || !s.resources || isAll(carve) || isAll(s)) return false;
  return carve.resources.every((c) => s.resources!.every((r) => patternsDisjoint(c, r)));
}
