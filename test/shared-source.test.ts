/**
 * Items told as one line for a group (or a managed policy's holders): "group g0 (347 members) gains ...". Law, over
 * random accounts and random edits: the principals a grouped line stands for (the group's members) are exactly the
 * principals with that delta, and the group's change alone gives each of them that delta.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { accessDeltas, type AccessDelta } from '../src/analyze/access-delta.js';
import type { ActionCatalog } from '../src/catalog/action-catalog.js';
import { loadActionCatalog } from '../src/catalog/iam-data-catalog.js';
import type { IamState } from '../src/core/state.js';
import { parseSnapshot } from '../src/live/parse-snapshot.js';
import { renderAccessText } from '../src/render/access.js';
import { ACCOUNT, buildUniverse, chance, pick, randomAccount, randomPolicy, seededRandom, type Random, type UniverseAction } from './helpers/random-account.js';

type Json = Record<string, unknown>;
type Snapshot = { UserDetailList: Json[]; GroupDetailList: Json[]; RoleDetailList: Json[]; Policies: Json[] };

let catalog: ActionCatalog;
let universe: UniverseAction[];
beforeAll(async () => {
  catalog = await loadActionCatalog();
  universe = await buildUniverse(seededRandom(515), 8);
});

const options = (): { catalog: ActionCatalog; isWildcardOnlyAction: (a: string) => boolean } => ({ catalog, isWildcardOnlyAction: (a) => catalog.isWildcardOnly(a) });
const stateOf = (snapshot: Snapshot): IamState => parseSnapshot('snapshot', JSON.stringify(snapshot)).state;
const principalsOf = (...states: IamState[]): string[] => [...new Set(states.flatMap((s) => [...s.users.values(), ...s.roles.values()].map((p) => p.arn)))].sort();
const decode = (doc: unknown): Json => (typeof doc === 'string' ? (JSON.parse(decodeURIComponent(doc)) as Json) : (doc as Json));

/**
 * A random policy whose actions stay within a few services (no NotAction, no "*"): the law is about who shares a
 * delta, and the analysis of nearly-every-action statements would cost most of the test's time.
 */
function narrow(document: unknown): Json {
  const doc = structuredClone(decode(document));
  for (const statement of (doc['Statement'] ?? []) as Json[]) {
    const actions = [statement['Action'] ?? statement['NotAction']].flat().map((a) => (a === '*' ? 's3:Get*' : a));
    delete statement['NotAction'];
    statement['Action'] = actions;
  }
  return doc;
}

const narrowPolicy = (random: Random, allowBias?: number): Json => narrow(randomPolicy(random, universe, allowBias));

/** Every policy document of a snapshot, narrowed. */
function narrowed(snapshot: Snapshot): Snapshot {
  const walk = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(walk);
    if (value === null || typeof value !== 'object') return value;
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, k === 'PolicyDocument' || k === 'Document' ? narrow(v) : walk(v)]));
  };
  return walk(snapshot) as Snapshot;
}

/**
 * A random account (groups, managed policies and boundaries from the generator) whose users are mostly plain members:
 * in one or two groups, some with a boundary or a policy of their own. One of the generator's principals stays.
 */
function accountWithMembers(random: Random): Snapshot {
  const snapshot = narrowed(randomAccount(random, universe).snapshot as unknown as Snapshot);
  snapshot.UserDetailList = snapshot.UserDetailList.slice(0, 1);
  snapshot.RoleDetailList = snapshot.RoleDetailList.slice(0, snapshot.UserDetailList.length ? 0 : 1);
  const groups = snapshot.GroupDetailList.map((g) => g['GroupName'] as string);
  const boundaries = snapshot.Policies.filter((p) => String(p['PolicyName']).startsWith('boundary'));
  for (let i = 0; i < 3 + Math.floor(random() * 6); i++) {
    const name = `member${i}`;
    const inGroups = [...new Set([pick(random, groups), ...(chance(random, 0.3) ? [pick(random, groups)] : [])])];
    const boundary = chance(random, 0.15) ? pick(random, boundaries) : undefined;
    snapshot.UserDetailList.push({
      UserName: name, Path: '/', Arn: `arn:aws:iam::${ACCOUNT}:user/${name}`, GroupList: inGroups, Tags: [],
      UserPolicyList: chance(random, 0.15) ? [{ PolicyName: 'own', PolicyDocument: narrowPolicy(random) }] : [],
      AttachedManagedPolicies: [],
      ...(boundary ? { PermissionsBoundary: { PermissionsBoundaryType: 'PermissionsBoundaryPolicy', PermissionsBoundaryArn: boundary['Arn'] } } : {}),
    });
  }
  return snapshot;
}

/** One random edit, mostly to groups and managed policies (the edits a grouped line is about), sometimes to a user. */
function edit(random: Random, before: Snapshot): Snapshot {
  const after = structuredClone(before);
  // Mostly a group with members: the edits whose deltas may be told as one line.
  const members = (g: Json): number => after.UserDetailList.filter((u) => ((u['GroupList'] ?? []) as string[]).includes(g['GroupName'] as string)).length;
  const populated = after.GroupDetailList.filter((g) => members(g) > 1);
  const group = pick(random, populated.length && chance(random, 0.9) ? populated : after.GroupDetailList);
  const policies = after.Policies.filter((p) => String(p['PolicyName']).startsWith('managed'));
  switch (Math.floor(random() * 7)) {
    case 0:
    case 1:
    case 2:
      group['GroupPolicyList'] = [{ PolicyName: 'inline', PolicyDocument: narrowPolicy(random, 0.9) }];
      break;
    case 3: {
      const policy = pick(random, policies);
      const attached = (group['AttachedManagedPolicies'] ?? []) as Json[];
      group['AttachedManagedPolicies'] = attached.some((a) => a['PolicyArn'] === policy['Arn']) ? attached.filter((a) => a['PolicyArn'] !== policy['Arn']) : [...attached, { PolicyName: policy['PolicyName'], PolicyArn: policy['Arn'] }];
      break;
    }
    case 4: {
      const policy = pick(random, policies);
      (policy['PolicyVersionList'] as Json[]).find((v) => v['IsDefaultVersion'])!['Document'] = narrowPolicy(random, 0.9);
      break;
    }
    case 5: {
      // A managed policy attached to every member of a group: the same delta for each, through the policy.
      const policy = pick(random, policies);
      for (const user of after.UserDetailList) {
        if (!((user['GroupList'] ?? []) as string[]).includes(group['GroupName'] as string)) continue;
        const attached = (user['AttachedManagedPolicies'] ?? []) as Json[];
        if (!attached.some((a) => a['PolicyArn'] === policy['Arn'])) user['AttachedManagedPolicies'] = [...attached, { PolicyName: policy['PolicyName'], PolicyArn: policy['Arn'] }];
      }
      break;
    }
    default: {
      const user = pick(random, after.UserDetailList);
      const groups = (user['GroupList'] ?? []) as string[];
      user['GroupList'] = groups.includes(group['GroupName'] as string) ? groups.filter((g) => g !== group['GroupName']) : [...groups, group['GroupName']];
    }
  }
  return after;
}

/** The before-state with only the group's (or the policy's) change applied: what the change through it alone does. */
function onlyThrough(before: Snapshot, after: Snapshot, through: NonNullable<AccessDelta['through']>): Snapshot {
  const hybrid = structuredClone(before);
  if (through.kind === 'group') {
    const index = hybrid.GroupDetailList.findIndex((g) => g['GroupName'] === through.name);
    const changed = after.GroupDetailList.find((g) => g['GroupName'] === through.name)!;
    hybrid.GroupDetailList[index] = structuredClone(changed);
    // A managed policy attached to the group reaches its members through it: its new document goes with it.
    for (const attached of (changed['AttachedManagedPolicies'] ?? []) as Json[]) {
      const i = hybrid.Policies.findIndex((p) => p['Arn'] === attached['PolicyArn']);
      hybrid.Policies[i] = structuredClone(after.Policies.find((p) => p['Arn'] === attached['PolicyArn'])!);
    }
    // Members who joined or left it, as they do after.
    for (const user of hybrid.UserDetailList) {
      const later = after.UserDetailList.find((u) => u['Arn'] === user['Arn']);
      const inAfter = ((later?.['GroupList'] ?? []) as string[]).includes(through.name);
      const groups = ((user['GroupList'] ?? []) as string[]).filter((g) => g !== through.name);
      user['GroupList'] = inAfter ? [...groups, through.name] : groups;
    }
    return hybrid;
  }
  const i = hybrid.Policies.findIndex((p) => p['Arn'] === through.arn);
  hybrid.Policies[i] = structuredClone(after.Policies.find((p) => p['Arn'] === through.arn)!);
  for (const list of ['UserDetailList', 'RoleDetailList', 'GroupDetailList'] as const) {
    for (const entity of hybrid[list]) {
      const later = after[list].find((e) => e['Arn'] === entity['Arn']);
      const attached = ((entity['AttachedManagedPolicies'] ?? []) as Json[]).filter((a) => a['PolicyArn'] !== through.arn);
      const has = ((later?.['AttachedManagedPolicies'] ?? []) as Json[]).find((a) => a['PolicyArn'] === through.arn);
      entity['AttachedManagedPolicies'] = has ? [...attached, has] : attached;
    }
  }
  return hybrid;
}

/** Members of a group, or holders of a managed policy (attached directly or through a group), in a state. */
function population(state: IamState, through: NonNullable<AccessDelta['through']>): string[] {
  const users = [...state.users.values()];
  if (through.kind === 'group') return users.filter((u) => u.groups.some((g) => g.toLowerCase() === through.name.toLowerCase())).map((u) => u.arn).sort();
  return [...users, ...state.roles.values()]
    .filter((p) => p.managedPolicies.includes(through.arn) || (p.kind === 'user' && p.groups.some((g) => state.groups.get(g.toLowerCase())?.managedPolicies.includes(through.arn))))
    .map((p) => p.arn)
    .sort();
}

const same = (a: Pick<AccessDelta, 'granted' | 'revoked'>, b: Pick<AccessDelta, 'granted' | 'revoked'>): boolean => JSON.stringify([a.granted, a.revoked]) === JSON.stringify([b.granted, b.revoked]);

describe('access items told as one line for a group', () => {
  it('a group policy change reaching its three members reads "group developers (3 members)"; their own identical changes do not', () => {
    const user = (name: string, own?: Json): Json => ({ UserName: name, Path: '/', Arn: `arn:aws:iam::${ACCOUNT}:user/${name}`, GroupList: ['developers'], UserPolicyList: own ? [{ PolicyName: 'own', PolicyDocument: own }] : [], AttachedManagedPolicies: [], Tags: [] });
    const read = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'logs:GetLogEvents', Resource: '*' }] };
    const before: Snapshot = { UserDetailList: ['ana', 'ben', 'cy'].map((n) => user(n)), GroupDetailList: [{ GroupName: 'developers', Path: '/', Arn: `arn:aws:iam::${ACCOUNT}:group/developers`, GroupPolicyList: [], AttachedManagedPolicies: [] }], RoleDetailList: [], Policies: [] };
    const through = structuredClone(before);
    through.GroupDetailList[0]!['GroupPolicyList'] = [{ PolicyName: 'read', PolicyDocument: read }];
    const [was, is] = [stateOf(before), stateOf(through)];
    const deltas = accessDeltas(was, is, principalsOf(was, is), options());
    expect(deltas).toHaveLength(1);
    expect(deltas[0]!.through).toEqual({ kind: 'group', name: 'developers', arn: `arn:aws:iam::${ACCOUNT}:group/developers` });
    expect(renderAccessText(deltas, catalog)[0]).toBe('  group developers (3 members): gains 1 action: 1 in logs (1 Read)');
    // The same access attached to each of them directly (one managed policy): the same delta, told as the policy's
    // holders, not as the group, whose change it is not.
    const direct = structuredClone(before);
    direct.Policies = [{ PolicyName: 'read', Arn: `arn:aws:iam::${ACCOUNT}:policy/read`, Path: '/', DefaultVersionId: 'v1', PolicyVersionList: [{ VersionId: 'v1', IsDefaultVersion: true, Document: read }] }];
    const withPolicy = structuredClone(direct);
    for (const u of withPolicy.UserDetailList) u['AttachedManagedPolicies'] = [{ PolicyName: 'read', PolicyArn: `arn:aws:iam::${ACCOUNT}:policy/read` }];
    const [plain, attached] = [stateOf(direct), stateOf(withPolicy)];
    const deltasDirect = accessDeltas(plain, attached, principalsOf(plain), options());
    expect(deltasDirect[0]!.principals).toHaveLength(3);
    expect(deltasDirect[0]!.through).toEqual({ kind: 'policy', name: 'read', arn: `arn:aws:iam::${ACCOUNT}:policy/read` });
    expect(renderAccessText(deltasDirect, catalog)[0]).toMatch(/^ {2}holders of policy read \(3 principals\): gains/);
    // Two of the three: named one by one (the line would otherwise stand for someone without the delta).
    const two = structuredClone(direct);
    for (const u of two.UserDetailList.slice(0, 2)) u['AttachedManagedPolicies'] = [{ PolicyName: 'read', PolicyArn: `arn:aws:iam::${ACCOUNT}:policy/read` }];
    const only = stateOf(two);
    const deltasTwo = accessDeltas(plain, only, principalsOf(plain), options());
    expect(deltasTwo[0]!.through).toEqual({ kind: 'policy', name: 'read', arn: `arn:aws:iam::${ACCOUNT}:policy/read` });
    const group = structuredClone(direct);
    group.GroupDetailList[0]!['GroupPolicyList'] = [{ PolicyName: 'read', PolicyDocument: read }];
    group.UserDetailList[2]!['PermissionsBoundary'] = { PermissionsBoundaryType: 'PermissionsBoundaryPolicy', PermissionsBoundaryArn: `arn:aws:iam::${ACCOUNT}:policy/read` };
    const bounded = structuredClone(direct);
    bounded.UserDetailList[2]!['PermissionsBoundary'] = { PermissionsBoundaryType: 'PermissionsBoundaryPolicy', PermissionsBoundaryArn: `arn:aws:iam::${ACCOUNT}:policy/read` };
    const [wasBounded, isGroup] = [stateOf(bounded), stateOf(group)];
    const deltasPart = accessDeltas(wasBounded, isGroup, principalsOf(isGroup), options());
    // cy's boundary gives cy another delta: ana and ben share one, which is not the whole group.
    expect(deltasPart.map((d) => [d.principals.length, d.through?.kind])).toEqual([[2, undefined], [1, undefined]]);
  });

  it('law over random accounts and edits: a grouped line stands for exactly the principals with that delta, and the group\'s change alone gives it', () => {
    const random = seededRandom(1510);
    let grouped = 0;
    let byPolicy = 0;
    let multi = 0;
    for (let run = 0; run < 80; run++) {
      const before = accountWithMembers(random);
      const after = edit(random, before);
      const [was, is] = [stateOf(before), stateOf(after)];
      const deltas = accessDeltas(was, is, principalsOf(was, is), options());
      for (const delta of deltas) {
        if (delta.principals.length > 1) multi++;
        if (!delta.through) continue;
        if (delta.through.kind === 'group') grouped++;
        else byPolicy++;
        const where = `run ${run}: ${delta.through.kind} ${delta.through.name}`;
        // The line stands for the group's members (on each side where it has any)...
        const members = [population(was, delta.through), population(is, delta.through)].filter((p) => p.length > 0);
        expect(members.length, where).toBeGreaterThan(0);
        for (const side of members) expect(side, where).toEqual([...delta.principals].sort());
        // ...who are exactly the principals with this delta (every principal is in one item: no other has it)...
        expect(deltas.filter((d) => same(d, delta)), where).toEqual([delta]);
        // ...and the group's (policy's) change alone gives each of them this delta.
        const alone = accessDeltas(was, stateOf(onlyThrough(before, after, delta.through)), delta.principals, options());
        expect(alone.map((d) => [d.principals, same(d, delta)]), where).toEqual([[delta.principals, true]]);
      }
    }
    console.log(`${grouped} items told as a group, ${byPolicy} as a policy's holders, of ${multi} items with several principals`);
    // The runs reach the case, and not every shared delta is told as a group.
    expect(grouped).toBeGreaterThan(5);
    expect(byPolicy).toBeGreaterThan(0);
    expect(multi).toBeGreaterThan(grouped + byPolicy);
  });
});
