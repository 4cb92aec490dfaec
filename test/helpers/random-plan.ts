/**
 * Random plans for rendering laws: the renderers read a plan as a value, so their properties are tested on plans
 * built directly (any size, in milliseconds) rather than by running the pipeline. Every part is of the plan
 * contract's shape: changes with details and policy documents, replacements, access items (some told as a group),
 * trust deltas, findings of every severity and change, unmanaged entities and warnings. Seeded.
 */
import type { AccessDelta, AccessEntry } from '../../src/analyze/access-delta.js';
import type { PlanFinding } from '../../src/analyze/plan-findings.js';
import type { TrustDelta } from '../../src/analyze/trust-delta.js';
import type { FindingSeverity } from '../../src/analyze/findings.js';
import { FINDING_CODES } from '../../src/core/finding-codes.js';
import type { Change, ChangeDetail, ChangeOrigin, Plan } from '../../src/plan/plan.js';
import { chance, pick, type Random } from './random-account.js';

export const PLAN_ACCOUNT = '123456789012';

export interface RandomPlanSizes {
  readonly changes: number;
  readonly principals: number;
  readonly findings: number;
  readonly roles: number;
  /** Statements in a policy document of a change, at most. */
  readonly statements: number;
}

const ACTIONS = ['s3:GetObject', 's3:PutObject', 's3:ListBucket', 'sqs:SendMessage', 'logs:GetLogEvents', 'logs:FilterLogEvents', 'dynamodb:GetItem', 'dynamodb:Query', 'lambda:InvokeFunction', 'iam:PassRole', 'kms:Decrypt', 'ec2:DescribeInstances', 's3:*', 'ec2:*'];
const RESOURCES = ['*', 'arn:aws:s3:::bucket-a/*', 'arn:aws:s3:::bucket-b', `arn:aws:sqs:eu-west-1:${PLAN_ACCOUNT}:queue`, `arn:aws:logs:eu-west-1:${PLAN_ACCOUNT}:log-group:/aws/lambda/*`, `arn:aws:dynamodb:eu-west-1:${PLAN_ACCOUNT}:table/orders`];
const SEVERITIES: readonly FindingSeverity[] = ['critical', 'high', 'medium', 'low'];

export function randomDocument(random: Random, statements: number): Record<string, unknown> {
  const n = 1 + Math.floor(random() * statements);
  return {
    Version: '2012-10-17',
    Statement: Array.from({ length: n }, (_, i) => ({
      Sid: `S${i}x${Math.floor(random() * 1000)}`,
      Effect: chance(random, 0.8) ? 'Allow' : 'Deny',
      Action: Array.from({ length: 1 + Math.floor(random() * 4) }, () => pick(random, ACTIONS)),
      Resource: Array.from({ length: 1 + Math.floor(random() * 3) }, () => pick(random, RESOURCES)),
    })),
  };
}

function randomChange(random: Random, i: number, sizes: RandomPlanSizes): Change[] {
  const kind = pick(random, ['user', 'role', 'group', 'policy'] as const);
  const name = `${kind}-${i}`;
  const arn = `arn:aws:iam::${PLAN_ACCOUNT}:${kind}/${name}`;
  const origin = pick(random, ['pull-request', 'drift', 'pull-request+drift'] as const);
  const base = { kind, name, arn, path: '/', reason: `declared in manifests/${kind}s/${name}.yaml:2`, origin };
  const doc = (): Record<string, unknown> => randomDocument(random, sizes.statements);
  // An edited document: the same with one statement changed and one added, as a pull request edits (a diff of two
  // unrelated large documents would cost the diff library, not the renderer, most of the test's time).
  const edited = (after: Record<string, unknown>): Record<string, unknown> => {
    const statements = structuredClone(after['Statement']) as Record<string, unknown>[];
    statements[Math.floor(random() * statements.length)]!['Effect'] = 'Deny';
    return { ...after, Statement: [...statements, ...(randomDocument(random, 1)['Statement'] as unknown[])] };
  };
  const documentDetail = (before: boolean): ChangeDetail => {
    const after = doc();
    const was = before ? edited(after) : null;
    return kind === 'policy' ? { field: 'document', before: was, after } : kind === 'role' && chance(random, 0.3) ? { field: 'trustPolicy', before: was, after } : { field: 'inlinePolicy', name: `p${i}`, before: was, after };
  };
  const r = random();
  if (r < 0.3) return [{ ...base, action: 'create', details: [documentDetail(false), { field: 'tag', key: 'team', before: null, after: 'payments' }] }];
  if (r < 0.75) return [{ ...base, action: 'update', details: [documentDetail(true), ...(chance(random, 0.5) ? [{ field: 'tag' as const, key: 'team', before: 'a', after: 'b' }] : [])] }];
  if (r < 0.9 || kind === 'user' || kind === 'group') return [{ ...base, action: 'delete', details: kind === 'policy' ? [] : [{ field: 'inlinePolicy', name: `p${i}`, before: doc(), after: null }] }];
  // A replacement: the delete half, then the create half at the new path.
  const newArn = `arn:aws:iam::${PLAN_ACCOUNT}:${kind}/moved/${name}`;
  return [
    { ...base, action: 'delete', replacedBy: newArn, details: [] },
    { ...base, action: 'create', arn: newArn, path: '/moved/', replaces: arn, details: [documentDetail(false)], differences: [{ field: 'path', before: '/', after: '/moved/', replacement: true }] },
  ];
}

function randomEntry(random: Random, i: number): AccessEntry {
  const actions = [...new Set(Array.from({ length: 1 + Math.floor(random() * 3) }, () => pick(random, ACTIONS)))].sort();
  const resources = [pick(random, RESOURCES)];
  return {
    actions,
    resources,
    ...(chance(random, 0.2) ? { condition: { Bool: { 'aws:MultiFactorAuthPresent': 'true' } } } : {}),
    ...(chance(random, 0.2) ? { except: [{ resources: ['arn:aws:s3:::bucket-a/secret/*'] }] } : {}),
    because: [`group g${i}: inline policy p, statement ${i % 3}`, ...(chance(random, 0.5) ? ['permissions boundary arn:aws:iam::123456789012:policy/b, statement 0'] : [])],
  };
}

export function randomPlan(random: Random, sizes: RandomPlanSizes): Plan {
  const changes = Array.from({ length: sizes.changes }, (_, i) => randomChange(random, i, sizes)).flat();
  const principals = Array.from({ length: sizes.principals }, (_, i) => `arn:aws:iam::${PLAN_ACCOUNT}:${chance(random, 0.6) ? 'user' : 'role'}/p${i}`);
  // Principals shared out among items: each principal in exactly one item, as the analysis groups them.
  const access: AccessDelta[] = [];
  for (let at = 0; at < principals.length; ) {
    const take = chance(random, 0.2) ? 1 + Math.floor(random() * 60) : 1;
    const members = principals.slice(at, at + take);
    at += take;
    const entries = (n: number): AccessEntry[] => Array.from({ length: n }, (_, j) => randomEntry(random, at + j));
    const granted = chance(random, 0.7) ? entries(1 + Math.floor(random() * 4)) : [];
    const revoked = granted.length === 0 || chance(random, 0.3) ? entries(1 + Math.floor(random() * 3)) : [];
    const through = members.length > 1 && chance(random, 0.5) ? { through: { kind: chance(random, 0.8) ? ('group' as const) : ('policy' as const), name: `g${at}`, arn: `arn:aws:iam::${PLAN_ACCOUNT}:group/g${at}` } } : {};
    access.push({ principals: members, granted, revoked, ...through });
  }
  const trust: TrustDelta[] = Array.from({ length: sizes.roles }, (_, i) => ({
    role: `arn:aws:iam::${PLAN_ACCOUNT}:role/r${i}`,
    gained: chance(random, 0.7) ? [{ type: 'user', principal: `arn:aws:iam::${PLAN_ACCOUNT}:user/u${i}` }] : [],
    lost: chance(random, 0.4) ? [{ type: 'Service', principal: 'batch.amazonaws.com' }] : [],
    roleFindings: chance(random, 0.3) ? [{ code: 'FULL_ADMIN', severity: 'critical', summary: 'is an administrator' }] : [],
  }));
  const findings: PlanFinding[] = Array.from({ length: sizes.findings }, (_, i) => {
    const severity = pick(random, SEVERITIES);
    const change = chance(random, 0.7) ? ('introduced' as const) : ('removed' as const);
    return {
      code: pick(random, FINDING_CODES),
      severity,
      principal: pick(random, principals.length ? principals : [`arn:aws:iam::${PLAN_ACCOUNT}:user/x`]),
      summary: `finding ${i} ${'words '.repeat(Math.floor(random() * 8))}`.trim(),
      detail: 'detail',
      change,
      causes: [`update group g${i}`],
      ...(chance(random, 0.15) ? { accepted: 'known and reviewed' } : {}),
    };
  });
  // With a pull request: each item is its own, drift it would revert, or both (as withOrigins marks them), and the
  // effect holds its own ones.
  const pullRequest = chance(random, 0.4) ? { base: 'main', head: 'abcdef1234', mergeBase: '1234567abc', files: [{ path: 'manifests/x.yaml', status: 'modified' as const }] } : undefined;
  const origin = (): { origin: ChangeOrigin } => ({ origin: pick(random, ['pull-request', 'drift', 'pull-request+drift'] as const) });
  const marked = pullRequest ? { access: access.map((d) => ({ ...d, ...origin() })), trust: trust.map((t) => ({ ...t, ...origin() })), findings: findings.map((f) => ({ ...f, origin: pick(random, ['pull-request', 'drift'] as const) })) } : { access, trust, findings };
  const own = <T extends { origin?: ChangeOrigin }>(items: readonly T[]): T[] => items.filter((i) => i.origin !== 'drift');
  const shownCount = (action: Change['action']): number => changes.filter((c) => c.action === action).length;
  const replace = changes.filter((c) => c.replaces !== undefined).length;
  return {
    formatVersion: 1,
    account: PLAN_ACCOUNT,
    changes,
    unmanaged: Array.from({ length: Math.floor(random() * 4) }, (_, i) => `arn:aws:iam::${PLAN_ACCOUNT}:user/unmanaged-${i}`),
    ...marked,
    catalog: 'test catalog',
    summary: { create: shownCount('create'), update: shownCount('update'), delete: shownCount('delete'), unmanaged: 0, replace },
    live: { source: 'snapshot.json', fingerprint: 'sha256:0123456789abcdef0123' },
    desired: { fingerprint: 'sha256:fedcba' },
    diagnostics: chance(random, 0.5) ? [{ severity: 'warning', summary: 'tags not compared for 1 entity', detail: '' }] : [],
    tool: { name: 'iam-gitops', version: '0.0.0' },
    ...(pullRequest ? { pullRequest: { ...pullRequest, effect: { access: own(marked.access), trust: own(marked.trust), findings: own(marked.findings) } } } : {}),
  };
}
