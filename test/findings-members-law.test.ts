/**
 * The findings law (a plan's findings are audit after minus audit before) where a plan judges fewest principals:
 * members of changed groups and holders of changed policies whose own policies hold no path to others. The plan
 * leaves such a principal out when the statements that change for it cover no action its facts ask about, or only
 * administrator probes while another probe stays denied (src/analyze/plan-findings.ts, factsMayChange). These
 * accounts are made of exactly those statements: every administrator probe but one, one probe, the actions of paths
 * through existing resources, compute without iam:PassRole, and unrelated ones; the changes edit groups and managed
 * policies, attach and detach them, and move users between groups.
 */
import { describe, expect, it } from 'vitest';
import { planChanges } from '../src/app/use-cases.js';
import { snapshotReader } from './helpers/example.js';
import { audit, expected, identity, manifestsOf } from './helpers/findings-law.js';
import { chance, pick, seededRandom, type Random } from './helpers/random-account.js';

const SEED = Number(process.env['LAW_SEED'] ?? 20261205);
const RUNS = 30;
const NOW = new Date('2026-12-05T12:00:00Z');
const ACCOUNT = '111122223333';
type Json = Record<string, unknown>;

const PROBES = ['iam:CreateUser', 'iam:AttachRolePolicy', 'iam:PutUserPolicy', 'ec2:RunInstances', 's3:DeleteBucket', 'lambda:CreateFunction', 'kms:ScheduleKeyDeletion', 'dynamodb:DeleteTable', 'cloudtrail:StopLogging', 'organizations:LeaveOrganization', 'sts:AssumeRole', 'secretsmanager:GetSecretValue'];
/** Probes the facts ask about for the administrator check alone. */
const ADMIN_ONLY = ['iam:CreateUser', 's3:DeleteBucket', 'kms:ScheduleKeyDeletion', 'dynamodb:DeleteTable', 'cloudtrail:StopLogging', 'organizations:LeaveOrganization', 'secretsmanager:GetSecretValue'];
const EXISTING = ['lambda:UpdateFunctionCode', 'ssm:SendCommand', 'ssm:StartSession', 'cloudformation:UpdateStack'];

/** A statement of the kinds these accounts are made of. */
function statement(random: Random): Json {
  const r = random();
  const resource = chance(random, 0.8) ? '*' : 'arn:aws:s3:::bucket/*';
  if (r < 0.25) {
    // Mostly one of the probes only the administrator check reads: then one statement more makes an administrator.
    const missing = pick(random, chance(random, 0.7) ? ADMIN_ONLY : PROBES);
    return { Effect: 'Allow', Action: PROBES.filter((a) => a !== missing), Resource: '*' };
  }
  if (r < 0.45) return { Effect: 'Allow', Action: pick(random, chance(random, 0.7) ? ADMIN_ONLY : PROBES.filter((a) => !a.startsWith('iam:') && a !== 'sts:AssumeRole')), Resource: resource };
  if (r < 0.6) return { Effect: 'Allow', Action: pick(random, EXISTING), Resource: resource };
  if (r < 0.7) return { Effect: 'Allow', Action: ['lambda:CreateFunction', 'lambda:InvokeFunction'], Resource: '*' };
  if (r < 0.8) return { Effect: 'Deny', Action: pick(random, [...PROBES.filter((a) => !a.startsWith('iam:')), ...EXISTING]), Resource: '*' };
  if (r < 0.88) return { Effect: 'Allow', Action: '*', Resource: '*', ...(chance(random, 0.5) ? { Condition: { Bool: { 'aws:MultiFactorAuthPresent': 'true' } } } : {}) };
  return { Effect: 'Allow', Action: pick(random, ['s3:GetObject', 'logs:PutLogEvents', 'dynamodb:Query']), Resource: resource };
}

const doc = (statements: Json[]): Json => ({ Version: '2012-10-17', Statement: statements });
const statements = (random: Random, most: number): Json[] => Array.from({ length: 1 + Math.floor(random() * most) }, () => statement(random));
const policyArn = (name: string): string => `arn:aws:iam::${ACCOUNT}:policy/${name}`;

function account(random: Random): Json {
  const policies = ['p0', 'p1', 'p2'].map((name) => ({
    PolicyName: name, PolicyId: `ANPA${name.toUpperCase()}XXXXXXXXXXXX`, Arn: policyArn(name), Path: '/', DefaultVersionId: 'v1', AttachmentCount: 0, IsAttachable: true,
    PolicyVersionList: [{ Document: doc([statement(random), ...statements(random, 1)]), VersionId: 'v1', IsDefaultVersion: true }],
  }));
  const attached = (): Json[] => ['p0', 'p1', 'p2'].filter(() => chance(random, 0.3)).map((name) => ({ PolicyName: name, PolicyArn: policyArn(name) }));
  const groups = ['g0', 'g1', 'g2'].map((name) => ({ GroupName: name, GroupId: `AGPA${name.toUpperCase()}XXXXXXXXXXXX`, Path: '/', Arn: `arn:aws:iam::${ACCOUNT}:group/${name}`, GroupPolicyList: chance(random, 0.8) ? [{ PolicyName: 'inline', PolicyDocument: doc(statements(random, 3)) }] : [], AttachedManagedPolicies: attached() }));
  const users = ['u0', 'u1', 'u2', 'u3', 'u4', 'u5'].map((name) => ({
    UserName: name, UserId: `AIDA${name.toUpperCase()}XXXXXXXXXXXX`, Path: '/', Arn: `arn:aws:iam::${ACCOUNT}:user/${name}`,
    GroupList: ['g0', 'g1', 'g2'].filter(() => chance(random, 0.5)), UserPolicyList: chance(random, 0.5) ? [{ PolicyName: 'own', PolicyDocument: doc(statements(random, 2)) }] : [], AttachedManagedPolicies: attached(),
  }));
  const roles = ['r0', 'r1', 'r2'].map((name) => ({
    RoleName: name, RoleId: `AROA${name.toUpperCase()}XXXXXXXXXXXX`, Path: '/', Arn: `arn:aws:iam::${ACCOUNT}:role/${name}`,
    AssumeRolePolicyDocument: doc([{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }]),
    RolePolicyList: chance(random, 0.5) ? [{ PolicyName: 'own', PolicyDocument: doc(statements(random, 2)) }] : [], AttachedManagedPolicies: attached(), InstanceProfileList: [], Tags: [],
  }));
  return { UserDetailList: users, GroupDetailList: groups, RoleDetailList: roles, Policies: policies };
}

/** Edits of groups and managed policies: statements added, removed or turned; attachments and memberships. */
function change(random: Random, snapshot: Json): Json {
  const copy = structuredClone(snapshot);
  const groups = copy['GroupDetailList'] as Json[];
  const users = copy['UserDetailList'] as Json[];
  const policies = copy['Policies'] as Json[];
  const edit = (list: Json[]): Json[] => {
    const out = list.map((s) => ({ ...s }));
    const r = random();
    if (r < 0.5 || out.length === 0) out.push(statement(random));
    else if (r < 0.8) out.splice(Math.floor(random() * out.length), 1);
    else {
      const s = pick(random, out);
      s['Effect'] = s['Effect'] === 'Allow' ? 'Deny' : 'Allow';
    }
    return out;
  };
  for (let i = 0; i < 1 + Math.floor(random() * 2); i++) {
    const r = random();
    if (r < 0.35) {
      const group = pick(random, groups);
      const inline = group['GroupPolicyList'] as Json[];
      const current = (inline[0]?.['PolicyDocument'] as Json | undefined)?.['Statement'] as Json[] | undefined;
      const edited = edit(current ?? []);
      group['GroupPolicyList'] = edited.length ? [{ PolicyName: 'inline', PolicyDocument: doc(edited) }] : [];
    } else if (r < 0.65) {
      const version = (pick(random, policies)['PolicyVersionList'] as Json[])[0]!;
      const edited = edit((version['Document'] as Json)['Statement'] as Json[]);
      version['Document'] = doc(edited.length ? edited : [statement(random)]);
    } else if (r < 0.85) {
      const holder = pick(random, [...groups, ...users]);
      const name = pick(random, ['p0', 'p1', 'p2']);
      const list = holder['AttachedManagedPolicies'] as Json[];
      holder['AttachedManagedPolicies'] = list.some((p) => p['PolicyName'] === name) ? list.filter((p) => p['PolicyName'] !== name) : [...list, { PolicyName: name, PolicyArn: policyArn(name) }];
    } else {
      const user = pick(random, users);
      const group = pick(random, ['g0', 'g1', 'g2']);
      const list = user['GroupList'] as string[];
      user['GroupList'] = list.includes(group) ? list.filter((g) => g !== group) : [...list, group];
    }
  }
  return copy;
}

describe('the findings law for members and holders of what a change edits', () => {
  it(`on random accounts of administrator probes, existing-resource paths and compute, with random edits (seed ${SEED})`, async () => {
    const random = seededRandom(SEED);
    let found = 0;
    let throughMembers = 0;
    let adminThroughMembers = 0;
    for (let run = 0; run < RUNS; run++) {
      const before = account(random);
      const after = change(random, before);
      const result = await planChanges(await manifestsOf(after, `after-${run}.json`), snapshotReader(before, `before-${run}.json`), NOW);
      expect(result.diagnostics.filter((d) => d.severity === 'error'), `run ${run}`).toEqual([]);
      const got = result.plan!.findings.filter((f) => f.code !== 'BOUNDARY_REMOVED').map((f) => `${f.change} ${f.severity} ${identity(f)}`).sort();
      const want = expected(await audit(before, NOW), await audit(after, NOW));
      expect(got, `run ${run}`).toEqual(want);
      found += want.length;
      // Findings of principals the change reaches only through a group or a policy: the case under test.
      const direct = new Set(result.plan!.changes.filter((c) => c.kind === 'user' || c.kind === 'role').map((c) => c.arn));
      if (want.some((w) => !direct.has(w.split(' ')[3]!))) throughMembers++;
      if (want.some((w) => w.includes(' FULL_ADMIN ') && !direct.has(w.split(' ')[3]!))) adminThroughMembers++;
    }
    expect(found).toBeGreaterThan(RUNS / 2);
    expect(throughMembers).toBeGreaterThan(RUNS / 4);
    // Administrators made or unmade through a group or policy, the case the probe test prunes around.
    expect(adminThroughMembers).toBeGreaterThan(2);
  });
});
