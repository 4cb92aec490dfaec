/**
 * IAM strings with wildcards and policy variables, compiled once per policy value. Used for resource ARNs,
 * string and ARN condition values and Bool values.
 *
 * Rules (IAM User Guide, "IAM policy elements: Variables and tags"): `${key}` is replaced by the request's
 * single value of that key; `${key, 'default'}` falls back to a default; a variable with no value and no default
 * makes the string match nothing. `${*}`, `${?}` and `${$}` stand for the literal characters. With wildcards on,
 * `*` matches any run of characters and `?` one character; a substituted value is always literal. Matching goes
 * through the one linear wildcard matcher (core/wildcard.ts), never a regular expression. Policies of
 * version 2008-10-17 have no variables: `${...}` is plain text there.
 */
import { assertNever } from '../core/diagnostics.js';
import { compileGlob, matchGlob, type Glob, type GlobPiece } from '../core/wildcard.js';
import type { PreparedContext } from './context.js';

export type IamStringToken =
  | { readonly kind: 'literal'; readonly text: string }
  | { readonly kind: 'star' }
  | { readonly kind: 'one' }
  | { readonly kind: 'variable'; readonly name: string; readonly fallback: string | undefined };

export interface IamStringOptions {
  /** `*` and `?` are wildcards (StringLike, ARNs) rather than literal characters (StringEquals). */
  readonly wildcards: boolean;
  readonly ignoreCase: boolean;
  /** Policy version 2012-10-17: variables are substituted. */
  readonly variables: boolean;
}

/** A compiled IAM string. `test` answers undefined when a variable cannot be resolved (the value matches nothing). */
export interface IamPattern {
  readonly hasVariables: boolean;
  test(value: string, context: PreparedContext): boolean | undefined;
  /** The string with variables resolved (no wildcard interpretation), or undefined when one cannot be. */
  resolve(context: PreparedContext): string | undefined;
}

/**
 * Compiled patterns without variables, shared: they are immutable, and the same account ids, regions and
 * resource prefixes recur across thousands of statements. Bounded, so a huge account cannot grow it forever.
 */
const shared = new Map<string, IamPattern>();
const SHARED_LIMIT = 50_000;

export function compileIamString(source: string, options: IamStringOptions): IamPattern {
  const cacheKey = `${options.wildcards ? 'w' : '-'}${options.ignoreCase ? 'i' : '-'}${options.variables ? 'v' : '-'}${source}`;
  const cached = shared.get(cacheKey);
  if (cached) return cached;
  const compiled = compileUncached(source, options);
  if (!compiled.hasVariables && shared.size < SHARED_LIMIT) shared.set(cacheKey, compiled);
  return compiled;
}

function compileUncached(source: string, options: IamStringOptions): IamPattern {
  const tokens = tokenizeIamString(source, options);
  const hasVariables = tokens.some((t) => t.kind === 'variable');
  if (!hasVariables) {
    const resolved = tokens.map((t) => (t.kind === 'literal' ? t.text : t.kind === 'star' ? '*' : '?')).join('');
    const glob = compileGlob(toPieces(tokens, []), options.ignoreCase);
    return { hasVariables, test: (v) => matchGlob(glob, v), resolve: () => resolved };
  }
  // Substituted values are literal text; the compiled form of each resolution is kept (the same few usernames
  // and tags recur), within a bound.
  const cache = new Map<string, Glob>();
  return {
    hasVariables,
    test(value, context) {
      const values = resolveVariables(tokens, context);
      if (!values) return undefined;
      const key = JSON.stringify(values);
      let glob = cache.get(key);
      if (!glob) {
        glob = compileGlob(toPieces(tokens, values), options.ignoreCase);
        if (cache.size < 256) cache.set(key, glob);
      }
      return matchGlob(glob, value);
    },
    resolve(context) {
      const values = resolveVariables(tokens, context);
      if (!values) return undefined;
      let i = 0;
      return tokens.map((t) => (t.kind === 'literal' ? t.text : t.kind === 'star' ? '*' : t.kind === 'one' ? '?' : values[i++]!)).join('');
    },
  };
}

/** The string as literals, wildcards and variables, by the rules above. */
export function tokenizeIamString(source: string, options: IamStringOptions): IamStringToken[] {
  const tokens: IamStringToken[] = [];
  let literal = '';
  const flush = (): void => {
    if (literal) tokens.push({ kind: 'literal', text: literal });
    literal = '';
  };
  for (let i = 0; i < source.length; ) {
    const c = source[i]!;
    if (c === '*' || c === '?') {
      if (options.wildcards) {
        flush();
        tokens.push({ kind: c === '*' ? 'star' : 'one' });
      } else {
        literal += c;
      }
      i++;
    } else if (c === '$' && source[i + 1] === '{' && options.variables) {
      const end = source.indexOf('}', i + 2);
      if (end < 0) {
        literal += c;
        i++;
        continue;
      }
      const inside = source.slice(i + 2, end);
      if (inside === '*' || inside === '?' || inside === '$') {
        literal += inside;
      } else {
        flush();
        tokens.push(variableToken(inside));
      }
      i = end + 1;
    } else {
      literal += c;
      i++;
    }
  }
  flush();
  return tokens;
}

/** `aws:username` or `aws:username, 'fallback'` (IAM's syntax: a comma, one space, a single-quoted default). */
function variableToken(inside: string): IamStringToken {
  const parts = inside.split(', ');
  let fallback: string | undefined;
  if (parts.length === 2 && parts[1]!.startsWith("'") && parts[1]!.endsWith("'")) fallback = parts[1]!.slice(1, -1);
  return { kind: 'variable', name: parts[0]!.trim().toLowerCase(), fallback };
}

/** Each variable's value, or undefined if one has neither a single non-empty value nor a default. */
function resolveVariables(tokens: readonly IamStringToken[], context: PreparedContext): string[] | undefined {
  const values: string[] = [];
  for (const token of tokens) {
    if (token.kind !== 'variable') continue;
    const value = context.get(token.name);
    if (typeof value === 'string' && value !== '') values.push(value);
    else if (token.fallback) values.push(token.fallback);
    else return undefined;
  }
  return values;
}

/** The tokens as glob pieces, each variable replaced by its value as literal text. */
function toPieces(tokens: readonly IamStringToken[], values: readonly string[]): GlobPiece[] {
  let v = 0;
  return tokens.map((token): GlobPiece => {
    switch (token.kind) {
      case 'literal':
      case 'star':
      case 'one':
        return token;
      case 'variable':
        return { kind: 'literal', text: values[v++]! };
      default:
        return assertNever(token, 'IAM string token');
    }
  });
}
