/**
 * Sets of actions in words a reviewer can check, from the catalog's services and access levels. An entry always says
 * what it grants (for `notActions`, what remains), never only what it leaves out:
 *
 * - few services: per service, its levels and its actions (`logs (Read): FilterLogEvents, GetLogEvents`);
 * - most of the catalog, with few services incomplete: every action of the others, and what it holds of those
 *   (`every action of every service except iam, kms, sts, where only: iam (…): 167 of 190 actions, all but 16
 *   Permissions management, 7 Write; kms (…): every action but CreateAlias, DeleteAlias, UpdateAlias; …`);
 * - otherwise by access level: `read-only access to every service (every List and Read action)`, or `6,911 actions
 *   in 313 services: 3,102 List; 3,809 Read`.
 *
 * Every number is a count of catalog actions in the set. Pure; the catalog's facts are computed once per catalog.
 */
import { count } from '../core/plural.js';
import type { AccessLevel, ActionCatalog } from '../catalog/action-catalog.js';

/** Levels in the order a reviewer weighs them: what reads, then what changes, then who may do what. */
const LEVELS: readonly AccessLevel[] = ['List', 'Read', 'Write', 'Permissions management', 'Tagging'];
/** Up to this many services are described one by one. */
const SERVICES_NAMED = 5;
/** Up to this many actions are named rather than counted. */
const ACTIONS_NAMED = 4;
/** A set missing up to this many actions of a service (or level) says which: "every action but …". */
const MISSING_NAMED = 3;

interface CatalogFacts {
  /** Lower-case `service:name` -> level and spelling. */
  readonly actions: ReadonlyMap<string, { readonly service: string; readonly name: string; readonly level: AccessLevel }>;
  readonly perService: ReadonlyMap<string, number>;
  /** Each service's actions, lower case. */
  readonly ofService: ReadonlyMap<string, readonly string[]>;
  readonly perLevel: ReadonlyMap<AccessLevel, readonly string[]>;
  readonly total: number;
  /** Memoised answers, by the specs they were asked for (bounded). */
  readonly unions: Map<string, ReadonlySet<string>>;
  readonly described: Map<string, string>;
  readonly headlines: Map<string, { readonly amount: string; readonly where: string }>;
}

const facts = new WeakMap<ActionCatalog, CatalogFacts>();

function factsOf(catalog: ActionCatalog): CatalogFacts {
  let found = facts.get(catalog);
  if (!found) {
    const actions = new Map<string, { service: string; name: string; level: AccessLevel }>();
    const perService = new Map<string, number>();
    const ofService = new Map<string, string[]>();
    const perLevel = new Map<AccessLevel, string[]>();
    for (const service of catalog.services) {
      const list = catalog.actionsOf(service) ?? [];
      perService.set(service, list.length);
      ofService.set(service, []);
      for (const a of list) {
        const key = `${service}:${a.name.toLowerCase()}`;
        ofService.get(service)!.push(key);
        actions.set(key, { service, name: a.name, level: a.accessLevel });
        const level = perLevel.get(a.accessLevel);
        if (level) level.push(key);
        else perLevel.set(a.accessLevel, [key]);
      }
    }
    found = { actions, perService, ofService, perLevel, total: actions.size, unions: new Map(), described: new Map(), headlines: new Map() };
    facts.set(catalog, found);
  }
  return found;
}

/** An entry's actions as written: a list of patterns, or (`notActions`) every catalog action but those. */
export interface ActionsSpec {
  readonly actions?: readonly string[];
  readonly notActions?: readonly string[];
}

/** The catalog actions (lower case `service:name`) of the union of specs; actions the catalog lacks kept as written. */
export function actionUnion(specs: readonly ActionsSpec[], catalog: ActionCatalog): ReadonlySet<string> {
  return memo(factsOf(catalog).unions, keyOf(specs), () => {
    const out = new Set<string>();
    for (const spec of specs) {
      if (spec.actions) {
        for (const p of spec.actions) for (const a of /[*?]/.test(p) ? catalog.expand(p) : [p]) out.add(a.toLowerCase());
      } else {
        const excluded = actionUnion([{ actions: spec.notActions ?? [] }], catalog);
        for (const a of factsOf(catalog).actions.keys()) if (!excluded.has(a)) out.add(a);
      }
    }
    return out;
  });
}

/** What the union of specs grants, in words (see the module comment). */
export function actionsInWords(specs: readonly ActionsSpec[], catalog: ActionCatalog): string {
  return memo(factsOf(catalog).described, keyOf(specs), () => describeActionSet(actionUnion(specs, catalog), catalog, factsOf(catalog)));
}

/**
 * A headline's amount and where it lies: `86 actions` and `: 3 in logs (1 List, 2 Read); 83 in s3 (…)` for a few
 * services, `21,064 actions` and ` in 456 services (every List action, …)` for many.
 */
export function actionsHeadline(specs: readonly ActionsSpec[], catalog: ActionCatalog): { readonly amount: string; readonly where: string } {
  return memo(factsOf(catalog).headlines, keyOf(specs), () => {
    const f = factsOf(catalog);
    const set = actionUnion(specs, catalog);
    if (set.size === f.total) return { amount: 'every action of every service', where: '' };
    const amount = count(set.size, 'action');
    const byService = servicesOf(set, f);
    if (byService.size <= HEADLINE_SERVICES) {
      const parts = [...byService].map(([service, actions]) => {
        const levels = new Map<string, number>();
        for (const a of actions) levels.set(f.actions.get(a)?.level ?? 'Unknown', (levels.get(f.actions.get(a)?.level ?? 'Unknown') ?? 0) + 1);
        return `${actions.length} in ${service} (${[...levels].sort(([a], [b]) => a.localeCompare(b)).map(([level, n]) => `${n} ${level}`).join(', ')})`;
      });
      return { amount, where: `: ${parts.slice(0, 4).join('; ')}${parts.length > 4 ? `; and ${parts.length - 4} more services` : ''}` };
    }
    return { amount, where: ` in ${byService.size.toLocaleString('en-US')} services (${levelParts(set, f).join('; ')})` };
  });
}

/** Up to this many services, a headline counts by service; beyond, by level. */
const HEADLINE_SERVICES = 8;

function keyOf(specs: readonly ActionsSpec[]): string {
  return JSON.stringify(specs.map((s) => (s.actions ? [s.actions] : [null, s.notActions ?? []])));
}

/** Memoised per catalog, bounded: a plan has few distinct action sets, repeated over thousands of principals. */
function memo<T>(cache: Map<string, T>, key: string, compute: () => T): T {
  let found = cache.get(key);
  if (found === undefined) {
    found = compute();
    if (cache.size >= 500) cache.clear();
    cache.set(key, found);
  }
  return found;
}

/** The set by service, in catalog order (services sorted); actions the catalog lacks after, by their prefix. */
function servicesOf(set: ReadonlySet<string>, f: CatalogFacts): Map<string, string[]> {
  const byService = new Map<string, string[]>();
  let known = 0;
  for (const [service, keys] of f.ofService) {
    const present = keys.filter((k) => set.has(k));
    if (present.length) byService.set(service, present);
    known += present.length;
  }
  if (known < set.size) {
    for (const a of [...set].filter((x) => !f.actions.has(x)).sort()) {
      const service = a.slice(0, a.indexOf(':'));
      const list = byService.get(service);
      if (list) list.push(a);
      else byService.set(service, [a]);
    }
  }
  return byService;
}

/** A set of actions in words (see the module comment). */
function describeActionSet(set: ReadonlySet<string>, catalog: ActionCatalog, f: CatalogFacts): string {
  return describeUncached(set, catalog, f);
}

function describeUncached(set: ReadonlySet<string>, catalog: ActionCatalog, f: CatalogFacts): string {
  if (set.size === 0) return 'no action';
  if (set.size === f.total) return 'every action of every service';
  const byService = servicesOf(set, f);
  const complete = (service: string): boolean => (byService.get(service)?.length ?? 0) === (f.perService.get(service) ?? -1);
  const partial = [...byService.keys()].filter((s) => !complete(s)).sort();
  const full = [...byService.keys()].filter(complete).sort();
  const absent = catalog.services.filter((s) => !byService.has(s));

  if (byService.size <= SERVICES_NAMED) return [...byService.keys()].sort().map((s) => serviceWords(s, byService.get(s)!, f)).join('; ');
  const readOnly = readOnlyWords(set, byService.size, f);
  if (readOnly?.exact) return readOnly.words;
  if (partial.length + absent.length <= SERVICES_NAMED) {
    // The bulk first, then the few services it does not hold whole, each with what it holds of them.
    const others = [...partial, ...absent].sort();
    const parts = [...partial.map((s) => serviceWords(s, byService.get(s)!, f)), ...(absent.length ? [`nothing of ${absent.join(', ')}`] : [])];
    return `every action of every service except ${others.join(', ')}, where only: ${parts.join('; ')}`;
  }
  return readOnly?.words ?? levelWords(set, byService.size, f);
}

/** `read-only access to every service (every List and Read action)`, when the set holds only those levels. */
function readOnlyWords(set: ReadonlySet<string>, services: number, f: CatalogFacts): { words: string; exact: boolean } | undefined {
  const levels = levelsOf(set, f);
  if ([...levels.keys()].some((l) => l !== 'List' && l !== 'Read')) return undefined;
  const everyList = (levels.get('List')?.length ?? 0) === (f.perLevel.get('List')?.length ?? -1);
  const everyRead = (levels.get('Read')?.length ?? 0) === (f.perLevel.get('Read')?.length ?? -1);
  if (everyList && everyRead) return { words: 'read-only access to every service (every List and Read action)', exact: true };
  return { words: `read-only access: ${levelWords(set, services, f)}`, exact: false };
}

/** `6,911 actions in 313 services: 3,102 List, every Read action but …`. */
function levelWords(set: ReadonlySet<string>, services: number, f: CatalogFacts): string {
  return `${set.size.toLocaleString('en-US')} actions in ${services.toLocaleString('en-US')} services: ${levelParts(set, f).join('; ')}`;
}

/** Per level the set reaches: `every Read action`, `every Write action but s3:PutObject`, `Write: s3:PutObject`, `3,102 List`. */
function levelParts(set: ReadonlySet<string>, f: CatalogFacts): string[] {
  const levels = levelsOf(set, f);
  return [...LEVELS, 'Unknown' as const].flatMap((level) => {
    const present = levels.get(level) ?? [];
    if (present.length === 0) return [];
    const all = level === 'Unknown' ? undefined : f.perLevel.get(level);
    if (all && present.length === all.length) return [`every ${level} action`];
    if (all && all.length - present.length <= MISSING_NAMED) return [`every ${level} action but ${all.filter((a) => !set.has(a)).map((a) => spelt(a, f)).join(', ')}`];
    if (present.length <= MISSING_NAMED) return [`${level}: ${present.map((a) => spelt(a, f)).join(', ')}`];
    return [`${present.length.toLocaleString('en-US')} ${level}`];
  });
}

function levelsOf(set: ReadonlySet<string>, f: CatalogFacts): Map<AccessLevel | 'Unknown', string[]> {
  const out = new Map<AccessLevel | 'Unknown', string[]>();
  for (const a of set) {
    const level = f.actions.get(a)?.level ?? 'Unknown';
    const list = out.get(level);
    if (list) list.push(a);
    else out.set(level, [a]);
  }
  return out;
}

/**
 * One service's actions: `logs (Read): FilterLogEvents, GetLogEvents`, `s3 (List, Read): all 160 actions`,
 * `kms (…): every action but CreateAlias, DeleteAlias, UpdateAlias`, `iam (…): 227 of 250 actions, all but 23 Write`.
 */
function serviceWords(service: string, actions: readonly string[], f: CatalogFacts): string {
  const known = actions.map((a) => f.actions.get(a));
  const levels = [...new Set(known.flatMap((k) => (k ? [k.level] : [])))].sort();
  const names = actions.map((a, i) => known[i]?.name ?? a.slice(a.indexOf(':') + 1));
  const total = f.perService.get(service) ?? 0;
  const head = `${service}${levels.length ? ` (${levels.join(', ')})` : ''}`;
  if (total === 0) return `${head}: ${actions.length <= ACTIONS_NAMED ? names.join(', ') : `${actions.length} actions`}`;
  if (actions.length === total && total > 1) return `${head}: all ${total} actions`;
  if (actions.length <= ACTIONS_NAMED) return `${head}: ${names.join(', ')}`;
  const have = new Set(actions);
  const missing = (f.ofService.get(service) ?? []).filter((key) => !have.has(key)).map((key) => f.actions.get(key)!);
  if (missing.length <= MISSING_NAMED) return `${head}: every action but ${missing.map((a) => a.name).join(', ')}`;
  // A set that holds most of the service says what it lacks, by level; a smaller one just counts.
  if (actions.length * 2 < total) return `${head}: ${actions.length} of ${total} actions`;
  const missingLevels = new Map<string, number>();
  for (const a of missing) missingLevels.set(a.level, (missingLevels.get(a.level) ?? 0) + 1);
  const gaps = [...missingLevels].sort(([a], [b]) => a.localeCompare(b)).map(([level, n]) => `${n} ${level}`).join(', ');
  return `${head}: ${actions.length} of ${total} actions, all but ${gaps}`;
}

function spelt(action: string, f: CatalogFacts): string {
  const known = f.actions.get(action);
  return known ? `${known.service}:${known.name}` : action;
}
