/**
 * The state IAM will be in after a plan is applied: live entities, with those the plan creates or updates taken
 * from the manifests and those it deletes removed. Unmanaged and protected entities stay as they are live.
 */
import { nameKey, type EntityKind } from '../core/arn.js';
import { entitiesOf, MAX_POLICY_VERSIONS, type AccountSettings, type EntityState, type IamState, type ManagedPolicyState, type PolicyVersionState, type RoleState } from '../core/state.js';
import type { DesiredState } from '../manifest/desired-state.js';
import type { LiveState } from '../live/live-state.js';
import type { ChangeSet } from './plan.js';
import { plannedSettings } from './account-settings.js';

export function plannedState(live: LiveState, desired: DesiredState, plan: Pick<ChangeSet, 'changes' | 'providerChanges'>): IamState {
  const next = (kind: EntityKind): Map<string, EntityState> => {
    const out = new Map(entitiesOf(live.state, kind));
    for (const change of plan.changes.filter((c) => c.kind === kind)) {
      const key = nameKey(change.name);
      // Renamed in place: the entity leaves its old name.
      for (const d of change.details) if (d.field === 'name') out.delete(nameKey(d.before));
      // The delete half of a replacement is followed by its create, which puts the new entity at the same key.
      if (change.action === 'delete' && change.replacedBy === undefined) out.delete(key);
      else if (change.action === 'delete') continue;
      else {
        // A rename (in place) leaves the old name free.
        const renamed = change.details.find((d) => d.field === 'name');
        if (renamed?.field === 'name') out.delete(nameKey(renamed.before));
        const want = entitiesOf(desired.state, kind).get(key)!;
        const have = out.get(key);
        out.set(key, want.kind === 'policy' && have?.kind === 'policy' && change.action === 'update' ? withVersionsKept(have, want, change.details.some((d) => d.field === 'document')) : withUnmanagedFrom(have, want));
      }
    }
    return out;
  };
  // A renamed group keeps its members: users the plan does not change follow it to its new name.
  const groupRenames = new Map(plan.changes.filter((c) => c.kind === 'group').flatMap((c) => c.details.flatMap((d) => (d.field === 'name' ? [[nameKey(d.before), d.after] as const] : []))));
  const users = next('user');
  if (groupRenames.size) {
    for (const [key, user] of users) if (user.kind === 'user' && user.groups.some((g) => groupRenames.has(nameKey(g)))) users.set(key, { ...user, groups: user.groups.map((g) => groupRenames.get(nameKey(g)) ?? g) });
  }
  return {
    account: desired.account.id,
    users: users as IamState['users'],
    groups: next('group') as IamState['groups'],
    roles: next('role') as IamState['roles'],
    policies: next('policy') as IamState['policies'],
    externalPolicies: live.state.externalPolicies,
    ...settingsAfter(live, desired, plan),
    ...plannedProviders(live, desired, plan),
  };
}

function settingsAfter(live: LiveState, desired: DesiredState, plan: Pick<ChangeSet, 'changes'>): { settings?: AccountSettings } {
  const settings = plannedSettings(live.state.settings, desired.account.settings, plan.changes.some((c) => c.kind === 'account'));
  return settings ? { settings } : {};
}

/** Live providers with the plan's provider changes made; unknown (absent) where live IAM's are. */
function plannedProviders(live: LiveState, desired: DesiredState, plan: Pick<ChangeSet, 'providerChanges'>): Pick<IamState, 'providers'> {
  if (!live.state.providers) return {};
  const out = new Map(live.state.providers);
  for (const change of plan.providerChanges ?? []) {
    if (change.action === 'delete') out.delete(change.arn);
    else out.set(change.arn, desired.state.providers!.get(change.arn)!);
  }
  return { providers: out };
}

/**
 * The desired entity, with the fields its manifest leaves unmanaged (`unmanagedFields`) as live IAM has them: apply
 * never touches them, so they stay. (A replacement creates the entity anew, without them.)
 */
function withUnmanagedFrom(live: EntityState | undefined, desired: EntityState): EntityState {
  const unmanaged = desired.unknown ?? [];
  if (unmanaged.length === 0 || live?.kind !== 'role' || desired.kind !== 'role' || live.path !== desired.path) return desired;
  const { unknown: _unmanaged, description: _d, maxSessionDuration: _m, ...rest } = desired;
  const keep = (field: 'description' | 'maxSessionDuration'): Partial<RoleState> => (unmanaged.includes(field) ? (live[field] !== undefined ? { [field]: live[field] } : {}) : desired[field] !== undefined ? { [field]: desired[field] } : {});
  const unknown = (live.unknown ?? []).filter((f) => unmanaged.includes(f));
  return { ...rest, ...keep('description'), ...keep('maxSessionDuration'), ...(unknown.length ? { unknown } : {}) };
}

/**
 * An updated policy keeps the versions IAM keeps: apply writes the new document as a new default version, so the
 * live default becomes another version; at IAM's limit the oldest other version makes room (as the AWS writer does).
 */
function withVersionsKept(live: ManagedPolicyState, want: ManagedPolicyState, newDocument: boolean): ManagedPolicyState {
  const kept = [...(live.otherVersions ?? [])];
  if (newDocument) {
    if (kept.length + 2 > MAX_POLICY_VERSIONS) {
      const oldest = kept.reduce((a, b) => ((b.created ?? '') < (a.created ?? '') ? b : a));
      kept.splice(kept.indexOf(oldest), 1);
    }
    kept.push({ id: live.versionId ?? 'default before this plan', document: live.document } satisfies PolicyVersionState);
  }
  const { versionId: _versionId, otherVersions: _otherVersions, ...rest } = want;
  return { ...rest, ...(!newDocument && live.versionId ? { versionId: live.versionId } : {}), ...(kept.length ? { otherVersions: kept } : {}) };
}
