/**
 * Resource patterns as sets of ARNs, read exactly as the engine matches them (see evaluate/resources.ts): partition,
 * service, region and account are wildcard patterns confined to their part and compared without case; the resource
 * part is a literal resource-type prefix followed by a case-sensitive wildcard pattern. On that reading:
 * - `intersectResourcePatterns(a, b)`: the ARNs both match, written as patterns (none when disjoint);
 * - `resourcePatternCovers(outer, inner)`: whether every ARN inner matches, outer matches too.
 *
 * Globs are kept as strings with two private-use characters standing for `*` and `?`. The intersection walks the
 * product of the two patterns (each a line of states, with a loop on every `*`): every path is a glob, and a state
 * where both sides sit on a `*` contributes a `*`. Containment is tested symbolically (an outer `*` takes any run of
 * the inner pattern's tokens, an outer `?` one literal or `?`), which is sound: "covers" is never said wrongly.
 * Patterns with policy variables have no fixed set of ARNs; for them, and where the result would be too large to
 * write down, the answer is undefined and the caller keeps a superset.
 */
import { tokenizeIamString, type IamStringToken } from './iam-string.js';
import { splitResourcePart } from './resources.js';

const STAR = '\uE000';
const ONE = '\uE001';
/** Beyond this many patterns, an intersection is not worth writing down. */
const MAX_PATTERNS = 16;

interface ResourceGlob {
  /** The pattern `*`: every resource, and the request for "*" too. */
  readonly all: boolean;
  /** Partition, service, region, account (lower case), and the resource part. */
  readonly parts: readonly string[];
}

const parsedWithVariables = new Map<string, ResourceGlob | null>();
const parsedWithout = new Map<string, ResourceGlob | null>();

/** Undefined when the pattern has policy variables (or our private characters, which would be ambiguous). */
function parse(pattern: string, variables: boolean): ResourceGlob | undefined {
  const cache = variables ? parsedWithVariables : parsedWithout;
  let glob = cache.get(pattern);
  if (glob === undefined) {
    glob = parseUncached(pattern, variables) ?? null;
    if (cache.size > 100_000) cache.clear();
    cache.set(pattern, glob);
  }
  return glob ?? undefined;
}

/**
 * Answers per pair of patterns: the same ARNs recur across thousands of principals' statements. Bounded by
 * clearing, since an answer is cheap to recompute.
 */
function memoised<T>(compute: (a: string, b: string, variables: boolean) => T): (a: string, b: string, variables?: boolean) => T {
  const caches = [new Map<string, Map<string, T>>(), new Map<string, Map<string, T>>()];
  let size = 0;
  return (a, b, variables = true) => {
    const cache = caches[variables ? 1 : 0]!;
    let byB = cache.get(a);
    if (!byB) cache.set(a, (byB = new Map()));
    if (byB.has(b)) return byB.get(b)!;
    const value = compute(a, b, variables);
    if (++size > 200_000) {
      for (const c of caches) c.clear();
      size = 0;
    }
    byB.set(b, value);
    return value;
  };
}

function parseUncached(pattern: string, variables: boolean): ResourceGlob | undefined {
  if (pattern === '*') return { all: true, parts: [] };
  if (pattern.includes(STAR) || pattern.includes(ONE)) return undefined;
  const raw = pattern.split(':');
  while (raw.length < 6) raw.push('*');
  const [, partition, service, region, account] = raw as [string, string, string, string, string];
  const prefixes = [partition, service, region, account].map((p) => encode(tokenizeIamString(p, { wildcards: true, ignoreCase: true, variables: false }), true));
  const [product, id] = splitResourcePart(service, region, account, raw.slice(5).join(':'));
  const idTokens = tokenizeIamString(id, { wildcards: true, ignoreCase: false, variables });
  if (idTokens.some((t) => t.kind === 'variable')) return undefined;
  return { all: false, parts: [...prefixes, product + encode(idTokens, false)] };
}

function encode(tokens: readonly IamStringToken[], lowerCase: boolean): string {
  return tokens.map((t) => (t.kind === 'star' ? STAR : t.kind === 'one' ? ONE : t.kind === 'literal' ? (lowerCase ? t.text.toLowerCase() : t.text) : '')).join('');
}

/**
 * Whether the engine substitutes a policy variable in this pattern (in its resource part; `${*}`, `${?}` and `${$}`
 * are escapes, not variables): then the pattern matches nothing while the variable has no value.
 */
export function hasPolicyVariable(pattern: string): boolean {
  return pattern !== '*' && !pattern.includes(STAR) && !pattern.includes(ONE) && parse(pattern, true) === undefined;
}

/** Whether every ARN `inner` matches, `outer` matches. Sound, not complete: false may mean "not proven". */
export function resourcePatternCovers(outer: string, inner: string, variables = true): boolean {
  if (outer === '*' || outer === inner) return true;
  return coversMemo(outer, inner, variables);
}

const coversMemo = memoised((outer, inner, variables): boolean => {
  const o = parse(outer, variables);
  const i = parse(inner, variables);
  if (!o || !i || i.all) return false;
  return o.parts.every((part, index) => globContains(part, i.parts[index]!));
});

/**
 * The ARNs both patterns match, as patterns: [] when they share none, undefined when the answer cannot be written
 * exactly (policy variables, or too many pieces). Where one pattern covers the other, the result is that other one,
 * as written.
 */
export function intersectResourcePatterns(a: string, b: string): readonly string[] | undefined {
  return intersectMemo(a, b);
}

const intersectMemo = memoised((a, b): readonly string[] | undefined => {
  const x = parse(a, true);
  const y = parse(b, true);
  if (!x || !y) return undefined;
  if (x.all) return [b];
  if (y.all) return [a];
  if (y.parts.every((part, i) => globContains(part, x.parts[i]!))) return [a];
  if (x.parts.every((part, i) => globContains(part, y.parts[i]!))) return [b];
  const perPart: string[][] = [];
  for (let i = 0; i < 5; i++) {
    const common = intersectGlobs(x.parts[i]!, y.parts[i]!);
    if (common === undefined) return undefined;
    if (common.length === 0) return [];
    perPart.push(common);
  }
  let combinations: string[][] = [[]];
  for (const options of perPart) {
    combinations = combinations.flatMap((c) => options.map((o) => [...c, o]));
    if (combinations.length > MAX_PATTERNS) return undefined;
  }
  const out: string[] = [];
  for (const parts of combinations) {
    const written = write(parts);
    if (written === undefined) return undefined;
    out.push(written);
  }
  return out;
});

/**
 * A pattern the engine reads as exactly these parts, or undefined when none can be written: the written form is
 * parsed back and compared, so a literal `*` in a place where the engine would take it as a wildcard (or the
 * reverse) is caught rather than silently changing the set.
 */
function write(parts: readonly string[]): string | undefined {
  const prefix = (p: string): string => p.replaceAll(STAR, '*').replaceAll(ONE, '?');
  const resource = [...parts[4]!].map((c) => (c === STAR ? '*' : c === ONE ? '?' : c === '*' || c === '?' || c === '$' ? `\${${c}}` : c)).join('');
  const written = `arn:${parts.slice(0, 4).map(prefix).join(':')}:${resource}`;
  const back = parse(written, true);
  return back && !back.all && back.parts.every((p, i) => p === parts[i]) ? written : undefined;
}

/** Whether glob `outer` matches every string glob `inner` does (symbolically). */
function globContains(outer: string, inner: string): boolean {
  if (outer === inner || outer === STAR) return true;
  const memo = new Map<number, boolean>();
  const width = inner.length + 1;
  const go = (i: number, j: number): boolean => {
    if (i === outer.length) return j === inner.length;
    const key = i * width + j;
    const known = memo.get(key);
    if (known !== undefined) return known;
    const o = outer[i]!;
    let result: boolean;
    if (o === STAR) result = go(i + 1, j) || (j < inner.length && go(i, j + 1));
    else if (j === inner.length) result = false;
    else if (o === ONE) result = inner[j] !== STAR && go(i + 1, j + 1);
    else result = inner[j] === o && go(i + 1, j + 1);
    memo.set(key, result);
    return result;
  };
  return go(0, 0);
}

/** The strings both globs match, as globs without redundancy; undefined when there would be too many. */
function intersectGlobs(a: string, b: string): string[] | undefined {
  if (a === b) return [a];
  if (a === STAR) return [b];
  if (b === STAR) return [a];
  const memo = new Map<number, string[] | null>();
  const width = b.length + 1;
  let tooMany = false;
  const consumes = (t: string): boolean => t !== STAR;
  const both = (x: string, y: string): string | undefined => (x === y ? x : x === ONE ? y : y === ONE ? x : undefined);
  const prepend = (token: string, rest: string[]): string[] => rest.map((r) => token + r);
  const go = (i: number, j: number): string[] => {
    const key = i * width + j;
    const known = memo.get(key);
    if (known !== undefined) return known ?? [];
    let out: string[];
    const x = a[i];
    const y = b[j];
    if (x === undefined && y === undefined) out = [''];
    else if (x === undefined) out = y === STAR ? go(i, j + 1) : [];
    else if (y === undefined) out = x === STAR ? go(i + 1, j) : [];
    else if (x === STAR && y === STAR) out = prepend(STAR, [...go(i + 1, j), ...go(i, j + 1)]);
    else if (x === STAR) out = [...go(i + 1, j), ...prepend(y, go(i, j + 1))];
    else if (y === STAR) out = [...go(i, j + 1), ...prepend(x, go(i + 1, j))];
    else {
      const common = consumes(x) && consumes(y) ? both(x, y) : undefined;
      out = common === undefined ? [] : prepend(common, go(i + 1, j + 1));
    }
    out = simplest(out);
    if (out.length > MAX_PATTERNS) {
      tooMany = true;
      out = out.slice(0, MAX_PATTERNS);
    }
    memo.set(key, out);
    return out;
  };
  const result = go(0, 0);
  return tooMany ? undefined : result;
}

/** Globs normalised (runs of wildcards as `?...?*`), without duplicates or globs another one contains. */
function simplest(globs: readonly string[]): string[] {
  const normal = [...new Set(globs.map((g) => g.replace(/[\uE000\uE001]{2,}/g, (run) => ONE.repeat([...run].filter((c) => c === ONE).length) + (run.includes(STAR) ? STAR : ''))))];
  return normal.filter((g, index) => !normal.some((other, j) => j !== index && globContains(other, g) && (!globContains(g, other) || j < index)));
}
