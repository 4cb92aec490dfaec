/** What the manifests ask for, normalised: the output of the manifest stage. */
import type { EntityKind } from '../core/arn.js';
import type { AcceptedRisk } from '../core/finding-codes.js';
import type { HygieneSettings } from '../core/usage.js';
import type { SourceLocation } from '../core/diagnostics.js';
import type { AccountSettings, CredentialPolicy, IamState } from '../core/state.js';
import type { DeclaredProviders } from './providers.js';

/** The `kind: Account` manifest with defaults filled in. */
export interface AccountConfig {
  readonly id: string;
  readonly prune: boolean;
  /** Paths this repo owns; an entity is owned when its path starts with one of them. */
  readonly managedPaths: readonly string[];
  /** ARNs the tool never modifies or deletes. */
  readonly protected: readonly string[];
  /** Risk findings accepted on purpose: shown as accepted, never failing a run. */
  readonly acceptedRisks: readonly AcceptedRisk[];
  /** What hygiene findings call old or unused (defaults filled in). */
  readonly hygiene: HygieneSettings;
  /** Unknown names used knowingly: actions (patterns) missing from the catalog, deprecated AWS managed policies. */
  readonly acceptUnknown: { readonly actions: readonly string[]; readonly awsManagedPolicies: readonly string[] };
  /** The account settings the manifest manages (a field absent: not managed). */
  readonly settings: AccountSettings;
  /** Every user's default credentials policy (`credentials`; a User's own block overrides it field by field). */
  readonly credentials?: CredentialPolicy;
  /** The account's short name: the Account manifest's `name`, else its folder's (`{{account.name}}` in a baseline). */
  readonly name?: string;
  /** Shared baseline manifests this folder takes (folder relative to the Account manifest's file; KIND/NAME excluded). */
  readonly baseline?: { readonly folder: string; readonly exclude: readonly string[] };
  readonly at: SourceLocation;
  /** Where a field of the Account manifest is, e.g. `['acceptUnknown', 'actions', 2]` (found when reporting). */
  readonly locate: (path: readonly (string | number)[]) => SourceLocation;
}

/** An entity a manifest marks `deleted: true`. */
export interface DeletedEntity {
  readonly kind: EntityKind;
  readonly name: string;
  readonly at: SourceLocation;
}

export interface DesiredState {
  readonly account: AccountConfig;
  /** Users and groups renamed in place: `sourceKey(kind, name)` -> the name they have in IAM today (`previousName`). */
  readonly previousNames?: ReadonlyMap<string, string>;
  /** Every entity that should exist, with references resolved to ARNs and documents loaded. */
  readonly state: IamState;
  readonly deleted: readonly DeletedEntity[];
  /**
   * Where each entity is declared, by `sourceKey(kind, name)`. Computed on demand: finding a line means parsing
   * the file again with positions, which only the few entities a plan reports on should pay for.
   */
  readonly sources: ReadonlyMap<string, () => SourceLocation>;
  /** Identity providers marked deleted, and where each provider is declared (`state.providers` holds the others). */
  readonly providers?: Pick<DeclaredProviders, 'deleted' | 'sources'>;
}

/** `account` (a plan's account-settings change) is never a key of `sources`: its place is the Account's `at`. */
export function sourceKey(kind: EntityKind | 'account', name: string): string {
  return `${kind}:${name.toLowerCase()}`;
}

export function isOwnedPath(account: AccountConfig, path: string): boolean {
  return account.managedPaths.some((managed) => path.startsWith(managed));
}
