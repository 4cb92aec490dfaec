/** Content fingerprints: a plan records those of the states it was computed from, so apply can refuse a stale plan. */
import { createHash } from 'node:crypto';
import { stableStringify } from './policy.js';
import type { EntityState, IamState } from './state.js';

/** sha256 of the state's meaningful content; independent of key order, list order and document formatting. */
export function fingerprintState(state: IamState): string {
  const hash = createHash('sha256');
  hash.update(`account ${state.account}\n`);
  for (const map of [state.policies, state.groups, state.roles, state.users] as ReadonlyMap<string, EntityState>[]) {
    for (const key of [...map.keys()].sort()) hash.update(`${stableStringify(projectEntity(map.get(key)!))}\n`);
  }
  return `sha256:${hash.digest('hex')}`;
}

function projectEntity(entity: EntityState): unknown {
  const replacePolicies = (_key: string, value: unknown): unknown =>
    value && typeof value === 'object' && 'key' in value && 'document' in value ? (value as { key: string }).key : value;
  return JSON.parse(JSON.stringify(entity, replacePolicies));
}
