/**
 * Adds the documents of AWS managed policies that a state refers to but does not hold (a snapshot exported with
 * a filter, or a manifest attaching one the account has not used yet). The snapshot's own copy always wins: it is
 * what the account really has. Pure: the extract is passed in.
 */
import { isAwsManagedPolicyArn } from '../core/arn.js';
import type { ExternalPolicy, IamState } from '../core/state.js';
import type { AwsManagedPolicies } from '../catalog/aws-managed-policies.js';
import type { LiveState } from './live-state.js';

export function completeAwsManagedPolicies(state: IamState, extract: AwsManagedPolicies): IamState {
  const referenced = new Set<string>();
  for (const principal of [...state.users.values(), ...state.groups.values(), ...state.roles.values()]) {
    for (const arn of principal.managedPolicies) referenced.add(arn);
    if ('permissionsBoundary' in principal && principal.permissionsBoundary) referenced.add(principal.permissionsBoundary);
  }
  const missing = [...referenced].filter((arn) => isAwsManagedPolicyArn(arn) && !state.externalPolicies.has(arn) && extract.byArn.has(arn));
  if (missing.length === 0) return state;
  const externalPolicies = new Map<string, ExternalPolicy>(state.externalPolicies);
  for (const arn of missing) {
    const policy = extract.byArn.get(arn)!;
    externalPolicies.set(arn, { arn, name: policy.name, document: policy.document });
  }
  return { ...state, externalPolicies };
}

/** The same live state with missing AWS managed documents added; its fingerprint stays that of what was read. */
export function completeLiveState(live: LiveState, extract: AwsManagedPolicies): LiveState {
  const state = completeAwsManagedPolicies(live.state, extract);
  if (state === live.state) return live;
  return {
    state,
    source: live.source,
    notes: live.notes,
    get fingerprint() {
      return live.fingerprint;
    },
    ...(live.caller ? { caller: live.caller } : {}),
  };
}
