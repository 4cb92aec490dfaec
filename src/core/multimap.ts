/** Maps from a key to a list, appended in place (copying the list on every append is quadratic). */
export function addTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

export function addAllTo<K, V>(map: Map<K, V[]>, key: K, values: readonly V[]): void {
  const list = map.get(key);
  if (list) for (const v of values) list.push(v);
  else map.set(key, [...values]);
}

/**
 * The value kept under `owner` and `key`, computed on first use: a cache that lives as long as its owner (a
 * document, a catalog, a shared list) and holds one value per key within it.
 */
export function cachedPer<O extends object, V>(cache: WeakMap<O, Map<string, V>>, owner: O, key: string, compute: () => V): V {
  let byKey = cache.get(owner);
  if (!byKey) cache.set(owner, (byKey = new Map()));
  let value = byKey.get(key);
  if (value === undefined) byKey.set(key, (value = compute()));
  return value;
}
