/**
 * Roles' last use, as get-account-authorization-details reports it (`RoleLastUsed`: a date and region, or `{}` when
 * IAM recorded no use in its tracking window of 400 days) with each role's `CreateDate`. Read leniently: a field that
 * is missing or not a date says nothing, and an export without them gives no role usage (the notes say so).
 */
import { isPlainObject } from '../core/policy.js';
import type { RoleUse } from '../core/usage.js';

export function roleUsesOf(snapshot: Record<string, unknown>): ReadonlyMap<string, RoleUse> | undefined {
  const roles = snapshot['RoleDetailList'];
  if (!Array.isArray(roles)) return undefined;
  const out = new Map<string, RoleUse>();
  let recorded = false;
  for (const role of roles) {
    if (!isPlainObject(role) || typeof role['Arn'] !== 'string') continue;
    const lastUsed = role['RoleLastUsed'];
    if (!isPlainObject(lastUsed)) continue;
    recorded = true;
    const lastUsedAt = dateOf(lastUsed['LastUsedDate']);
    const createdAt = dateOf(role['CreateDate']);
    const region = typeof lastUsed['Region'] === 'string' ? lastUsed['Region'] : undefined;
    out.set(role['Arn'], { ...(lastUsedAt ? { lastUsedAt } : {}), ...(region ? { region } : {}), ...(createdAt ? { createdAt } : {}) });
  }
  // An export that holds no RoleLastUsed at all (older CLI versions, hand-made files) tells nothing.
  return recorded || roles.length === 0 ? out : undefined;
}

function dateOf(value: unknown): Date | undefined {
  if (typeof value !== 'string' && !(value instanceof Date)) return undefined;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? undefined : d;
}
