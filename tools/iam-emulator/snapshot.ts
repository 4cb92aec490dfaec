/**
 * The emulated account as `aws iam get-account-authorization-details --output json` prints it (documents as JSON
 * objects), with roles' Description and MaxSessionDuration, which the tool's own snapshots carry too. Entities IAM
 * does not show yet are included: this is the emulator's truth, for tests and benchmarks.
 */
import type { IamModel } from './model.js';
import type { PasswordPolicyRecord } from './records.js';

type Json = Record<string, unknown>;

const parsed = (document: string): unknown => JSON.parse(document);

export function snapshotOf(model: IamModel): Json {
  const byName = <T extends { name: string }>(map: ReadonlyMap<string, T>): T[] => [...map.values()].sort((a, b) => a.name.localeCompare(b.name));
  const attached = (arns: readonly string[]): Json[] => arns.map((arn) => ({ PolicyName: arn.split('/').pop(), PolicyArn: arn }));
  const inline = (policies: ReadonlyMap<string, string>): Json[] => [...policies].map(([PolicyName, doc]) => ({ PolicyName, PolicyDocument: parsed(doc) }));
  const boundary = (arn: string | undefined): Json => (arn ? { PermissionsBoundary: { PermissionsBoundaryType: 'PermissionsBoundaryPolicy', PermissionsBoundaryArn: arn } } : {});
  const tags = (list: readonly { Key: string; Value: string }[]): Json => (list.length ? { Tags: list.map((t) => ({ ...t })) } : {});
  return {
    UserDetailList: byName(model.users).map((u) => ({
      Path: u.path,
      UserName: u.name,
      UserId: u.id,
      Arn: u.arn,
      CreateDate: u.created.toISOString(),
      UserPolicyList: inline(u.inline),
      GroupList: u.groups.map((g) => model.groups.get(g)?.name ?? g),
      AttachedManagedPolicies: attached(u.attached),
      ...boundary(u.boundary),
      ...tags(u.tags),
    })),
    GroupDetailList: byName(model.groups).map((g) => ({ Path: g.path, GroupName: g.name, GroupId: g.id, Arn: g.arn, CreateDate: g.created.toISOString(), GroupPolicyList: inline(g.inline), AttachedManagedPolicies: attached(g.attached) })),
    RoleDetailList: byName(model.roles).map((r) => ({
      Path: r.path,
      RoleName: r.name,
      RoleId: r.id,
      Arn: r.arn,
      CreateDate: r.created.toISOString(),
      AssumeRolePolicyDocument: parsed(r.trust),
      ...(r.description !== undefined ? { Description: r.description } : {}),
      MaxSessionDuration: r.maxSessionDuration,
      InstanceProfileList: [...model.instanceProfiles.values()].filter((p) => p.roles.includes(r.name.toLowerCase())).map((p) => ({ Path: p.path, InstanceProfileName: p.name, InstanceProfileId: p.id, Arn: p.arn, CreateDate: p.created.toISOString(), Roles: [] })),
      RolePolicyList: inline(r.inline),
      AttachedManagedPolicies: attached(r.attached),
      ...boundary(r.boundary),
      ...tags(r.tags),
    })),
    Policies: [...model.policies.values()]
      .filter((p) => !p.awsManaged || model.attachmentCount(p.arn) + model.boundaryUsageCount(p.arn) > 0)
      .sort((a, b) => a.arn.localeCompare(b.arn))
      .map((p) => ({
        PolicyName: p.name,
        PolicyId: p.id,
        Arn: p.arn,
        Path: p.path,
        DefaultVersionId: p.versions.find((v) => v.isDefault)?.id,
        AttachmentCount: model.attachmentCount(p.arn),
        PermissionsBoundaryUsageCount: model.boundaryUsageCount(p.arn),
        IsAttachable: true,
        ...(p.description !== undefined ? { Description: p.description } : {}),
        CreateDate: p.created.toISOString(),
        UpdateDate: p.updated.toISOString(),
        PolicyVersionList: p.versions.map((v) => ({ Document: parsed(v.document), VersionId: v.id, IsDefaultVersion: v.isDefault, CreateDate: v.created.toISOString() })),
        ...(p.awsManaged ? {} : { Tags: p.tags.map((t) => ({ ...t })) }),
      })),
    // The keys iam-gitops snapshot --aws adds beside the GAAD ones (as get-account-password-policy and
    // list-account-aliases print them).
    PasswordPolicy: model.passwordPolicy ? { ...passwordPolicyJson(model.passwordPolicy) } : null,
    AccountAliases: [...model.accountAliases],
  };
}

function passwordPolicyJson(p: PasswordPolicyRecord): Json {
  return {
    MinimumPasswordLength: p.minimumPasswordLength,
    RequireSymbols: p.requireSymbols,
    RequireNumbers: p.requireNumbers,
    RequireUppercaseCharacters: p.requireUppercaseCharacters,
    RequireLowercaseCharacters: p.requireLowercaseCharacters,
    AllowUsersToChangePassword: p.allowUsersToChangePassword,
    ExpirePasswords: (p.maxPasswordAge ?? 0) > 0,
    ...(p.maxPasswordAge !== undefined ? { MaxPasswordAge: p.maxPasswordAge } : {}),
    ...(p.passwordReusePrevention !== undefined ? { PasswordReusePrevention: p.passwordReusePrevention } : {}),
    HardExpiry: p.hardExpiry,
  };
}
