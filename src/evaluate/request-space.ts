/**
 * The request contexts a caller can present, and a search over them.
 *
 * A request's context has keys the caller cannot choose and keys it can. Fixed: who the principal is (its ARN,
 * account, type, user name, tags), what the resource is (for IAM users and roles, their tags), and keys the question
 * itself sets (iam:PassedToService when asking about passing a role to EC2). Chosen by the caller: where it calls
 * from (aws:SourceIp, aws:SourceVpc), with what (aws:UserAgent, TLS, MFA or long-term keys), through which region,
 * when (any time from now on), with which request tags and parameters. A grant behind a condition the caller can
 * satisfy is a grant: `Allow *` under `IpAddress aws:SourceIp 0.0.0.0/0` is an administrator.
 *
 * `findContext` answers "is there a context in which this request is allowed?" exactly for the operators IAM has,
 * by trying finitely many candidate values per key that together meet every combination of the conditions that some
 * value meets: for numbers, dates and IP addresses the bounds the policies name and the points between and beyond
 * them; for strings each value and pattern instance, patterns joined pairwise, and a value none names; for each key
 * also its absence where a request can lack it. The search is bounded; a search cut short says so (`complete: false`).
 */
import { arnFields } from '../core/arn.js';
import { compileConditions, parseCidr, parseDate, parseNumber } from './conditions.js';
import { prepareContext } from './context.js';
import type { RequestContext } from './types.js';

/** A policy statement's `Condition` element, as written. */
export type ConditionBlock = Readonly<Record<string, unknown>>;

/** One operator on one key of a condition block: each must hold for the block to hold. */
export interface ConditionEntry {
  /** As written, e.g. `ForAnyValue:StringLikeIfExists`. */
  readonly operator: string;
  /** Lower case. */
  readonly key: string;
  /** The key as the policy writes it (aws:SourceIp), for contexts shown to people. */
  readonly written: string;
  readonly values: readonly string[];
  /** Policy version 2012-10-17: `${...}` in values are variables. */
  readonly variables: boolean;
}

/** Keys every request carries (IAM User Guide, global condition keys, "Availability": always included). */
export const ALWAYS_PRESENT_KEYS: ReadonlySet<string> = new Set([
  'aws:currenttime',
  'aws:epochtime',
  'aws:principalarn',
  'aws:principalaccount',
  'aws:principaltype',
  'aws:requestedregion',
  'aws:securetransport',
  'aws:useragent',
  'aws:userid',
  'aws:viaawsservice',
]);

/**
 * Keys set by who the principal is, never by the request: fixed for a principal even when it lacks them (a user
 * without a `team` tag has no aws:PrincipalTag/team, and no request gives it one).
 */
export function isPrincipalKey(key: string): boolean {
  const k = key.toLowerCase();
  return k === 'aws:principalarn' || k === 'aws:principalaccount' || k === 'aws:principaltype' || k === 'aws:username' || k.startsWith('aws:principaltag/') || k === 'aws:principalisawsservice';
}

/** Keys set by the resource a request is on: fixed when the resource is known (an IAM user or role of the state). */
export function isResourceTagKey(key: string): boolean {
  const k = key.toLowerCase();
  return k.startsWith('aws:resourcetag/') || k.startsWith('iam:resourcetag/');
}

/** What a caller can choose, and what it cannot. */
export interface RequestSpace {
  /** Fixed keys with their values (any case). */
  readonly fixed: RequestContext;
  /** Keys fixed even where `fixed` lacks them (lower case in, true when the caller cannot set the key). */
  readonly isFixed: (key: string) => boolean;
  /** The earliest moment a request can be made: time conditions are judged from then on. */
  readonly notBefore: Date;
}

/**
 * A context for keys no condition asks about: a plausible request made at `notBefore` over TLS with MFA. Results
 * never depend on these values, except through the conditions that name the keys, whose candidates replace them.
 */
export function defaultContext(space: RequestSpace): Record<string, string | readonly string[]> {
  let found = defaults.get(space);
  if (!found) defaults.set(space, (found = buildDefaultContext(space)));
  return found;
}

/** Built once per space: thousands of questions are asked in the same one. Read-only. */
const defaults = new WeakMap<RequestSpace, Record<string, string | readonly string[]>>();

function buildDefaultContext(space: RequestSpace): Record<string, string | readonly string[]> {
  const iso = space.notBefore.toISOString();
  const context: Record<string, string | readonly string[]> = {
    'aws:CurrentTime': iso,
    'aws:EpochTime': String(Math.floor(space.notBefore.getTime() / 1000)),
    'aws:TokenIssueTime': iso,
    'aws:MultiFactorAuthPresent': 'true',
    'aws:MultiFactorAuthAge': '0',
    'aws:SecureTransport': 'true',
    'aws:RequestedRegion': 'us-east-1',
    'aws:SourceIp': '203.0.113.10',
    'aws:ViaAWSService': 'false',
    'aws:UserAgent': 'aws-cli/2',
  };
  return { ...context, ...space.fixed };
}

/** The entries of a condition block; unreadable shapes (which IAM refuses) yield none. */
export function conditionEntries(block: unknown, variables: boolean): ConditionEntry[] {
  if (!isRecord(block)) return [];
  const out: ConditionEntry[] = [];
  for (const [operator, keys] of Object.entries(block)) {
    if (!isRecord(keys)) continue;
    for (const [key, raw] of Object.entries(keys)) {
      const values = (Array.isArray(raw) ? raw : [raw]).filter((v) => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean').map(String);
      out.push({ operator, key: key.toLowerCase(), written: key, values, variables });
    }
  }
  return out;
}

/** A set of conditions that must hold together for a request to be allowed one way (an Allow and its boundary's). */
export interface AllowPath {
  readonly conditions: readonly ConditionEntry[];
}

export interface ContextSearch {
  /** Each way a request can be allowed: the conditions that must all hold for it. */
  readonly paths: readonly AllowPath[];
  /** Conditions of Deny statements that could stop it (each Deny's entries: the Deny applies when all hold). */
  readonly denies: readonly (readonly ConditionEntry[])[];
  readonly space: RequestSpace;
  /** The decision in one full context (the engine's). */
  readonly decide: (context: RequestContext) => boolean;
  /**
   * Values worth trying that no condition names, when keys depend on each other (an ARN in the account that
   * aws:PrincipalAccount names): they add candidates and constrain nothing.
   */
  readonly hints?: readonly ConditionEntry[];
  /** At most this many contexts are tried (default 4,096). */
  readonly limit?: number;
}

export interface ContextFound {
  /** A context in which `decide` holds, if one was found. */
  readonly context?: RequestContext;
  /** Some path's own conditions can hold (so a request failing here is stopped by a Deny, not by lack of an Allow). */
  readonly pathCanHold: boolean;
  /** False when the search stopped at its limit before trying every candidate. */
  readonly complete: boolean;
}

/**
 * A context in which the request is allowed, or proof (up to `complete`) that there is none. Tries the default
 * context first (most questions are answered there), then, path by path, the candidate values of the keys the path
 * and the Denies name, keeping only values under which the path's own conditions on that key hold.
 */
export function findContext(search: ContextSearch): ContextFound {
  const limit = search.limit ?? 4096;
  const { space } = search;
  const base = defaultContext(space);
  if (search.decide(base)) return { context: base, pathCanHold: true, complete: true };
  // Keys as the default context spells them (aws:CurrentTime), so a found context reads like any other.
  const spelling = new Map([...search.paths.flatMap((p) => p.conditions), ...search.denies.flat(), ...(search.hints ?? [])].map((e) => [e.key, e.written]));
  for (const k of Object.keys(base)) spelling.set(k.toLowerCase(), k);
  const baseValue = (key: string): string | readonly string[] | undefined => base[spelling.get(key) ?? key];
  let tried = 1;
  let complete = true;
  let pathCanHold = false;
  // Keys whose every candidate is tried: those a Deny names (a path must escape it) and those with hints.
  const denyEntries = [...search.denies.flat(), ...(search.hints ?? [])];
  const denyKeys = new Set(denyEntries.map((e) => e.key).filter((k) => !space.isFixed(k)));
  for (const path of search.paths) {
    const keys = [...new Set([...path.conditions.map((e) => e.key), ...denyKeys])].sort();
    const free: string[] = [];
    const choices: (string | readonly string[] | undefined)[][] = [];
    let impossible = false;
    for (const key of keys) {
      const fixed = space.isFixed(key);
      const own = path.conditions.filter((e) => e.key === key && !namesFreeVariable(e, space));
      const candidates = (fixed ? [baseValue(key)] : keyCandidates(key, [...path.conditions, ...denyEntries].filter((e) => e.key === key), space)).filter((value) => own.every((e) => entryHolds(e, value, base)));
      if (candidates.length === 0) {
        impossible = true;
        break;
      }
      if (fixed) continue;
      free.push(key);
      // A key no Deny names needs one value that keeps the path's conditions: any will do.
      choices.push(denyKeys.has(key) ? candidates : candidates.slice(0, 1));
    }
    if (impossible) continue;
    pathCanHold = true;
    for (const assignment of product(choices)) {
      if (tried >= limit) {
        complete = false;
        break;
      }
      tried++;
      const context: Record<string, string | readonly string[]> = {};
      for (const [k, v] of Object.entries(base)) if (!free.includes(k.toLowerCase())) context[k] = v;
      free.forEach((key, i) => {
        const value = assignment[i];
        if (value !== undefined) context[spelling.get(key) ?? key] = value;
      });
      if (search.decide(context)) return { context, pathCanHold: true, complete: true };
    }
  }
  return { pathCanHold, complete };
}

/** Whether an entry's values name a variable the caller chooses (its test then depends on two keys at once). */
function namesFreeVariable(entry: ConditionEntry, space: RequestSpace): boolean {
  if (!entry.variables) return false;
  for (const match of entry.values.join(' ').matchAll(/\$\{([^}*?$][^}]*)\}/g)) {
    const name = match[1]!.split(', ')[0]!.trim().toLowerCase();
    if (!space.isFixed(name)) return true;
  }
  return false;
}

/** Whether one entry holds when its key has `value` and every other key is as in `base` (for variables). */
function entryHolds(entry: ConditionEntry, value: string | readonly string[] | undefined, base: RequestContext): boolean {
  const context: Record<string, string | readonly string[]> = {};
  for (const [k, v] of Object.entries(base)) if (k.toLowerCase() !== entry.key) context[k] = v;
  if (value !== undefined) context[entry.key] = value;
  return compileConditions({ [entry.operator]: { [entry.key]: entry.values } }, entry.variables)(prepareContext(context));
}

/** Every combination of one choice per list, lazily, first choices first. */
function* product<T>(lists: readonly (readonly T[])[]): Generator<T[]> {
  if (lists.some((l) => l.length === 0)) return;
  const index = lists.map(() => 0);
  while (true) {
    yield index.map((i, k) => lists[k]![i]!);
    let k = lists.length - 1;
    while (k >= 0 && ++index[k]! >= lists[k]!.length) index[k--] = 0;
    if (k < 0) return;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Candidate values of one key

/** A value no policy names. */
export const FRESH_VALUE = 'iam-gitops-other';

/** A value no policy names, of the key's shape: an account id for account keys, an ARN for ARN keys. */
function freshValue(key: string): string {
  if (key.endsWith('account')) return '999999999990';
  if (key.endsWith('arn')) return 'arn:aws:iam::999999999990:role/iam-gitops-other';
  return FRESH_VALUE;
}

type Family = 'string' | 'like' | 'arn' | 'numeric' | 'date' | 'bool' | 'ip' | 'binary' | 'null';

function familyOf(operator: string): Family | undefined {
  const base = operator.replace(/^for(any|all)values?:/i, '').replace(/ifexists$/i, '').toLowerCase();
  if (base === 'null') return 'null';
  if (base === 'stringlike' || base === 'stringnotlike') return 'like';
  if (base.startsWith('string')) return 'string';
  if (base.startsWith('arn')) return 'arn';
  if (base.startsWith('numeric')) return 'numeric';
  if (base.startsWith('date')) return 'date';
  if (base === 'bool') return 'bool';
  if (base === 'ipaddress' || base === 'notipaddress') return 'ip';
  if (base === 'binaryequals') return 'binary';
  return undefined;
}

const MAX_CANDIDATES = 48;

/**
 * Values of `key` to try: enough that every combination of the entries' tests that some value passes, one of these
 * passes too. Multi-valued keys (a set operator names them) get lists: none, one value each, all values together.
 */
export function keyCandidates(key: string, entries: readonly ConditionEntry[], space: RequestSpace): (string | readonly string[] | undefined)[] {
  const scalars = new Set<string>();
  const families = new Set(entries.map((e) => familyOf(e.operator)).filter((f): f is Family => f !== undefined));
  const values = (family: Family): string[] => entries.filter((e) => familyOf(e.operator) === family).flatMap((e) => e.values.map((v) => resolveValue(v, e.variables, space)));
  for (const family of families) {
    switch (family) {
      case 'string':
      case 'binary':
        for (const v of values(family)) scalars.add(v);
        break;
      case 'like':
      case 'arn': {
        const patterns = values(family);
        const instances = patterns.flatMap((p) => [instantiate(p, family, 'x'), instantiate(p, family, '')]);
        instances.forEach((v) => scalars.add(v));
        // A value two patterns both admit ("a*" and "*b": "ab"), for conditions that need both.
        const firsts = patterns.slice(0, 8).map((p) => instantiate(p, family, ''));
        for (const a of firsts) for (const b of firsts) if (a !== b) scalars.add(a + b);
        break;
      }
      case 'numeric':
        for (const v of betweenAndBeyond(values(family).map(parseNumber).filter((n): n is number => n !== undefined), 1)) scalars.add(String(v));
        break;
      case 'date': {
        const ms = values(family).map(parseDate).filter((n): n is number => n !== undefined);
        const earliest = earliestTime(key, space);
        const points = betweenAndBeyond(ms, 1000).filter((t) => earliest === undefined || t >= earliest);
        if (earliest !== undefined) points.push(earliest);
        for (const t of points) scalars.add(key === 'aws:epochtime' ? String(Math.floor(t / 1000)) : new Date(t).toISOString());
        break;
      }
      case 'bool':
        scalars.add('true');
        scalars.add('false');
        break;
      case 'ip':
        for (const v of ipCandidates(values(family))) scalars.add(v);
        break;
      case 'null':
        break;
    }
  }
  const earliest = earliestTime(key, space);
  scalars.add(earliest !== undefined ? (key === 'aws:epochtime' ? String(Math.floor(earliest / 1000)) : new Date(earliest).toISOString()) : families.has('ip') ? '198.51.100.7' : freshValue(key));
  const list = [...scalars].slice(0, MAX_CANDIDATES);
  const multi = entries.some((e) => /^for(any|all)values?:/i.test(e.operator));
  const out: (string | readonly string[] | undefined)[] = multi ? [[], ...list.map((v) => [v]), list] : [...list];
  if (!ALWAYS_PRESENT_KEYS.has(key)) out.push(undefined);
  return out;
}

/**
 * The earliest value a time key can have in a request made from `notBefore` on: the request time itself, or for
 * aws:TokenIssueTime the oldest session still valid then (36 hours, the longest a session token lasts).
 */
function earliestTime(key: string, space: RequestSpace): number | undefined {
  if (key === 'aws:currenttime' || key === 'aws:epochtime') return space.notBefore.getTime();
  if (key === 'aws:tokenissuetime') return space.notBefore.getTime() - MAX_SESSION_MS;
  return undefined;
}

const MAX_SESSION_MS = 36 * 3600 * 1000;

/** A policy value with the variables the fixed keys answer substituted; others read as `example`. */
function resolveValue(value: string, variables: boolean, space: RequestSpace): string {
  if (!variables || !value.includes('${')) return value;
  const fixed = new Map(Object.entries(space.fixed).map(([k, v]) => [k.toLowerCase(), v]));
  return value.replace(/\$\{([^}]*)\}/g, (whole, inside: string) => {
    if (inside === '*' || inside === '?' || inside === '$') return whole;
    const [name, fallback] = inside.split(', ');
    const found = fixed.get(name!.trim().toLowerCase());
    if (typeof found === 'string') return found;
    return fallback?.replace(/^'|'$/g, '') ?? 'example';
  });
}

/** A string a pattern matches: `*` as `fill`, `?` as one character, escapes as their characters. */
function instantiate(pattern: string, family: 'like' | 'arn', fill: string): string {
  const escapes: Record<string, string> = { '${*}': '*', '${?}': '?', '${$}': '$' };
  const parts = pattern.split(/(\$\{[*?$]\})/);
  const text = parts.map((part) => escapes[part] ?? part.replace(/\*/g, fill).replace(/\?/g, 'x')).join('');
  if (family !== 'arn') return text;
  // An ARN needs its six parts; a wildcard that filled a part with nothing leaves it empty, which ARNs allow.
  const arn = arnFields(text);
  while (arn.length < 6) arn.push('x');
  return arn.join(':');
}

/** The points, the points between neighbours, and one beyond each end (`step` away). */
function betweenAndBeyond(points: readonly number[], step: number): number[] {
  const sorted = [...new Set(points)].sort((a, b) => a - b);
  if (sorted.length === 0) return [];
  const out = [sorted[0]! - step];
  sorted.forEach((p, i) => {
    out.push(p);
    const next = sorted[i + 1];
    if (next !== undefined) out.push(p + (next - p) / 2);
  });
  out.push(sorted[sorted.length - 1]! + step);
  return out;
}

/** Addresses at and just outside both ends of each range, and one of each family that no range names. */
function ipCandidates(values: readonly string[]): string[] {
  const out = new Set<string>();
  for (const value of values) {
    const range = parseCidr(value);
    if (!range) continue;
    const bits = range.family === 4 ? 32 : 128;
    const size = 1n << BigInt(bits - range.prefix);
    const start = (range.network / size) * size;
    const max = (1n << BigInt(bits)) - 1n;
    for (const point of [start - 1n, start, start + size - 1n, start + size]) if (point >= 0n && point <= max) out.add(bigIntToAddress(point, range.family));
  }
  out.add('198.51.100.7');
  out.add('2001:db8::7');
  return [...out];
}

function bigIntToAddress(n: bigint, family: 4 | 6): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((shift) => String((n >> shift) & 0xffn)).join('.');
  return [112n, 96n, 80n, 64n, 48n, 32n, 16n, 0n].map((shift) => ((n >> shift) & 0xffffn).toString(16)).join(':');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
