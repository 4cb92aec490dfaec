/**
 * A request context prepared for lookups: condition keys are case-insensitive, so keys are lower-cased, but only
 * when a condition or policy variable first asks. Most statements are ruled out by action or resource before that.
 */
import type { RequestContext } from './types.js';

export interface PreparedContext {
  get(key: string): string | readonly string[] | undefined;
  has(key: string): boolean;
}

export function prepareContext(context: RequestContext): PreparedContext {
  let map: Map<string, string | readonly string[]> | undefined;
  const lowered = (): Map<string, string | readonly string[]> => {
    if (!map) {
      map = new Map();
      for (const key of Object.keys(context)) map.set(key.toLowerCase(), context[key]!);
    }
    return map;
  };
  return { get: (key) => lowered().get(key), has: (key) => lowered().has(key) };
}
