/** IAM's `*` (any run of characters) and `?` (one character) patterns, compiled once and reused. */

export type Matcher = (value: string) => boolean;

/**
 * A matcher for one IAM pattern. Action names match case-insensitively; ARNs case-sensitively, so callers
 * choose. Patterns without wildcards compile to a string comparison, the common case.
 */
export function compileWildcard(pattern: string, caseInsensitive: boolean): Matcher {
  const p = caseInsensitive ? pattern.toLowerCase() : pattern;
  if (p === '*') return () => true;
  if (!/[*?]/.test(p)) return caseInsensitive ? (v) => v.toLowerCase() === p : (v) => v === p;
  const source = p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  const regex = new RegExp(`^${source}$`, caseInsensitive ? 'is' : 's');
  return (v) => regex.test(v);
}

export function hasWildcard(pattern: string): boolean {
  return /[*?]/.test(pattern);
}
