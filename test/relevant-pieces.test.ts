/**
 * Laws of sharing a delta between principals (src/analyze/relevant-pieces.ts): a principal's delta is computed from
 * the statements that can matter to it, and principals left with the same ones share one computation.
 *  1. A statement on resources no change touches is left out: adding it (to both sides) leaves the delta exactly as
 *     it was, entries and examples alike.
 *  2. Which principal computed a shared delta first does not matter: deltas computed in one analysis, in any order,
 *     equal those computed each alone.
 * That the deltas stay exact (granted = allowed after and not before) is test/access-delta.test.ts's law, which runs
 * through the same sharing.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { principalDelta, type PrincipalSide } from '../src/analyze/access-delta.js';
import { DeltaContext } from '../src/analyze/delta-context.js';
import type { ActionCatalog } from '../src/catalog/action-catalog.js';
import { loadActionCatalog } from '../src/catalog/iam-data-catalog.js';
import type { PolicyJson } from '../src/core/policy.js';
import { buildUniverse, pick, randomPolicy, randomStatement, seededRandom, type Random, type UniverseAction } from './helpers/random-account.js';

const SEED = Number(process.env['RELEVANT_SEED'] ?? 977);
const CASES = 120;
/** Law 1's cases cost more each (two whole analyses, policies with NotAction over the catalog). */
const CHANGES = 60;

let catalog: ActionCatalog;
let universe: UniverseAction[];
beforeAll(async () => {
  catalog = await loadActionCatalog();
  universe = await buildUniverse(seededRandom(SEED));
});

const newContext = (): DeltaContext => new DeltaContext({ catalog, isWildcardOnlyAction: (a) => catalog.isWildcardOnly(a) });
const side = (docs: readonly [string, PolicyJson][]): PrincipalSide => ({ identity: docs.map(([name, document]) => ({ name, document })) });
type Statement = Record<string, unknown>;
const statementsOf = (doc: PolicyJson): Statement[] => [doc['Statement'] ?? []].flat() as Statement[];

/** A random change to one policy: a statement added, removed, or its effect turned. */
function changed(random: Random, policy: PolicyJson): PolicyJson {
  const statements = statementsOf(policy).map((s) => ({ ...s }));
  const r = random();
  if (r < 0.4 || statements.length === 0) statements.push(randomStatement(random, universe));
  else if (r < 0.7) statements.splice(Math.floor(random() * statements.length), 1);
  else {
    const s = pick(random, statements);
    s['Effect'] = s['Effect'] === 'Allow' ? 'Deny' : 'Allow';
  }
  return { ...policy, Statement: statements };
}

/** Statements of a random policy moved to resources no generated policy names (a bucket and a table of their own). */
function bystander(random: Random, n: number): PolicyJson {
  const statements = statementsOf(randomPolicy(random, universe)).map((s) => {
    const { Resource: _r, NotResource: _n, ...rest } = s;
    return { ...rest, Resource: [`arn:aws:s3:::iam-gitops-bystander-${n}/*`, `arn:aws:dynamodb:eu-west-1:111122223333:table/iam-gitops-bystander-${n}`] };
  });
  return { Version: '2012-10-17', Statement: statements };
}

/** A statement on resources the universe names exactly (no `*`, no NotResource, no variable). */
function namedStatement(random: Random): Statement {
  const statement = randomStatement(random, universe);
  const { Resource: _r, NotResource: _n, ...rest } = statement;
  const arns = universe.flatMap((u) => u.arns).filter((arn) => !arn.includes('*') && !arn.includes('$'));
  return { ...rest, Resource: [pick(random, arns), pick(random, arns)] };
}

describe('a principal\'s delta is computed from the statements that can matter to it', () => {
  it(`law 1: a statement on resources no change touches leaves the delta as it was (${CHANGES} random changes, seed ${SEED})`, () => {
    const random = seededRandom(SEED);
    let checked = 0;
    let nonEmpty = 0;
    for (let i = 0; i < CHANGES; i++) {
      const own = randomPolicy(random, universe);
      const shared = randomPolicy(random, universe);
      // The change: a statement on named resources added to, or removed from, the shared policy.
      const added = namedStatement(random);
      const [before, after] = random() < 0.5 ? [shared, { ...shared, Statement: [...statementsOf(shared), added] }] : [{ ...shared, Statement: [...statementsOf(shared), added] }, shared];
      const extra = bystander(random, i);
      const plain = principalDelta('arn:aws:iam::111122223333:user/u', side([['own', own], ['group g: inline policy p', before]]), side([['own', own], ['group g: inline policy p', after]]), newContext());
      const withExtra = principalDelta('arn:aws:iam::111122223333:user/u', side([['own', own], ['group g: inline policy p', before], ['bystander', extra]]), side([['own', own], ['group g: inline policy p', after], ['bystander', extra]]), newContext());
      expect(withExtra, `case ${i}`).toEqual(plain);
      checked++;
      if (plain) nonEmpty++;
    }
    // Most changes really change something: the law is tried on real deltas, not on empty ones.
    expect(checked).toBe(CHANGES);
    expect(nonEmpty).toBeGreaterThanOrEqual(10);
  });

  it(`law 2: deltas shared in one analysis, in any order, equal each computed alone (${CASES} principals, seed ${SEED})`, () => {
    const random = seededRandom(SEED + 1);
    // A group's policy and its change, shared by every principal; each principal holds its own policy too, on its
    // own resources or on the universe's (then it may meet the change, and its delta is its own).
    const group = randomPolicy(random, universe);
    const groupAfter = changed(random, changed(random, group));
    const principals = Array.from({ length: CASES }, (_, i) => {
      const own = random() < 0.6 ? bystander(random, i) : randomPolicy(random, universe);
      const arn = `arn:aws:iam::111122223333:user/u${i}`;
      return { arn, before: side([[`user u${i}: inline policy own`, own], ['group g: inline policy p', group]]), after: side([[`user u${i}: inline policy own`, own], ['group g: inline policy p', groupAfter]]) };
    });
    const alone = principals.map((p) => principalDelta(p.arn, p.before, p.after, newContext()));
    const shared = newContext();
    const order = principals.map((_, i) => i).sort(() => random() - 0.5);
    const together = new Map(order.map((i) => [i, principalDelta(principals[i]!.arn, principals[i]!.before, principals[i]!.after, shared)]));
    principals.forEach((_, i) => expect(together.get(i), `principal ${i}`).toEqual(alone[i]));
    // The sharing happened: fewer deltas were computed than principals asked.
    expect(shared.deltas.size).toBeLessThan(CASES);
  });
});
