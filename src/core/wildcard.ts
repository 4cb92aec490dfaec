/**
 * IAM's `*` (any run of characters, the empty one included) and `?` (exactly one character) patterns, compiled
 * once and reused. This is the one matcher every wildcard in the tool goes through: action patterns, the catalog's
 * action expansion, resource ARNs, StringLike/ArnLike condition values (after policy variables are resolved), and
 * so the emulator too.
 *
 * Why not a regular expression: a pattern such as `user/a*a*a*a*a*b` compiled to `^user/a.*a.*a.*a.*a.*b$`
 * backtracks exponentially on a long path that almost matches (minutes for 400 characters). Here the pattern is
 * cut at its stars into segments (literal characters and `?`); the first segment must match at the start, the last
 * at the end, and each middle one is taken at its leftmost place after the previous one. Taking the leftmost place
 * is always right: any match that takes a segment further right leaves less room for the rest. So there is no
 * backtracking at all; the work is at most (text length) x (pattern length) character comparisons, and for a fixed
 * pattern it grows linearly with the text.
 *
 * Characters are UTF-16 code units, as IAM's are in practice and as the regular expressions were: `?` takes one.
 * Case-insensitive matching compares code units after one fold (upper then lower case, where that stays one unit).
 */
import { assertNever } from './diagnostics.js';

export type Matcher = (value: string) => boolean;

/** A pattern as written: literal text, `?` and `*`. Policy variables are resolved to literal text before this. */
export type GlobPiece = { readonly kind: 'literal'; readonly text: string } | { readonly kind: 'one' } | { readonly kind: 'star' };

/** Code unit -1 in a segment stands for `?`. */
const ONE = -1;

/**
 * A compiled pattern: the segments between its stars (folded when case-insensitive). With no star, one segment
 * that must match the whole text; with k stars, k+1 segments (some possibly empty).
 */
export interface Glob {
  readonly segments: readonly Int32Array[];
  readonly ignoreCase: boolean;
  /** The least length a matching text has: every literal and `?`. */
  readonly minLength: number;
}

/** Counts the character comparisons a match makes: for tests that bound the work without timing it. */
export interface MatchMeter {
  steps: number;
}

export function compileGlob(pieces: readonly GlobPiece[], ignoreCase: boolean): Glob {
  const segments: Int32Array[] = [];
  let current: number[] = [];
  let minLength = 0;
  for (const piece of pieces) {
    switch (piece.kind) {
      case 'literal':
        for (let i = 0; i < piece.text.length; i++) current.push(ignoreCase ? foldCase(piece.text.charCodeAt(i)) : piece.text.charCodeAt(i));
        minLength += piece.text.length;
        break;
      case 'one':
        current.push(ONE);
        minLength++;
        break;
      case 'star':
        segments.push(Int32Array.from(current));
        current = [];
        break;
      default:
        assertNever(piece, 'glob piece');
    }
  }
  segments.push(Int32Array.from(current));
  return { segments, ignoreCase, minLength };
}

/** `*` and `?` in `pattern` are wildcards; every other character is literal. */
export function parseWildcard(pattern: string): GlobPiece[] {
  const pieces: GlobPiece[] = [];
  let literal = '';
  for (const c of pattern) {
    if (c === '*' || c === '?') {
      if (literal) pieces.push({ kind: 'literal', text: literal });
      literal = '';
      pieces.push({ kind: c === '*' ? 'star' : 'one' });
    } else {
      literal += c;
    }
  }
  if (literal) pieces.push({ kind: 'literal', text: literal });
  return pieces;
}

/**
 * A matcher for one IAM pattern. Action names match case-insensitively; ARNs case-sensitively, so callers
 * choose. Patterns without wildcards compile to a string comparison, the common case.
 */
export function compileWildcard(pattern: string, caseInsensitive: boolean): Matcher {
  if (pattern === '*') return () => true;
  const glob = compileGlob(parseWildcard(pattern), caseInsensitive);
  if (!caseInsensitive && !hasWildcard(pattern)) return (v) => v === pattern;
  return (v) => matchGlob(glob, v);
}

export function hasWildcard(pattern: string): boolean {
  return pattern.includes('*') || pattern.includes('?');
}

/** Whether `text` matches the whole pattern. */
export function matchGlob(glob: Glob, text: string, meter?: MatchMeter): boolean {
  return spans(glob, text, meter, false) !== undefined;
}

/**
 * The text each star took in a match, left to right (the earlier stars as short as they can be, the last one the
 * rest, as a lazy regular expression would take them); undefined when the text does not match.
 */
export function captureGlob(glob: Glob, text: string): string[] | undefined {
  const found = spans(glob, text, undefined, true);
  if (!found) return undefined;
  const out: string[] = [];
  for (let i = 0; i + 1 < found.length; i += 2) out.push(text.slice(found[i]!, found[i + 1]!));
  return out;
}

/**
 * The match itself. Returns undefined for no match; otherwise (when `wantSpans`) the start and end of each star's
 * run, else an empty list.
 */
function spans(glob: Glob, text: string, meter: MatchMeter | undefined, wantSpans: boolean): number[] | undefined {
  const { segments, ignoreCase } = glob;
  const n = text.length;
  if (n < glob.minLength) return undefined;
  const first = segments[0]!;
  if (segments.length === 1) return n === first.length && segmentAt(first, text, 0, ignoreCase, meter) ? [] : undefined;
  const last = segments[segments.length - 1]!;
  const end = n - last.length;
  if (!segmentAt(first, text, 0, ignoreCase, meter) || !segmentAt(last, text, end, ignoreCase, meter)) return undefined;
  const out: number[] = [];
  let pos = first.length;
  for (let s = 1; s < segments.length - 1; s++) {
    const segment = segments[s]!;
    let at = pos;
    // Leftmost place, within the room the last segment leaves.
    while (at + segment.length <= end && !segmentAt(segment, text, at, ignoreCase, meter)) at++;
    if (at + segment.length > end) return undefined;
    if (wantSpans) out.push(pos, at);
    pos = at + segment.length;
  }
  if (pos > end) return undefined;
  if (wantSpans) out.push(pos, end);
  return out;
}

function segmentAt(segment: Int32Array, text: string, at: number, ignoreCase: boolean, meter: MatchMeter | undefined): boolean {
  for (let i = 0; i < segment.length; i++) {
    if (meter) meter.steps++;
    const want = segment[i]!;
    if (want === ONE) continue;
    const got = text.charCodeAt(at + i);
    if (got !== want && (!ignoreCase || foldCase(got) !== want)) return false;
  }
  return true;
}

let foldTable: Uint16Array | undefined;

/**
 * One code unit's case-folded form: ASCII directly, others through upper then lower case where each stays a single
 * unit (so `ſ` and `s`, `K` (Kelvin) and `k` compare equal, as a case-insensitive comparison of names should).
 */
export function foldCase(unit: number): number {
  if (unit < 128) return unit >= 65 && unit <= 90 ? unit + 32 : unit;
  foldTable ??= buildFoldTable();
  return foldTable[unit]!;
}

function buildFoldTable(): Uint16Array {
  const table = new Uint16Array(0x10000);
  for (let u = 0; u < 0x10000; u++) {
    table[u] = u;
    if (u >= 0xd800 && u <= 0xdfff) continue;
    const c = String.fromCharCode(u);
    const upper = c.toUpperCase();
    const base = upper.length === 1 ? upper : c;
    const lower = base.toLowerCase();
    table[u] = lower.length === 1 ? lower.charCodeAt(0) : base.charCodeAt(0);
  }
  return table;
}
