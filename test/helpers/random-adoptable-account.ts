/**
 * Random accounts to adopt: every field a manifest can manage, on every kind that has it, with values that are easy
 * to lose on the way from IAM to YAML and back (descriptions and tag values YAML 1.1 reads as booleans, dates or
 * numbers; empty values; line breaks), non-default paths, session durations, boundaries, several policy versions
 * with the default not the newest, instance profiles. The result is the JSON `seedModel` reads (a
 * get-account-authorization-details export, plus the fields the emulator holds and the export does not: role
 * `Description` and `MaxSessionDuration`, policy `Description` and `Tags`). Seeded: a failure names its seed.
 */
import { chance, pick, type Random } from './random-account.js';

type Json = Record<string, unknown>;

export const ADOPT_ACCOUNT = '210987654321';

const PATHS = ['/', '/', '/team/', '/platform/ci/'];
/** IAM's description pattern allows tabs and line breaks; several of these are something else to YAML 1.1. */
const DESCRIPTIONS = [undefined, '', 'Deploys the payments service', 'yes', 'no', '2012-10-17', '0755', 'null', '~', 'Owner: platform # not a comment', 'it\'s "quoted"', 'caf\u00e9 \u00bd', 'two\nlines', ' leading and trailing '];
const TAG_KEYS = ['team', 'Owner', 'cost-center', 'yes', 'env:stage', 'a/b=c+d@e'];
const TAG_VALUES = ['payments', '', 'yes', 'off', '0123', '1e3', 'true', 'null', '2024-01-01', 'a:b/c=d+e-f@g', 'two words'];
const DURATIONS = [3600, 3600, 5400, 7200, 43200];
const ACTIONS = ['s3:GetObject', 's3:ListBucket', 'logs:GetLogEvents', 'dynamodb:GetItem', 'sqs:SendMessage', 'ec2:DescribeInstances', 'iam:GetRole', 'kms:Decrypt'];
const AWS_POLICIES = ['arn:aws:iam::aws:policy/ReadOnlyAccess', 'arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess', 'arn:aws:iam::aws:policy/job-function/ViewOnlyAccess'];

const upTo = (random: Random, n: number): number => Math.floor(random() * (n + 1));
const someOf = <T>(random: Random, items: readonly T[], max: number): T[] => [...new Set(Array.from({ length: upTo(random, max) }, () => pick(random, items)))];

function tags(random: Random, max = 3): Json[] {
  const keys = someOf(random, TAG_KEYS, max);
  return keys.map((Key) => ({ Key, Value: pick(random, TAG_VALUES) }));
}

function document(random: Random, i: number): Json {
  const statements = Array.from({ length: 1 + upTo(random, 1) }, (_, n) => ({
    Sid: `S${i}x${n}`,
    Effect: chance(random, 0.85) ? 'Allow' : 'Deny',
    Action: someOf(random, ACTIONS, 3).concat(pick(random, ACTIONS)).filter((a, k, all) => all.indexOf(a) === k),
    Resource: chance(random, 0.5) ? '*' : `arn:aws:s3:::bucket-${i}-${n}/*`,
  }));
  return { Version: '2012-10-17', Statement: statements };
}

function inlinePolicies(random: Random, seedIndex: number): Json[] {
  return Array.from({ length: upTo(random, 2) }, (_, n) => ({ PolicyName: `inline-${n}`, PolicyDocument: document(random, seedIndex * 10 + n) }));
}

const arnOf = (kind: string, path: string, name: string): string => `arn:aws:iam::${ADOPT_ACCOUNT}:${kind}${path}${name}`;

export function randomAdoptableAccount(random: Random): Json {
  const policies = Array.from({ length: 1 + upTo(random, 3) }, (_, i) => {
    const path = pick(random, PATHS);
    const versions = 1 + upTo(random, 2);
    const defaultVersion = 1 + Math.floor(random() * versions);
    const description = pick(random, DESCRIPTIONS);
    return {
      PolicyName: `policy-${i}`,
      Path: path,
      Arn: arnOf('policy', path, `policy-${i}`),
      DefaultVersionId: `v${defaultVersion}`,
      ...(description ? { Description: description } : {}),
      Tags: tags(random),
      PolicyVersionList: Array.from({ length: versions }, (_, v) => ({ VersionId: `v${v + 1}`, IsDefaultVersion: v + 1 === defaultVersion, Document: document(random, 100 + i * 10 + v) })),
    };
  });
  const policyArns = policies.map((p) => p.Arn);
  const attachable = [...policyArns, ...AWS_POLICIES];
  const boundary = (): Json => (chance(random, 0.35) ? { PermissionsBoundary: { PermissionsBoundaryType: 'PermissionsBoundaryPolicy', PermissionsBoundaryArn: pick(random, [...policyArns, AWS_POLICIES[0]!]) } } : {});
  const attached = (): Json[] => someOf(random, attachable, 2).map((arn) => ({ PolicyName: arn.split('/').pop(), PolicyArn: arn }));

  const groups = Array.from({ length: upTo(random, 3) }, (_, i) => {
    const path = pick(random, PATHS);
    return { GroupName: `group-${i}`, Path: path, Arn: arnOf('group', path, `group-${i}`), GroupPolicyList: inlinePolicies(random, 200 + i), AttachedManagedPolicies: attached() };
  });
  const roles = Array.from({ length: 1 + upTo(random, 3) }, (_, i) => {
    const path = pick(random, PATHS);
    const description = pick(random, DESCRIPTIONS);
    const trusted = chance(random, 0.5) ? { Service: pick(random, ['lambda.amazonaws.com', 'ec2.amazonaws.com']) } : { AWS: `arn:aws:iam::${ADOPT_ACCOUNT}:root` };
    return {
      RoleName: `role-${i}`,
      Path: path,
      Arn: arnOf('role', path, `role-${i}`),
      AssumeRolePolicyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: trusted, Action: 'sts:AssumeRole' }] },
      ...(description !== undefined ? { Description: description } : {}),
      MaxSessionDuration: pick(random, DURATIONS),
      RolePolicyList: inlinePolicies(random, 300 + i),
      AttachedManagedPolicies: attached(),
      ...boundary(),
      Tags: tags(random),
      InstanceProfileList: chance(random, 0.3) ? [{ InstanceProfileName: `role-${i}-profile`, Path: '/' }] : [],
    };
  });
  const users = Array.from({ length: 1 + upTo(random, 3) }, (_, i) => {
    const path = pick(random, PATHS);
    return {
      UserName: `user-${i}`,
      Path: path,
      Arn: arnOf('user', path, `user-${i}`),
      GroupList: groups.length ? someOf(random, groups.map((g) => g.GroupName), 2) : [],
      UserPolicyList: inlinePolicies(random, 400 + i),
      AttachedManagedPolicies: attached(),
      ...boundary(),
      Tags: tags(random),
    };
  });
  return { UserDetailList: users, GroupDetailList: groups, RoleDetailList: roles, Policies: policies };
}
