/**
 * What IAM records about how an account's credentials and roles are used: the facts hygiene findings judge. Kept
 * apart from IamState on purpose: usage changes every minute, and a plan's fingerprint must not (a plan stays valid
 * while people work).
 */

/** One user's credentials, as the credential report lists them (`<root_account>` is the account's root user). */
export interface CredentialRow {
  readonly user: string;
  readonly arn: string;
  readonly createdAt?: Date;
  /** A console password (`password_enabled`); always false for the root user, whose password the report does not tell. */
  readonly password: boolean;
  readonly passwordLastUsed?: Date;
  readonly mfaActive: boolean;
  /** The user's active access keys (inactive ones grant nothing), in the report's order (key 1, key 2). */
  readonly activeKeys: readonly AccessKeyUse[];
  /** How many access keys the user has, active or not (an inactive one still has its last_rotated date). */
  readonly keyCount?: number;
}

export interface AccessKeyUse {
  /** 1 or 2: which of the report's key columns. */
  readonly slot: 1 | 2;
  /** When the key was created or last rotated. */
  readonly rotatedAt?: Date;
  /** Undefined: never used (or not within what IAM has recorded). */
  readonly lastUsedAt?: Date;
  readonly lastUsedService?: string;
}

export interface CredentialReport {
  readonly generatedAt: Date;
  readonly rows: readonly CredentialRow[];
}

/** `GetAccountSummary`'s account-wide facts. */
export interface AccountSummaryFacts {
  readonly rootMfaEnabled: boolean;
  readonly rootAccessKeysPresent: boolean;
}

/** A role's last use (`RoleLastUsed` in get-account-authorization-details): undefined date = no use IAM recorded. */
export interface RoleUse {
  readonly lastUsedAt?: Date;
  readonly region?: string;
  /** The role's creation: a role never used is unused only once it is older than the window. */
  readonly createdAt?: Date;
}

/** The usage facts a source could read; each part absent where it could not (the notes say why). */
export interface UsageFacts {
  /** By role ARN. */
  readonly roles?: ReadonlyMap<string, RoleUse>;
  readonly credentials?: CredentialReport;
  readonly summary?: AccountSummaryFacts;
  /** IAM's service last-accessed reports, by principal ARN (only when asked for: one job per principal). */
  readonly services?: ReadonlyMap<string, readonly ServiceLastAccess[]>;
  /** What could not be read, and why (permissions, a snapshot that does not hold it). */
  readonly unavailable: readonly string[];
}

/** The root user's row in the credential report. */
export const ROOT_USER = '<root_account>';

export interface HygieneSettings {
  /** An active access key created or rotated longer ago than this is due for rotation. */
  readonly accessKeyMaxAgeDays: number;
  /** Keys and roles with no use recorded for this long are unused. */
  readonly unusedForDays: number;
}

/** The CIS AWS Foundations Benchmark's 90 days, for both. */
export const DEFAULT_HYGIENE: HygieneSettings = { accessKeyMaxAgeDays: 90, unusedForDays: 90 };

/** One service in IAM's last-accessed report for a principal: a service its policies allow, and its last use. */
export interface ServiceLastAccess {
  readonly namespace: string;
  readonly name: string;
  /** Undefined: no use within IAM's tracking period (400 days). */
  readonly lastUsedAt?: Date;
  /**
   * For the services IAM tracks actions of (EC2, IAM, Lambda, S3 and more): every tracked action the policies allow,
   * with its last use. Absent for other services.
   */
  readonly actions?: readonly { readonly name: string; readonly lastUsedAt?: Date }[];
}
