/**
 * Exactness of access deltas, by sampling: random accounts from the real catalog, a random mutation each, and the
 * independent oracle's before/after decisions on sampled requests compared with entry membership. A request is in
 * `granted` iff the oracle allows it after and not before (likewise `revoked`): nothing missing, and nothing extra
 * in entries not marked approximate. Requests for "*" and on KMS keys are left out, as in the differential test.
 */
import { runUnsafeSimulation } from '@cloud-copilot/iam-simulate';
import { beforeAll, describe, expect, it } from 'vitest';
import { accessDeltas, type AccessEntry, type Carveout } from '../src/analyze/access-delta.js';
import type { ActionCatalog } from '../src/catalog/action-catalog.js';
import { loadActionCatalog } from '../src/catalog/iam-data-catalog.js';
import { compileConditions } from '../src/evaluate/conditions.js';
import { prepareContext } from '../src/evaluate/context.js';
import { PrincipalResolver } from '../src/evaluate/principal-policies.js';
import { compileResource, prepareResource } from '../src/evaluate/resources.js';
import { parseSnapshot } from '../src/live/parse-snapshot.js';
import { ACCOUNT, buildUniverse, pick, randomAccount, randomPolicy, randomRequest, randomStatement, seededRandom, type Random, type UniverseAction } from './helpers/random-account.js';

const SEED = Number(process.env['DELTA_SEED'] ?? 4242);
const ACCOUNTS = Number(process.env['DELTA_ACCOUNTS'] ?? 120);
const SAMPLES = 40;

let catalog: ActionCatalog;
let universe: UniverseAction[];
beforeAll(async () => {
  catalog = await loadActionCatalog();
  universe = await buildUniverse(seededRandom(SEED));
});

type Json = Record<string, unknown>;
type Snapshot = { UserDetailList: Json[]; GroupDetailList: Json[]; RoleDetailList: Json[]; Policies: Json[] };

/** One random change to the account, of the kinds a pull request makes. */
function mutate(random: Random, snapshot: Snapshot): { after: Snapshot; what: string } {
  const after = structuredClone(snapshot);
  const principals = [...after.UserDetailList, ...after.RoleDetailList];
  const target = pick(random, principals);
  const inline = (target['UserPolicyList'] ?? target['RolePolicyList']) as Json[];
  const kind = Math.floor(random() * 8);
  const decode = (doc: unknown): { Statement: Json[] } => (typeof doc === 'string' ? JSON.parse(decodeURIComponent(doc)) : doc) as { Statement: Json[] };
  switch (kind) {
    case 0: {
      if (inline.length === 0) inline.push({ PolicyName: 'own', PolicyDocument: { Version: '2012-10-17', Statement: [] } });
      const doc = decode(inline[0]!['PolicyDocument']);
      doc.Statement.push(randomStatement(random, universe));
      inline[0]!['PolicyDocument'] = doc;
      return { after, what: 'add a statement' };
    }
    case 1: {
      if (inline.length === 0) return mutate(random, snapshot);
      const doc = decode(inline[0]!['PolicyDocument']);
      doc.Statement.splice(Math.floor(random() * doc.Statement.length), 1);
      inline[0]!['PolicyDocument'] = doc;
      return { after, what: 'remove a statement' };
    }
    case 2: {
      const policy = pick(random, after.Policies);
      (policy['PolicyVersionList'] as Json[]).find((v) => v['IsDefaultVersion'])!['Document'] = randomPolicy(random, universe);
      return { after, what: `edit managed policy ${policy['PolicyName']}` };
    }
    case 3: {
      const boundary = pick(random, after.Policies.filter((p) => String(p['PolicyName']).startsWith('boundary')));
      target['PermissionsBoundary'] = { PermissionsBoundaryArn: boundary['Arn'] };
      return { after, what: 'set a boundary' };
    }
    case 4:
      delete target['PermissionsBoundary'];
      return { after, what: 'drop the boundary' };
    case 5: {
      const user = pick(random, after.UserDetailList.length ? after.UserDetailList : [target]);
      const groups = (user['GroupList'] ?? []) as string[];
      const group = pick(random, after.GroupDetailList)['GroupName'] as string;
      user['GroupList'] = groups.includes(group) ? groups.filter((g) => g !== group) : [...groups, group];
      return { after, what: 'join or leave a group' };
    }
    case 6: {
      after.UserDetailList.push({ UserName: 'newcomer', Path: '/', Arn: `arn:aws:iam::${ACCOUNT}:user/newcomer`, GroupList: [pick(random, after.GroupDetailList)['GroupName']], UserPolicyList: [{ PolicyName: 'own', PolicyDocument: randomPolicy(random, universe) }], AttachedManagedPolicies: [] });
      return { after, what: 'add a user' };
    }
    default: {
      const list = after.UserDetailList.includes(target) ? after.UserDetailList : after.RoleDetailList;
      list.splice(list.indexOf(target), 1);
      return { after, what: 'delete a principal' };
    }
  }
}

function oracle(docs: { identity: { name: string; document: unknown }[]; boundary?: { name: string; document: unknown } } | undefined, request: { principal: string; action: string; resource: string; context: Record<string, string | string[]> }): boolean {
  if (!docs) return false;
  return (runUnsafeSimulation({
    request: { principal: request.principal, action: request.action, resource: { resource: request.resource, accountId: ACCOUNT }, contextVariables: request.context },
    identityPolicies: docs.identity.map((d) => ({ name: d.name, policy: d.document })),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    ...(docs.boundary ? { permissionBoundaryPolicies: [{ name: docs.boundary.name, policy: docs.boundary.document }] } : {}),
  }, {}) as unknown as string) === 'Allowed';
}

function inShape(shape: Carveout, request: { resource: string; context: Record<string, string | string[]> }): boolean {
  const resource = prepareResource(request.resource);
  const context = prepareContext(request.context);
  const patterns = shape.resources ?? shape.notResources ?? ['*'];
  const tests = patterns.map((p) => compileResource(p, 'Allow', shape.notResources !== undefined, true));
  const resourceOk = shape.notResources ? tests.every((t) => t(resource, context, false) === 'mismatch') : tests.some((t) => t(resource, context, false) === 'match');
  return resourceOk && compileConditions(shape.condition, true)(context);
}

function inEntry(entry: AccessEntry, request: { action: string; resource: string; context: Record<string, string | string[]> }): boolean {
  const actions = new Set(entry.actions.flatMap((a) => (/[*?]/.test(a) ? catalog.expand(a) : [a])).map((a) => a.toLowerCase()));
  if (!actions.has(request.action.toLowerCase())) return false;
  return inShape(entry, request) && !(entry.except ?? []).some((c) => inShape(c, request));
}

describe('access deltas are exact', () => {
  it(`on ${ACCOUNTS} random accounts with a random change each (seed ${SEED})`, () => {
    const random = seededRandom(SEED);
    const problems: unknown[] = [];
    let checked = 0;
    let inGranted = 0;
    let inRevoked = 0;
    let examples = 0;
    let entries = 0;
    let approximate = 0;
    for (let a = 0; a < ACCOUNTS; a++) {
      const account = randomAccount(random, universe);
      const before = account.snapshot as unknown as Snapshot;
      const { after, what } = mutate(random, before);
      const was = parseSnapshot('before', JSON.stringify(before)).state;
      const is = parseSnapshot('after', JSON.stringify(after)).state;
      const arns = [...new Set([...was.users.values(), ...was.roles.values(), ...is.users.values(), ...is.roles.values()].map((p) => p.arn))];
      const deltas = accessDeltas(was, is, arns, { catalog, isWildcardOnlyAction: (x) => catalog.isWildcardOnly(x) });
      const resolvers = { was: new PrincipalResolver(was), is: new PrincipalResolver(is) };
      for (const arn of arns) {
        const delta = deltas.find((d) => d.principals.includes(arn));
        const docsBefore = resolvers.was.documents(arn);
        const docsAfter = resolvers.is.documents(arn);
        const asOracle = (d: typeof docsBefore) => (d ? { identity: d.identity.map((x) => ({ name: x.name, document: x.document })), ...(d.boundary ? { boundary: { name: d.boundary.name, document: d.boundary.document } } : {}) } : undefined);
        const template = account.principals.find((p) => p.arn === arn) ?? { arn, identityPolicies: [] };
        // Every example must evaluate as claimed, by the oracle too.
        for (const [kind, list] of [['granted', delta?.granted ?? []], ['revoked', delta?.revoked ?? []]] as const) {
          for (const entry of list) {
            entries++;
            if (entry.approximate) {
              approximate++;
              if (process.env['SHOW_APPROXIMATE']) console.log(JSON.stringify({ what, entry }));
            }
            if (!entry.example || entry.example.resource === '*' || /:kms:[^:]*:[^:]*:key\//.test(entry.example.resource)) continue;
            const request = { principal: arn, ...entry.example, context: entry.example.context as Record<string, string | string[]> };
            const [was, is] = [oracle(asOracle(docsBefore), request), oracle(asOracle(docsAfter), request)];
            examples++;
            if (kind === 'granted' ? !(is && !was) : !(was && !is)) problems.push({ problem: `example of a ${kind} entry does not hold`, account: a, what, entry });
            if (!inEntry(entry, request)) problems.push({ problem: `example outside its own ${kind} entry`, account: a, what, entry });
          }
        }
        for (let i = 0; i < SAMPLES; i++) {
          const request = randomRequest(random, universe, template);
          if (request.resource === '*' || /:kms:[^:]*:[^:]*:key\//.test(request.resource) || request.action.toLowerCase() === 'sts:getcalleridentity') continue;
          const allowedBefore = oracle(asOracle(docsBefore), request);
          const allowedAfter = oracle(asOracle(docsAfter), request);
          checked++;
          for (const [kind, entries, truth] of [['granted', delta?.granted ?? [], allowedAfter && !allowedBefore], ['revoked', delta?.revoked ?? [], allowedBefore && !allowedAfter]] as const) {
            const containing = entries.filter((e) => inEntry(e, request));
            if (truth) (kind === 'granted' ? inGranted++ : inRevoked++);
            if (truth && containing.length === 0) problems.push({ problem: `missing from ${kind}`, account: a, what, request, entries });
            if (!truth && containing.some((e) => !e.approximate)) problems.push({ problem: `extra in ${kind}`, account: a, what, request, entry: containing.find((e) => !e.approximate) });
          }
        }
      }
    }
    if (problems.length) console.error(JSON.stringify(problems.slice(0, 3), null, 1));
    console.log(`${entries} entries (${approximate} approximate); ${checked} sampled requests, ${inGranted} granted and ${inRevoked} revoked; ${examples} examples checked`);
    expect(problems.slice(0, 3)).toEqual([]);
    // The sample must reach real deltas, or exactness says little: random requests that fall in them, and the
    // entries' own examples (requests aimed at each entry).
    expect(inGranted).toBeGreaterThan(10);
    expect(inRevoked).toBeGreaterThan(10);
    expect(examples).toBeGreaterThan(ACCOUNTS);
    expect(checked).toBeGreaterThan(ACCOUNTS * 20);
  });
});
