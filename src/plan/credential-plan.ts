/**
 * User credentials as policy (a User's or the Account's `credentials`): what a plan deletes so that each user has at
 * most what its policy allows, and what it cannot fix. The tool never creates a credential, and never holds a secret:
 * it reads credentials' metadata (src/live/snapshot-credentials.ts) and deletes login profiles and access keys. Pure.
 *
 * Laws (test/credentials.test.ts): after the plan, a user with `console: false` has no console password and one with
 * `accessKeys: N` at most N keys; nothing else of its credentials changes; the keys deleted are the inactive ones
 * first, then the oldest; a user whose credentials the source does not hold is not compared (said once).
 */
import { isAwsOwnedPath, nameKey } from '../core/arn.js';
import type { AccessKeyState, CredentialPolicy, IamState, UserCredentials, UserState } from '../core/state.js';
import type { CredentialReport } from '../core/usage.js';
import { isOwnedPath, sourceKey, type DesiredState } from '../manifest/desired-state.js';
import type { ChangeDetail, DeletedCredentials } from './plan.js';

/**
 * The live names of the users whose credentials a plan needs: those whose manifests (or the Account's default)
 * manage them, under the name they have in IAM today, and those the plan may delete (marked deleted, or pruned).
 */
export function usersWithCredentialsToRead(desired: DesiredState, live: IamState): string[] {
  const out = new Set<string>(managedCredentialPolicies(desired, live).keys());
  const take = (name: string): void => {
    const user = live.users.get(nameKey(name));
    if (user) out.add(user.name);
  };
  for (const gone of desired.deleted) if (gone.kind === 'user') take(gone.name);
  if (desired.account.prune) {
    for (const user of live.users.values()) {
      if (!desired.state.users.has(nameKey(user.name)) && !isAwsOwnedPath(user.path) && isOwnedPath(desired.account, user.path)) out.add(user.name);
    }
  }
  return [...out].sort();
}

/** The live user a desired user is today: under its name, or under its `previousName` when this plan renames it. */
function liveUserOf(desired: DesiredState, live: IamState, user: UserState): UserState | undefined {
  const previous = desired.previousNames?.get(sourceKey('user', user.name));
  return live.users.get(nameKey(user.name)) ?? (previous === undefined ? undefined : live.users.get(nameKey(previous)));
}

/** The credentials policy of each live user whose manifest manages it, by the user's live name (before a rename). */
export function managedCredentialPolicies(desired: DesiredState, live: IamState): Map<string, CredentialPolicy> {
  const out = new Map<string, CredentialPolicy>();
  for (const user of desired.state.users.values()) {
    if (!user.credentialPolicy) continue;
    const liveUser = liveUserOf(desired, live, user);
    if (liveUser) out.set(liveUser.name, user.credentialPolicy);
  }
  return out;
}

/**
 * Many users to read: the credential report (a few calls, up to four hours old) screens them. A user it shows within
 * its policy (no password where `console: false`, no more keys than `accessKeys`, MFA where required) is taken as it
 * says, with nothing to delete; every other one, one the report does not list (newer than it), and every user the plan
 * may delete, is read exactly. Only what an exact read shows is ever deleted.
 */
export function screenWithReport(desired: DesiredState, live: IamState, users: readonly string[], report: CredentialReport): { exact: string[]; screened: Map<string, UserCredentials> } {
  const policies = managedCredentialPolicies(desired, live);
  const rows = new Map(report.rows.map((r) => [r.user, r]));
  const exact: string[] = [];
  const screened = new Map<string, UserCredentials>();
  const by = `the credential report of ${report.generatedAt.toISOString()}`;
  for (const name of users) {
    const policy = policies.get(name);
    const row = rows.get(name);
    // Only a count of every key (inactive ones too) can clear a user: active keys alone could hide an extra one.
    const keys = row?.keyCount;
    const within = policy !== undefined && row !== undefined && keys !== undefined && !(policy.console === false && row.password) && !(policy.accessKeys !== undefined && keys > policy.accessKeys) && !(policy.mfa === 'required' && policy.console !== false && row.password && !row.mfaActive);
    if (within) screened.set(nameKey(name), { consolePassword: row.password, accessKeys: [], mfaDevices: [], screenedBy: by });
    else exact.push(name);
  }
  return { exact, screened };
}

/**
 * The deletions that bring a user's live credentials within its policy: its login profile where `console: false`,
 * and its keys beyond `accessKeys` (inactive ones first, then the oldest; keys of unknown age after dated ones).
 */
export function credentialDetails(policy: CredentialPolicy | undefined, live: UserCredentials | undefined): ChangeDetail[] {
  // Screened by the credential report: within its policy, so nothing to delete (and its keys are not listed).
  if (!policy || !live || live.screenedBy !== undefined) return [];
  const out: ChangeDetail[] = [];
  if (policy.console === false && live.consolePassword) out.push({ field: 'loginProfile', op: 'delete' });
  if (policy.accessKeys !== undefined && live.accessKeys.length > policy.accessKeys) {
    for (const key of keysToDelete(live.accessKeys, live.accessKeys.length - policy.accessKeys)) {
      out.push({ field: 'accessKey', id: key.id, active: key.active, created: key.created ?? null, op: 'delete' });
    }
  }
  return out;
}

/** The `count` keys to delete: inactive before active, then the oldest first (the id breaks ties, so it is stable). */
export function keysToDelete(keys: readonly AccessKeyState[], count: number): AccessKeyState[] {
  const order = [...keys].sort((a, b) => Number(a.active) - Number(b.active) || (a.created ?? '\uffff').localeCompare(b.created ?? '\uffff') || a.id.localeCompare(b.id));
  return order.slice(0, Math.max(0, count));
}

/** What a deleted user takes with it, for the delete change's `credentials` (where the source read them). */
export function deletedCredentials(user: UserState): { credentials?: DeletedCredentials } {
  const c = user.credentials;
  if (!c) return {};
  const active = c.accessKeys.filter((k) => k.active).length;
  return { credentials: { consolePassword: c.consolePassword, activeAccessKeys: active, inactiveAccessKeys: c.accessKeys.length - active, mfaDevices: c.mfaDevices.length } };
}

/** A user whose policy requires MFA, who keeps a console password after the plan and has no MFA device. */
export interface MfaViolation {
  readonly user: string;
  readonly arn: string;
}

/** Users left signing in to the console without the MFA their policy requires: apply cannot add a device. */
export function mfaViolations(desired: DesiredState, live: IamState): MfaViolation[] {
  const out: MfaViolation[] = [];
  for (const user of desired.state.users.values()) {
    if (user.credentialPolicy?.mfa !== 'required') continue;
    const credentials = liveUserOf(desired, live, user)?.credentials;
    if (!credentials || credentials.screenedBy !== undefined || !credentials.consolePassword || user.credentialPolicy.console === false) continue;
    if (credentials.mfaDevices.length === 0) out.push({ user: user.name, arn: user.arn });
  }
  return out;
}
