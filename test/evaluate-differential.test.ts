/**
 * Differential test of the evaluation engine against an independent evaluator, @cloud-copilot/iam-simulate
 * (AGPL-3.0: a devDependency used only here, never shipped). Thousands of random accounts and requests from the
 * real catalog; our side goes through the whole pipeline (snapshot parsing, default versions, URL-encoded
 * documents, group membership, boundaries), the oracle gets the applicable documents straight from the generator.
 * Set DIFF_SEED to explore other seeds; a failure prints everything needed to reproduce it.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { ActionCatalog } from '../src/catalog/action-catalog.js';
import { loadActionCatalog } from '../src/catalog/iam-data-catalog.js';
import { evaluate } from '../src/evaluate/engine.js';
import { PrincipalResolver } from '../src/evaluate/principal-policies.js';
import { parseSnapshot } from '../src/live/parse-snapshot.js';
import { buildUniverse, randomAccount, randomRequest, seededRandom, type UniverseAction } from './helpers/random-account.js';
import { globalKeysOnly, isKmsKey, oracleDecision } from './helpers/oracle.js';

const SEED = Number(process.env['DIFF_SEED'] ?? 20261124);
const ACCOUNTS = Number(process.env['DIFF_ACCOUNTS'] ?? 400);
const REQUESTS_PER_PRINCIPAL = 6;

let catalog: ActionCatalog;
let universe: UniverseAction[];

beforeAll(async () => {
  catalog = await loadActionCatalog();
  universe = await buildUniverse(seededRandom(SEED));
});

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
