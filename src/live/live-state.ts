/** Live IAM as the plan sees it, and the port through which it is read (a snapshot file, or AWS itself). */
import type { Diagnostic } from '../core/diagnostics.js';
import { fingerprintState } from '../core/fingerprint.js';
import type { Clock } from '../core/clock.js';
import type { IamState, Tags, UserCredentials } from '../core/state.js';
import type { AccountSummaryFacts, CredentialReport, RoleUse, ServiceLastAccess } from '../core/usage.js';

/** Who read live IAM (`sts:GetCallerIdentity`); only the AWS reader knows. */
export interface CallerIdentity {
  readonly account: string;
  /** As STS says it: a user ARN, or `arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION`. */
  readonly arn: string;
  /** The IAM user or role behind it (an assumed role's role ARN, path included), when it is in the account. */
  readonly principalArn?: string;
}

export interface LiveState {
  /** The account's entities. `state.account` is empty where the source names no account (an empty snapshot). */
  readonly state: IamState;
  /** Where it was read from, for messages and the plan: a file path, or `aws:ACCOUNT`. */
  readonly source: string;
  /** `fingerprintState(state)`; a saved plan records it. */
  readonly fingerprint: string;
  /** Things the reader noticed that the user should know (warnings only; errors are thrown as InputError). */
  readonly notes: readonly Diagnostic[];
  readonly caller?: CallerIdentity;
  /** Roles' last use and creation, by ARN, where the source holds them (get-account-authorization-details does). */
  readonly roleUses?: ReadonlyMap<string, RoleUse>;
}

/** Reads live IAM. Implementations: `SnapshotFileReader` (an exported JSON file) and `AwsLiveReader`. */
export interface LiveReader {
  read(): Promise<LiveState>;
  /**
   * The tags of these customer managed policies, where the source can read them one by one (no bulk API returns
   * policy tags, so only policies whose manifests set tags are asked for).
   */
  readPolicyTags?(arns: readonly string[]): Promise<ReadonlyMap<string, Tags>>;
  /**
   * These users' credentials (access keys, console password, MFA devices), by user name key, where the source can
   * read them one user at a time (AWS: three calls a user). `denied`: the read actions the caller may not call (then
   * no user's credentials are known).
   */
  readUserCredentials?(users: readonly string[]): Promise<{ readonly credentials: ReadonlyMap<string, UserCredentials>; readonly denied?: string }>;
  /**
   * The credential report and the account summary (AWS only: no export holds them). A part the caller may not read
   * (AccessDenied) is left out and named in `unavailable`; other errors are thrown.
   */
  readCredentialUsage?(clock?: Clock): Promise<CredentialUsage>;
  /** IAM's service last-accessed reports for these principals (AWS only): one job each. */
  readServiceLastAccessed?(arns: readonly string[], clock?: Clock): Promise<ReadonlyMap<string, readonly ServiceLastAccess[]>>;
}

export interface CredentialUsage {
  readonly credentials?: CredentialReport;
  readonly summary?: AccountSummaryFacts;
  readonly unavailable: readonly string[];
}

/**
 * The live state with another state (what a second read added: tags, providers, credentials) and more notes: the
 * rest kept, the fingerprint computed anew when asked (built field by field: spreading `live` would compute its own
 * fingerprint, a getter, for nothing).
 */
export function withLiveState(live: LiveState, state: IamState, moreNotes: readonly Diagnostic[] = []): LiveState {
  let fingerprint: string | undefined;
  return {
    state,
    source: live.source,
    get fingerprint() {
      return (fingerprint ??= fingerprintState(state));
    },
    notes: moreNotes.length ? [...live.notes, ...moreNotes] : live.notes,
    ...(live.caller ? { caller: live.caller } : {}),
    ...(live.roleUses ? { roleUses: live.roleUses } : {}),
  };
}
