/** "Did you mean" suggestions for misspelt field names, kinds, services and actions. */

/** Levenshtein distance, case-insensitive; small inputs only (names, not documents). */
export function editDistance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  let previous = Array.from({ length: t.length + 1 }, (_, i) => i);
  for (let i = 1; i <= s.length; i++) {
    const current = [i];
    for (let j = 1; j <= t.length; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
    }
    previous = current;
  }
  return previous[t.length]!;
}

/**
 * The closest candidates to `word`, best first: those within a third of the word's length (at least 2 edits),
 * or that contain it or are contained in it case-insensitively. Ties keep the candidates' order.
 */
export function closestMatches(word: string, candidates: Iterable<string>, limit = 3): string[] {
  const lower = word.toLowerCase();
  const budget = Math.max(2, Math.floor(word.length / 3));
  const scored: { candidate: string; score: number }[] = [];
  for (const candidate of candidates) {
    const distance = editDistance(word, candidate);
    const c = candidate.toLowerCase();
    const related = lower.length >= 3 && (c.includes(lower) || lower.includes(c));
    if (distance <= budget || related) scored.push({ candidate, score: distance });
  }
  scored.sort((a, b) => a.score - b.score);
  return scored.slice(0, limit).map((s) => s.candidate);
}

/** ` Did you mean "x"?` or ` Did you mean "x" or "y"?`, or the empty string. */
export function didYouMean(word: string, candidates: Iterable<string>): string {
  const matches = closestMatches(word, candidates);
  if (matches.length === 0) return '';
  const quoted = matches.map((m) => `"${m}"`);
  const last = quoted.pop()!;
  return ` Did you mean ${quoted.length ? `${quoted.join(', ')} or ${last}` : last}?`;
}
