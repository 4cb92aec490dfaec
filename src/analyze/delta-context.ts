/**
 * What one access-delta analysis remembers while it runs. The work is shared between principals (a managed policy
 * attached to 1,000 roles is read and compiled once, a group's classes of actions are computed once for its 2,000
 * members), so it is cached, but the caches belong to the analysis: created with it, passed down, dropped with it.
 * Two plans analysed in one process share nothing (their catalogs may differ, and a cached answer of one would be
 * wrong for the other), and a long-lived process does not keep every plan's statements.
 */
import type { ActionCatalog } from '../catalog/action-catalog.js';
import type { PolicyJson } from '../core/policy.js';
import type { CompiledPolicy } from '../evaluate/compile-policy.js';
import type { compileResource } from '../evaluate/resources.js';
import type { ServiceRefusal } from '../evaluate/service-rules.js';
import type { AccessDeltaOptions, AccessEntry } from './access-delta.js';
import type { ActionSpec } from './entry-actions.js';
import type { Piece } from './statement-pieces.js';

/**
 * Keyed caches of results computed from whole principals' statements (classes, tidied lists) are cleared when they
 * reach this size, so one huge plan cannot grow them without bound either; a miss only costs recomputation.
 */
const BOUNDED_CACHE_LIMIT = 20_000;

/** One analysis's options and caches. Every cache is a function of the options' catalog and its own key. */
export class DeltaContext {
  readonly catalog: ActionCatalog;

  /** Compiled documents, per document object and name. */
  readonly compiled = new WeakMap<PolicyJson, Map<string, CompiledPolicy>>();
  /** A document's statements as pieces, per document object and name. */
  readonly pieces = new WeakMap<PolicyJson, Map<string, Piece[]>>();
  /** The catalog actions a statement's Action/NotAction covers, by the statement's content. */
  readonly expansions = new Map<string, readonly string[]>();
  /** The same, as sets. */
  readonly coverage = new Map<string, ReadonlySet<string>>();
  /** A class's entries, by the statements covering it on both sides and its actions (see `classKey`). */
  readonly classes = new Map<string, readonly AccessEntry[]>();
  /** A principal's entries without redundancy, by the identities of the entries (`entryId`). */
  readonly tidied = new Map<string, AccessEntry[]>();
  /** Entries over the same resources, condition and carve-outs united, by the identities of the entries. */
  readonly united = new Map<string, AccessEntry>();
  /** An entry's actions as a set, per entry object. */
  readonly actionSpecs = new WeakMap<AccessEntry, ActionSpec>();
  /** Action lists split by the service refusal that applies, per list object (a class's, shared by its entries). */
  readonly refusalSplits = new WeakMap<readonly string[], { actions: string[]; refusal?: ServiceRefusal }[]>();
  /** An action list written compactly, per list object and the statements' patterns. */
  readonly written = new WeakMap<readonly string[], Map<string, Pick<AccessEntry, 'actions' | 'notActions'>>>();
  /** Whether two statements can apply to one request, by their ids (see relevant-pieces.ts). */
  readonly meetings = new Map<number, boolean>();
  /** A principal's delta, by the statements that can matter to it on both sides (see relevant-pieces.ts). */
  readonly deltas = new Map<string, { readonly granted: readonly AccessEntry[]; readonly revoked: readonly AccessEntry[] }>();
  /** Compiled resource patterns of entries, for example membership tests. */
  readonly resourceTests = new Map<string, ReturnType<typeof compileResource>>();

  /** Statement contents interned as small numbers, for cheap keys. */
  private readonly sigIds = new Map<string, number>();
  /** Entries (objects from the class cache) by identity, to key what is done with a principal's list of them. */
  private readonly entryIds = new WeakMap<AccessEntry, number>();
  private nextEntryId = 0;

  constructor(readonly options: AccessDeltaOptions) {
    this.catalog = options.catalog;
  }

  internSig(sig: string): number {
    let id = this.sigIds.get(sig);
    if (id === undefined) this.sigIds.set(sig, (id = this.sigIds.size));
    return id;
  }

  entryId(entry: AccessEntry): number {
    let id = this.entryIds.get(entry);
    if (id === undefined) this.entryIds.set(entry, (id = this.nextEntryId++));
    return id;
  }

  /** The value under `key` in one of the bounded caches, computed on a miss. */
  remembered<V>(cache: Map<string, V>, key: string, compute: () => V): V {
    let value = cache.get(key);
    if (value === undefined) {
      value = compute();
      if (cache.size >= BOUNDED_CACHE_LIMIT) cache.clear();
      cache.set(key, value);
    }
    return value;
  }
}
