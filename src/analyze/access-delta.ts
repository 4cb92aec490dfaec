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
 */
import { addTo, cachedPer } from '../core/multimap.js';
import type { ActionCatalog } from '../catalog/action-catalog.js';
import type { ChangeOrigin } from '../plan/plan.js';
import { stableStringify, statementsOf, type PolicyJson } from '../core/policy.js';
import type { IamState } from '../core/state.js';
import { compileConditions, parseDate } from '../evaluate/conditions.js';
import { prepareContext, type PreparedContext } from '../evaluate/context.js';
import { compileResource, prepareResource, type PreparedResource } from '../evaluate/resources.js';
import { evaluate, type EvaluateOptions, type PrincipalPolicies } from '../evaluate/engine.js';
import { PrincipalResolver, type NamedDocument, type PrincipalDocuments } from '../evaluate/principal-policies.js';
import { compileActions, compilePolicy, type CompiledPolicy } from '../evaluate/compile-policy.js';
import type { RequestContext } from '../evaluate/types.js';
import { ALWAYS_ALLOWED_ACTION, SERVICE_REFUSALS, type ServiceRefusal } from '../evaluate/service-rules.js';
import { hasPolicyVariable, intersectResourcePatterns, resourcePatternCovers } from '../evaluate/resource-patterns.js';
import { formatPattern, resourceTypeIndex, type ResourceTypeIndex } from '../evaluate/resource-types.js';
import { principalKeys, specializeDocument } from '../evaluate/specialize-policy.js';
import { withSharedSources, type SharedSource } from './shared-source.js';

/** One statement as a delta entry's building block. */
interface Piece {
  readonly effect: 'Allow' | 'Deny';
  /** Canonical content: equal pieces mean the same statement wherever it comes from. */
  readonly sig: string;
  /** `sig` interned as a small number, for cheap keys. */
  readonly id: number;
  /** `sig` and `because` interned: the same statement of the same policy. */
  readonly uid: number;
  readonly because: string;
  readonly resources?: readonly string[];
  readonly notResources?: readonly string[];
  readonly condition?: Record<string, Record<string, unknown>>;
  readonly actionMatches: (service: string, action: string) => boolean;
  /** The statement's Action patterns (none for NotAction), to write entries' actions compactly. */
  readonly actionPatterns: readonly string[];
  /** The statement's NotAction patterns, when it has NotAction. */
  readonly notActionPatterns?: readonly string[];
  /** Version 2012-10-17: policy variables are live. */
  readonly variables: boolean;
}

interface Side {
  readonly identity: readonly Piece[];
  /** Undefined when the principal has no permissions boundary. */
  readonly boundary?: readonly Piece[];
  /** False when the principal does not exist on this side. */
  readonly exists: boolean;
}

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
  const deltas: PrincipalDelta[] = [];
  for (const { arn, beforeArn } of principalPairs(principals, moves)) {
    const delta = principalDelta(arn, principalSide(resolvers.before, before, beforeArn), principalSide(resolvers.after, after, arn), options);
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

/** What one principal gains and loses; undefined when nothing changes. A pure function of its documents. */
export function principalDelta(arn: string, before: PrincipalSide, after: PrincipalSide, options: AccessDeltaOptions): PrincipalDelta | undefined {
  const was = sideOf(before);
  const is = sideOf(after);
  if (sameSides(was, is)) return undefined;
  const compiled = { before: compiledOf(before), after: compiledOf(after) };
  const classes = actionClasses(was, is, options.catalog);
  const granted = deltaEntries(was, is, classes, compiled.before, compiled.after, options);
  const revoked = deltaEntries(is, was, classes, compiled.after, compiled.before, options);
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

/** Compiled documents, cached per document object: a managed policy attached to 1,000 roles is compiled once. */
const compiledCache = new WeakMap<PolicyJson, Map<string, CompiledPolicy>>();

function compiledDocument(d: NamedDocument): CompiledPolicy {
  return cachedPer(compiledCache, d.document, d.name, () => compilePolicy(d.name, d.document));
}

function compiledOf(side: PrincipalSide): PrincipalPolicies | undefined {
  if (!side) return undefined;
  return { identity: side.identity.map(compiledDocument), ...(side.boundary ? { boundary: compiledDocument(side.boundary) } : {}) };
}

function sideOf(documents: PrincipalSide): Side {
  if (!documents) return { identity: [], exists: false };
  const pieces = (d: NamedDocument): Piece[] => piecesOf(d.name, d.document);
  return { identity: documents.identity.flatMap(pieces), ...(documents.boundary ? { boundary: pieces(documents.boundary) } : {}), exists: true };
}

/** Pieces of a document, cached per document object: shared managed and group policies are read once. */
const pieceCache = new WeakMap<PolicyJson, Map<string, Piece[]>>();

function piecesOf(name: string, document: PolicyJson): Piece[] {
  return cachedPer(pieceCache, document, name, () => readPieces(name, document));
}

function readPieces(name: string, document: PolicyJson): Piece[] {
  const variables = document['Version'] === '2012-10-17';
  return statementsOf(document).flatMap((s, index): Piece[] => {
    const effect = s['Effect'];
    if (effect !== 'Allow' && effect !== 'Deny') return [];
    const list = (v: unknown): string[] | undefined => (v === undefined ? undefined : (Array.isArray(v) ? v : [v]).filter((x): x is string => typeof x === 'string'));
    const resources = list(s['Resource']);
    const notResources = list(s['NotResource']);
    // A NotResource list with "*" excludes everything; one with a short ARN ("arn:aws:s3") never matches either, as
    // the engine reads it (a request it fails is invalid for it, not outside it): such statements never apply.
    if (notResources?.some((p) => p === '*' || p.split(':').length < 6)) return [];
    const condition = typeof s['Condition'] === 'object' && s['Condition'] !== null ? (s['Condition'] as Record<string, Record<string, unknown>>) : undefined;
    const content = { Effect: effect, Action: s['Action'], NotAction: s['NotAction'], Resource: resources, NotResource: notResources, Condition: condition, variables };
    const sid = typeof s['Sid'] === 'string' && s['Sid'] !== '' ? ` (${s['Sid']})` : '';
    const sig = stableStringify(content);
    return [{
      effect,
      sig,
      id: internSig(sig),
      uid: internSig(`${sig}\u0001${name}, statement ${index}${sid}`),
      because: `${name}, statement ${index}${sid}`,
      ...(resources ? { resources } : {}),
      ...(notResources ? { notResources } : {}),
      ...(condition ? { condition } : {}),
      actionMatches: compileActions(s),
      actionPatterns: list(s['Action']) ?? [],
      ...(s['Action'] === undefined ? { notActionPatterns: list(s['NotAction']) ?? [] } : {}),
      variables,
    }];
  });
}

/** Statement contents interned as numbers; bounded by the number of distinct statements analyzed. */
const sigIds = new Map<string, number>();
function internSig(sig: string): number {
  let id = sigIds.get(sig);
  if (id === undefined) sigIds.set(sig, (id = sigIds.size));
  return id;
}

const sigs = (pieces: readonly Piece[] | undefined): string => (pieces ? pieces.map((p) => p.id).sort((a, b) => a - b).join(',') : '<no boundary>');

function sameSides(a: Side, b: Side): boolean {
  return a.exists === b.exists && sigs(a.identity) === sigs(b.identity) && sigs(a.boundary) === sigs(b.boundary);
}

/** The requests `to` allows and `from` does not, as entries. */
function deltaEntries(from: Side, to: Side, classes: readonly { actions: string[] }[], fromCompiled: PrincipalPolicies | undefined, toCompiled: PrincipalPolicies | undefined, options: AccessDeltaOptions): AccessEntry[] {
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
    const key = classKey(from.exists, slices, cls.actions);
    let found = classCache.get(key);
    if (!found) {
      found = classEntries(cls.actions, slices, fromCompiled, toCompiled, options);
      if (classCache.size >= CLASS_CACHE_LIMIT) classCache.clear();
      classCache.set(key, found);
    }
    entries.push(...found);
  }
  // A stable order, whatever order the classes were found in (keys computed once, not per comparison).
  return tidy(entries, options.catalog)
    .map((e) => ({ e, key: JSON.stringify([e.actions, e.notActions, e.resources, e.notResources, e.condition, e.except]) }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map(({ e }) => e);
}

// ---------------------------------------------------------------------------------------------------------------
// One principal's entries without redundancy

/** Entries (objects from the class cache) by identity, to cache what is done with a principal's list of them. */
const entryIds = new WeakMap<AccessEntry, number>();
const tidied = new Map<string, AccessEntry[]>();

let nextEntryId = 0;

function entryId(e: AccessEntry): number {
  let id = entryIds.get(e);
  if (id === undefined) entryIds.set(e, (id = nextEntryId++));
  return id;
}

/**
 * A principal's entries in one direction without redundancy: entries with the same resources, condition and
 * carve-outs become one (actions and reasons united, whichever classes of actions they came from); then an entry
 * whose requests all lie in another is folded into it, its reasons kept. Both keep the set of requests the same.
 */
function tidy(entries: readonly AccessEntry[], catalog: ActionCatalog): AccessEntry[] {
  if (entries.length < 2) return [...entries];
  const key = entries.map(entryId).join(',');
  let found = tidied.get(key);
  if (!found) {
    found = foldContained(uniteSameWhere(entries, catalog), catalog);
    if (tidied.size >= CLASS_CACHE_LIMIT) tidied.clear();
    tidied.set(key, found);
  }
  return found;
}

function uniteSameWhere(entries: readonly AccessEntry[], catalog: ActionCatalog): AccessEntry[] {
  const groups = new Map<string, AccessEntry[]>();
  for (const e of entries) addTo(groups, stableStringify([e.resources ?? null, e.notResources ?? null, e.condition ?? null, e.except ?? null]), e);
  return [...groups.values()].map((list) => {
    if (list.length === 1) return list[0]!;
    // The same entries (from shared classes: a group's policy) unite the same way for every principal: once.
    const key = list.map(entryId).join(',');
    let united = unitedCache.get(key);
    if (!united) {
      united = unite(list, catalog);
      if (unitedCache.size >= CLASS_CACHE_LIMIT) unitedCache.clear();
      unitedCache.set(key, united);
    }
    return united;
  });
}

const unitedCache = new Map<string, AccessEntry>();

/** Entries over the same resources, condition and carve-outs as one: their actions, reasons and resource types united. */
function unite(list: readonly AccessEntry[], catalog: ActionCatalog): AccessEntry {
  const first = list[0]!;
  const types = list.every((e) => e.resourceTypes) ? [...new Set(list.flatMap((e) => e.resourceTypes!))].sort() : undefined;
  const example = list.find((e) => e.example)?.example;
  return {
    ...unitedActions(list, catalog),
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

/**
 * The union of entries' actions, written as `actions` or `notActions`. Where one of them is "every action but a few"
 * the union is computed on those few (the catalog's 22,000 actions are never listed, as a principal with
 * AdministratorAccess would otherwise cost).
 */
function unitedActions(list: readonly AccessEntry[], catalog: ActionCatalog): Pick<AccessEntry, 'actions' | 'notActions'> {
  const specs = list.map((e) => actionSpec(e, catalog));
  if (specs.some((x) => x.outside)) {
    // Outside the union: outside every entry.
    let outside: Set<string> | undefined;
    for (const x of specs.filter((y) => y.outside)) outside = outside ? new Set([...outside].filter((a) => x.set.has(a))) : new Set(x.set);
    for (const x of specs.filter((y) => !y.outside)) for (const a of x.set) outside!.delete(a);
    const excluded = catalog.expand('*').filter((a) => outside!.has(a.toLowerCase()));
    return excluded.length === 0 ? { actions: ['*'] } : { notActions: compressActions(excluded, catalog) };
  }
  const actions = [...new Set(list.flatMap((e) => entryActions(e, catalog)))].sort();
  return writeActions(actions, catalog, list.flatMap((e) => e.actions ?? []).filter((a) => /[*?]/.test(a)));
}

/** An entry's actions as a set (lower case): the actions it names, or (`outside`) the ones it names by exclusion. */
interface ActionSpec {
  readonly outside: boolean;
  readonly set: ReadonlySet<string>;
  /** How many catalog actions the entry holds. */
  readonly size: number;
}

const actionSpecs = new WeakMap<AccessEntry, ActionSpec>();

function actionSpec(e: AccessEntry, catalog: ActionCatalog): ActionSpec {
  let spec = actionSpecs.get(e);
  if (!spec) {
    const lower = (list: readonly string[]): Set<string> => new Set(concreteActions(list, catalog).map((a) => a.toLowerCase()));
    if (e.notActions) {
      const set = lower(e.notActions);
      spec = { outside: true, set, size: catalog.expand('*').length - set.size };
    } else {
      const set = lower(e.actions ?? []);
      spec = { outside: false, set, size: set.size };
    }
    actionSpecs.set(e, spec);
  }
  return spec;
}

/** Whether every action of `inner` is one of `outer`'s, on their compact forms. */
function actionsWithin(inner: ActionSpec, outer: ActionSpec): boolean {
  if (inner.size > outer.size) return false;
  if (!inner.outside && !outer.outside) return [...inner.set].every((a) => outer.set.has(a));
  if (!inner.outside && outer.outside) return [...inner.set].every((a) => !outer.set.has(a));
  if (inner.outside && outer.outside) return [...outer.set].every((a) => inner.set.has(a));
  return false; // "all but a few" inside a list: only if the list is nearly the catalog, which the sizes rule out mostly
}

/** Entries whose requests all lie in another entry, folded into it (smallest first, so chains end in the largest). */
function foldContained(entries: readonly AccessEntry[], catalog: ActionCatalog): AccessEntry[] {
  if (entries.length < 2) return [...entries];
  const described = entries.map((e, i) => ({ e, i, actions: actionSpec(e, catalog), folded: false, extra: [] as string[] }));
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

function resourcesWithin(inner: Pick<AccessEntry, 'resources' | 'notResources'>, outer: Pick<AccessEntry, 'resources' | 'notResources'>): boolean {
  if (isAll(outer)) return true;
  if (outer.resources && inner.resources) return inner.resources.every((x) => outer.resources!.some((y) => resourcePatternCovers(y, x)));
  if (outer.notResources && inner.resources) return inner.resources.every((x) => !hasPolicyVariable(x) && outer.notResources!.every((n) => !hasPolicyVariable(n) && patternsDisjoint(n, x)));
  if (outer.notResources && inner.notResources) return outer.notResources.every((n) => inner.notResources!.some((m) => resourcePatternCovers(m, n)));
  return false;
}

interface ClassSlices {
  readonly fromIdentity: readonly Piece[];
  /** Undefined when there is no boundary before (or no principal). */
  readonly fromBoundary: readonly Piece[] | undefined;
  readonly toIdentity: readonly Piece[];
  readonly toBoundary: readonly Piece[] | undefined;
}

const classCache = new Map<string, readonly AccessEntry[]>();
const CLASS_CACHE_LIMIT = 20_000;

function classKey(fromExists: boolean, slices: ClassSlices, actions: readonly string[]): string {
  const uids = (pieces: readonly Piece[] | undefined): string => (pieces ? pieces.map((p) => p.uid).join(',') : '-');
  return `${fromExists ? 1 : 0}|${uids(slices.fromIdentity)}|${uids(slices.fromBoundary)}|${uids(slices.toIdentity)}|${uids(slices.toBoundary)}|${actions.join(',')}`;
}

/** The entries of one class of actions: what its new statements allow that its old ones did not. */
function classEntries(classActions: readonly string[], slices: ClassSlices, fromCompiled: PrincipalPolicies | undefined, toCompiled: PrincipalPolicies, options: AccessDeltaOptions): AccessEntry[] {
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
        for (const { actions: subset, refusal } of splitByServiceRefusals(actions)) {
          // Requests the service refuses whatever the policies say are neither granted nor revoked.
          const refused: Carveout[] = refusal ? [{ resources: [refusal.resources] }] : [];
          if (refusal && carvedAway([...refused, ...carveouts], withDeny)) continue;
          for (const part of receivableParts(subset, withDeny, carveouts, index)) {
            if (part.shape !== withDeny && carvedAway([...refused, ...carveouts], part.shape)) continue;
            entries.push(finish(part.actions, part.shape, c.except, options.catalog, patterns, refused, index));
          }
        }
      }
    }
  }
  // Examples last, once per distinct entry.
  return withoutSubsumed(dedupe(entries)).map((entry) => withExample(entry, fromCompiled, toCompiled, options));
}

/**
 * Classes of catalog actions whose statement slices differ between the two sides. The partition is the same
 * whichever side is "before", so it is computed once per principal and used for both granted and revoked.
 */
function actionClasses(from: Side, to: Side, catalog: ActionCatalog): { actions: string[] }[] {
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
  for (const piece of pieces) for (const a of actionsOf(piece, catalog)) candidates.add(a);
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
      const covered = coverageOf(piece, catalog);
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
 * The catalog actions a statement's Action/NotAction covers, computed once per distinct statement and catalog: a
 * group policy shared by 2,000 users is expanded once, not 2,000 times.
 */
const expansions = new WeakMap<ActionCatalog, Map<string, readonly string[]>>();

function actionsOf(piece: Piece, catalog: ActionCatalog): readonly string[] {
  return cachedPer(expansions, catalog, piece.sig, () => {
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

const coverage = new WeakMap<ActionCatalog, Map<string, ReadonlySet<string>>>();

function coverageOf(piece: Piece, catalog: ActionCatalog): ReadonlySet<string> {
  return cachedPer(coverage, catalog, piece.sig, () => new Set(actionsOf(piece, catalog)));
}

function splitAction(a: string): [string, string] {
  const colon = a.indexOf(':');
  return [a.slice(0, colon).toLowerCase(), a.slice(colon + 1).toLowerCase()];
}

// ---------------------------------------------------------------------------------------------------------------
// Shapes: resources x condition, and their intersections

interface Shape {
  readonly resources?: readonly string[];
  readonly notResources?: readonly string[];
  readonly condition?: Record<string, Record<string, unknown>>;
  /** Resources taken out (a NotResource met by a Resource): they become carve-outs of the entry. */
  readonly outside?: readonly (readonly string[])[];
  readonly approximate: boolean;
  readonly because: readonly string[];
}

function shape(p: Piece): Omit<Shape, 'approximate' | 'because'> {
  return { ...(p.resources ? { resources: p.resources } : {}), ...(p.notResources ? { notResources: p.notResources } : {}), ...(p.condition ? { condition: p.condition } : {}) };
}

function intersect(a: Piece, b: Piece): Shape | undefined {
  return intersectShapes({ ...shape(a), approximate: false, because: [a.because] }, { ...shape(b), approximate: false, because: [b.because] });
}

const isAll = (s: { resources?: readonly string[]; notResources?: readonly string[] }): boolean =>
  (s.resources !== undefined && s.resources.includes('*')) || (s.notResources !== undefined && s.notResources.length === 0) || (s.resources === undefined && s.notResources === undefined);

/** The intersection of two shapes, or undefined when it is provably empty. */
function intersectShapes(a: Shape, b: Shape): Shape | undefined {
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

function pickResources(s: Pick<Shape, 'resources' | 'notResources'>): Pick<Shape, 'resources' | 'notResources'> {
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
function carvedAway(carveouts: readonly Carveout[], s: Shape): boolean {
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
function conditionImplied(c: Carveout['condition'], given: Carveout['condition']): boolean {
  if (!c) return true;
  return Object.entries(c).every(([op, block]) => Object.entries(block ?? {}).every(([k, v]) => given?.[op]?.[k] !== undefined && stableStringify(given[op]![k]) === stableStringify(v)));
}

/** The resources a shape leaves out (a NotResource it met), as carve-outs. */
function outsideCarveouts(s: Shape): Carveout[] {
  return (s.outside ?? []).map((resources) => ({ resources }));
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

/** At most this many resource types are listed on an entry (`s3:*` on "*" would list every S3 type). */
const RESOURCE_TYPES_LISTED = 8;

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

function finish(actions: readonly string[], s: Shape, except: readonly Piece[], catalog: ActionCatalog, patterns: readonly string[], refused: readonly Carveout[], index: ResourceTypeIndex): AccessEntry {
  const resourceTypes = resourceTypesOf(actions, s, index);
  // A carve-out the entry's requests never reach (a Deny on a table, beside an entry of functions) says nothing true.
  const inside = (c: Carveout): boolean => !isDisjoint(c, s) && reachedBy(c, s, actions, index);
  const carveouts = [
    ...outsideCarveouts(s).filter(inside),
    ...except.map((e): Carveout => shape(e)).filter(inside),
    ...refused.filter(inside),
  ];
  return {
    ...writeActions(actions, catalog, patterns),
    ...pickResources(s),
    ...(s.condition ? { condition: s.condition } : {}),
    ...(carveouts.length ? { except: dedupeCarveouts(carveouts) } : {}),
    ...(s.approximate ? { approximate: true as const } : {}),
    ...(resourceTypes ? { resourceTypes } : {}),
    because: [...new Set(s.because)],
  };
}

/**
 * The actions, split by the service refusal that applies to them (GetCallerIdentity, always allowed, left out):
 * computed once per action list, which is shared by all the entries of a class.
 */
const refusalSplits = new WeakMap<readonly string[], { actions: string[]; refusal?: ServiceRefusal }[]>();

function splitByServiceRefusals(actions: readonly string[]): { actions: string[]; refusal?: ServiceRefusal }[] {
  let split = refusalSplits.get(actions);
  if (!split) {
    const groups = new Map<ServiceRefusal | undefined, string[]>();
    for (const action of actions) {
      const lower = action.toLowerCase();
      if (lower === ALWAYS_ALLOWED_ACTION) continue;
      addTo(groups, SERVICE_REFUSALS.find((r) => r.actions.has(lower)), action);
    }
    split = [...groups].map(([refusal, list]) => ({ actions: list, ...(refusal ? { refusal } : {}) }));
    refusalSplits.set(actions, split);
  }
  return split;
}

/**
 * `actions` compressed, or `notActions` (the catalog's other actions, compressed) when the set is most of the
 * catalog and that is shorter: "every action but iam:CreatePolicyVersion, ..." rather than 400 services.
 */
function writeActions(actions: readonly string[], catalog: ActionCatalog, patterns: readonly string[]): Pick<AccessEntry, 'actions' | 'notActions'> {
  // The same action list (a class's, shared by its entries) with the same statements' patterns is written once.
  return cachedPer(written, actions, patterns.join('\u0001'), () => writeActionsUncached(actions, catalog, patterns));
}

const written = new WeakMap<readonly string[], Map<string, Pick<AccessEntry, 'actions' | 'notActions'>>>();

function writeActionsUncached(actions: readonly string[], catalog: ActionCatalog, patterns: readonly string[]): Pick<AccessEntry, 'actions' | 'notActions'> {
  const written = compressActions(actions, catalog, patterns);
  const all = catalog.expand('*');
  if (actions.length * 2 < all.length || written.length <= 3) return { actions: written };
  const inSet = new Set(actions.map((a) => a.toLowerCase()));
  const complement = compressActions(all.filter((a) => !inSet.has(a.toLowerCase())), catalog);
  return complement.length < written.length ? { notActions: complement } : { actions: written };
}

/**
 * Whether two resource patterns share no ARN: exactly, or for patterns with policy variables, when their literal
 * starts or ends differ (sound either way).
 */
function patternsDisjoint(a: string, b: string): boolean {
  const common = intersectResourcePatterns(a, b);
  return common ? common.length === 0 : globsDisjoint(a, b);
}

/**
 * Whether some request of the entry can fall in the carve-out: an ARN both name that one of the entry's actions can
 * be asked on (per the catalog's ARN formats). Sound: where it cannot tell (policy variables, unknown actions), yes.
 */
function reachedBy(carve: Carveout, s: Shape, actions: readonly string[], index: ResourceTypeIndex): boolean {
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
function isDisjoint(carve: Carveout, s: Shape): boolean {
  if (!carve.resources || !s.resources || isAll(carve) || isAll(s)) return false;
  return carve.resources.every((c) => s.resources!.every((r) => patternsDisjoint(c, r)));
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

/**
 * A service whose every catalog action is in the set becomes `service:*`, and every action of every service `*`
 * (meaning the catalog's actions, as the plan's `catalog` version defines them).
 */
function compressActions(all: readonly string[], catalog: ActionCatalog, patterns: readonly string[] = []): string[] {
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
function concreteActions(actions: readonly string[], catalog: ActionCatalog): string[] {
  return actions.flatMap((a) => (/[*?]/.test(a) ? catalog.expand(a) : [a]));
}

/** The catalog actions an entry names, by `actions` or by `notActions`. */
export function entryActions(entry: Pick<AccessEntry, 'actions' | 'notActions'>, catalog: ActionCatalog): string[] {
  if (entry.actions) return concreteActions(entry.actions, catalog);
  const excluded = new Set(concreteActions(entry.notActions ?? [], catalog).map((a) => a.toLowerCase()));
  return catalog.expand('*').filter((a) => !excluded.has(a.toLowerCase()));
}

// ---------------------------------------------------------------------------------------------------------------
// Examples

/**
 * What an entry means: a request is in it iff its action is one of the entry's (wildcards meaning catalog actions),
 * its resource and context match the entry's resources and condition, and none of the carve-outs.
 */
export function entryContains(entry: AccessEntry, request: { action: string; resource: string; context: RequestContext }, catalog: ActionCatalog): boolean {
  return containsFunction(entry, catalog)(request);
}

type Contains = (request: { action: string; resource: string; context: RequestContext }) => boolean;

/** An entry's membership test, compiled once (examples test several requests against the same entry). */
function containsFunction(entry: AccessEntry, catalog: ActionCatalog): Contains {
  const actions = new Set(entryActions(entry, catalog).map((a) => a.toLowerCase()));
  const main = shapeTest(entry);
  const carveouts = (entry.except ?? []).map(shapeTest);
  return (request) => {
    if (!actions.has(request.action.toLowerCase())) return false;
    const resource = prepareResource(request.resource);
    const context = prepareContext(request.context);
    // An action that takes no resource is requested on "*", which only "*" matches.
    const wildcardOnly = resource.isAll && catalog.isWildcardOnly(request.action);
    return main(resource, context, wildcardOnly) && !carveouts.some((c) => c(resource, context, wildcardOnly));
  };
}

/** Compiled resource patterns, shared by all entries: thousands of principals' entries name the same ARNs. */
const resourceTests = new Map<string, ReturnType<typeof compileResource>>();

function resourceTest(pattern: string, notResource: boolean): ReturnType<typeof compileResource> {
  const key = `${notResource ? 'N' : 'R'}${pattern}`;
  let test = resourceTests.get(key);
  if (!test) resourceTests.set(key, (test = compileResource(pattern, 'Allow', notResource, true)));
  return test;
}

function shapeTest(shape: Carveout): (resource: PreparedResource, context: PreparedContext, wildcardOnly: boolean) => boolean {
  const tests = (shape.resources ?? shape.notResources ?? ['*']).map((p) => resourceTest(p, shape.notResources !== undefined));
  const condition = compileConditions(shape.condition, true);
  return (resource, context, wildcardOnly) => {
    const resourceMatches = shape.notResources ? tests.every((t) => t(resource, context, wildcardOnly) === 'mismatch') : tests.some((t) => t(resource, context, wildcardOnly) === 'match');
    return resourceMatches && condition(context);
  };
}

function withExample(entry: AccessEntry, before: PrincipalPolicies | undefined, after: PrincipalPolicies, options: AccessDeltaOptions): AccessEntry {
  const actions = entry.actions ? concreteActions(entry.actions.slice(0, 3), options.catalog).slice(0, 5) : entryActions(entry, options.catalog).slice(0, 5);
  const contains = containsFunction(entry, options.catalog);
  const contexts = exampleContexts(entry);
  for (const action of actions) {
    for (const resource of exampleResources(entry, action, options, resourceTypeIndex(options.catalog))) {
      for (const context of contexts) {
        // A request reaches the region its endpoint is in: the example's resource is in the requested region.
        const request = { principal: '', action, resource: inRequestedRegion(resource, context), context };
        // The example must show this entry, not a grant that another entry describes.
        if (!contains(request)) continue;
        const was = before ? evaluate(before, request, options).decision : 'ImplicitlyDenied';
        const is = evaluate(after, request, options).decision;
        if (was !== 'Allowed' && is === 'Allowed') return { ...entry, example: { action, resource: request.resource, context } };
      }
    }
  }
  // No request could be shown: the entry may be empty (carved out in a way not proven above) or hard to instantiate.
  return entry.approximate ? entry : { ...entry, approximate: true };
}

/** The resource's region set to the context's aws:RequestedRegion, where both have one. */
function inRequestedRegion(resource: string, context: RequestContext): string {
  const region = context['aws:RequestedRegion'];
  const parts = resource.split(':');
  if (typeof region !== 'string' || parts.length < 6 || parts[3] === '' || parts[3] === region) return resource;
  return [...parts.slice(0, 3), region, ...parts.slice(4)].join(':');
}

/** A concrete string matching a pattern: escapes become their characters, variables "example", wildcards `fill`. */
function instantiate(pattern: string, fill: string): string {
  // Escapes are set aside as placeholders first, so the wildcard replacements below cannot touch them.
  const escapes = { '*': '\u0001', '?': '\u0002', $: '\u0003' } as const;
  return pattern
    .replace(/\$\{([*?$])\}/g, (_m, c: keyof typeof escapes) => escapes[c])
    .replace(/\$\{[^}]*\}/g, 'example')
    .replace(/\*/g, fill)
    .replace(/\?/g, 'x')
    .replace(/[\u0001-\u0003]/g, (c) => '*?$'[c.charCodeAt(0) - 1]!);
}

/** `instantiate` for an ARN pattern, with a plausible partition, region and account where those are just "*". */
function instantiateArn(pattern: string, fill: string): string {
  const parts = pattern.split(':');
  const plausible: Record<number, string> = { 1: 'aws', 3: 'us-east-1', 4: '123456789012' };
  return instantiate(parts.map((part, i) => (part === '*' && plausible[i] && parts.length >= 6 ? plausible[i]! : part)).join(':'), fill);
}

/** An example resource is a real ARN: a short pattern such as "arn:aws:s3" gets its missing parts. */
function wellFormed(arn: string): string {
  const parts = arn.split(':');
  while (parts.length < 6) parts.push('x');
  return parts.join(':');
}

/**
 * Resources to try as an entry's example for `action`: only requests AWS can receive (`*` for an action that takes
 * no resource; otherwise an ARN of one of its types), built from the entry's patterns, from the action's ARN formats
 * where the entry reaches any resource, and from around its carve-outs.
 */
function exampleResources(entry: AccessEntry, action: string, options: EvaluateOptions, index: ResourceTypeIndex): string[] {
  if (options.isWildcardOnlyAction(action)) return ['*'];
  const out: string[] = [];
  for (const pattern of entry.resources ?? []) {
    if (pattern === '*') out.push('*', ...typedExamples(action, index));
    else {
      for (const fill of ['x', 'iam-gitops-example', '']) out.push(instantiateArn(pattern, fill));
      // The pattern met with each of the action's ARN formats: `arn:aws:s3:::*` for GetObject is `arn:aws:s3:::*/*`.
      for (const type of index.typesOf(action).slice(0, 4)) {
        for (const piece of intersectResourcePatterns(pattern, formatPattern(type.arn)) ?? []) out.push(instantiateArn(piece.replace(/\?\*/g, '*'), 'x'), instantiateArn(piece.replace(/\?\*/g, '*'), 'iam-gitops-example'));
      }
    }
  }
  if (entry.notResources) out.push('*', ...typedExamples(action, index), ...OUTSIDE_EXAMPLES);
  // Inside a carve-out's NotResource list is outside that carve-out.
  for (const carve of entry.except ?? []) for (const pattern of carve.notResources ?? []) if (pattern !== '*') out.push(instantiateArn(pattern, 'x'));
  // Resources of the carve-outs' types, but outside them: the ARN up to its resource type, then an unused name.
  // (With the account changed too, for carve-outs naming one account, such as AWS's own policies.)
  for (const carve of entry.except ?? []) {
    for (const pattern of carve.resources ?? []) {
      if (pattern === '*') continue;
      const concrete = wellFormed(instantiateArn(pattern, 'x')).split(':');
      const resource = concrete.slice(5).join(':');
      const cut = resource.search(/[/:]/);
      const other = `${cut < 0 ? '' : resource.slice(0, cut + 1)}iam-gitops-other`;
      out.push([...concrete.slice(0, 5), other].join(':'));
      if (concrete[4] !== '') out.push([...concrete.slice(0, 4), '123456789012', other].join(':'));
    }
  }
  if ((entry.resources ?? []).includes('*')) out.push(...OUTSIDE_EXAMPLES);
  // A resource with a literal "*" or "?" (from a "${*}" escape) is no request anyone makes, and evaluators differ on
  // it: not an example.
  return [...new Set(out.map((r) => (r === '*' ? r : wellFormed(r))))].filter((r) => (r === '*' || !/[*?]/.test(r)) && index.receivable(action, r)).slice(0, 20);
}

/** ARNs of an action's resource types, from their formats: `${BucketName}` becomes a name, `${Region}` a region. */
function typedExamples(action: string, index: ResourceTypeIndex): string[] {
  const fills: Record<string, string> = { Partition: 'aws', Region: 'us-east-1', Account: '123456789012' };
  return index.typesOf(action).slice(0, 4).map((t) => t.arn.replace(/\$\{(\w+)\}/g, (_m, name: string) => fills[name] ?? 'iam-gitops-example'));
}

/** Resources of several services and kinds, for entries on "everything except ...". */
const OUTSIDE_EXAMPLES = ['arn:aws:s3:::iam-gitops-example-outside', 'arn:aws:sqs:us-east-1:123456789012:iam-gitops-example', 'arn:aws:iam::123456789012:role/iam-gitops-example', 'arn:aws:dynamodb:eu-west-1:123456789012:table/iam-gitops-example'];

/**
 * A context that satisfies the entry's condition block, per operator family, with every policy variable the entry
 * uses set to "example" (the value example resources substitute for it).
 */
function exampleContexts(entry: AccessEntry): Record<string, string | string[]>[] {
  const condition = entry.condition;
  const context: Record<string, string | string[]> = {};
  const variables = JSON.stringify([entry.resources ?? [], entry.notResources ?? [], condition ?? {}]).match(/\$\{[^}]*\}/g) ?? [];
  for (const v of variables) {
    const name = v.slice(2, -1).split(',')[0]!.trim();
    if (!['*', '?', '$'].includes(name)) context[name] = 'example';
  }
  if (!condition && !(entry.except ?? []).some((c) => c.condition)) return [context];
  for (const [operator, block] of Object.entries(condition ?? {})) {
    const op = operator.toLowerCase();
    for (const [key, raw] of Object.entries(block ?? {})) {
      const values = (Array.isArray(raw) ? raw : [raw]).map(String);
      const first = values[0] ?? '';
      const base = op.replace(/^for(any|all)value:/, '').replace(/ifexists$/, '');
      if (base === 'null') {
        if (first.toLowerCase() === 'false') context[key] = 'present';
        continue;
      }
      if (base.includes('not')) {
        // A missing key satisfies a negated operator, except under ForAnyValue (no value, no match): give another.
        if (op.startsWith('foranyvalue:')) context[key] = ['iam-gitops-other'];
        continue;
      }
      let value: string;
      if (base.startsWith('numeric')) value = String(Number(first) + (base.includes('less') ? -1 : base.includes('greater') ? 1 : 0));
      else if (base.startsWith('date')) value = shiftedDate(first, base.includes('less') ? -1 : base.includes('greater') ? 1 : 0, key) ?? instantiate(first, 'x');
      else if (base === 'ipaddress') value = first.split('/')[0]!;
      else value = instantiate(first, 'x');
      context[key] = op.startsWith('for') ? [value] : value;
    }
  }
  // Then step out of each carve-out where a key the entry leaves free can do it.
  const fixed = new Set(Object.keys(condition ?? {}).flatMap((op) => Object.keys(condition?.[op] ?? {}).map((k) => k.toLowerCase())));
  for (const carve of entry.except ?? []) {
    for (const [operator, block] of Object.entries(carve.condition ?? {})) {
      const base = operator.toLowerCase().replace(/^for(any|all)value:/, '').replace(/ifexists$/, '');
      for (const [key, raw] of Object.entries(block ?? {})) {
        if (fixed.has(key.toLowerCase())) continue;
        const first = String((Array.isArray(raw) ? raw : [raw])[0] ?? '');
        if (base === 'null') {
          if (first.toLowerCase() === 'true') context[key] = 'present';
          else delete context[key];
        } else if (base.includes('not')) {
          context[key] = first; // a negated operator is false when the key equals a listed value
        } else if (base === 'bool') {
          context[key] = first.toLowerCase() === 'true' ? 'false' : 'true';
        } else {
          context[key] = 'iam-gitops-other';
        }
        fixed.add(key.toLowerCase());
      }
    }
  }
  // Where that context is not an example (two constraints on one key, say), the same with one key changed, to each
  // value near one a condition names, or removed.
  const variants: Record<string, string | string[]>[] = [context];
  for (const [key, values] of candidateValues(entry)) {
    for (const value of values) {
      const variant = { ...context };
      if (value === undefined) delete variant[key];
      else variant[key] = value;
      variants.push(variant);
    }
  }
  return variants.slice(0, 24);
}

/**
 * A date `days` away from the one a Date condition names, in the form the engine reads for the key (epoch seconds
 * for aws:EpochTime, else ISO 8601); undefined when the value is no date (a policy variable) or the shift leaves the
 * range of dates.
 */
function shiftedDate(value: string, days: number, key: string): string | undefined {
  const ms = parseDate(value);
  if (ms === undefined) return undefined;
  const shifted = new Date(ms + days * 86_400_000);
  if (Number.isNaN(shifted.getTime())) return undefined;
  return key.toLowerCase() === 'aws:epochtime' ? String(Math.floor(shifted.getTime() / 1000)) : shifted.toISOString();
}

/** Per condition key of the entry and its carve-outs: values on either side of each one named, and "missing". */
function candidateValues(entry: AccessEntry): Map<string, (string | string[] | undefined)[]> {
  const out = new Map<string, (string | string[] | undefined)[]>();
  for (const condition of [entry.condition, ...(entry.except ?? []).map((c) => c.condition)]) {
    for (const [operator, block] of Object.entries(condition ?? {})) {
      const op = operator.toLowerCase();
      const base = op.replace(/^for(any|all)value:/, '').replace(/ifexists$/, '');
      for (const [key, raw] of Object.entries(block ?? {})) {
        const found = out.get(key) ?? [undefined];
        for (const v of (Array.isArray(raw) ? raw : [raw]).map(String).slice(0, 2)) {
          let values: string[];
          if (base.startsWith('numeric')) values = [-1, 0, 1].map((d) => String(Number(v) + d));
          else if (base.startsWith('date')) values = [-1, 0, 1].map((d) => shiftedDate(v, d, key)).filter((x): x is string => x !== undefined);
          else if (base === 'bool' || base === 'null') values = ['true', 'false'];
          else if (base.startsWith('ipaddress') || base.startsWith('notipaddress')) values = [v.split('/')[0]!, '198.51.100.1'];
          else values = [instantiate(v, 'x'), 'iam-gitops-other'];
          found.push(...(op.startsWith('for') ? values.map((x) => [x]) : values));
        }
        out.set(key, found);
      }
    }
  }
  return out;
}

