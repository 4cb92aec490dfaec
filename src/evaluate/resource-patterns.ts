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
import { arnFields } from '../core/arn.js';
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
  const raw = arnFields(pattern);
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

/**
 * Whether glob `outer` matches every string glob `inner` does (symbolically). A table over (place in outer, place
 * in inner) filled from the ends, one row at a time: (outer x inner) steps whatever the patterns, no recursion (a
 * pattern thousands of characters long must not exhaust the stack).
 */
function globContains(outer: string, inner: string): boolean {
  if (outer === inner || outer === STAR) return true;
  const m = outer.length;
  const n = inner.length;
  // next[j]: whether outer[i+1..] contains inner[j..]; row[j]: the same for outer[i..].
  let next = new Uint8Array(n + 1);
  let row = new Uint8Array(n + 1);
  next[n] = 1;
  for (let i = m - 1; i >= 0; i--) {
    const o = outer[i]!;
    row[n] = o === STAR ? next[n]! : 0;
    for (let j = n - 1; j >= 0; j--) {
      if (o === STAR) row[j] = next[j]! || row[j + 1]! ? 1 : 0;
      else if (o === ONE) row[j] = inner[j] !== STAR && next[j + 1]! ? 1 : 0;
      else row[j] = inner[j] === o && next[j + 1]! ? 1 : 0;
    }
    [next, row] = [row, next];
  }
  return next[0] === 1;
}

/**
 * The strings both globs match, as globs without redundancy; undefined when there would be too many. Each state
 * (place in a, place in b) is solved once, after the states it depends on, with an explicit stack rather than
 * recursion (long patterns must not exhaust the call stack).
 */
function intersectGlobs(a: string, b: string): string[] | undefined {
  if (a === b) return [a];
  if (a === STAR) return [b];
  if (b === STAR) return [a];
  const memo = new Map<number, string[]>();
  const width = b.length + 1;
  let tooMany = false;
  const both = (x: string, y: string): string | undefined => (x === y ? x : x === ONE ? y : y === ONE ? x : undefined);
  const prepend = (token: string, rest: readonly string[]): string[] => rest.map((r) => token + r);
  /** The states (i, j) depends on, in the order `combine` reads them. */
  const dependencies = (i: number, j: number): [number, number][] => {
    const x = a[i];
    const y = b[j];
    if (x === undefined && y === undefined) return [];
    if (x === undefined) return y === STAR ? [[i, j + 1]] : [];
    if (y === undefined) return x === STAR ? [[i + 1, j]] : [];
    if (x === STAR || y === STAR) return [[i + 1, j], [i, j + 1]];
    return both(x, y) === undefined ? [] : [[i + 1, j + 1]];
  };
  const combine = (i: number, j: number, got: (i: number, j: number) => string[]): string[] => {
    const x = a[i];
    const y = b[j];
    if (x === undefined && y === undefined) return [''];
    if (x === undefined) return y === STAR ? got(i, j + 1) : [];
    if (y === undefined) return x === STAR ? got(i + 1, j) : [];
    if (x === STAR && y === STAR) return prepend(STAR, [...got(i + 1, j), ...got(i, j + 1)]);
    if (x === STAR) return [...got(i + 1, j), ...prepend(y, got(i, j + 1))];
    if (y === STAR) return [...got(i, j + 1), ...prepend(x, got(i + 1, j))];
    const common = both(x, y);
    return common === undefined ? [] : prepend(common, got(i + 1, j + 1));
  };
  const got = (i: number, j: number): string[] => memo.get(i * width + j)!;
  const stack: [number, number][] = [[0, 0]];
  while (stack.length > 0) {
    const [i, j] = stack[stack.length - 1]!;
    if (memo.has(i * width + j)) {
      stack.pop();
      continue;
    }
    const missing = dependencies(i, j).filter(([di, dj]) => !memo.has(di * width + dj));
    if (missing.length > 0) {
      stack.push(...missing);
      continue;
    }
    stack.pop();
    let out = simplest(combine(i, j, got));
    if (out.length > MAX_PATTERNS) {
      tooMany = true;
      out = out.slice(0, MAX_PATTERNS);
    }
    memo.set(i * width + j, out);
  }
  return tooMany ? undefined : got(0, 0);
}

/** Globs normalised (runs of wildcards as `?...?*`), without duplicates or globs another one contains. */
function simplest(globs: readonly string[]): string[] {
  const normal = [...new Set(globs.map((g) => g.replace(/[\uE000\uE001]{2,}/g, (run) => ONE.repeat([...run].filter((c) => c === ONE).length) + (run.includes(STAR) ? STAR : ''))))];
  return normal.filter((g, index) => !normal.some((other, j) => j !== index && globContains(other, g) && (!globContains(g, other) || j < index)));
}
