/**
 * Counting things in words, one rule for every renderer and entry point: "1 change", "2 changes", "2,400 changes".
 * English only: the singular for exactly one, else the plural (the singular with an `s` unless given).
 */

/** The word for `n` things: `singular` for exactly 1, else `plural`. */
export function pluralize(n: number, singular: string, plural = `${singular}s`): string {
  return n === 1 ? singular : plural;
}

/**
 * `n` and its word. Digits are grouped as in English ("2,400") unless `digits: 'plain'` (the pull-request comment
 * has always written its counts ungrouped; kept so).
 */
export function count(n: number, singular: string, plural = `${singular}s`, options: { readonly digits?: 'grouped' | 'plain' } = {}): string {
  return `${options.digits === 'plain' ? String(n) : n.toLocaleString('en-US')} ${pluralize(n, singular, plural)}`;
}
