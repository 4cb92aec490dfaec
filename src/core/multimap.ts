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
