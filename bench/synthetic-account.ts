/**
 * A synthetic account at AWS's default quotas, in get-account-authorization-details format, seeded so every run
 * measures the same input. Shapes follow real accounts: a few statements per policy, wildcards, conditions,
 * users in 1-3 groups, roles with 1-3 managed policies and a trust policy.
 */
import { seededRandom } from '../test/helpers/random-account.js';

export interface SyntheticSize {
  users: number;
  roles: number;
  groups: number;
  policies: number;
}

export const QUOTA_SIZE: SyntheticSize = { users: 5000, roles: 5000, groups: 500, policies: 5000 };

const ACCOUNT = '123456789012';
const ACTIONS = ['s3:GetObject', 's3:PutObject', 's3:List*', 'dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'lambda:InvokeFunction', 'sqs:SendMessage', 'sqs:ReceiveMessage', 'logs:PutLogEvents', 'ec2:Describe*', 'kms:Decrypt', 'secretsmanager:GetSecretValue', 'sns:Publish'];

export function syntheticSnapshot(size: SyntheticSize, seed = 42): Record<string, unknown[]> {
  const random = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const some = <T>(items: readonly T[], n: number): T[] => [...new Set(Array.from({ length: n }, () => pick(items)))];
  const document = (i: number) => ({
    Version: '2012-10-17',
    Statement: Array.from({ length: 1 + Math.floor(random() * 3) }, (_, s) => ({
      Sid: `S${s}`,
      Effect: random() < 0.1 ? 'Deny' : 'Allow',
      Action: some(ACTIONS, 1 + Math.floor(random() * 4)),
      Resource: [`arn:aws:s3:::bucket-${i % 97}/*`, `arn:aws:dynamodb:eu-west-1:${ACCOUNT}:table/t-${i % 89}`],
      ...(random() < 0.3 ? { Condition: { StringEquals: { 'aws:RequestedRegion': 'eu-west-1' } } } : {}),
    })),
  });
  const policyArn = (i: number) => `arn:aws:iam::${ACCOUNT}:policy/p-${i}`;
  const policies = Array.from({ length: size.policies }, (_, i) => ({
    PolicyName: `p-${i}`, PolicyId: `ANPA${i}`, Arn: policyArn(i), Path: '/', DefaultVersionId: 'v1', AttachmentCount: 1, PermissionsBoundaryUsageCount: 0,
    IsAttachable: true, PolicyVersionList: [{ Document: encodeURIComponent(JSON.stringify(document(i))), VersionId: 'v1', IsDefaultVersion: true }],
  }));
  const groups = Array.from({ length: size.groups }, (_, i) => ({
    GroupName: `g-${i}`, GroupId: `AGPA${i}`, Arn: `arn:aws:iam::${ACCOUNT}:group/g-${i}`, Path: '/',
    GroupPolicyList: [{ PolicyName: 'inline', PolicyDocument: encodeURIComponent(JSON.stringify(document(i))) }],
    AttachedManagedPolicies: some(policies, 2).map((p) => ({ PolicyName: p.PolicyName, PolicyArn: p.Arn })),
  }));
  // Group 0 is the large one (2,000 members), as in the analyzer benchmark; others get members at random.
  const users = Array.from({ length: size.users }, (_, i) => ({
    UserName: `u-${i}`, UserId: `AIDA${i}`, Arn: `arn:aws:iam::${ACCOUNT}:user/u-${i}`, Path: '/',
    GroupList: [...new Set([...(i < 2000 ? ['g-0'] : []), ...some(groups, 1 + Math.floor(random() * 2)).map((g) => g.GroupName)])].slice(0, 10),
    AttachedManagedPolicies: some(policies, Math.floor(random() * 2)).map((p) => ({ PolicyName: p.PolicyName, PolicyArn: p.Arn })),
    UserPolicyList: random() < 0.2 ? [{ PolicyName: 'own', PolicyDocument: encodeURIComponent(JSON.stringify(document(i))) }] : [],
    Tags: [{ Key: 'team', Value: `team-${i % 40}` }],
  }));
  // Policy p-1 is attached to 1,000 roles, as in the analyzer benchmark.
  const roles = Array.from({ length: size.roles }, (_, i) => ({
    RoleName: `r-${i}`, RoleId: `AROA${i}`, Arn: `arn:aws:iam::${ACCOUNT}:role/r-${i}`, Path: '/',
    AssumeRolePolicyDocument: encodeURIComponent(JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: pick(['lambda.amazonaws.com', 'ec2.amazonaws.com', 'ecs-tasks.amazonaws.com']) }, Action: 'sts:AssumeRole' }] })),
    RolePolicyList: random() < 0.3 ? [{ PolicyName: 'own', PolicyDocument: encodeURIComponent(JSON.stringify(document(i))) }] : [],
    AttachedManagedPolicies: [...new Set([...(i < 1000 ? [policyArn(1)] : []), ...some(policies, 1 + Math.floor(random() * 2)).map((p) => p.Arn)])].map((arn) => ({ PolicyArn: arn, PolicyName: arn.split('/').pop() })),
    Tags: [],
  }));
  return { UserDetailList: users, GroupDetailList: groups, RoleDetailList: roles, Policies: policies };
}
