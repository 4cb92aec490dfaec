/**
 * AWS managed policy versions, locked. AWS changes its managed policies (ReadOnlyAccess gains every new service's
 * read actions), and an account that attaches them changes with them, without any pull request. The lock file
 * (aws-managed-policies.lock.json, beside the manifests, committed) records the default version and document of
 * each AWS managed policy the manifests use, as apply left them or as someone last accepted them; drift compares it
 * with live IAM and reports a newer version with the access it adds or removes for each holder. Pure: the caller
 * reads and writes the file (src/app/policy-lock-file.ts).
 */
import { isAwsManagedPolicyArn } from '../core/arn.js';
import { error, type Diagnostic } from '../core/diagnostics.js';
import { isPlainObject, type PolicyJson } from '../core/policy.js';
import type { IamState } from '../core/state.js';
import type { AwsManagedPolicyUpdate } from '../plan/plan.js';
import { accessDeltas, type AccessDeltaOptions } from './access-delta.js';

export const POLICY_LOCK_FILE = 'aws-managed-policies.lock.json';

export interface LockedPolicy {
  readonly name: string;
  readonly version: string;
  readonly document: PolicyJson;
}

export interface PolicyLock {
  readonly formatVersion: 1;
  /** By policy ARN, in ARN order. */
  readonly policies: Readonly<Record<string, LockedPolicy>>;
}

/** The lock file's text, checked: a lock that cannot be read is an error naming the file and what to do. */
export function parsePolicyLock(file: string, text: string): { lock?: PolicyLock; diagnostics: Diagnostic[] } {
  const fail = (summary: string): { diagnostics: Diagnostic[] } => ({
    diagnostics: [error(`${file}: ${summary}`, `Restore it from git, or write it afresh from live IAM with \`iam-gitops drift --update-lock\` (it records the versions live IAM has now).`, { file, line: 1, col: 1 })],
  });
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return fail(`not JSON (${(e as Error).message})`);
  }
  if (!isPlainObject(value) || value['formatVersion'] !== 1 || !isPlainObject(value['policies'])) return fail('not a lock file: expected {"formatVersion": 1, "policies": {ARN: {name, version, document}}}');
  const policies: Record<string, LockedPolicy> = {};
  for (const [arn, entry] of Object.entries(value['policies'])) {
    if (!isAwsManagedPolicyArn(arn)) return fail(`"${arn}" is not an AWS managed policy ARN`);
    if (!isPlainObject(entry) || typeof entry['name'] !== 'string' || typeof entry['version'] !== 'string' || !/^v\d+$/.test(entry['version']) || !isPlainObject(entry['document'])) {
      return fail(`the entry of ${arn} needs a name, a version ("v12") and a document`);
    }
    policies[arn] = { name: entry['name'], version: entry['version'], document: entry['document'] as PolicyJson };
  }
  return { lock: { formatVersion: 1, policies }, diagnostics: [] };
}

/** The lock as its file holds it: stable order, one trailing newline (a rewrite with nothing new changes no byte). */
export function formatPolicyLock(lock: PolicyLock): string {
  const policies = Object.fromEntries(Object.keys(lock.policies).sort().map((arn) => [arn, lock.policies[arn]!]));
  return `${JSON.stringify({ formatVersion: 1, policies }, null, 2)}\n`;
}

/** The AWS managed policies a state's principals and groups use: attached, or as a permissions boundary. */
export function awsPoliciesInUse(state: IamState): string[] {
  const arns = new Set<string>();
  for (const entity of [...state.users.values(), ...state.groups.values(), ...state.roles.values()]) {
    for (const arn of entity.managedPolicies) if (isAwsManagedPolicyArn(arn)) arns.add(arn);
    if (entity.kind !== 'group' && entity.permissionsBoundary && isAwsManagedPolicyArn(entity.permissionsBoundary)) arns.add(entity.permissionsBoundary);
  }
  return [...arns].sort();
}

/** What apply learns for the lock: the policies in use live IAM shows with a version, and those it does not. */
export interface LockedVersions {
  readonly lock: PolicyLock;
  readonly unknown: readonly string[];
}

/**
 * The lock for `inUse` as live IAM has them now. A policy live IAM does not show with its version (a snapshot without
 * it) keeps its previous entry, and is listed in `unknown` when there is none.
 */
export function lockFromLive(inUse: readonly string[], live: IamState, previous?: PolicyLock): LockedVersions {
  const policies: Record<string, LockedPolicy> = {};
  const unknown: string[] = [];
  for (const arn of inUse) {
    const found = live.externalPolicies.get(arn);
    if (found?.versionId) policies[arn] = { name: found.name, version: found.versionId, document: found.document };
    else if (previous?.policies[arn]) policies[arn] = previous.policies[arn];
    else unknown.push(arn);
  }
  return { lock: { formatVersion: 1, policies }, unknown };
}

/**
 * Locked policies whose live default version differs, each with what its holders gain and lose: the access delta
 * from the live state with the locked document in its place to the live state. `notCompared`: policies in use that
 * the lock does not hold, or that live IAM does not show with a version.
 */
export function awsPolicyUpdates(lock: PolicyLock, live: IamState, inUse: readonly string[], options: AccessDeltaOptions): { updates: AwsManagedPolicyUpdate[]; notCompared: string[] } {
  const updates: AwsManagedPolicyUpdate[] = [];
  const notCompared: string[] = [];
  for (const arn of inUse) {
    const locked = lock.policies[arn];
    const now = live.externalPolicies.get(arn);
    if (!locked || !now?.versionId) {
      notCompared.push(arn);
      continue;
    }
    if (now.versionId === locked.version) continue;
    const before: IamState = { ...live, externalPolicies: new Map([...live.externalPolicies, [arn, { ...now, versionId: locked.version, document: locked.document }]]) };
    const holders = holdersOf(live, arn);
    updates.push({ arn, name: now.name, lockedVersion: locked.version, liveVersion: now.versionId, holders, access: accessDeltas(before, live, holders, options) });
  }
  return { updates, notCompared };
}

/** The users and roles a managed policy applies to: attached to them or to a group of theirs, or bounding them. */
function holdersOf(state: IamState, arn: string): string[] {
  const groups = new Set([...state.groups.values()].filter((g) => g.managedPolicies.includes(arn)).map((g) => g.name.toLowerCase()));
  const holders: string[] = [];
  for (const user of state.users.values()) {
    if (user.managedPolicies.includes(arn) || user.permissionsBoundary === arn || user.groups.some((g) => groups.has(g.toLowerCase()))) holders.push(user.arn);
  }
  for (const role of state.roles.values()) if (role.managedPolicies.includes(arn) || role.permissionsBoundary === arn) holders.push(role.arn);
  return holders.sort();
}
