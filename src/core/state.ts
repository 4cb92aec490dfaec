/**
 * The IAM state model shared by every stage: what the manifests ask for (desired) and what the account has
 * (live) are both an `IamState`, so diffing, simulating and analyzing work on one vocabulary.
 *
 * Invariants: maps are keyed by `nameKey(name)` (IAM names are unique case-insensitively); every list is sorted
 * and free of duplicates; ARNs are full ARNs; paths start and end with "/".
 */
import type { EntityKind } from './arn.js';
import type { Policy, PolicyJson } from './policy.js';
import type { ProviderState } from './providers.js';

export type Tags = Readonly<Record<string, string>>;

/** Inline policies by policy name. */
export type InlinePolicies = Readonly<Record<string, Policy>>;

/**
 * Fields a source could not tell. `aws iam get-account-authorization-details` omits role descriptions, role
 * maximum session durations and managed policy tags; a plan must not invent changes to what it cannot see.
 */
export type UnknownField = 'description' | 'maxSessionDuration' | 'tags';

interface EntityBase {
  readonly name: string;
  readonly path: string;
  readonly arn: string;
  /**
   * Live: fields the source does not hold (their values here mean nothing). Desired: fields the manifest leaves
   * unmanaged (a role's `unmanagedFields`), which have no value here. Either way the plan neither compares nor
   * changes them.
   */
  readonly unknown?: readonly UnknownField[];
}

export interface UserState extends EntityBase {
  readonly kind: 'user';
  /** Group names. */
  readonly groups: readonly string[];
  /** Attached managed policy ARNs. */
  readonly managedPolicies: readonly string[];
  readonly inlinePolicies: InlinePolicies;
  /** ARN of the permissions boundary policy. */
  readonly permissionsBoundary?: string;
  readonly tags: Tags;
  /**
   * Desired only: what credentials the user may have (its manifest's `credentials`, over the Account's default);
   * absent: not managed. The tool never creates a credential: it deletes what the policy does not allow.
   */
  readonly credentialPolicy?: CredentialPolicy;
  /**
   * Live only: the user's credentials, where the source read them (GAAD holds none: AWS is asked per user, for the
   * users whose credentials the manifests manage or the plan deletes; `snapshot --aws` writes them for every user).
   */
  readonly credentials?: UserCredentials;
}

/** `credentials:` of a User manifest or the Account's default; each field absent: not managed. */
export interface CredentialPolicy {
  /** false: no console password (a login profile is deleted). true: one is allowed (never created). */
  readonly console?: boolean;
  /** The most access keys the user may have, active or not (IAM allows 2); extra ones are deleted. */
  readonly accessKeys?: 0 | 1 | 2;
  /** required: a user with a console password must have an MFA device (apply cannot add one: a finding). */
  readonly mfa?: 'required' | 'optional';
}

/** A user's credentials as IAM lists them (ListAccessKeys, GetLoginProfile, ListMFADevices): metadata, never secrets. */
export interface UserCredentials {
  readonly consolePassword: boolean;
  readonly accessKeys: readonly AccessKeyState[];
  /** Serial numbers (ARNs of virtual devices). */
  readonly mfaDevices: readonly string[];
  /**
   * Set when the user was not read one call at a time but screened by the credential report (for many users): what
   * the report says (e.g. `the credential report of 2026-12-05T10:00:00Z`) put the user within its policy, so nothing
   * is to be deleted; its keys and devices are then not listed.
   */
  readonly screenedBy?: string;
}

export interface AccessKeyState {
  readonly id: string;
  readonly active: boolean;
  /** ISO date, where the source tells it. */
  readonly created?: string;
}

export interface GroupState extends EntityBase {
  readonly kind: 'group';
  readonly managedPolicies: readonly string[];
  readonly inlinePolicies: InlinePolicies;
}

export interface RoleState extends EntityBase {
  readonly kind: 'role';
  readonly description?: string;
  /** Seconds; IAM's default is 3600. */
  readonly maxSessionDuration?: number;
  readonly trustPolicy: Policy;
  readonly managedPolicies: readonly string[];
  readonly inlinePolicies: InlinePolicies;
  readonly permissionsBoundary?: string;
  readonly tags: Tags;
  /**
   * Names of the instance profiles that hold the role. Live: absent when none. Desired: present (possibly empty)
   * only when the manifest manages them (`instanceProfile:`); absent, the live ones stay as they are.
   * Deleting the role takes it out of them, which the plan must say: EC2 instances lose its credentials.
   */
  readonly instanceProfiles?: readonly string[];
}

/** A customer managed policy of this account (the `Policy` and `Boundary` manifest kinds). */
export interface ManagedPolicyState extends EntityBase {
  readonly kind: 'policy';
  readonly description?: string;
  readonly document: Policy;
  readonly tags: Tags;
  /** How the manifests introduce it; IAM itself makes no difference between the two. */
  readonly usage: 'policy' | 'boundary';
  /** Live only: the id of the default version (`v3`), where the source tells it. */
  readonly versionId?: string;
  /**
   * Live only: the versions IAM keeps besides the default one (up to 4), which anyone allowed
   * iam:SetDefaultPolicyVersion can put in force. Manifests hold one version: a plan never compares these, it only
   * carries them into the planned state (src/plan/planned-state.ts) so findings see what can be switched to.
   */
  readonly otherVersions?: readonly PolicyVersionState[];
}

/** A non-default version of a customer managed policy. */
export interface PolicyVersionState {
  readonly id: string;
  readonly document: Policy;
  /** ISO date, where the source tells it: apply makes room at IAM's limit of 5 versions by deleting the oldest. */
  readonly created?: string;
}

/** IAM's limit of versions of one managed policy (the default one included). */
export const MAX_POLICY_VERSIONS = 5;

export type EntityState = UserState | GroupState | RoleState | ManagedPolicyState;

/** A managed policy this account does not own (AWS managed, or another account's) whose document is known. */
export interface ExternalPolicy {
  readonly arn: string;
  readonly name: string;
  readonly document: PolicyJson;
  /** The default version's id (`v12`) where the source says it: live IAM does; the shipped documents are not live. */
  readonly versionId?: string;
}

/**
 * The account's password policy as IAM holds it (GetAccountPasswordPolicy), every field of
 * UpdateAccountPasswordPolicy with IAM's default filled in: IAM has no partial update, a field left out of the call
 * reverts to its default, so a manifest's absent field means that default too.
 */
export interface PasswordPolicy {
  /** 6 to 128; IAM's default 6. */
  readonly minimumPasswordLength: number;
  readonly requireSymbols: boolean;
  readonly requireNumbers: boolean;
  readonly requireUppercaseCharacters: boolean;
  readonly requireLowercaseCharacters: boolean;
  readonly allowUsersToChangePassword: boolean;
  /** Days, 1 to 1095; 0: passwords never expire (IAM's default, which the call cannot send: it leaves it out). */
  readonly maxPasswordAge: number;
  /** 1 to 24 previous passwords; 0: reuse allowed (IAM's default, likewise left out of the call). */
  readonly passwordReusePrevention: number;
  readonly hardExpiry: boolean;
}

export const PASSWORD_POLICY_SETTINGS = [
  'minimumPasswordLength',
  'requireSymbols',
  'requireNumbers',
  'requireUppercaseCharacters',
  'requireLowercaseCharacters',
  'allowUsersToChangePassword',
  'maxPasswordAge',
  'passwordReusePrevention',
  'hardExpiry',
] as const satisfies readonly (keyof PasswordPolicy)[];

export type PasswordPolicySetting = (typeof PASSWORD_POLICY_SETTINGS)[number];

/** UpdateAccountPasswordPolicy's defaults (IAM API reference): what a call without the parameter sets. */
export const DEFAULT_PASSWORD_POLICY: PasswordPolicy = {
  minimumPasswordLength: 6,
  requireSymbols: false,
  requireNumbers: false,
  requireUppercaseCharacters: false,
  requireLowercaseCharacters: false,
  allowUsersToChangePassword: false,
  maxPasswordAge: 0,
  passwordReusePrevention: 0,
  hardExpiry: false,
};

/**
 * Account-wide settings. Each field: `undefined` means not managed (desired) or not known (live: a
 * get-account-authorization-details export holds neither); `null` means none (no custom password policy, no alias).
 */
export interface AccountSettings {
  readonly passwordPolicy?: PasswordPolicy | null;
  /** The account alias (IAM allows one). */
  readonly alias?: string | null;
}

export interface IamState {
  readonly account: string;
  /** Added: the account's password policy and alias, where the source holds them or the manifests manage them. */
  readonly settings?: AccountSettings;
  readonly users: ReadonlyMap<string, UserState>;
  readonly groups: ReadonlyMap<string, GroupState>;
  readonly roles: ReadonlyMap<string, RoleState>;
  readonly policies: ReadonlyMap<string, ManagedPolicyState>;
  /** Documents of AWS managed and other accounts' policies, by ARN, where the source had them. */
  readonly externalPolicies: ReadonlyMap<string, ExternalPolicy>;
  /**
   * Identity providers (OIDC and SAML), by ARN. Absent where the source does not hold them (a
   * get-account-authorization-details export): then nothing is known of them, and a plan does not compare them.
   */
  readonly providers?: ReadonlyMap<string, ProviderState>;
}

export const DEFAULT_MAX_SESSION_DURATION = 3600;

export function entitiesOf(state: IamState, kind: EntityKind): ReadonlyMap<string, EntityState> {
  switch (kind) {
    case 'user':
      return state.users;
    case 'group':
      return state.groups;
    case 'role':
      return state.roles;
    case 'policy':
      return state.policies;
  }
}

export function sortedUnique(values: Iterable<string>): string[] {
  return [...new Set(values)].sort();
}
