/** Content fingerprints: a plan records those of the states it was computed from, so apply can refuse a stale plan. */
import { createHash } from 'node:crypto';
import { stableStringify, type Policy } from './policy.js';
import type { EntityState, IamState } from './state.js';

/** sha256 of the state's meaningful content; independent of key order, list order and document formatting. */
export function fingerprintState(state: IamState): string {
  const hash = createHash('sha256');
  hash.update(`account ${state.account}\n`);
  // Only where the source holds them, so fingerprints of states without account settings stay as they were.
  if (state.settings && (state.settings.passwordPolicy !== undefined || state.settings.alias !== undefined)) hash.update(`settings ${stableStringify(state.settings)}\n`);
  for (const map of [state.policies, state.groups, state.roles, state.users] as ReadonlyMap<string, EntityState>[]) {
    for (const key of [...map.keys()].sort()) hash.update(`${stableStringify(projectEntity(map.get(key)!))}\n`);
  }
  // Providers only where some are known: states without any keep the fingerprints they always had.
  for (const arn of [...(state.providers?.keys() ?? [])].sort()) hash.update(`${stableStringify(state.providers!.get(arn))}\n`);
  return `sha256:${hash.digest('hex')}`;
}

/** The entity with each policy replaced by its canonical key, so formatting never changes a fingerprint. */
function projectEntity(entity: EntityState): unknown {
  const out: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(entity)) {
    // A policy's version ids and other versions are not what apply changes or checks (it writes a new default
    // version and makes room at IAM's limit as it finds it), so they leave a plan valid.
    if (entity.kind === 'policy' && (field === 'versionId' || field === 'otherVersions')) continue;
    if (isPolicy(value)) out[field] = value.key;
    else if (field === 'inlinePolicies') out[field] = Object.fromEntries(Object.entries(value as Record<string, Policy>).map(([n, p]) => [n, p.key]));
    else out[field] = value;
  }
  return out;
}

function isPolicy(value: unknown): value is Policy {
  return typeof value === 'object' && value !== null && 'document' in value && 'key' in value;
}
