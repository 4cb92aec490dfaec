/**
 * The findings law, on random accounts with escalation paths between their principals and random changes to them:
 * the findings a plan introduces, removes or changes the severity of are exactly those of `audit` after the change
 * minus `audit` before (over the whole account, not only the principals the change touches), and `--fail-on` fails
 * exactly when one introduced is at or above the threshold.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { failingFindings, type Finding } from '../src/analyze/findings.js';
import { planChanges } from '../src/app/use-cases.js';
import { movedArns } from '../src/plan/plan.js';
import { snapshotReader } from './helpers/example.js';
import { audit, expected, identity, manifestsOf } from './helpers/findings-law.js';
import { ACCOUNT, buildUniverse, chance, pick, randomAccount, randomPolicy, seededRandom, uniqueSids, type Random, type UniverseAction } from './helpers/random-account.js';

const SEED = Number(process.env['LAW_SEED'] ?? 20261206);
const RUNS = 24;
const NOW = new Date('2026-11-29T12:00:00Z');
type Json = Record<string, unknown>;

let universe: UniverseAction[];
beforeAll(async () => {
  universe = await buildUniverse(seededRandom(SEED));
});

const ESCALATIONS = ['iam:AddUserToGroup', 'iam:CreateAccessKey', 'iam:CreateLoginProfile', 'iam:PutUserPolicy', 'iam:AttachGroupPolicy', 'iam:PutRolePolicy', 'iam:UpdateAssumeRolePolicy', 'iam:PassRole', 'sts:AssumeRole', 'iam:CreatePolicyVersion'];
const ADMIN = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };

/** A statement one principal can use against others: an escalation action on everything, or on one target. */
function escalation(random: Random, snapshot: Json): Json {
  const arns = [...JSON.stringify(snapshot).matchAll(new RegExp(`arn:aws:iam::${ACCOUNT}:(user|group|role|policy)/[\\w-]+`, 'g'))].map((m) => m[0]);
  const actions = [pick(random, ESCALATIONS), ...(chance(random, 0.5) ? ['lambda:CreateFunction', 'lambda:InvokeFunction'] : [])];
  return { Effect: 'Allow', Action: actions, Resource: chance(random, 0.4) || arns.length === 0 ? '*' : pick(random, arns) };
}

/** An account whose principals hold escalation paths to each other and roles some of them can assume. */
function escalatingAccount(random: Random): Json {
  const snapshot = uniqueSids(randomAccount(random, universe).snapshot);
  const users = snapshot['UserDetailList'] as Json[];
  const roles = snapshot['RoleDetailList'] as Json[];
  for (const principal of [...users, ...roles]) {
    const list = principal['UserName'] ? 'UserPolicyList' : 'RolePolicyList';
    if (chance(random, 0.8)) principal[list] = [...(principal[list] as Json[]), { PolicyName: 'paths', PolicyDocument: { Version: '2012-10-17', Statement: [escalation(random, snapshot), escalation(random, snapshot)] } }];
  }
  for (const role of roles) {
    const trusted = chance(random, 0.5) ? `arn:aws:iam::${ACCOUNT}:root` : chance(random, 0.5) && users.length ? String(pick(random, users)['Arn']) : undefined;
    if (trusted) role['AssumeRolePolicyDocument'] = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: trusted }, Action: 'sts:AssumeRole' }, { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] };
  }
  return uniqueSids(snapshot);
}

/** The change under review: administrator access given or taken, memberships, paths and trust edited. */
function change(random: Random, snapshot: Json): Json {
  const copy = JSON.parse(JSON.stringify(snapshot)) as Json;
  const users = copy['UserDetailList'] as Json[];
  const roles = copy['RoleDetailList'] as Json[];
  const groups = copy['GroupDetailList'] as Json[];
  for (let i = 0; i < 2 + Math.floor(random() * 3); i++) {
    const r = random();
    if (r < 0.25 && groups.length) {
      const group = pick(random, groups);
      group['GroupPolicyList'] = chance(random, 0.6) ? [{ PolicyName: 'inline', PolicyDocument: ADMIN }] : [];
    } else if (r < 0.45 && users.length) {
      const user = pick(random, users);
      const group = String(pick(random, groups)['GroupName']);
      const list = user['GroupList'] as string[];
      user['GroupList'] = list.includes(group) ? list.filter((g) => g !== group) : [...list, group];
    } else if (r < 0.65) {
      const principal = pick(random, [...users, ...roles]);
      const list = principal['UserName'] ? 'UserPolicyList' : 'RolePolicyList';
      principal[list] = chance(random, 0.5) ? [{ PolicyName: 'paths', PolicyDocument: { Version: '2012-10-17', Statement: [escalation(random, copy)] } }] : [{ PolicyName: 'own', PolicyDocument: chance(random, 0.3) ? ADMIN : randomPolicy(random, universe) }];
    } else if (r < 0.8 && roles.length) {
      const role = pick(random, roles);
      const trusted = chance(random, 0.5) ? `arn:aws:iam::${ACCOUNT}:root` : users.length ? String(pick(random, users)['Arn']) : `arn:aws:iam::${ACCOUNT}:root`;
      role['AssumeRolePolicyDocument'] = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: chance(random, 0.3) ? { Service: 'lambda.amazonaws.com' } : { AWS: trusted }, Action: 'sts:AssumeRole' }] };
    } else if (users.length) {
      // A move to another path: the user keeps its name, and whatever named the old ARN no longer does.
      const user = pick(random, users);
      user['Path'] = user['Path'] === '/' ? '/moved/' : '/';
      user['Arn'] = `arn:aws:iam::${ACCOUNT}:user${String(user['Path'])}${String(user['UserName'])}`;
    }
  }
  return uniqueSids(copy);
}

/**
 * Severity carries through, read off an audit alone: a path through other principals ends in administrator access
 * (and is one of the ways of a critical PRIVESC_TO_ADMIN) exactly when a principal it goes through can make itself
 * an administrator; otherwise it is high.
 */
function expectSeverityCarried(findings: readonly Finding[], what: string): void {
  const admins = new Set(findings.filter((f) => f.code === 'FULL_ADMIN' || f.code === 'PRIVESC_TO_ADMIN').map((f) => f.principal));
  const through = new Set(['PRIVESC_CREATE_ACCESS_KEY', 'PRIVESC_CREATE_LOGIN_PROFILE', 'PRIVESC_UPDATE_LOGIN_PROFILE', 'PRIVESC_PASS_ROLE_TO_COMPUTE', 'PRIVESC_ASSUME_STRONGER_ROLE']);
  for (const f of findings) {
    if (through.has(f.code)) {
      expect({ what, f, severity: f.severity, adminTarget: (f.targets ?? []).some((t) => admins.has(t)) }).toMatchObject({ severity: 'high', adminTarget: false });
    }
    if (f.code === 'PRIVESC_TO_ADMIN') {
      expect(f.severity).toBe('critical');
      for (const way of f.paths ?? []) if (through.has(way.code)) expect({ what, way, adminTarget: (way.targets ?? []).some((t) => admins.has(t)) }).toMatchObject({ adminTarget: true });
    }
  }
}

describe('the findings a plan introduces are audit after minus audit before', () => {
  it(`on random accounts with escalation paths and random changes (seed ${SEED})`, async () => {
    const random = seededRandom(SEED);
    let found = 0;
    let untouched = 0;
    for (let run = 0; run < RUNS; run++) {
      const before = escalatingAccount(random);
      const after = change(random, before);
      const result = await planChanges(await manifestsOf(after, `after-${run}.json`), snapshotReader(before, `before-${run}.json`), NOW);
      expect(result.diagnostics.filter((d) => d.severity === 'error'), `run ${run}`).toEqual([]);
      const plan = result.plan!;
      const got = plan.findings.filter((f) => f.code !== 'BOUNDARY_REMOVED').map((f) => `${f.change} ${f.severity} ${identity(f)}`).sort();
      // A principal the change moves to another path is one principal, under its new ARN, as the plan reports it.
      const moves = movedArns(plan);
      const renamed = (arn: string): string => moves.get(arn) ?? arn;
      const was = (await audit(before, NOW)).map((f) => ({ ...f, principal: renamed(f.principal), ...(f.targets ? { targets: f.targets.map(renamed) } : {}) }));
      const afterAudit = await audit(after, NOW);
      const want = expected(was, afterAudit);
      expectSeverityCarried(afterAudit, `run ${run}`);
      expect(got, `run ${run}`).toEqual(want);
      found += want.length;
      // Findings of principals the change does not touch are part of the law, and the runs exercise them.
      const touched = new Set(plan.changes.map((c) => c.arn));
      if (want.some((w) => !touched.has(w.split(' ')[3]!))) untouched++;
      // The gate: --fail-on high fails exactly when an introduced finding is high or critical.
      expect(failingFindings(plan.findings, 'high').length > 0, `run ${run}`).toBe(want.some((w) => /^introduced (critical|high) /.test(w)));
    }
    expect(found).toBeGreaterThan(RUNS / 2);
    expect(untouched).toBeGreaterThan(0);
  });
});

describe('findings of principals a change does not touch', () => {
  const doc = (...statements: Json[]) => ({ Version: '2012-10-17', Statement: statements });
  const allow = (action: string, resource: string) => ({ Effect: 'Allow', Action: action, Resource: resource });
  const user = (name: string, statements: Json[], extra: Json = {}) => ({ UserName: name, Path: '/', Arn: `arn:aws:iam::${ACCOUNT}:user/${name}`, GroupList: [], UserPolicyList: statements.length ? [{ PolicyName: 'own', PolicyDocument: doc(...statements) }] : [], AttachedManagedPolicies: [], ...extra });
  const snapshot = (users: Json[], groups: Json[] = []) => ({ UserDetailList: users, GroupDetailList: groups, RoleDetailList: [], Policies: [] });
  const plan = async (before: Json, after: Json) => {
    const result = await planChanges(await manifestsOf(after, 'after.json'), snapshotReader(before, 'before.json'), NOW);
    return result.plan!.findings.map((f) => `${f.change} ${f.severity} ${f.code} ${f.principal.split(':').pop()} (caused by ${f.causes.join('; ')})`);
  };

  it('administrator access given to an empty group another user may join is that user\'s path to it', async () => {
    const mallory = user('mallory', [allow('iam:AddUserToGroup', `arn:aws:iam::${ACCOUNT}:group/ops`)]);
    const group = (policies: Json[]) => ({ GroupName: 'ops', Path: '/', Arn: `arn:aws:iam::${ACCOUNT}:group/ops`, GroupPolicyList: policies, AttachedManagedPolicies: [] });
    const found = await plan(snapshot([mallory], [group([{ PolicyName: 'read', PolicyDocument: doc(allow('s3:GetObject', '*')) }])]), snapshot([mallory], [group([{ PolicyName: 'admin', PolicyDocument: ADMIN }])]));
    // Joining a group that could read objects was a lesser path (high); joining it now makes mallory an administrator.
    expect(found).toEqual(['introduced critical PRIVESC_TO_ADMIN user/mallory (caused by update group ops)', 'removed high PRIVESC_ADD_USER_TO_GROUP user/mallory (caused by update group ops)']);
  });

  it('an administrator moved under a path another user may create access keys on is that user\'s path to it', async () => {
    const mallory = user('mallory', [allow('iam:CreateAccessKey', `arn:aws:iam::${ACCOUNT}:user/ops/*`)]);
    const admin = (path: string) => user('root-ish', [allow('*', '*')], { Path: path, Arn: `arn:aws:iam::${ACCOUNT}:user${path}root-ish` });
    const found = await plan(snapshot([mallory, admin('/')]), snapshot([mallory, admin('/ops/')]));
    expect(found).toEqual(['introduced critical PRIVESC_TO_ADMIN user/mallory (caused by update user root-ish)']);
  });

  it('"caused by" names the changes without which the finding would not be, not every change near it', async () => {
    // Two changes touch alice: a tag and an administrator policy. Only the policy makes her an administrator.
    const before = snapshot([user('alice', [allow('s3:GetObject', '*')], { Tags: [{ Key: 'team', Value: 'a' }] })]);
    const after = snapshot([user('alice', [allow('*', '*')], { Tags: [{ Key: 'team', Value: 'b' }] })], [{ GroupName: 'g', Path: '/', Arn: `arn:aws:iam::${ACCOUNT}:group/g`, GroupPolicyList: [], AttachedManagedPolicies: [] }]);
    (after.UserDetailList[0] as Json)['GroupList'] = ['g'];
    expect(await plan(before, after)).toEqual(['introduced critical FULL_ADMIN user/alice (caused by update user alice)']);
  });
});
