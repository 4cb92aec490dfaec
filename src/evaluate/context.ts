/** A request context prepared once per request: keys lower-cased, since condition keys are case-insensitive. */
import type { RequestContext } from './types.js';

export type PreparedContext = ReadonlyMap<string, string | readonly string[]>;

export function prepareContext(context: RequestContext): PreparedContext {
  const prepared = new Map<string, string | readonly string[]>();
  for (const key of Object.keys(context)) prepared.set(key.toLowerCase(), context[key]!);
  return prepared;
}
