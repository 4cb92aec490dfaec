/**
 * Use case: live IAM as a snapshot file's content (`get-account-authorization-details` JSON, with role descriptions
 * and session durations), which `--state` reads back to the same plan. No bulk API returns policy tags: they are
 * read one by one for the policies whose manifests set tags, when manifests are given.
 */
import { error, hasErrors, InputError } from '../core/diagnostics.js';
import { parseSnapshotValue } from '../live/parse-snapshot.js';
import { USER_CREDENTIAL_LIST } from '../live/snapshot-credentials.js';
import { usersWithCredentialsToRead } from '../plan/credential-plan.js';
import { AwsLiveReader } from '../live/aws/aws-live-reader.js';
import type { ManifestSource } from '../manifest/load-manifests.js';
import { connectAws, type AwsConnection, type RunEnvironment } from './live-source.js';
import { validateManifests } from './use-cases.js';

export interface LiveSnapshot {
  readonly snapshot: Record<string, unknown>;
  /** The account read. */
  readonly account: string;
  /** How many customer managed policies' tags were read one by one. */
  readonly taggedPolicies: number;
  /** How many users' credentials were read (three calls each). */
  readonly credentialUsers: number;
}

/** `manifests` is read after the connection is made (its options checked), as the CLI always did. */
export async function snapshotLive(aws: AwsConnection, run: RunEnvironment, manifests?: () => ManifestSource): Promise<LiveSnapshot> {
  const reader = new AwsLiveReader(connectAws(aws, run));
  const validated = manifests === undefined ? undefined : await validateManifests(manifests());
  if (validated && (!validated.desired || hasErrors(validated.diagnostics))) throw new InputError(validated.diagnostics);
  const { snapshot, caller } = await reader.readSnapshot();
  const tagged = new Set([...(validated?.desired?.state.policies.values() ?? [])].filter((p) => Object.keys(p.tags).length > 0).map((p) => p.name.toLowerCase()));
  const policies = (snapshot['Policies'] as Record<string, unknown>[]).filter((p) => tagged.has(String(p['PolicyName']).toLowerCase()) && !String(p['Arn']).includes(':iam::aws:'));
  if (policies.length > 0) {
    const tags = await reader.readPolicyTags(policies.map((p) => String(p['Arn'])));
    for (const p of policies) p['Tags'] = Object.entries(tags.get(String(p['Arn'])) ?? {}).map(([Key, Value]) => ({ Key, Value }));
  }
  // Users' credentials have no bulk API either: read for the users whose manifests manage them or mark them deleted.
  // (The snapshot is parsed for that only when the manifests ask for credentials at all.)
  const desired = validated?.desired;
  const asks = desired !== undefined && (desired.account.prune || desired.deleted.some((d) => d.kind === 'user') || [...desired.state.users.values()].some((u) => u.credentialPolicy));
  const users = asks ? usersWithCredentialsToRead(desired, parseSnapshotValue(`aws:${caller.account}`, snapshot).state) : [];
  if (users.length > 0) {
    const read = await reader.readUserCredentialList(users);
    if (read.denied) throw new InputError([error(`users' credentials could not be read: the caller is denied ${read.denied}`, 'The manifests manage users\' credentials, so the snapshot must hold them. Grant the reading role these actions (ReadOnlyAccess and SecurityAudit include them), or snapshot without --manifests.')]);
    snapshot[USER_CREDENTIAL_LIST] = read.entries;
  }
  return { snapshot, account: caller.account, taggedPolicies: policies.length, credentialUsers: users.length };
}
