/**
 * Users' credentials from AWS, as the snapshot key `UserCredentialList` holds them (snapshot-credentials.ts): per user
 * ListAccessKeys, GetLoginProfile (NoSuchEntity: no console password) and ListMFADevices, 8 users at a time. No bulk
 * API lists them exactly (the credential report is up to four hours old and names no key ids), so only the users a
 * plan needs are asked for: those whose credentials the manifests manage, and those it deletes.
 */
import { GetLoginProfileCommand, paginateListAccessKeys, paginateListMFADevices, type IAMClient } from '@aws-sdk/client-iam';
import pLimit from 'p-limit';
import type { UserCredentialJson } from '../snapshot-credentials.js';
import { awsErrorCode, isAccessDenied } from './errors.js';

export interface ReadCredentials {
  readonly entries: readonly UserCredentialJson[];
  /** The read actions the caller is denied (then no user's credentials are known). */
  readonly denied?: string;
}

export async function readUserCredentials(iam: IAMClient, users: readonly string[]): Promise<ReadCredentials> {
  const limit = pLimit(8);
  const denied = new Set<string>();
  const read = async (UserName: string): Promise<UserCredentialJson | undefined> => {
    const guard = async <T>(action: string, call: () => Promise<T>): Promise<T | 'gone' | 'denied'> => {
      try {
        return await call();
      } catch (e) {
        // The user was deleted since the authorization details were read: nothing of it to judge.
        if (awsErrorCode(e) === 'NoSuchEntity') return 'gone';
        if (isAccessDenied(e)) {
          denied.add(action);
          return 'denied';
        }
        throw e;
      }
    };
    const keys = await guard('iam:ListAccessKeys', async () => {
      const out: NonNullable<UserCredentialJson['AccessKeyMetadata']> = [];
      for await (const page of paginateListAccessKeys({ client: iam }, { UserName })) {
        for (const k of page.AccessKeyMetadata ?? []) out.push({ AccessKeyId: k.AccessKeyId!, Status: (k.Status ?? 'Active') as 'Active' | 'Inactive', ...(k.CreateDate ? { CreateDate: k.CreateDate.toISOString() } : {}) });
      }
      return out;
    });
    const profile = await guard('iam:GetLoginProfile', async () => {
      try {
        const answer = await iam.send(new GetLoginProfileCommand({ UserName }));
        return { ...(answer.LoginProfile?.CreateDate ? { CreateDate: answer.LoginProfile.CreateDate.toISOString() } : {}) };
      } catch (e) {
        // GetLoginProfile answers NoSuchEntity for a user without a password (and for no user: told by the others).
        if (awsErrorCode(e) === 'NoSuchEntity') return null;
        throw e;
      }
    });
    const devices = await guard('iam:ListMFADevices', async () => {
      const out: { SerialNumber: string }[] = [];
      for await (const page of paginateListMFADevices({ client: iam }, { UserName })) for (const d of page.MFADevices ?? []) out.push({ SerialNumber: d.SerialNumber! });
      return out;
    });
    if (keys === 'gone' || devices === 'gone' || profile === 'gone') return undefined;
    if (keys === 'denied' || devices === 'denied' || profile === 'denied') return undefined;
    return { UserName, LoginProfile: profile, AccessKeyMetadata: keys, MFADevices: devices };
  };
  const entries = (await Promise.all(users.map((u) => limit(() => read(u))))).filter((e): e is UserCredentialJson => e !== undefined);
  return denied.size ? { entries: [], denied: [...denied].sort().join(', ') } : { entries };
}
