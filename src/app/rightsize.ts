/**
 * `rightsize`: read IAM's last-accessed reports for the principals the manifests declare, remove from the manifests
 * what nobody used in the window (src/analyze/rightsize.ts), write the edits (all or nothing), and plan them, so the
 * reviewer sees exactly what each principal loses.
 */
import { join, relative, resolve } from 'node:path';
import { rightsize, type Holders, type RightsizeResult } from '../analyze/rightsize.js';
import { protectedMatcher } from '../core/arn.js';
import type { Clock } from '../core/clock.js';
import { error, hasErrors, InputError, type Diagnostic } from '../core/diagnostics.js';
import { writeFilesInside } from '../io/files.js';
import type { LiveReader } from '../live/live-state.js';
import { readManifestFolder } from '../manifest/read-manifest-folder.js';
import { analyzeChanges, readLive, validateManifests, type PlanResult } from './use-cases.js';
import { loadAwsManagedPolicies } from '../catalog/aws-managed-policies.js';
import { fingerprintState } from '../core/fingerprint.js';
import { completeAwsManagedPolicies } from '../live/complete-managed-policies.js';
import { diffStates } from '../plan/diff-states.js';
import { plannedState } from '../plan/planned-state.js';

export interface RightsizeRequest {
  readonly manifestsDir: string;
  readonly live: LiveReader;
  readonly now: Date;
  readonly clock?: Clock;
  /** Days without use after which a service is removed; default: the Account manifest's `hygiene.unusedForDays`. */
  readonly unusedForDays?: number;
  /** Only the policies these principals hold. */
  readonly principals?: readonly string[];
}

export interface RightsizeOutcome {
  readonly diagnostics: readonly Diagnostic[];
  readonly result?: RightsizeResult;
  /**
   * The edit's own plan: the edited manifests against live IAM as the unedited manifests would leave it (absent when
   * nothing was edited).
   */
  readonly plan?: PlanResult;
  /** Principals whose reports were read, and the calls that took (one job each, polled). */
  readonly principalsRead?: number;
}

export async function rightsizeManifests(request: RightsizeRequest): Promise<RightsizeOutcome> {
  const source = readManifestFolder(request.manifestsDir);
  const validated = await validateManifests(source);
  if (!validated.desired || hasErrors(validated.diagnostics)) return { diagnostics: validated.diagnostics };
  const desired = validated.desired;
  if (!request.live.readServiceLastAccessed) {
    throw new InputError([error('rightsize needs --aws', "A snapshot holds no last-accessed data: IAM computes it on request. Run with --aws.")]);
  }
  const liveState = await readLive(request.live);
  const state = desired.state;
  const liveArns = new Set([...liveState.state.users.values(), ...liveState.state.roles.values()].map((p) => p.arn));
  const declared = [...state.users.values(), ...state.roles.values()].map((p) => p.arn).filter((arn) => liveArns.has(arn));
  const usage = await request.live.readServiceLastAccessed(declared, request.clock);
  const isProtected = protectedMatcher(desired.account.protected);
  const members = (group: string): string[] => [...state.users.values()].filter((u) => u.groups.some((g) => g.toLowerCase() === group.toLowerCase())).map((u) => u.arn);
  const holders: Holders = {
    user: (name) => state.users.get(name.toLowerCase())?.arn,
    role: (name) => state.roles.get(name.toLowerCase())?.arn,
    group: members,
    policy: (name) => {
      const policy = state.policies.get(name.toLowerCase());
      if (!policy) return [];
      const direct = [...state.users.values(), ...state.roles.values()].filter((p) => p.managedPolicies.includes(policy.arn)).map((p) => p.arn);
      const viaGroups = [...state.groups.values()].filter((g) => g.managedPolicies.includes(policy.arn)).flatMap((g) => members(g.name));
      return [...new Set([...direct, ...viaGroups])];
    },
    policyExists: (name) => state.policies.has(name.toLowerCase()),
    isProtected: (kind, name) => {
      const entity = kind === 'User' ? state.users.get(name.toLowerCase()) : kind === 'Role' ? state.roles.get(name.toLowerCase()) : kind === 'Group' ? state.groups.get(name.toLowerCase()) : state.policies.get(name.toLowerCase());
      return entity !== undefined && isProtected(entity.arn);
    },
  };
  const result = rightsize(source.files, holders, {
    usage,
    unusedForDays: request.unusedForDays ?? desired.account.hygiene.unusedForDays,
    now: request.now,
    ...(request.principals?.length ? { principals: new Set(request.principals) } : {}),
    awsManaged: (arn) => {
      const policy = loadAwsManagedPolicies().byArn.get(arn);
      return policy ? { name: policy.name, document: policy.document as Record<string, unknown> } : undefined;
    },
    policiesFolder: join(request.manifestsDir, 'policies'),
  });
  if (result.edits.length === 0) return { diagnostics: validated.diagnostics, result, principalsRead: declared.length };
  // All or nothing: every edited file is checked before any is written.
  const root = resolve(request.manifestsDir);
  writeFilesInside(root, new Map(result.edits.map((e) => [relative(root, resolve(e.path)), e.text])), { what: 'manifests folder', flag: '--manifests', hint: 'Check the folder is writable; nothing was written.' });
  // The edit's own effect: the edited manifests planned against live IAM as the manifests before the edit would
  // leave it (as a pull request's own effect is), so changes already pending in the folder are not shown as its.
  const before = diffStates(desired, liveState, { awsManagedPolicies: new Set(loadAwsManagedPolicies().byArn.keys()) });
  const edited = await validateManifests(readManifestFolder(request.manifestsDir));
  if (!before.changeSet || !edited.desired || hasErrors(edited.diagnostics)) {
    return { diagnostics: [...validated.diagnostics, ...before.diagnostics, ...edited.diagnostics].filter((d) => d.severity === 'error'), result, principalsRead: declared.length };
  }
  const applied = completeAwsManagedPolicies(plannedState(liveState, desired, before.changeSet), loadAwsManagedPolicies());
  const plan = await analyzeChanges(edited.desired, { state: applied, source: `${liveState.source} with ${request.manifestsDir} as it was applied`, fingerprint: fingerprintState(applied), notes: [] }, request.now);
  return { diagnostics: [...validated.diagnostics, ...plan.diagnostics.filter((d) => d.severity === 'error')], result, plan, principalsRead: declared.length };
}
