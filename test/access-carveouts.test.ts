/**
 * Carve-outs tell the truth about their entry. Law, over random accounts and random edits: every carve-out on
 * resources shares a resource with its entry that one of the entry's actions can be asked on (per the catalog's ARN
 * formats), so "on any function … except on arn:…:table/x" never appears. Checked with the pattern intersection of
 * resource-patterns.ts and the ARN formats, independently of how the analysis decides.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { accessDeltas, type AccessEntry } from '../src/analyze/access-delta.js';
import { entryActions } from '../src/analyze/entry-actions.js';
import type { ActionCatalog } from '../src/catalog/action-catalog.js';
import { loadActionCatalog } from '../src/catalog/iam-data-catalog.js';
import { hasPolicyVariable, intersectResourcePatterns } from '../src/evaluate/resource-patterns.js';
import { formatPattern, resourceTypeIndex } from '../src/evaluate/resource-types.js';
import { parseSnapshot } from '../src/live/parse-snapshot.js';
import { buildUniverse, pick, randomAccount, randomStatement, seededRandom, type Random, type UniverseAction } from './helpers/random-account.js';

type Json = Record<string, unknown>;
type Snapshot = { UserDetailList: Json[]; GroupDetailList: Json[]; RoleDetailList: Json[]; Policies: Json[] };

let catalog: ActionCatalog;
let universe: UniverseAction[];
beforeAll(async () => {
  catalog = await loadActionCatalog();
  universe = await buildUniverse(seededRandom(1510));
});

/** A random edit: statements (Denies as often as Allows) added to a principal's own policy. */
function edit(random: Random, before: Snapshot): Snapshot {
  const after = structuredClone(before);
  const target = pick(random, [...after.UserDetailList, ...after.RoleDetailList]);
  const list = (target['UserPolicyList'] ?? target['RolePolicyList']) as Json[];
  const statements = Array.from({ length: 1 + Math.floor(random() * 3) }, () => randomStatement(random, universe, 0.5));
  list.push({ PolicyName: 'added', PolicyDocument: { Version: '2012-10-17', Statement: statements } });
  return after;
}

/**
 * Whether a carve-out pattern shares with the entry a resource one of its actions can be asked on: the pattern met
 * with one of the entry's resource patterns, met with an ARN format of one of the action's types, is not empty.
 * Unknown (policy variables, an intersection that cannot be written) counts as shared.
 */
function reaches(pattern: string, entry: AccessEntry, actions: readonly string[]): boolean {
  if (pattern === '*' || hasPolicyVariable(pattern)) return true;
  const index = resourceTypeIndex(catalog);
  const within = entry.resources ? entry.resources.flatMap((r) => intersectResourcePatterns(pattern, r) ?? [pattern]) : [pattern];
  return within.some((piece) => actions.some((action) => index.typesOf(action).some((type) => {
    const shared = intersectResourcePatterns(piece, formatPattern(type.arn));
    return shared === undefined || shared.length > 0;
  })));
}

describe('carve-outs', () => {
  it('law over random accounts and edits: every carve-out on resources shares a resource the entry can be asked on', () => {
    const random = seededRandom(1015);
    const problems: unknown[] = [];
    let carveouts = 0;
    for (let run = 0; run < 40; run++) {
      const before = randomAccount(random, universe).snapshot as unknown as Snapshot;
      const after = edit(random, before);
      const [was, is] = [parseSnapshot('a', JSON.stringify(before)).state, parseSnapshot('b', JSON.stringify(after)).state];
      const arns = [...new Set([...was.users.values(), ...was.roles.values(), ...is.users.values(), ...is.roles.values()].map((p) => p.arn))];
      for (const delta of accessDeltas(was, is, arns, { catalog, isWildcardOnlyAction: (a) => catalog.isWildcardOnly(a) })) {
        for (const entry of [...delta.granted, ...delta.revoked]) {
          const actions = entryActions(entry, catalog);
          for (const carve of entry.except ?? []) {
            if (!carve.resources) continue;
            carveouts++;
            if (!carve.resources.some((p) => reaches(p, entry, actions))) problems.push({ run, entry: { ...entry, example: undefined }, carve });
          }
        }
      }
    }
    console.log(`${carveouts} carve-outs on resources checked`);
    expect(problems.slice(0, 3)).toEqual([]);
    expect(carveouts).toBeGreaterThan(15);
  });
});
