/**
 * The emulator answers each call with the shape the IAM API reference gives it, checked through the real SDK:
 * listings return a subset of an entity's attributes (ListUsers and ListRoles: no PermissionsBoundary, no Tags;
 * ListPolicies: no PermissionsBoundaryUsageCount, no Tags), Get calls return them all, and a boundary's type is
 * `PermissionsBoundaryPolicy`.
 */
import {
  CreatePolicyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  GetAccountAuthorizationDetailsCommand,
  GetPolicyCommand,
  GetRoleCommand,
  GetUserCommand,
  IAMClient,
  ListPoliciesCommand,
  ListRolesCommand,
  ListUsersCommand,
  type Tag,
} from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestEmulator, type TestEmulator, iamClientFor } from './helpers/emulator.js';
import { seededRandom } from '../tools/iam-emulator/random.js';

const ACCOUNT = '123456789012';
const TRUST = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] });
const DOC = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }] });

let e: TestEmulator;
let iam: IAMClient;
beforeAll(async () => {
  e = await startTestEmulator(undefined, { account: ACCOUNT });
  iam = iamClientFor(e.url);
});
afterAll(async () => {
  await e.close();
});

/** A random account: principals with and without tags and boundaries, policies with and without tags. */
async function populate(seed: number): Promise<{ boundary: string; users: Map<string, { tags: Tag[]; bounded: boolean }>; roles: Map<string, { tags: Tag[]; bounded: boolean }>; policies: Map<string, Tag[]> }> {
  const random = seededRandom(seed);
  const tagsOf = (): Tag[] => Array.from({ length: Math.floor(random() * 3) }, (_, i) => ({ Key: `k${seed}-${i}`, Value: `v${Math.floor(random() * 100)}` }));
  const policies = new Map<string, Tag[]>();
  const boundaryPolicy = await iam.send(new CreatePolicyCommand({ PolicyName: `boundary-${seed}`, PolicyDocument: DOC }));
  const boundary = boundaryPolicy.Policy!.Arn!;
  policies.set(boundary, []);
  const users = new Map<string, { tags: Tag[]; bounded: boolean }>();
  const roles = new Map<string, { tags: Tag[]; bounded: boolean }>();
  for (let i = 0; i < 6; i++) {
    const tags = tagsOf();
    const bounded = random() < 0.5;
    const name = `u${seed}-${i}`;
    await iam.send(new CreateUserCommand({ UserName: name, ...(tags.length ? { Tags: tags } : {}), ...(bounded ? { PermissionsBoundary: boundary } : {}) }));
    users.set(name, { tags, bounded });
    const roleTags = tagsOf();
    const roleBounded = random() < 0.5;
    const roleName = `r${seed}-${i}`;
    await iam.send(new CreateRoleCommand({ RoleName: roleName, AssumeRolePolicyDocument: TRUST, ...(roleTags.length ? { Tags: roleTags } : {}), ...(roleBounded ? { PermissionsBoundary: boundary } : {}) }));
    roles.set(roleName, { tags: roleTags, bounded: roleBounded });
    const policyTags = tagsOf();
    const created = await iam.send(new CreatePolicyCommand({ PolicyName: `p${seed}-${i}`, PolicyDocument: DOC, ...(policyTags.length ? { Tags: policyTags } : {}) }));
    policies.set(created.Policy!.Arn!, policyTags);
  }
  return { boundary, users, roles, policies };
}

describe('List* return the documented subset; Get* return everything', () => {
  it('ListUsers, ListRoles and ListPolicies never carry Tags, PermissionsBoundary or PermissionsBoundaryUsageCount; GetUser, GetRole and GetPolicy do', async () => {
    for (const seed of [1, 2, 3]) {
      const account = await populate(seed);
      const listedUsers = (await iam.send(new ListUsersCommand({ MaxItems: 1000 }))).Users ?? [];
      const listedRoles = (await iam.send(new ListRolesCommand({ MaxItems: 1000 }))).Roles ?? [];
      const listedPolicies = (await iam.send(new ListPoliciesCommand({ Scope: 'Local', MaxItems: 1000 }))).Policies ?? [];
      expect(listedUsers.length).toBeGreaterThanOrEqual(account.users.size);
      expect(listedRoles.length).toBeGreaterThanOrEqual(account.roles.size);
      for (const u of listedUsers) expect(Object.keys(u).sort()).toEqual(['Arn', 'CreateDate', 'Path', 'UserId', 'UserName']);
      for (const r of listedRoles) {
        expect(r.Tags).toBeUndefined();
        expect(r.PermissionsBoundary).toBeUndefined();
        expect(r.RoleLastUsed).toBeUndefined();
        expect(r.MaxSessionDuration).toBe(3600);
      }
      for (const p of listedPolicies) {
        expect(p.Tags).toBeUndefined();
        expect(p.PermissionsBoundaryUsageCount).toBeUndefined();
        expect(p.AttachmentCount).toBe(0);
      }
      for (const [name, want] of account.users) {
        const user = (await iam.send(new GetUserCommand({ UserName: name }))).User!;
        expect(user.Tags ?? []).toEqual(want.tags);
        expect(user.PermissionsBoundary).toEqual(want.bounded ? { PermissionsBoundaryType: 'PermissionsBoundaryPolicy', PermissionsBoundaryArn: account.boundary } : undefined);
      }
      for (const [name, want] of account.roles) {
        const role = (await iam.send(new GetRoleCommand({ RoleName: name }))).Role!;
        expect(role.Tags ?? []).toEqual(want.tags);
        expect(role.PermissionsBoundary).toEqual(want.bounded ? { PermissionsBoundaryType: 'PermissionsBoundaryPolicy', PermissionsBoundaryArn: account.boundary } : undefined);
      }
      const boundaryUses = [...account.users.values(), ...account.roles.values()].filter((x) => x.bounded).length;
      for (const [arn, tags] of account.policies) {
        const policy = (await iam.send(new GetPolicyCommand({ PolicyArn: arn }))).Policy!;
        expect(policy.Tags ?? []).toEqual(tags);
        expect(policy.PermissionsBoundaryUsageCount).toBe(arn === account.boundary ? boundaryUses : 0);
      }
    }
  });

  it('ListPolicies filters by PathPrefix and, with OnlyAttached, by PolicyUsageFilter; refuses values outside its enums', async () => {
    await iam.send(new CreatePolicyCommand({ PolicyName: 'pathed', Path: '/team/a/', PolicyDocument: DOC }));
    const underTeam = (await iam.send(new ListPoliciesCommand({ Scope: 'Local', PathPrefix: '/team/' }))).Policies ?? [];
    expect(underTeam.map((p) => p.PolicyName)).toEqual(['pathed']);
    const boundaries = (await iam.send(new ListPoliciesCommand({ OnlyAttached: true, PolicyUsageFilter: 'PermissionsBoundary', MaxItems: 1000 }))).Policies ?? [];
    expect(boundaries.map((p) => p.PolicyName).sort()).toEqual(['boundary-1', 'boundary-2', 'boundary-3']);
    await expect(iam.send(new ListPoliciesCommand({ Scope: 'Everything' as never }))).rejects.toThrow(/enum value set: \[All, AWS, Local\]/);
  });

  it('GetAccountAuthorizationDetails holds boundaries (as PermissionsBoundaryPolicy) and tags of users and roles', async () => {
    const details = await iam.send(new GetAccountAuthorizationDetailsCommand({ Filter: ['User', 'Role'], MaxItems: 1000 }));
    const bounded = [...(details.UserDetailList ?? []), ...(details.RoleDetailList ?? [])].filter((x) => x.PermissionsBoundary);
    expect(bounded.length).toBeGreaterThan(0);
    for (const x of bounded) expect(x.PermissionsBoundary!.PermissionsBoundaryType).toBe('PermissionsBoundaryPolicy');
    expect([...(details.UserDetailList ?? []), ...(details.RoleDetailList ?? [])].some((x) => (x.Tags ?? []).length > 0)).toBe(true);
  });
});
