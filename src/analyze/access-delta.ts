/**
 * Access deltas: for each principal a change affects, exactly which requests become allowed (granted) and which
 * stop being allowed (revoked), as entries of actions x resources x condition, minus carve-outs.
 *
 * Method. A principal's decision for action `a` depends only on the statements whose Action element covers `a`
 * (identity and boundary). Actions whose statement slices are the same before and after cannot change; the rest are
 * grouped into classes with identical slices. Within a class every statement applies to every action, so only
 * resources and conditions remain, and
 *
 *   allowed = (any Allow) and not (any Deny) and (no boundary, or any boundary Allow)   [boundary Denies are Denies]
 *   granted = allowed_after and not allowed_before
 *
 * with `not allowed_before` = not(any old Allow) or (some old Deny) or (an old boundary, and not any old boundary
 * Allow). Distributing gives, for each new Allow `s` (and each new boundary Allow `b`):
 *   1. s & b, except the new Denies and the old Allows;
 *   2. s & b & d' for each old Deny d', except the new Denies;
 *   3. (where there was a boundary) s & b, except the new Denies and the old boundary's Allows.
 * The union of these entries is exactly the granted set. An intersection of two resource sets or conditions is kept
 * exactly when one side is "*", they are equal, or one provably contains the other; otherwise the entry keeps the
 * superset and says `approximate: true`. Each entry carries an example request built from it and verified with the
 * engine (not allowed before, allowed after); an entry no example could be verified for is marked approximate.
 *
 * Rooms. This file holds the contract (entries, deltas) and the walk over principals; the work is split by concept:
 * statement-pieces.ts (a principal's statements as pieces), action-classes.ts (actions grouped by the statements
 * covering them), access-shapes.ts (resources x condition and their intersections), class-entries.ts (a class's
 * entries: the distributed terms above), entry-actions.ts (how an entry writes its actions), tidy-entries.ts (a
 * principal's entries without redundancy), entry-examples.ts (what an entry means, and its example), and
 * delta-context.ts (one analysis's caches: created per analysis, shared by its principals, dropped after it).
 * parallel-access-deltas.ts runs the same per-principal function on worker threads.
 */
import type { ChangeOrigin } from '../plan/plan.js';
import type { IamState } from '../core/state.js';
import type { RequestContext } from '../evaluate/types.js';
import type { EvaluateOptions } from '../evaluate/engine.js';
import { PrincipalResolver, type NamedDocument, type PrincipalDocuments } from '../evaluate/principal-policies.js';
import { principalKeys, specializeDocument } from '../evaluate/specialize-policy.js';
import type { ActionCatalog } from '../catalog/action-catalog.js';
import { actionClasses } from './action-classes.js';
import { deltaEntries } from './class-entries.js';
import { DeltaContext } from './delta-context.js';
import { withSharedSources, type SharedSource } from './shared-source.js';
import { relevantSides, sidesKey } from './relevant-pieces.js';
import { compiledOf, sameSides, sideOf } from './statement-pieces.js';

export interface Carveout {
  readonly resources?: readonly string[];
  readonly notResources?: readonly string[];
  readonly condition?: Record<string, Record<string, unknown>>;
}

export interface AccessEntry {
  /** The actions, or (`notActions`) every catalog action but these: whichever is shorter to write. */
  readonly actions?: readonly string[];
  readonly notActions?: readonly string[];
  readonly resources?: readonly string[];
  readonly notResources?: readonly string[];
  readonly condition?: Record<string, Record<string, unknown>>;
  readonly except?: readonly Carveout[];
  readonly approximate?: true;
  /**
   * Added field: the resource types the entry's resources can be for its actions (`service:type`, e.g. `s3:object`),
   * per the catalog's ARN formats; absent when the actions take no resource, the catalog cannot tell, or there are
   * more than a few.
   */
  readonly resourceTypes?: readonly string[];
  readonly example?: { readonly action: string; readonly resource: string; readonly context: RequestContext };
  readonly because: readonly string[];
}

export interface AccessDelta {
  readonly principals: readonly string[];
  readonly granted: readonly AccessEntry[];
  readonly revoked: readonly AccessEntry[];
  /** Added field: principals of this item that the change moves to another path, new ARN -> old ARN. */
  readonly movedFrom?: Readonly<Record<string, string>>;
  /** Added field, with a pull request: whether the pull request causes this item, drift does, or both (see `Change.origin`). */
  readonly origin?: ChangeOrigin;
  /**
   * Added field: the principals are exactly the members of this group (or the holders of this managed policy), and
   * the change reaches them only through it (see shared-source.ts): renderers tell the item as one line for it.
   */
  readonly through?: SharedSource;
}

export interface AccessDeltaOptions extends EvaluateOptions {
  readonly catalog: ActionCatalog;
}

/** The documents that apply to a principal on one side; undefined when the principal does not exist there. */
export type PrincipalSide = Pick<PrincipalDocuments, 'identity' | 'boundary'> | undefined;

/** One principal's delta, before grouping. */
export interface PrincipalDelta {
  readonly arn: string;
  readonly granted: readonly AccessEntry[];
  readonly revoked: readonly AccessEntry[];
}

/**
 * Deltas for the given principals (ARNs), grouped: principals with identical deltas share one item. `moves` (old
 * ARN -> new ARN) pairs a moved principal with itself: it is compared under its old ARN before and its new one after.
 */
export function accessDeltas(before: IamState, after: IamState, principals: Iterable<string>, options: AccessDeltaOptions, moves: ReadonlyMap<string, string> = new Map()): AccessDelta[] {
  const resolvers = { before: new PrincipalResolver(before), after: new PrincipalResolver(after) };
  // One context for this analysis: its principals share the work, and it is dropped when the analysis returns.
  const context = new DeltaContext(options);
  const deltas: PrincipalDelta[] = [];
  for (const { arn, beforeArn } of principalPairs(principals, moves)) {
    const delta = principalDelta(arn, principalSide(resolvers.before, before, beforeArn), principalSide(resolvers.after, after, arn), context);
    if (delta) deltas.push(delta);
  }
  return withSharedSources(withMoves(groupDeltas(deltas), moves), before, after, moves);
}

/**
 * The documents that apply to a principal, each as it reads for that principal: conditions and variables on the
 * keys its requests always carry (its tags, ARN, type) resolved (src/evaluate/specialize-policy.ts). So retagging a
 * principal changes its access exactly where a policy reads the tag. Undefined when the state has no such principal.
 */
export function principalSide(resolver: PrincipalResolver, state: IamState, arn: string): PrincipalSide {
  const documents = resolver.documents(arn);
  if (!documents) return undefined;
  const keys = principalKeys(documents.entity, state.account);
  const read = (d: NamedDocument): NamedDocument => {
    const document = specializeDocument(d.document, keys);
    return document === d.document ? d : { ...d, document };
  };
  return { identity: documents.identity.map(read), ...(documents.boundary ? { boundary: read(documents.boundary) } : {}) };
}

/** Each principal once, in ARN order, under its ARN after the change and the ARN it had before. */
export function principalPairs(principals: Iterable<string>, moves: ReadonlyMap<string, string>): { arn: string; beforeArn: string }[] {
  const previous = new Map([...moves].map(([old, now]) => [now, old]));
  const arns = new Set<string>();
  for (const arn of principals) arns.add(moves.get(arn) ?? arn);
  return [...arns].sort().map((arn) => ({ arn, beforeArn: previous.get(arn) ?? arn }));
}

/** Says, on each grouped item, which of its principals moved and from where. */
export function withMoves(deltas: AccessDelta[], moves: ReadonlyMap<string, string>): AccessDelta[] {
  if (moves.size === 0) return deltas;
  const previous = new Map([...moves].map(([old, now]) => [now, old]));
  return deltas.map((d) => {
    const moved = d.principals.filter((p) => previous.has(p));
    return moved.length ? { ...d, movedFrom: Object.fromEntries(moved.map((p) => [p, previous.get(p)!])) } : d;
  });
}

/**
 * What one principal gains and loses; undefined when nothing changes. A pure function of its documents and the
 * context's options: the context only remembers work other principals of the same analysis can reuse.
 */
export function principalDelta(arn: string, before: PrincipalSide, after: PrincipalSide, context: DeltaContext): PrincipalDelta | undefined {
  const full = { was: sideOf(before, context), is: sideOf(after, context) };
  if (sameSides(full.was, full.is)) return undefined;
  // What can matter alone: principals left with the same statements have the same delta, computed once.
  const { from: was, to: is } = relevantSides(full.was, full.is, context);
  const { granted, revoked } = context.remembered(context.deltas, sidesKey(was, is), () => {
    // The engine checks examples against the principal's whole documents: the statements left out apply to no
    // request an entry holds, so every principal sharing the key gets the same answers.
    const compiled = { before: compiledOf(before, context), after: compiledOf(after, context) };
    const classes = actionClasses(was, is, context);
    return { granted: deltaEntries(was, is, classes, compiled.before, compiled.after, context), revoked: deltaEntries(is, was, classes, compiled.after, compiled.before, context) };
  });
  if (granted.length === 0 && revoked.length === 0) return undefined;
  return { arn, granted, revoked };
}

/** Principals with identical deltas share one item, in the order of their first principal. */
export function groupDeltas(deltas: readonly PrincipalDelta[]): AccessDelta[] {
  const groups = new Map<string, { granted: readonly AccessEntry[]; revoked: readonly AccessEntry[]; principals: string[] }>();
  for (const { arn, granted, revoked } of deltas) {
    // Entries are built in a fixed shape, so plain JSON is a faithful key.
    const key = JSON.stringify({ granted, revoked });
    const group = groups.get(key);
    if (group) group.principals.push(arn);
    else groups.set(key, { granted, revoked, principals: [arn] });
  }
  return [...groups.values()].map((g) => ({ principals: g.principals, granted: g.granted, revoked: g.revoked }));
}
