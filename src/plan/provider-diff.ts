/**
 * Identity providers, diffed apart from the entities: a provider is no principal (no path, no policies), and the
 * plan lists its changes in `providerChanges` (an added field) so that tools reading `changes` meet no new kind.
 *
 * Rules:
 * - Providers are matched by ARN (IAM's key: the OIDC URL without https://, or the SAML name).
 * - A live provider no manifest declares is unmanaged (listed, never deleted: `prune` does not reach providers,
 *   which earlier versions could not declare); `deleted: true` deletes one.
 * - A role (as the plan leaves it) whose trust names a provider of this account that is neither declared nor live
 *   is an error: the trust admits nobody, and IAM refuses such a trust policy.
 * - Deleting a provider that a role still trusts after the plan is an error: delete the role, or change its trust.
 * - Where live IAM's providers are unknown (a get-account-authorization-details snapshot), nothing is created or
 *   deleted and the plan says providers were not compared: creating one that exists would fail, and deleting blindly
 *   is never right.
 */
import { error, warning, type Diagnostic, type SourceLocation } from '../core/diagnostics.js';
import { federatedPrincipals, isAwsOwnedProvider, isProviderArnOf, providerName, type ProviderKind, type ProviderState } from '../core/providers.js';
import type { RoleState, Tags } from '../core/state.js';
import type { DesiredState } from '../manifest/desired-state.js';
import type { LiveState } from '../live/live-state.js';
import type { ChangeAction, ChangeOrigin } from './plan.js';

export type ProviderDetail =
  | { readonly field: 'clientId'; readonly value: string; readonly op: 'add' | 'remove' }
  | { readonly field: 'thumbprints'; readonly before: readonly string[] | null; readonly after: readonly string[] }
  /** The SAML metadata document (XML, trimmed), before and after: apply sends it, so a saved plan carries it. */
  | { readonly field: 'metadataDocument'; readonly before: string | null; readonly after: string }
  | { readonly field: 'tag'; readonly key: string; readonly before: string | null; readonly after: string | null }
  /** On a deleted provider: a role whose trust names it (only roles deleted by the same plan, else it is an error). */
  | { readonly field: 'trustedBy'; readonly role: string };

export interface ProviderChange {
  readonly action: ChangeAction;
  readonly kind: ProviderKind;
  /** The OIDC URL (without https://) or the SAML name. */
  readonly name: string;
  readonly arn: string;
  readonly reason: string;
  readonly source?: SourceLocation;
  readonly details: readonly ProviderDetail[];
  /** Added field, with a pull request (as on `changes`): the pull request's own change, drift, or both. */
  readonly origin?: ChangeOrigin;
  /** Added field: the pull request's changed files behind this change (its manifest, its SAML metadata file). */
  readonly files?: readonly string[];
}

export interface ProviderDiff {
  readonly changes: readonly ProviderChange[];
  /** ARNs of live providers no manifest declares. */
  readonly unmanaged: readonly string[];
}

/** `rolesAfter`: the roles as the plan leaves them (live roles not deleted, with declared ones over them). */
export function diffProviders(desired: DesiredState, live: LiveState, rolesAfter: readonly RoleState[], diagnostics: Diagnostic[]): ProviderDiff {
  const account = desired.account.id;
  const want = desired.state.providers ?? new Map<string, ProviderState>();
  const deleted = desired.providers?.deleted ?? new Map<string, SourceLocation>();
  const at = (arn: string): SourceLocation | undefined => desired.providers?.sources.get(arn)?.();
  const have = live.state.providers;
  const trusting = new Map<string, string[]>();
  for (const role of rolesAfter) {
    for (const arn of new Set(federatedPrincipals(role.trustPolicy.document))) {
      if (isProviderArnOf(arn, account)) trusting.set(arn, [...(trusting.get(arn) ?? []), role.name]);
    }
  }
  if (!have) {
    if (want.size || deleted.size) {
      diagnostics.push(warning(`identity providers not compared: ${live.source} does not hold them`, `get-account-authorization-details exports hold no OIDC or SAML providers, so ${want.size + deleted.size === 1 ? 'the one declared here is' : `the ${want.size + deleted.size} declared here are`} neither created nor deleted by this plan (creating one that exists would fail; deleting unseen is never right). Plan against live AWS, or write the snapshot with iam-gitops snapshot --aws, which adds them.`));
    }
    for (const [arn, roles] of trusting) {
      if (!want.has(arn)) diagnostics.push(warning(`role ${roles.join(', ')} trusts ${arn}, which no manifest declares and ${live.source} cannot show`, 'Declare the provider (kind: OpenIDConnectProvider or SAMLProvider), or plan against live AWS to check that it exists.'));
    }
    return { changes: [], unmanaged: [] };
  }
  for (const [arn, roles] of trusting) {
    if (want.has(arn) || (have.has(arn) && !deleted.has(arn))) continue;
    const why = deleted.has(arn) ? `is marked deleted` : `exists neither in the manifests nor in live IAM`;
    const where = deleted.get(arn);
    diagnostics.push(error(`${roles.length === 1 ? 'role' : 'roles'} ${roles.join(', ')} ${roles.length === 1 ? 'trusts' : 'trust'} identity provider ${arn}, which ${why}`, deleted.has(arn) ? `Deleting it would leave the trust admitting nobody: delete the role${roles.length === 1 ? '' : 's'} too (deleted: true), or take the provider out of ${roles.length === 1 ? 'its' : 'their'} trust policy.` : `A trust naming a missing provider admits nobody. Declare it (kind: OpenIDConnectProvider with url, or kind: SAMLProvider with name), or fix the ARN.`, where ?? (desired.sources.get(`role:${roles[0]!.toLowerCase()}`)?.())));
  }
  for (const arn of [...want.keys(), ...deleted.keys()].filter(isAwsOwnedProvider)) {
    diagnostics.push(error(`identity provider ${arn} is owned by AWS`, 'IAM Identity Center creates and manages this SAML provider (the roles under /aws-reserved/ trust it); remove this manifest.', at(arn) ?? deleted.get(arn)));
  }
  // Protected providers (the Account's `protected`, by ARN: providers have no path) are never changed or deleted.
  const protectedArns = new Set(desired.account.protected.map((p) => p.toLowerCase()));
  const isProtected = (arn: string, what: string, where: SourceLocation | undefined): boolean => {
    if (!protectedArns.has(arn.toLowerCase())) return false;
    diagnostics.push(warning(`${arn} is protected: ${what} left out of the plan`, 'The Account manifest lists it under protected; remove it from there to let the tool change it.', where));
    return true;
  };
  const changes: ProviderChange[] = [];
  for (const [arn, provider] of want) {
    const current = have.get(arn);
    const where = at(arn);
    const place = where ? `${where.file}:${where.line}` : 'the manifests';
    if (!current) {
      changes.push({ action: 'create', kind: provider.kind, name: providerName(provider), arn, reason: `declared in ${place} and absent from live IAM`, ...(where ? { source: where } : {}), details: providerDetails(undefined, provider) });
      continue;
    }
    const details = providerDetails(current, provider);
    if (details.length && isProtected(arn, 'its update', where)) continue;
    if (details.length) changes.push({ action: 'update', kind: provider.kind, name: providerName(provider), arn, reason: `live IAM differs from ${place}`, ...(where ? { source: where } : {}), details });
  }
  for (const [arn, where] of deleted) {
    const current = have.get(arn);
    if (!current) {
      diagnostics.push(warning(`identity provider ${arn} is marked deleted and is already absent from live IAM`, 'Nothing to delete. Remove its manifest once every account it is applied to has converged.', where));
      continue;
    }
    if (isProtected(arn, 'its deletion', where)) continue;
    // Roles that trust it and survive the plan are an error above; a role that goes with it is named.
    const goneWith = live.state.roles.size ? [...live.state.roles.values()].filter((r) => federatedPrincipals(r.trustPolicy.document).includes(arn) && !rolesAfter.some((a) => a.name.toLowerCase() === r.name.toLowerCase())) : [];
    changes.push({ action: 'delete', kind: current.kind, name: providerName(current), arn, reason: `marked deleted: true in ${where.file}:${where.line}`, source: where, details: goneWith.map((r) => ({ field: 'trustedBy' as const, role: r.name })) });
  }
  const unmanaged = [...have.keys()].filter((arn) => !want.has(arn) && !deleted.has(arn) && !isAwsOwnedProvider(arn)).sort();
  changes.sort((a, b) => a.arn.localeCompare(b.arn));
  return { changes, unmanaged };
}

/** What differs (`before` absent: everything is an addition, as for a create). */
function providerDetails(before: ProviderState | undefined, after: ProviderState): ProviderDetail[] {
  const out: ProviderDetail[] = [];
  if (after.kind === 'oidcProvider') {
    const was = before?.kind === 'oidcProvider' ? before : undefined;
    const had = new Set(was?.clientIds ?? []);
    for (const id of after.clientIds) if (!had.has(id)) out.push({ field: 'clientId', value: id, op: 'add' });
    for (const id of had) if (!after.clientIds.includes(id)) out.push({ field: 'clientId', value: id, op: 'remove' });
    // Thumbprints left out of the manifest are IAM's to keep: not compared.
    if (after.thumbprints && (was?.thumbprints ?? []).join(',') !== after.thumbprints.join(',')) out.push({ field: 'thumbprints', before: was ? (was.thumbprints ?? []) : null, after: after.thumbprints });
  } else {
    const was = before?.kind === 'samlProvider' ? before : undefined;
    if (!was || was.metadataDocument.trim() !== after.metadataDocument) out.push({ field: 'metadataDocument', before: was ? was.metadataDocument.trim() : null, after: after.metadataDocument });
  }
  out.push(...tagDetails(before?.tags ?? {}, after.tags));
  return out;
}

function tagDetails(before: Tags, after: Tags): ProviderDetail[] {
  const out: ProviderDetail[] = [];
  for (const key of [...new Set([...Object.keys(before), ...Object.keys(after)])].sort()) {
    const b = before[key] ?? null;
    const a = after[key] ?? null;
    if (b !== a) out.push({ field: 'tag', key, before: b, after: a });
  }
  return out;
}
