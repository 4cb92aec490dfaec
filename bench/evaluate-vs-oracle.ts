/**
 * Our evaluation engine against @cloud-copilot/iam-simulate's runUnsafeSimulation (AGPL, a devDependency used
 * only by tests and benchmarks) on the same 100,000 requests over random accounts from the real catalog.
 * Decisions must be identical. Our time includes compiling each principal's policies (once per principal, as
 * the analyzer does); the oracle parses policies on every call, which is its API.
 * Prints a table and writes bench/results/evaluate-vs-oracle.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runUnsafeSimulation } from '@cloud-copilot/iam-simulate';
import { loadActionCatalog } from '../src/catalog/iam-data-catalog.js';
import { evaluate } from '../src/evaluate/engine.js';
import { PrincipalResolver } from '../src/evaluate/principal-policies.js';
import type { Decision } from '../src/evaluate/types.js';
import { parseSnapshot } from '../src/live/parse-snapshot.js';
import { oracleMisreadsVariables } from '../test/helpers/oracle-limits.js';
import { ACCOUNT, buildUniverse, randomAccount, randomRequest, seededRandom, type RandomPrincipal, type RandomRequest } from '../test/helpers/random-account.js';

// Compiled to dist-bench/bench/ by npm run bench; the project root is two folders up.
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
const REQUESTS = 100_000;
const PER_PRINCIPAL = 25;

const catalog = await loadActionCatalog();
const random = seededRandom(7);
const universe = await buildUniverse(random);

interface Case {
  readonly snapshot: string;
  readonly principal: RandomPrincipal;
  readonly requests: RandomRequest[];
}
const cases: Case[] = [];
let total = 0;
while (total < REQUESTS) {
  const account = randomAccount(random, universe);
  const snapshot = JSON.stringify(account.snapshot);
  for (const principal of account.principals) {
    // Policies the oracle misreads are left out of the comparison (the engine's own tests cover them).
    if (oracleMisreadsVariables([principal.identityPolicies.map((p) => p.policy), principal.boundary ?? null])) continue;
    const requests: RandomRequest[] = [];
    while (requests.length < PER_PRINCIPAL && total < REQUESTS) {
      const r = randomRequest(random, universe, principal);
      // The oracle's fast entry point cannot judge these (see test/evaluate-differential.test.ts).
      if ((r.resource === '*' && catalog.isWildcardOnly(r.action)) || /:kms:[^:]*:[^:]*:key\//.test(r.resource)) continue;
      requests.push(r);
      total++;
    }
    cases.push({ snapshot, principal, requests });
  }
}

// Ours: parse each account, resolve and compile each principal once, evaluate its requests.
const options = { isWildcardOnlyAction: (a: string) => catalog.isWildcardOnly(a) };
const ours: Decision[] = [];
const phase = { parseMs: 0, compileMs: 0, evaluateMs: 0 };
let started = performance.now();
const states = new Map<string, PrincipalResolver>();
for (const c of cases) {
  let t = performance.now();
  let resolver = states.get(c.snapshot);
  if (!resolver) states.set(c.snapshot, (resolver = new PrincipalResolver(parseSnapshot('bench', c.snapshot).state)));
  phase.parseMs += performance.now() - t;
  t = performance.now();
  const policies = resolver.resolve(c.principal.arn)!.policies;
  phase.compileMs += performance.now() - t;
  t = performance.now();
  for (const r of c.requests) ours.push(evaluate(policies, r, options).decision);
  phase.evaluateMs += performance.now() - t;
}
const oursMs = performance.now() - started;

// Evaluation alone, policies already compiled: what the analyzer pays per request.
const compiled = cases.map((c) => ({ policies: states.get(c.snapshot)!.resolve(c.principal.arn)!.policies, requests: c.requests }));
started = performance.now();
for (const c of compiled) for (const r of c.requests) evaluate(c.policies, r, options);
const evaluateOnlyMs = performance.now() - started;

const theirs: string[] = [];
started = performance.now();
for (const c of cases) {
  const identityPolicies = c.principal.identityPolicies.map((p) => ({ name: p.name, policy: p.policy }));
  const boundary = c.principal.boundary ? [{ name: 'boundary', policy: c.principal.boundary }] : undefined;
  for (const r of c.requests) {
    theirs.push(runUnsafeSimulation({
      request: { principal: r.principal, action: r.action, resource: { resource: r.resource, accountId: ACCOUNT }, contextVariables: r.context },
      identityPolicies, serviceControlPolicies: [], resourceControlPolicies: [],
      ...(boundary ? { permissionBoundaryPolicies: boundary } : {}),
    }, {}) as unknown as string);
  }
}
const theirsMs = performance.now() - started;

const mismatches = ours.filter((d, i) => d !== theirs[i]).length;
// Which requests, so that a difference can be reproduced (the first few).
const requestsInOrder = cases.flatMap((c) => c.requests.map((r) => ({ principal: c.principal, request: r })));
for (const [i, d] of ours.entries()) {
  if (d === theirs[i]) continue;
  const { principal, request } = requestsInOrder[i]!;
  console.error(`differs: ours ${d}, oracle ${theirs[i]}: ${JSON.stringify({ request, identityPolicies: principal.identityPolicies, boundary: principal.boundary })}`);
  if (ours.slice(0, i + 1).filter((x, j) => x !== theirs[j]).length >= 5) break;
}
const decisions = Object.fromEntries(['Allowed', 'ExplicitlyDenied', 'ImplicitlyDenied'].map((d) => [d, ours.filter((x) => x === d).length]));
const result = {
  benchmark: 'evaluation engine vs iam-simulate runUnsafeSimulation',
  requests: total,
  principals: cases.length,
  decisions,
  mismatches,
  oursMs: Math.round(oursMs),
  oursPhasesMs: { parseSnapshots: Math.round(phase.parseMs), resolveAndCompile: Math.round(phase.compileMs), evaluateFirstTime: Math.round(phase.evaluateMs) },
  oursEvaluateOnlyMs: Math.round(evaluateOnlyMs),
  oracleMs: Math.round(theirsMs),
  oursPerSecond: Math.round(total / (oursMs / 1000)),
  oursEvaluateOnlyPerSecond: Math.round(total / (evaluateOnlyMs / 1000)),
  oraclePerSecond: Math.round(total / (theirsMs / 1000)),
  speedup: +(theirsMs / oursMs).toFixed(1),
  goal: 'at least 10x faster with identical decisions',
  node: process.version,
  date: new Date().toISOString().slice(0, 10),
};
console.table([
  { engine: 'iam-gitops (parse + compile + evaluate)', ms: result.oursMs, 'requests/s': result.oursPerSecond },
  { engine: 'iam-gitops (evaluate, compiled)', ms: result.oursEvaluateOnlyMs, 'requests/s': result.oursEvaluateOnlyPerSecond },
  { engine: 'iam-simulate runUnsafeSimulation', ms: result.oracleMs, 'requests/s': result.oraclePerSecond },
]);
console.log(`our phases: ${JSON.stringify(result.oursPhasesMs)} ms`);
console.log(`speedup ${result.speedup}x, ${mismatches} different decisions of ${total} (${JSON.stringify(decisions)})`);
mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
writeFileSync(join(ROOT, 'bench/results/evaluate-vs-oracle.json'), `${JSON.stringify(result, null, 2)}\n`);
if (mismatches > 0) throw new Error(`${mismatches} decisions differ from the oracle`);
