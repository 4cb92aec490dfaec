/**
 * Access-delta analyses share nothing: what one plan's analysis computes (compiled documents, statement pieces,
 * classes of actions and their entries, written action lists, example tests) lives in a context of that analysis
 * and is dropped with it. So analysing plan A and then plan B in one process gives exactly B's result alone, whatever
 * A was, even under another action catalog; and the analyzer's modules keep no state of their own between
 * analyses (no module-level map to grow with every plan a long-lived process analyses).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import type { ActionCatalog, CatalogAction, CatalogResourceType } from '../src/catalog/action-catalog.js';
import { catalogFromServices } from '../src/catalog/action-catalog.js';
import { loadActionCatalog } from '../src/catalog/iam-data-catalog.js';
import type { IamState } from '../src/core/state.js';
import { parseSnapshot } from '../src/live/parse-snapshot.js';
import { buildUniverse, randomAccount, seededRandom, type Random, type UniverseAction } from './helpers/random-account.js';

type AccessDeltasModule = typeof import('../src/analyze/access-delta.js');

let catalog: ActionCatalog;
let universe: UniverseAction[];
beforeAll(async () => {
  catalog = await loadActionCatalog();
  universe = await buildUniverse(seededRandom(1717));
});

/** The analyzer's modules loaded afresh: no analysis has run in them, as in a new process. */
async function freshAnalyzer(): Promise<AccessDeltasModule> {
  vi.resetModules();
  return (await import('../src/analyze/access-delta.js')) as AccessDeltasModule;
}

interface Analysis {
  readonly before: IamState;
  readonly after: IamState;
  readonly principals: readonly string[];
  readonly catalog: ActionCatalog;
}

const analyse = (module: AccessDeltasModule, a: Analysis) =>
  module.accessDeltas(a.before, a.after, a.principals, { catalog: a.catalog, isWildcardOnlyAction: (x) => a.catalog.isWildcardOnly(x) });

/** A catalog of the same services with some of their actions (another data set version, as a test's own catalog). */
function reducedCatalog(random: Random, services: readonly string[]): ActionCatalog {
  const actions: Record<string, CatalogAction[]> = {};
  const types: Record<string, CatalogResourceType[]> = {};
  for (const service of services) {
    const all = catalog.actionsOf(service) ?? [];
    const keep = new Set(universe.filter((u) => u.service === service).map((u) => u.name));
    actions[service] = all.filter((a) => keep.has(a.name) && random() < 0.7);
    types[service] = [...catalog.resourceTypesOf(service).values()];
  }
  return catalogFromServices('reduced', actions, types);
}

/** A random plan: one random account becomes another (same principal names, different policies). */
function randomAnalysis(random: Random, withCatalog: ActionCatalog): Analysis {
  const [before, after] = [randomAccount(random, universe), randomAccount(random, universe)].map((a) => parseSnapshot('s.json', JSON.stringify(a.snapshot)).state) as [IamState, IamState];
  // Three principals of the plan: enough to share work between them, few enough to keep the test quick.
  const principals = [...new Set([...before.users.values(), ...before.roles.values(), ...after.users.values(), ...after.roles.values()].map((p) => p.arn))].slice(0, 3);
  return { before, after, principals, catalog: withCatalog };
}

describe('access-delta analyses are isolated per plan', () => {
  it('a plan analysed after another under a different catalog gives the result it gives alone (exact case)', async () => {
    const A = '111122223333';
    const alice = `arn:aws:iam::${A}:user/alice`;
    const state = (statements: unknown[]): IamState =>
      parseSnapshot('s.json', JSON.stringify({
        UserDetailList: [{ UserName: 'alice', Path: '/', Arn: alice, UserPolicyList: [{ PolicyName: 'own', PolicyDocument: { Version: '2012-10-17', Statement: statements } }] }],
        GroupDetailList: [], RoleDetailList: [], Policies: [],
      })).state;
    const grant = { Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: '*' };
    const plan = { before: state([]), after: state([grant]), principals: [alice] };
    // In this catalog those two actions are all of S3, and S3 is every service: the entry reads "*".
    const small = catalogFromServices('small', { s3: (catalog.actionsOf('s3') ?? []).filter((a) => a.name === 'GetObject' || a.name === 'PutObject') });

    const alone = analyse(await freshAnalyzer(), { ...plan, catalog: small });
    expect(alone[0]!.granted.map((e) => e.actions)).toEqual([['*']]);

    const shared = await freshAnalyzer();
    const first = analyse(shared, { ...plan, catalog });
    expect(first[0]!.granted.map((e) => e.actions)).toEqual([['s3:GetObject', 's3:PutObject']]);
    expect(analyse(shared, { ...plan, catalog: small })).toEqual(alone);
  });

  it('on random plans: each plan analysed after all the others gives the result it gives alone, under the same catalog or another', async () => {
    const random = seededRandom(1717);
    const services = [...new Set(universe.map((u) => u.service))];
    // One process analyses plan after plan (a long-lived runner); each result must be what a fresh process gives.
    const shared = await freshAnalyzer();
    for (let run = 0; run < 4; run++) {
      const plan = randomAnalysis(random, run % 2 === 1 ? reducedCatalog(random, services) : catalog);
      const inSharedProcess = analyse(shared, plan);
      expect(inSharedProcess, `plan ${run}`).toEqual(analyse(await freshAnalyzer(), plan));
    }
  });

  it('the analyzer modules keep no state of their own: no module-level map, set, counter or cache', () => {
    // The rooms of the access-delta analysis (src/analyze/access-delta*.ts and the ones they are split into). A
    // cache belongs to the analysis that fills it (DeltaContext), so it is released with it.
    const folder = join(import.meta.dirname, '../src/analyze');
    const rooms = readdirSync(folder).filter((f) => /^(access-|delta-|parallel-access-|action-classes|statement-pieces|entry-|class-entries|tidy-entries)/.test(f));
    expect(rooms).toContain('access-delta.ts');
    const offending: string[] = [];
    for (const file of rooms) {
      const lines = readFileSync(join(folder, file), 'utf8').split('\n');
      lines.forEach((line, i) => {
        if (/^(export )?let /.test(line) || /^(export )?const \w+(: [^=]+)? = new (Weak)?(Map|Set)\b/.test(line)) offending.push(`${file}:${i + 1}: ${line.trim()}`);
      });
    }
    expect(offending).toEqual([]);
  });
});
