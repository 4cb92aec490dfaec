/**
 * Users' credentials as a snapshot can hold them beside the get-account-authorization-details keys, one entry per
 * user in IAM's own shapes (what ListAccessKeys, GetLoginProfile and ListMFADevices answer; metadata, never secrets):
 *
 *   "UserCredentialList": [{ "UserName": "alice",
 *                            "LoginProfile": { "CreateDate": "...", "PasswordResetRequired": false } | null,
 *                            "AccessKeyMetadata": [{ "AccessKeyId": "AKIA...", "Status": "Active", "CreateDate": "..." }],
 *                            "MFADevices": [{ "SerialNumber": "arn:aws:iam::...:mfa/alice", "EnableDate": "..." }] }]
 *
 * `iam-gitops snapshot --aws` writes it; a CLI export has none, and then no user's credentials are known (a user
 * missing from the list likewise). The AWS reader asks for the users a plan needs in the same shape. Pure.
 */
import { z } from 'zod';
import { error, InputError } from '../core/diagnostics.js';
import { nameKey } from '../core/arn.js';
import type { UserCredentials, UserState } from '../core/state.js';
import { withLiveState, type LiveState } from './live-state.js';

export const USER_CREDENTIAL_LIST = 'UserCredentialList';

const DateLike = z.union([z.string(), z.date()]).transform((d) => (typeof d === 'string' ? d : d.toISOString()));

const UserCredentialJson = z.object({
  UserName: z.string().min(1),
  LoginProfile: z.object({ CreateDate: DateLike.optional() }).passthrough().nullable(),
  AccessKeyMetadata: z.array(z.object({ AccessKeyId: z.string().min(1), Status: z.enum(['Active', 'Inactive', 'Expired']), CreateDate: DateLike.optional() }).passthrough()),
  MFADevices: z.array(z.object({ SerialNumber: z.string().min(1) }).passthrough()),
});

export type UserCredentialJson = z.input<typeof UserCredentialJson>;

/** The credentials a snapshot value holds, by user name key; undefined when it has no `UserCredentialList`. */
export function snapshotUserCredentials(file: string, json: Record<string, unknown>): ReadonlyMap<string, UserCredentials> | undefined {
  if (!(USER_CREDENTIAL_LIST in json)) return undefined;
  const parsed = z.array(UserCredentialJson).safeParse(json[USER_CREDENTIAL_LIST]);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new InputError([error(`snapshot "${USER_CREDENTIAL_LIST}" is malformed at ${issue.path.join('.') || 'its top'}: ${issue.message}`, 'It should be a list of {UserName, LoginProfile (null: none), AccessKeyMetadata, MFADevices}, as ListAccessKeys, GetLoginProfile and ListMFADevices answer. Write the snapshot again with iam-gitops snapshot --aws.', { file, line: 1, col: 1 })]);
  }
  return new Map(parsed.data.map((entry) => [nameKey(entry.UserName), credentialsOf(entry)]));
}

/** Credentials read from AWS for some users (the AWS reader's answer), by user name key. */
export function userCredentialsFrom(entries: readonly UserCredentialJson[]): ReadonlyMap<string, UserCredentials> {
  return snapshotUserCredentials('aws', { [USER_CREDENTIAL_LIST]: entries })!;
}

function credentialsOf(entry: z.output<typeof UserCredentialJson>): UserCredentials {
  return {
    consolePassword: entry.LoginProfile !== null,
    accessKeys: entry.AccessKeyMetadata.map((k) => ({ id: k.AccessKeyId, active: k.Status === 'Active', ...(k.CreateDate ? { created: k.CreateDate } : {}) })).sort((a, b) => a.id.localeCompare(b.id)),
    mfaDevices: entry.MFADevices.map((d) => d.SerialNumber).sort(),
  };
}

/** The live state with these users' credentials known (users not in the map keep what they had). */
export function withUserCredentials(live: LiveState, credentials: ReadonlyMap<string, UserCredentials>): LiveState {
  if (credentials.size === 0) return live;
  const users = new Map<string, UserState>(live.state.users);
  for (const [key, user] of users) {
    const found = credentials.get(key);
    if (found) users.set(key, { ...user, credentials: found });
  }
  return withLiveState(live, { ...live.state, users });
}
