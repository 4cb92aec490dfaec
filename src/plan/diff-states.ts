/**
 * diff(desired, live) -> Plan. Pure. Entities are matched by kind and name (case-insensitively, as IAM does);
 * policies are compared by canonical key, so formatting, order and case that IAM ignores are never changes.
 *
 * Ownership rules, in the order they apply:
 * - AWS-owned entities (service-linked roles, `/aws-reserved/`) are never touched and never listed.
 * - Live entities outside the Account's managedPaths are never touched; a manifest that declares one is an error.
 * - Entities listed in `protected` (by kind and name, whatever the path) are never modified or deleted; a change to
 *   one is reported as a warning and left out. An entry that names nothing live or declared is a warning too.
 * - Live entities under managedPaths that no manifest declares are `unmanaged`, and deleted only with `prune: true`.
 */
import { addTo } from '../core/multimap.js';
import { isAwsManagedPolicyArn, isAwsOwnedPath, accountOfArn, entityArn, entityIdentity, entityKey, identityKey, nameKey, protectedMatcher, type EntityKind } from '../core/arn.js';
import { error, warning, type Diagnostic, type SourceLocation } from '../core/diagnostics.js';
import { statementsOf, type Policy } from '../core/policy.js';
import { credentialDetails, deletedCredentials } from './credential-plan.js';
import {
  DEFAULT_MAX_SESSION_DURATION,
  entitiesOf,
  type EntityState,
  type GroupState,
  type IamState,
  type InlinePolicies,
  type ManagedPolicyState,
  type RoleState,
  type Tags,
  type UnknownField,
  type UserState,
} from '../core/state.js';
import { isOwnedPath, sourceKey, type DesiredState } from '../manifest/desired-state.js';
import type { LiveState } from '../live/live-state.js';
import type { Change, ChangeAction, ChangeDetail, ChangeKind, ChangeSet } from './plan.js';
import { diffAccountSettings } from './account-settings.js';
import { diffProviders } from './provider-diff.js';

export interface DiffResult {
  /** Absent when an error makes any plan misleading (wrong account, a manifest claiming an entity it may not own). */
  readonly changeSet?: ChangeSet;
  readonly diagnostics: readonly Diagnostic[];
}

/** Apply order of creates and updates; deletes run in the reverse order (members before what they belong to). */
const KIND_ORDER: readonly EntityKind[] = ['policy', 'group', 'role', 'user'];

export interface DiffOptions {
  /** ARNs of the AWS managed policies that exist today; a new attachment of any other AWS ARN cannot succeed. */
  readonly awsManagedPolicies?: ReadonlySet<string>;
}

export function diffStates(desired: DesiredState, live: LiveState, options: DiffOptions = {}): DiffResult {
  const diagnostics: Diagnostic[] = [];
  const account = desired.account;
  const liveState = live.state;
  if (liveState.account !== '' && liveState.account !== account.id) {
    const fromAws = live.source.startsWith('aws:');
    diagnostics.push(error(`the live state is of account ${liveState.account}, but the manifests are for ${account.id}`, fromAws ? `The AWS credentials (or --assume-role) are for account ${liveState.account}: use credentials of ${account.id}, or check the Account manifest's id. Nothing was changed.` : `Check --state (read from ${live.source}) or the Account manifest's id; a plan across accounts would delete and recreate everything.`, account.at));
    return { diagnostics };
  }

  const isProtectedArn = protectedMatcher(account.protected);
  warnAboutUnmatchedProtected(desired, liveState, diagnostics);
  const upserts: Change[] = [];
  const deletes: Change[] = [];
  const unmanaged: string[] = [];
  const unknownNotCompared = new Map<UnknownField, string[]>();
  /** Users whose manifests manage credentials that the live source does not hold (a GAAD export). */
  const credentialsNotCompared: string[] = [];

  /** `at` is called only to report: locating a manifest re-parses its file. */
  const ownershipProblem = (kind: EntityKind, liveEntity: EntityState, at: () => SourceLocation | undefined): boolean => {
    if (isAwsOwnedPath(liveEntity.path)) {
      diagnostics.push(error(`${kind} "${liveEntity.name}" is owned by AWS (path ${liveEntity.path})`, 'Service-linked and IAM Identity Center roles are managed by AWS; remove this manifest.', at()));
      return true;
    }
    if (!isOwnedPath(account, liveEntity.path)) {
      diagnostics.push(error(`${kind} "${liveEntity.name}" exists at path ${liveEntity.path}, outside managedPaths`, `This repo owns only ${account.managedPaths.join(', ')}; the tool will not change ${liveEntity.arn}. Add its path to managedPaths to adopt it, or choose another name.`, at()));
      return true;
    }
    return false;
  };
  const isProtected = (arn: string, what: string, at: SourceLocation | undefined): boolean => {
    if (!isProtectedArn(arn)) return false;
    diagnostics.push(warning(`${arn} is protected: ${what} left out of the plan`, 'The Account manifest lists it under protected; remove it from there to let the tool change it.', at));
    return true;
  };

  const renames = plannedRenames(desired, liveState, diagnostics);
  for (const kind of KIND_ORDER) {
    const desiredEntities = entitiesOf(desired.state, kind);
    // Live IAM as it reads once the renames are done: a renamed user or group is compared with its manifest.
    const liveEntities = renames.view(kind, entitiesOf(liveState, kind));

    for (const [key, want] of desiredEntities) {
      const at = (): SourceLocation | undefined => desired.sources.get(sourceKey(kind, want.name))?.();
      const have = liveEntities.get(key);
      if (!have) {
        const where = at();
        upserts.push(change('create', want, `declared in ${formatAt(where)} and absent from live IAM`, where, createDetails(want)));
        continue;
      }
      if (ownershipProblem(kind, have, at)) continue;
      for (const field of have.unknown ?? []) {
        if (manages(want, field)) addTo(unknownNotCompared, field, `${kind} ${want.name}`);
      }
      if (want.kind === 'policy' && have.kind === 'policy' && !(have.unknown ?? []).includes('description') && (want.description ?? null) !== (have.description ?? null)) {
        diagnostics.push(warning(`the description of policy "${want.name}" differs from live IAM, and IAM cannot change it`, `IAM sets a managed policy's description when it creates the policy, and has no call to change it. Live IAM keeps ${have.description === undefined ? 'no description' : JSON.stringify(have.description)}; to change it, create the policy anew under another name, or write the live description in the manifest.`, at()));
      }
      const renamedFrom = renames.from(kind, key);
      if (want.kind === 'user' && want.credentialPolicy && have.kind === 'user' && !have.credentials) credentialsNotCompared.push(want.name);
      const details = [
        ...(renamedFrom ? [{ field: 'name' as const, before: renamedFrom.name, after: want.name }] : []),
        ...updateDetails(want, have),
        ...(want.kind === 'user' && have.kind === 'user' ? credentialDetails(want.credentialPolicy, have.credentials) : []),
      ];
      if (details.length === 0) continue;
      const where = at();
      const forced = replacementCause(want, have);
      if (forced) {
        if (isProtected(have.arn, 'replacement (it would be deleted and created again)', where)) continue;
        // Delete first: IAM names are unique whatever the path, so the new one cannot exist beside the old.
        const why = `${forced} in ${formatAt(where)}; IAM cannot change a ${kind === 'role' ? "role's" : "managed policy's"} path, so it is deleted and created again`;
        upserts.push({ ...change('delete', have, why, where, deleteDetails(have, liveState, 'replaced')), replacedBy: want.arn });
        const profiles = have.kind === 'role' && want.kind === 'role' && want.instanceProfiles === undefined ? (have.instanceProfiles ?? []).map((name) => ({ field: 'instanceProfile' as const, name, op: 'add' as const })) : [];
        upserts.push({ ...change('create', want, why, where, [...createDetails(want), ...profiles]), replaces: have.arn, differences: details });
        continue;
      }
      if (isProtected(renamedFrom?.arn ?? have.arn, renamedFrom ? 'rename' : 'update', where)) continue;
      const previousArn = renamedFrom?.arn ?? (want.arn !== have.arn ? have.arn : undefined);
      const reason = renamedFrom ? `renamed from ${renamedFrom.name} (previousName in ${formatAt(where)})` : `live IAM differs from ${formatAt(where)}`;
      upserts.push({ ...change('update', want, reason, where, details), ...(previousArn ? { previousArn } : {}) });
    }

    for (const gone of desired.deleted.filter((d) => d.kind === kind)) {
      const have = liveEntities.get(gone.name.toLowerCase());
      if (!have) {
        diagnostics.push(warning(`${kind} "${gone.name}" is marked deleted and is already absent from live IAM`, `Nothing to delete. Remove its manifest once every account it is applied to has converged.`, gone.at));
        continue;
      }
      if (ownershipProblem(kind, have, () => gone.at)) continue;
      if (isProtected(have.arn, 'deletion', gone.at)) continue;
      deletes.push({ ...change('delete', have, `marked deleted: true in ${formatAt(gone.at)}`, gone.at, deleteDetails(have, liveState)), ...(have.kind === 'user' ? deletedCredentials(have) : {}) });
    }

    for (const [key, have] of liveEntities) {
      if (desiredEntities.has(key) || desired.deleted.some((d) => d.kind === kind && d.name.toLowerCase() === key)) continue;
      if (isAwsOwnedPath(have.path) || !isOwnedPath(account, have.path)) continue;
      if (!account.prune) {
        unmanaged.push(have.arn);
        continue;
      }
      if (isProtected(have.arn, 'deletion (prune)', account.at)) continue;
      deletes.push({ ...change('delete', have, 'not declared in any manifest, and the Account sets prune: true', undefined, deleteDetails(have, liveState)), ...(have.kind === 'user' ? deletedCredentials(have) : {}) });
    }
  }

  checkPolicyReferences(desired, live, diagnostics);
  const goneRoles = new Set(deletes.filter((c) => c.kind === 'role').map((c) => c.name.toLowerCase()));
  const rolesAfter = [...desired.state.roles.values(), ...[...liveState.roles].filter(([key]) => !desired.state.roles.has(key) && !goneRoles.has(key)).map(([, role]) => role)];
  const providers = diffProviders(desired, live, rolesAfter, diagnostics);
  checkInstanceProfiles(desired, liveState, diagnostics);
  checkReferencesToDeleted(desired, [...upserts, ...deletes], diagnostics);
  checkDeletesTouchOnlyOwned(desired, liveState, [...upserts, ...deletes], diagnostics);
  if (options.awsManagedPolicies) checkNewAwsAttachments(upserts, live, options.awsManagedPolicies, desired, diagnostics);
  if (credentialsNotCompared.length) {
    const names = credentialsNotCompared.sort();
    diagnostics.push(warning(`credentials not compared for ${names.length === 1 ? '1 user' : `${names.length} users`}: ${names.slice(0, 10).join(', ')}${names.length > 10 ? ` and ${names.length - 10} more` : ''}`, `The live source (${live.source}) does not hold users' credentials: get-account-authorization-details exports have none. Plan against AWS (--aws), or against a snapshot written by \`iam-gitops snapshot --aws --manifests DIR\`, which holds them for the users whose manifests manage them.`));
  }
  for (const [field, names] of unknownNotCompared) {
    diagnostics.push(warning(`${field} not compared for ${names.length} ${names.length === 1 ? 'entity' : 'entities'}: ${names.slice(0, 5).join(', ')}${names.length > 5 ? ', ...' : ''}`, `The live source (${live.source}) does not hold ${field === 'tags' ? 'managed policy tags' : `role ${field === 'description' ? 'descriptions' : 'maximum session durations'}`}: get-account-authorization-details omits them. Plan against live AWS to compare them${field === 'tags' ? '' : ' (or list the field under a role\'s unmanagedFields to leave it as it is in IAM)'}.`));
  }
  if (diagnostics.some((d) => d.severity === 'error')) return { diagnostics };

  // Deletes in reverse kind order: users leave groups and drop policies before those go.
  const rank = (kind: ChangeKind): number => (KIND_ORDER as readonly ChangeKind[]).indexOf(kind);
  deletes.sort((a, b) => rank(b.kind) - rank(a.kind) || a.name.localeCompare(b.name));
  upserts.sort((a, b) => rank(a.kind) - rank(b.kind) || a.name.localeCompare(b.name));
  // The account's own settings stand apart from entities: after the upserts, before any delete.
  const settings = diffAccountSettings(desired, live, diagnostics);
  const changes = [...upserts, ...(settings ? [settings] : []), ...deletes];
  const count = (action: ChangeAction): number => changes.filter((c) => c.action === action).length + providers.changes.filter((c) => c.action === action).length;
  warnAboutUnmanagedDetachments(changes, desired, diagnostics);
  const changeSet: ChangeSet = {
    account: account.id,
    changes,
    unmanaged: [...unmanaged.sort(), ...providers.unmanaged],
    ...(providers.changes.length ? { providerChanges: providers.changes } : {}),
    summary: { create: count('create'), update: count('update'), delete: count('delete'), unmanaged: unmanaged.length + providers.unmanaged.length, replace: changes.filter((c) => c.replaces !== undefined).length },
    diagnostics: [...live.notes, ...diagnostics],
    protected: [...account.protected].sort(),
  };
  return { changeSet, diagnostics: changeSet.diagnostics };
}

/** What forces a replacement, in words, or undefined: IAM has no API to change a role's or managed policy's path. */
function replacementCause(want: EntityState, have: EntityState): string | undefined {
  if ((want.kind === 'role' || want.kind === 'policy') && want.path !== have.path) return `moved from ${have.path} to ${want.path}`;
  return undefined;
}

/** Users and groups a manifest renames (`previousName`) that live IAM holds under the old name. */
interface Renames {
  /** The live entities of a kind as they read after the renames: under their new names, memberships following. */
  view(kind: EntityKind, live: ReadonlyMap<string, EntityState>): ReadonlyMap<string, EntityState>;
  /** The live entity renamed to the (name) key, as it is in IAM today. */
  from(kind: EntityKind, key: string): EntityState | undefined;
}

function plannedRenames(desired: DesiredState, live: IamState, diagnostics: Diagnostic[]): Renames {
  const renamed = new Map<string, EntityState>(); // `${kind}:${new key}` -> live entity under its old name
  const groupNames = new Map<string, string>(); // old group key -> new name
  for (const [key, previous] of desired.previousNames ?? []) {
    const kind = key.slice(0, key.indexOf(':')) as 'user' | 'group';
    const wanted = entitiesOf(desired.state, kind).get(key.slice(key.indexOf(':') + 1));
    if (!wanted) continue; // marked deleted: nothing to rename
    const liveOf = entitiesOf(live, kind);
    const old = liveOf.get(nameKey(previous));
    const already = liveOf.get(nameKey(wanted.name));
    if (already) {
      if (old) diagnostics.push(warning(`${kind} "${previous}" (previousName of ${wanted.name}) and ${kind} "${wanted.name}" both exist in live IAM: nothing is renamed`, `The plan compares ${wanted.name} with its manifest and leaves ${previous} as any live ${kind} no manifest declares. Remove previousName once the rename is done.`, desired.sources.get(key)?.()));
      continue;
    }
    if (!old) continue; // neither: created under its new name
    renamed.set(key, old);
    // Trust policies hold a principal by its unique id: after the rename IAM shows them naming the new ARN. A manifest
    // whose trust still names the old one would differ from live IAM at the next plan, which would put back a principal
    // that is gone (IAM refuses it): an error, fixed in the same change. Elsewhere (a condition on aws:PrincipalArn)
    // the old ARN is kept as written and simply stops matching: a warning.
    if (kind === 'user') {
      const newArn = entityArn(live.account || desired.account.id, 'user', old.path, wanted.name);
      for (const role of desired.state.roles.values()) {
        if (!mentionsString(role.trustPolicy.document, old.arn)) continue;
        const at = desired.sources.get(sourceKey('role', role.name))?.();
        if (namesAwsPrincipal(role.trustPolicy, old.arn)) {
          diagnostics.push(error(`role "${role.name}" trusts ${old.arn}, which this plan renames to ${wanted.name}`, `IAM keeps the trust (it holds the user's unique id) and shows it with the new ARN, so the manifest would differ from live IAM at the next plan and put back a principal that no longer exists. Write ${newArn} in the trust policy, in the same change.`, at));
        } else {
          diagnostics.push(warning(`role "${role.name}"'s trust policy mentions ${old.arn} outside its principals, and this plan renames that user to ${wanted.name}`, `IAM rewrites only principals: a condition on the old ARN stops matching the renamed user. Write ${newArn} there if it should still match.`, at));
        }
      }
    }
    if (kind === 'group') groupNames.set(nameKey(previous), wanted.name);
  }
  return {
    view(kind, entities) {
      if (renamed.size === 0) return entities;
      const out = new Map(entities);
      for (const [key, old] of renamed) {
        if (!key.startsWith(`${kind}:`)) continue;
        const name = entitiesOf(desired.state, kind).get(key.slice(kind.length + 1))!.name;
        out.delete(nameKey(old.name));
        out.set(nameKey(name), { ...old, name, arn: entityArn(live.account || desired.account.id, kind, old.path, name) } as EntityState);
      }
      if (kind === 'user' && groupNames.size) {
        for (const [key, user] of out) if (user.kind === 'user' && user.groups.some((g) => groupNames.has(nameKey(g)))) out.set(key, { ...user, groups: user.groups.map((g) => groupNames.get(nameKey(g)) ?? g) });
      }
      return out;
    },
    from: (kind, key) => renamed.get(`${kind}:${key}`),
  };
}

function change(action: ChangeAction, entity: EntityState, reason: string, at: SourceLocation | undefined, details: ChangeDetail[]): Change {
  return { action, kind: entity.kind, name: entity.name, arn: entity.arn, path: entity.path, reason, ...(at ? { source: at } : {}), details };
}

function formatAt(at: SourceLocation | undefined): string {
  return at ? `${at.file}:${at.line}` : 'the manifests';
}

/**
 * Whether the manifests manage a field of an entity, so that a live source that does not hold it leaves a question
 * open (said in the plan, never answered by a guess). A role's description and session duration are managed unless
 * listed under `unmanagedFields` (absent, they mean "none" and 3600); a policy's description is not (IAM cannot
 * change it: only a warning compares it, where the source holds it); a customer managed policy's tags are managed
 * when its manifest sets some (no bulk API returns them: reading them for every policy would cost a call each).
 */
function manages(entity: EntityState, field: UnknownField): boolean {
  if ((entity.unknown ?? []).includes(field)) return false;
  switch (field) {
    case 'description':
      return entity.kind === 'role';
    case 'maxSessionDuration':
      return entity.kind === 'role';
    case 'tags':
      return entity.kind !== 'policy' || Object.keys(entity.tags).length > 0;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Details

function createDetails(entity: EntityState): ChangeDetail[] {
  switch (entity.kind) {
    case 'policy':
      return [
        { field: 'document', before: null, after: entity.document.document },
        ...descriptionDetail(undefined, entity.description),
        ...tagDetails({}, entity.tags),
      ];
    case 'group':
      return principalDetails(emptyPrincipal, entity);
    case 'role':
      return [
        { field: 'trustPolicy', before: null, after: entity.trustPolicy.document },
        ...descriptionDetail(undefined, entity.description),
        ...((entity.maxSessionDuration ?? DEFAULT_MAX_SESSION_DURATION) !== DEFAULT_MAX_SESSION_DURATION
          ? [{ field: 'maxSessionDuration' as const, before: null, after: entity.maxSessionDuration! }]
          : []),
        ...principalDetails(emptyPrincipal, entity),
        ...profileDetails([], entity.instanceProfiles, entity.name),
      ];
    case 'user':
      return principalDetails(emptyPrincipal, entity);
  }
}

/**
 * The instance profiles a role joins and leaves, where its manifest manages them (`wanted` defined). A profile it
 * joins is created too (`create`): a profile no live role is in is not in the live state (the authorization details
 * list profiles under their roles), so apply creates it, and an existing empty one is taken as it is.
 */
function profileDetails(have: readonly string[], wanted: readonly string[] | undefined, role: string): ChangeDetail[] {
  if (wanted === undefined) return [];
  const before = new Set(have.map((n) => n.toLowerCase()));
  const after = new Set(wanted.map((n) => n.toLowerCase()));
  return [
    ...wanted.filter((n) => !before.has(n.toLowerCase())).map((name) => ({ field: 'instanceProfile' as const, name, op: 'add' as const, create: true })),
    // A profile named like the role is the one `instanceProfile: true` makes (and the console): it goes with the role.
    ...have.filter((n) => !after.has(n.toLowerCase())).map((name) => ({ field: 'instanceProfile' as const, name, op: 'remove' as const, ...(name.toLowerCase() === role.toLowerCase() ? { delete: true } : {}) })),
  ];
}

const emptyPrincipal = { managedPolicies: [], inlinePolicies: {}, tags: {}, groups: [] } as const;

interface PrincipalLike {
  readonly managedPolicies: readonly string[];
  readonly inlinePolicies: InlinePolicies;
  readonly permissionsBoundary?: string;
  readonly tags?: Tags;
  readonly groups?: readonly string[];
}

/** Details common to users, groups and roles: boundary, groups, attachments, inline policies, tags. */
function principalDetails(have: PrincipalLike, want: PrincipalLike): ChangeDetail[] {
  const details: ChangeDetail[] = [];
  if ((have.permissionsBoundary ?? null) !== (want.permissionsBoundary ?? null)) {
    details.push({ field: 'permissionsBoundary', before: have.permissionsBoundary ?? null, after: want.permissionsBoundary ?? null });
  }
  if (want.groups) {
    const before = new Map((have.groups ?? []).map((g) => [g.toLowerCase(), g]));
    const after = new Map(want.groups.map((g) => [g.toLowerCase(), g]));
    for (const [key, name] of after) if (!before.has(key)) details.push({ field: 'group', group: name, op: 'add' });
    for (const [key, name] of before) if (!after.has(key)) details.push({ field: 'group', group: name, op: 'remove' });
  }
  const attachedBefore = new Set(have.managedPolicies);
  const attachedAfter = new Set(want.managedPolicies);
  for (const arn of want.managedPolicies) if (!attachedBefore.has(arn)) details.push({ field: 'managedPolicy', arn, op: 'attach' });
  for (const arn of have.managedPolicies) if (!attachedAfter.has(arn)) details.push({ field: 'managedPolicy', arn, op: 'detach' });
  details.push(...inlineDetails(have.inlinePolicies, want.inlinePolicies));
  if (want.tags) details.push(...tagDetails(have.tags ?? {}, want.tags));
  return details;
}

function inlineDetails(before: InlinePolicies, after: InlinePolicies): ChangeDetail[] {
  const details: ChangeDetail[] = [];
  const names = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  for (const name of names) {
    const b: Policy | undefined = before[name];
    const a: Policy | undefined = after[name];
    if (b && a && b.key === a.key) continue;
    details.push({ field: 'inlinePolicy', name, before: b?.document ?? null, after: a?.document ?? null });
  }
  return details;
}

function tagDetails(before: Tags, after: Tags): ChangeDetail[] {
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  return keys
    .filter((key) => before[key] !== after[key])
    .map((key) => ({ field: 'tag' as const, key, before: before[key] ?? null, after: after[key] ?? null }));
}

function descriptionDetail(before: string | undefined, after: string | undefined): ChangeDetail[] {
  return (before ?? null) === (after ?? null) ? [] : [{ field: 'description', before: before ?? null, after: after ?? null }];
}

function updateDetails(want: EntityState, have: EntityState): ChangeDetail[] {
  // Fields the live source does not hold, and fields the manifest leaves unmanaged, are left as they are.
  const unknown = new Set([...(have.unknown ?? []), ...(want.unknown ?? [])]);
  const details: ChangeDetail[] = [];
  if (want.path !== have.path) {
    details.push({ field: 'path', before: have.path, after: want.path, replacement: want.kind === 'role' || want.kind === 'policy' });
  }
  switch (want.kind) {
    case 'policy': {
      // A managed policy's description cannot be changed (IAM has no API for it): diffStates warns instead.
      const live = have as ManagedPolicyState;
      if (want.document.key !== live.document.key) details.push({ field: 'document', before: live.document.document, after: want.document.document });
      if (!unknown.has('tags') && manages(want, 'tags')) details.push(...tagDetails(live.tags, want.tags));
      return details;
    }
    case 'role': {
      const live = have as RoleState;
      if (want.trustPolicy.key !== live.trustPolicy.key) details.push({ field: 'trustPolicy', before: live.trustPolicy.document, after: want.trustPolicy.document });
      if (!unknown.has('description')) details.push(...descriptionDetail(live.description, want.description));
      const wantDuration = want.maxSessionDuration ?? DEFAULT_MAX_SESSION_DURATION;
      const haveDuration = live.maxSessionDuration ?? DEFAULT_MAX_SESSION_DURATION;
      if (!unknown.has('maxSessionDuration') && wantDuration !== haveDuration) {
        details.push({ field: 'maxSessionDuration', before: haveDuration, after: wantDuration });
      }
      return [...details, ...principalDetails(live, want), ...profileDetails(live.instanceProfiles ?? [], want.instanceProfiles, want.name)];
    }
    case 'group':
      return [...details, ...principalDetails(have as GroupState, want)];
    case 'user':
      return [...details, ...principalDetails(have as UserState, want)];
  }
}

/**
 * What goes with a deleted entity, so the reviewer sees the blast radius (including on unmanaged principals). A role
 * deleted for good takes the instance profile named like it (apply's teardown deletes it, as the console does) unless
 * another role is in it too; a replaced role's profiles stay, for the new role to join again.
 */
function deleteDetails(entity: EntityState, live: LiveState['state'], replaced?: 'replaced'): ChangeDetail[] {
  switch (entity.kind) {
    case 'group': {
      const members = [...live.users.values()].filter((u) => u.groups.some((g) => g.toLowerCase() === entity.name.toLowerCase()));
      return [
        ...members.map((u) => ({ field: 'member' as const, user: u.name, op: 'remove' as const })),
        ...principalDetails(entity, { managedPolicies: [], inlinePolicies: {} }),
      ];
    }
    case 'policy': {
      const details: ChangeDetail[] = [];
      for (const principal of [...live.users.values(), ...live.groups.values(), ...live.roles.values()]) {
        if (principal.managedPolicies.includes(entity.arn)) details.push({ field: 'attachment', principal: principal.arn, as: 'policy', op: 'detach' });
        if ('permissionsBoundary' in principal && principal.permissionsBoundary === entity.arn) {
          details.push({ field: 'attachment', principal: principal.arn, as: 'permissionsBoundary', op: 'detach' });
        }
      }
      return details;
    }
    case 'user':
      return principalDetails(entity, { managedPolicies: [], inlinePolicies: {}, groups: [] });
    case 'role':
      return [
        ...(entity.instanceProfiles ?? []).map((name) => ({ field: 'instanceProfile' as const, name, op: 'remove' as const, ...(!replaced && name.toLowerCase() === entity.name.toLowerCase() && !sharedProfile(live, name, entity.name) ? { delete: true } : {}) })),
        ...principalDetails(entity, { managedPolicies: [], inlinePolicies: {} }),
      ];
  }
}

/** Whether a role other than `role` is in the instance profile too (IAM holds one, but a snapshot may say otherwise). */
function sharedProfile(live: LiveState['state'], profile: string, role: string): boolean {
  return [...live.roles.values()].some((r) => r.name.toLowerCase() !== role.toLowerCase() && (r.instanceProfiles ?? []).some((p) => p.toLowerCase() === profile.toLowerCase()));
}

/**
 * A principal that keeps a policy this plan deletes (by ARN, or by a replacement's old ARN) would fail at apply:
 * IAM refuses to delete an attached policy, and the tool would detach it against the manifests' word.
 */
function checkReferencesToDeleted(desired: DesiredState, changes: readonly Change[], diagnostics: Diagnostic[]): void {
  const deleted = new Map(changes.filter((c) => c.action === 'delete' && c.kind === 'policy').map((c) => [c.arn, c]));
  if (deleted.size === 0) return;
  for (const principal of [...desired.state.users.values(), ...desired.state.groups.values(), ...desired.state.roles.values()]) {
    const refs = [...principal.managedPolicies, ...('permissionsBoundary' in principal && principal.permissionsBoundary ? [principal.permissionsBoundary] : [])];
    for (const arn of refs) {
      const gone = deleted.get(arn);
      if (!gone) continue;
      const how = gone.replacedBy ? `moves it to ${gone.replacedBy} (a new ARN)` : 'deletes it';
      diagnostics.push(error(`${principal.kind} "${principal.name}" refers to ${arn}, which this plan ${how}`, gone.replacedBy ? 'Refer to the policy by its manifest name, so that the reference follows the move.' : 'Remove the reference, or keep the policy.', desired.sources.get(sourceKey(principal.kind, principal.name))?.()));
    }
  }
}

/**
 * Deleting a policy detaches it from every principal, and deleting a group removes every member: where one of them
 * is protected, AWS-owned or outside managedPaths, the deletion would change what the tool must never touch.
 */
function checkDeletesTouchOnlyOwned(desired: DesiredState, live: LiveState['state'], changes: readonly Change[], diagnostics: Diagnostic[]): void {
  const isProtectedArn = protectedMatcher(desired.account.protected);
  const pathOf = new Map([...live.users.values(), ...live.groups.values(), ...live.roles.values()].map((e) => [e.arn, e.path]));
  const userArnOf = new Map([...live.users.values()].map((u) => [u.name.toLowerCase(), u.arn]));
  for (const change of changes) {
    if (change.action !== 'delete') continue;
    const touched = change.details.flatMap((d) => (d.field === 'attachment' ? [d.principal] : d.field === 'member' ? [userArnOf.get(d.user.toLowerCase()) ?? ''] : []));
    for (const arn of touched) {
      const path = pathOf.get(arn);
      const why = isProtectedArn(arn) ? 'is protected' : path !== undefined && isAwsOwnedPath(path) ? 'is owned by AWS' : path !== undefined && !isOwnedPath(desired.account, path) ? 'is outside managedPaths' : undefined;
      if (!why) continue;
      const how = change.kind === 'group' ? 'removing it from the group' : 'detaching the policy from it';
      diagnostics.push(error(`deleting ${change.kind} ${change.name} would change ${arn}, which ${why}`, `${how[0]!.toUpperCase()}${how.slice(1)} would touch an entity the tool must never change. ${change.kind === 'group' ? 'Remove that member by hand first' : 'Detach it by hand first'}, or keep the ${change.kind}.`, change.source ?? desired.account.at));
    }
  }
}

/**
 * A `protected` entry that names no entity live IAM or the manifests have protects nothing: a typo, another account,
 * or an entity since deleted. Said, so that nobody relies on it.
 */
function warnAboutUnmatchedProtected(desired: DesiredState, live: LiveState['state'], diagnostics: Diagnostic[]): void {
  if (desired.account.protected.length === 0) return;
  const known = new Set<string>();
  for (const state of [desired.state, live]) {
    for (const kind of KIND_ORDER) for (const e of entitiesOf(state, kind).values()) known.add(entityKey(e.arn) ?? '');
    for (const role of state.roles.values()) for (const profile of role.instanceProfiles ?? []) known.add(identityKey({ account: desired.account.id, kind: 'instance-profile', name: profile }));
  }
  desired.account.protected.forEach((arn, i) => {
    const id = entityIdentity(arn);
    // Entries that are not IAM entity ARNs of this account are validate's warnings already.
    if (!id || id.account !== desired.account.id || known.has(identityKey(id))) return;
    diagnostics.push(warning(`protected entry ${arn} matches nothing: no ${id.kind} named "${id.name}" is live or declared`, 'It protects nothing. Fix the name (protected entries match by kind and name, whatever the path), or remove the entry.', desired.account.locate(['protected', i])));
  });
}

/** Deleting or replacing a policy detaches it from principals this repo does not manage too; they lose it for good. */
function warnAboutUnmanagedDetachments(changes: readonly Change[], desired: DesiredState, diagnostics: Diagnostic[]): void {
  // Principals the manifests declare keep what they list; principals this plan deletes lose everything anyway.
  const managed = new Set([...desired.state.users.values(), ...desired.state.groups.values(), ...desired.state.roles.values()].map((p) => p.arn));
  for (const c of changes) if (c.action === 'delete' && c.replacedBy === undefined) managed.add(c.arn);
  for (const change of changes) {
    if (change.action !== 'delete' || change.kind !== 'policy') continue;
    const bounded = change.details.flatMap((d) => (d.field === 'attachment' && d.as === 'permissionsBoundary' && managed.has(d.principal) ? [d.principal] : []));
    if (change.replacedBy && bounded.length) {
      diagnostics.push(warning(`Moving boundary policy ${change.name} leaves ${bounded.length === 1 ? '1 principal' : `${bounded.length} principals`} unbounded for a moment`, 'IAM cannot move a policy: apply deletes it (removing it as a boundary first) and sets the new one afterwards. In between, their policies apply in full. Move boundaries when that moment is acceptable, or create the new boundary under another name first.', change.source));
    }
    const others = change.details.flatMap((d) => (d.field === 'attachment' && !managed.has(d.principal) ? [d.principal] : []));
    if (others.length === 0) continue;
    const what = change.replacedBy ? 'Moving' : 'Deleting';
    diagnostics.push(warning(`${what} policy ${change.name} detaches it from ${others.length} ${others.length === 1 ? 'principal' : 'principals'} no manifest declares: ${others.slice(0, 5).join(', ')}${others.length > 5 ? ', ...' : ''}`, `They lose what it grants${change.replacedBy ? ' and are not attached to the moved policy' : ''}. Declare them in manifests, or attach the policy again by hand.`, change.source));
  }
}

/** Attaching an AWS policy that AWS does not offer (misspelt, or deprecated and not in this account) would fail. */
function checkNewAwsAttachments(changes: readonly Change[], live: LiveState, known: ReadonlySet<string>, desired: DesiredState, diagnostics: Diagnostic[]): void {
  for (const change of changes) {
    for (const detail of change.details) {
      const arn = detail.field === 'managedPolicy' && detail.op === 'attach' ? detail.arn : detail.field === 'permissionsBoundary' ? detail.after : null;
      if (!arn || !isAwsManagedPolicyArn(arn) || known.has(arn) || live.state.externalPolicies.has(arn)) continue;
      diagnostics.push(error(`${change.kind} "${change.name}" would attach ${arn} anew, which AWS does not offer`, 'The Account manifest lists it under acceptUnknown as deprecated: AWS keeps a deprecated policy only where it is already attached, and refuses new attachments. Pick a current AWS managed policy.', desired.sources.get(sourceKey(change.kind, change.name))?.()));
    }
  }
}

/**
 * A customer managed policy ARN of this account that neither the manifests nor live IAM have cannot be attached;
 * say so now rather than at apply time.
 */
function checkPolicyReferences(desired: DesiredState, live: LiveState, diagnostics: Diagnostic[]): void {
  const known = new Set([...desired.state.policies.values(), ...live.state.policies.values()].map((p) => p.arn));
  for (const p of live.state.externalPolicies.keys()) known.add(p);
  for (const principal of [...desired.state.users.values(), ...desired.state.groups.values(), ...desired.state.roles.values()]) {
    const refs = [...principal.managedPolicies, ...('permissionsBoundary' in principal && principal.permissionsBoundary ? [principal.permissionsBoundary] : [])];
    for (const arn of refs) {
      if (known.has(arn) || isAwsManagedPolicyArn(arn) || accountOfArn(arn) !== desired.account.id) continue;
      diagnostics.push(error(`${principal.kind} "${principal.name}" refers to ${arn}, which does not exist`, 'Neither the manifests nor live IAM have this customer managed policy. Declare it with kind: Policy, or fix the ARN.', desired.sources.get(sourceKey(principal.kind, principal.name))?.()));
    }
  }
}

/**
 * IAM holds one role per instance profile (AddRoleToInstanceProfile answers LimitExceeded): a profile two roles
 * declare, or that another live role is in, cannot be given to a role. And a role that EC2 may assume is usable by
 * no instance without a profile: warned, where the manifest does not manage its profiles and live IAM has none.
 */
function checkInstanceProfiles(desired: DesiredState, live: LiveState['state'], diagnostics: Diagnostic[]): void {
  const at = (role: RoleState): SourceLocation | undefined => desired.sources.get(sourceKey('role', role.name))?.();
  const holder = new Map<string, string>();
  for (const role of live.roles.values()) for (const p of role.instanceProfiles ?? []) holder.set(p.toLowerCase(), role.name);
  const claimed = new Map<string, string>();
  for (const role of desired.state.roles.values()) {
    for (const profile of role.instanceProfiles ?? []) {
      const key = profile.toLowerCase();
      const other = claimed.get(key);
      if (other !== undefined) {
        diagnostics.push(error(`roles "${other}" and "${role.name}" both declare instance profile "${profile}"`, 'An instance profile holds one role (IAM refuses a second). Give each role its own profile.', at(role)));
        continue;
      }
      claimed.set(key, role.name);
      const liveHolder = holder.get(key);
      if (liveHolder !== undefined && liveHolder.toLowerCase() !== role.name.toLowerCase()) {
        diagnostics.push(error(`instance profile "${profile}" of role "${role.name}" holds role "${liveHolder}" in live IAM`, `An instance profile holds one role (IAM refuses a second). Name another profile, or first take "${liveHolder}" out of it (its manifest's instanceProfile, applied on its own).`, at(role)));
      }
    }
    const liveRole = live.roles.get(role.name.toLowerCase());
    // A role the tool may not change (already an error) gets no advice about it.
    const owned = liveRole === undefined || (!isAwsOwnedPath(liveRole.path) && isOwnedPath(desired.account, liveRole.path));
    if (owned && role.instanceProfiles === undefined && (liveRole?.instanceProfiles ?? []).length === 0 && trustsEc2(role.trustPolicy)) {
      diagnostics.push(warning(`role "${role.name}" trusts ec2.amazonaws.com but is in no instance profile`, 'EC2 passes a role to instances only through an instance profile: add instanceProfile: true (a profile named like the role) or instanceProfile: {name: ...}. If EC2 does not use the role, drop ec2.amazonaws.com from its trust policy.', at(role)));
    }
  }
}

/** Whether an Allow statement of a trust policy names the EC2 service as principal. */
function trustsEc2(trust: Policy): boolean {
  return statementsOf(trust.document).some((s) => {
    if (s['Effect'] !== 'Allow') return false;
    const principal = s['Principal'];
    if (typeof principal !== 'object' || principal === null) return false;
    const service = (principal as Record<string, unknown>)['Service'];
    const services = Array.isArray(service) ? service : [service];
    return services.some((v) => typeof v === 'string' && v.toLowerCase() === 'ec2.amazonaws.com');
  });
}

/** Whether an Allow or Deny statement of a trust policy names `arn` under Principal.AWS. */
function namesAwsPrincipal(trust: Policy, arn: string): boolean {
  return statementsOf(trust.document).some((s) => {
    const principal = s['Principal'];
    if (typeof principal !== 'object' || principal === null) return false;
    const aws = (principal as Record<string, unknown>)['AWS'];
    return (Array.isArray(aws) ? aws : [aws]).includes(arn);
  });
}

/** Whether a JSON value holds `text` as one of its strings (not as part of a longer one: `user/alice.renamed`). */
function mentionsString(value: unknown, text: string): boolean {
  if (typeof value === 'string') return value === text;
  if (Array.isArray(value)) return value.some((v) => mentionsString(v, text));
  if (typeof value === 'object' && value !== null) return Object.values(value).some((v) => mentionsString(v, text));
  return false;
}
