/**
 * Import: live state -> tidy manifests, one file per entity in a folder per kind. Pure: returns file contents
 * by relative path; the app writes them. Round-trip law: planning the result against the same live state yields
 * no changes (tested on the real-world snapshots).
 */
import { stringify } from 'yaml';
import { isAwsOwnedPath } from '../core/arn.js';
import type { PolicyJson } from '../core/policy.js';
import type { EntityState, IamState, InlinePolicies, ManagedPolicyState } from '../core/state.js';
import type { LiveState } from '../live/live-state.js';

export interface ImportedFiles {
  /** Relative path -> file text. */
  readonly files: ReadonlyMap<string, string>;
  /** Entities skipped because AWS owns them. */
  readonly skipped: readonly string[];
}

export function importLiveState(live: LiveState): ImportedFiles {
  const state = live.state;
  const files = new Map<string, string>();
  const skipped: string[] = [];
  const policyRef = policyReferencer(state);

  files.set('account.yaml', render({ kind: 'Account', id: state.account, prune: false, managedPaths: ['/'], protected: [] }, `# Imported from ${live.source}.\n`));

  for (const policy of sorted(state.policies)) {
    files.set(`policies/${policy.name}.yaml`, render({
      kind: policy.usage === 'boundary' ? 'Boundary' : 'Policy',
      name: policy.name,
      ...pathField(policy),
      ...(policy.description ? { description: policy.description } : {}),
      ...tagsField(policy.tags),
      document: policy.document.document,
    }));
  }
  for (const group of sorted(state.groups)) {
    files.set(`groups/${group.name}.yaml`, render({
      kind: 'Group',
      name: group.name,
      ...pathField(group),
      ...listField('managedPolicies', group.managedPolicies.map(policyRef)),
      ...inlineField(group.inlinePolicies),
    }));
  }
  for (const role of sorted(state.roles)) {
    if (isAwsOwnedPath(role.path)) {
      skipped.push(role.arn);
      continue;
    }
    files.set(`roles/${role.name}.yaml`, render({
      kind: 'Role',
      name: role.name,
      ...pathField(role),
      ...(role.description ? { description: role.description } : {}),
      ...(role.maxSessionDuration !== undefined && role.maxSessionDuration !== 3600 ? { maxSessionDuration: role.maxSessionDuration } : {}),
      ...(role.permissionsBoundary ? { permissionsBoundary: policyRef(role.permissionsBoundary) } : {}),
      ...listField('managedPolicies', role.managedPolicies.map(policyRef)),
      ...tagsField(role.tags),
      trustPolicy: role.trustPolicy.document,
      ...inlineField(role.inlinePolicies),
    }));
  }
  for (const user of sorted(state.users)) {
    files.set(`users/${user.name}.yaml`, render({
      kind: 'User',
      name: user.name,
      ...pathField(user),
      ...listField('groups', user.groups),
      ...(user.permissionsBoundary ? { permissionsBoundary: policyRef(user.permissionsBoundary) } : {}),
      ...listField('managedPolicies', user.managedPolicies.map(policyRef)),
      ...tagsField(user.tags),
      ...inlineField(user.inlinePolicies),
    }));
  }
  return { files, skipped };
}

/** Customer managed policies of this account are referenced by name (readable, and renames stay in one place). */
function policyReferencer(state: IamState): (arn: string) => string {
  const byArn = new Map<string, ManagedPolicyState>([...state.policies.values()].map((p) => [p.arn, p]));
  return (arn) => byArn.get(arn)?.name ?? arn;
}

function sorted<T extends EntityState>(map: ReadonlyMap<string, T>): T[] {
  return [...map.values()].sort((a, b) => a.name.localeCompare(b.name));
}

function pathField(entity: EntityState): { path?: string } {
  return entity.path === '/' ? {} : { path: entity.path };
}

function listField<K extends string>(key: K, values: readonly string[]): Partial<Record<K, string[]>> {
  return values.length ? ({ [key]: [...values] } as Record<K, string[]>) : {};
}

function tagsField(tags: Readonly<Record<string, string>>): { tags?: Record<string, string> } {
  return Object.keys(tags).length ? { tags: { ...tags } } : {};
}

function inlineField(policies: InlinePolicies): { inlinePolicies?: Record<string, PolicyJson> } {
  const names = Object.keys(policies).sort();
  return names.length ? { inlinePolicies: Object.fromEntries(names.map((n) => [n, policies[n]!.document])) } : {};
}

function render(manifest: Record<string, unknown>, header = ''): string {
  return `${header}${stringify(manifest, { lineWidth: 0, aliasDuplicateObjects: false })}`;
}
