/**
 * What deleting an IAM entity requires. IAM refuses to delete a user that still has credentials, policies or group
 * memberships, a group with members or policies, a role in instance profiles or with policies, a policy attached
 * anywhere (or a boundary) or with old versions (DeleteConflict). Each kind's requirements are listed here, in the
 * order they are removed; each is read from IAM at that moment, every page, and removed call by call, idempotently
 * (NoSuchEntity: already gone), then the entity itself. An entity already gone is said, not failed.
 */
import {
  DeactivateMFADeviceCommand,
  DeleteAccessKeyCommand,
  DeleteGroupCommand,
  DeleteInstanceProfileCommand,
  DeleteLoginProfileCommand,
  DeletePolicyCommand,
  DeletePolicyVersionCommand,
  DeleteRoleCommand,
  DeleteServiceSpecificCredentialCommand,
  DeleteSigningCertificateCommand,
  DeleteSSHPublicKeyCommand,
  DeleteUserCommand,
  DeleteVirtualMFADeviceCommand,
  GetGroupCommand,
  ListAccessKeysCommand,
  ListEntitiesForPolicyCommand,
  ListGroupsForUserCommand,
  ListInstanceProfilesForRoleCommand,
  ListMFADevicesCommand,
  ListPolicyVersionsCommand,
  ListServiceSpecificCredentialsCommand,
  ListSigningCertificatesCommand,
  ListSSHPublicKeysCommand,
  RemoveRoleFromInstanceProfileCommand,
  RemoveUserFromGroupCommand,
} from '@aws-sdk/client-iam';
import type { PrincipalKind } from '../../apply/steps.js';
import { entityArn } from '../../core/arn.js';
import { isAwsError } from './errors.js';
import type { PageRequest, Sendable, StepCalls } from './iam-calls.js';
import { BOUNDARY_AND_TAG_COMMANDS, POLICY_COMMANDS } from './iam-commands.js';

/** A step refused before any call: it would touch what the tool must not. */
export class UntouchableError extends Error {}

/** What a deletion is given: the step's calls, and the writer's ownership guard. */
export interface TeardownContext {
  readonly calls: StepCalls;
  readonly account: string;
  /** Why the tool may not touch an entity (outside managed paths, AWS-owned, protected), or undefined. */
  readonly untouchable: (arn: string) => string | undefined;
}

/** One thing IAM requires removed before the entity of this name can be deleted. */
type Requirement = (context: TeardownContext, name: string) => Promise<void>;

/** Every item a listing holds (read to its last page), each removed by its commands, in order. */
function eachListed<T>(list: (name: string, page: PageRequest) => Sendable, key: string, remove: (name: string, item: T) => readonly Sendable[]): Requirement {
  return async ({ calls }, name) => {
    const items = await calls.listAll((page) => list(name, page), (p) => p[key] as T[] | undefined);
    for (const item of items) for (const command of remove(name, item)) await calls.idempotent(command, ['NoSuchEntity']);
  };
}

const inlinePolicies = (kind: PrincipalKind): Requirement => eachListed<string>(POLICY_COMMANDS[kind].listInline, 'PolicyNames', (name, policy) => [POLICY_COMMANDS[kind].deleteInline(name, policy)]);
const attachedPolicies = (kind: PrincipalKind): Requirement => eachListed<{ PolicyArn?: string }>(POLICY_COMMANDS[kind].listAttached, 'AttachedPolicies', (name, p) => [POLICY_COMMANDS[kind].detach(name, p.PolicyArn!)]);

/** A user's credentials, policies and memberships. */
const USER_REQUIREMENTS: readonly Requirement[] = [
  eachListed<{ AccessKeyId?: string }>((UserName, page) => new ListAccessKeysCommand({ UserName, ...page }), 'AccessKeyMetadata', (UserName, k) => [new DeleteAccessKeyCommand({ UserName, AccessKeyId: k.AccessKeyId! })]),
  ({ calls }, UserName) => calls.idempotent(new DeleteLoginProfileCommand({ UserName }), ['NoSuchEntity']),
  eachListed<{ SerialNumber?: string }>((UserName, page) => new ListMFADevicesCommand({ UserName, ...page }), 'MFADevices', (UserName, d) => [
    new DeactivateMFADeviceCommand({ UserName, SerialNumber: d.SerialNumber! }),
    // Virtual devices are IAM entities of their own (hardware ones are not): they go with the user.
    ...(d.SerialNumber!.startsWith('arn:') ? [new DeleteVirtualMFADeviceCommand({ SerialNumber: d.SerialNumber! })] : []),
  ]),
  eachListed<{ SSHPublicKeyId?: string }>((UserName, page) => new ListSSHPublicKeysCommand({ UserName, ...page }), 'SSHPublicKeys', (UserName, k) => [new DeleteSSHPublicKeyCommand({ UserName, SSHPublicKeyId: k.SSHPublicKeyId! })]),
  eachListed<{ CertificateId?: string }>((UserName, page) => new ListSigningCertificatesCommand({ UserName, ...page }), 'Certificates', (UserName, c) => [new DeleteSigningCertificateCommand({ UserName, CertificateId: c.CertificateId! })]),
  eachListed<{ ServiceSpecificCredentialId?: string }>((UserName, page) => new ListServiceSpecificCredentialsCommand({ UserName, ...page }), 'ServiceSpecificCredentials', (UserName, c) => [new DeleteServiceSpecificCredentialCommand({ UserName, ServiceSpecificCredentialId: c.ServiceSpecificCredentialId! })]),
  inlinePolicies('user'),
  attachedPolicies('user'),
  eachListed<{ GroupName?: string }>((UserName, page) => new ListGroupsForUserCommand({ UserName, ...page }), 'Groups', (UserName, g) => [new RemoveUserFromGroupCommand({ UserName, GroupName: g.GroupName! })]),
];

/** A group's members (every one judged by the guard before any leaves: removing a member changes it), policies. */
const GROUP_REQUIREMENTS: readonly Requirement[] = [
  async ({ calls, untouchable }, GroupName) => {
    const members = await calls.listAll((page) => new GetGroupCommand({ GroupName, ...page }), (p) => p['Users'] as { UserName?: string; Arn?: string }[] | undefined);
    for (const u of members) {
      const reason = untouchable(u.Arn!);
      if (reason) throw new UntouchableError(`member ${u.Arn} ${reason}: removing it from the group would change it`);
    }
    await calls.forEach(members, (u) => calls.idempotent(new RemoveUserFromGroupCommand({ GroupName, UserName: u.UserName! }), ['NoSuchEntity']));
  },
  inlinePolicies('group'),
  attachedPolicies('group'),
];

/**
 * A role's instance profiles (the role leaves each; a profile of the role's own name that holds nothing else, as the
 * console creates one per EC2 role, is deleted with it, unless the role is being replaced: the new role goes back
 * into its profiles), policies.
 */
const roleRequirements = (keepProfiles: boolean): readonly Requirement[] => [
  async ({ calls }, RoleName) => {
    const profiles = await calls.listAll((page) => new ListInstanceProfilesForRoleCommand({ RoleName, ...page }), (p) => p['InstanceProfiles'] as { InstanceProfileName?: string; Roles?: unknown[] }[] | undefined);
    for (const p of profiles) {
      await calls.idempotent(new RemoveRoleFromInstanceProfileCommand({ InstanceProfileName: p.InstanceProfileName!, RoleName }), ['NoSuchEntity']);
      if (!keepProfiles && p.InstanceProfileName!.toLowerCase() === RoleName.toLowerCase() && (p.Roles?.length ?? 0) <= 1) {
        await calls.idempotent(new DeleteInstanceProfileCommand({ InstanceProfileName: p.InstanceProfileName! }), ['NoSuchEntity', 'DeleteConflict']);
        calls.progress.notes.push(`deleted instance profile ${p.InstanceProfileName} with it`);
      }
    }
  },
  inlinePolicies('role'),
  attachedPolicies('role'),
];

/**
 * A managed policy's attachments and boundary uses (every page of both listings read, and every entity judged by the
 * guard, before any change), then its non-default versions.
 */
const POLICY_REQUIREMENTS: readonly Requirement[] = [
  async ({ calls, account, untouchable }, PolicyArn) => {
    type Named = { kind: PrincipalKind; name: string };
    const entitiesOf = (filter: 'PermissionsPolicy' | 'PermissionsBoundary'): Promise<Named[]> =>
      calls.listAll(
        (page) => new ListEntitiesForPolicyCommand({ PolicyArn, PolicyUsageFilter: filter, ...page }),
        (p) => [
          ...((p['PolicyUsers'] as { UserName?: string }[] | undefined) ?? []).map((u): Named => ({ kind: 'user', name: u.UserName! })),
          ...((p['PolicyGroups'] as { GroupName?: string }[] | undefined) ?? []).map((g): Named => ({ kind: 'group', name: g.GroupName! })),
          ...((p['PolicyRoles'] as { RoleName?: string }[] | undefined) ?? []).map((r): Named => ({ kind: 'role', name: r.RoleName! })),
        ],
      );
    const attachedTo = await entitiesOf('PermissionsPolicy');
    const boundaryOf = await entitiesOf('PermissionsBoundary');
    for (const { kind, name } of [...attachedTo, ...boundaryOf]) {
      // Entity listings carry names, not paths: judge by name against the account's entities the guard knows.
      const reason = untouchable(entityArn(account, kind, '/', name));
      if (reason) throw new UntouchableError(`${kind} ${name} ${reason}: detaching the policy from it would change it`);
    }
    await calls.forEach(attachedTo, ({ kind, name }) => calls.idempotent(POLICY_COMMANDS[kind].detach(name, PolicyArn), ['NoSuchEntity']));
    // IAM has no group boundaries: a group never shows up here, and would have nothing to remove.
    await calls.forEach(boundaryOf, ({ kind, name }) => (kind === 'group' ? Promise.resolve() : calls.idempotent(BOUNDARY_AND_TAG_COMMANDS[kind].deleteBoundary(name), ['NoSuchEntity'])));
  },
  async ({ calls }, PolicyArn) => {
    const versions = await calls.listAll((page) => new ListPolicyVersionsCommand({ PolicyArn, ...page }), (p) => p['Versions'] as { VersionId?: string; IsDefaultVersion?: boolean }[] | undefined);
    for (const v of versions.filter((x) => !x.IsDefaultVersion)) await calls.idempotent(new DeletePolicyVersionCommand({ PolicyArn, VersionId: v.VersionId! }), ['NoSuchEntity']);
  },
];

/** Removes what IAM requires, then the entity; one already gone (NoSuchEntity anywhere on the way) is a note. */
async function tearDown(context: TeardownContext, label: string, name: string, requirements: readonly Requirement[], deletion: Sendable): Promise<void> {
  try {
    for (const requirement of requirements) await requirement(context, name);
    await context.calls.idempotent(deletion, ['NoSuchEntity']);
  } catch (e) {
    if (isAwsError(e, 'NoSuchEntity')) {
      context.calls.progress.notes.push(`${label} ${name} was already gone`);
      return;
    }
    throw e;
  }
}

export function deleteUser(context: TeardownContext, name: string): Promise<void> {
  return tearDown(context, 'user', name, USER_REQUIREMENTS, new DeleteUserCommand({ UserName: name }));
}

export function deleteGroup(context: TeardownContext, name: string): Promise<void> {
  return tearDown(context, 'group', name, GROUP_REQUIREMENTS, new DeleteGroupCommand({ GroupName: name }));
}

export function deleteRole(context: TeardownContext, name: string, keepProfiles: boolean): Promise<void> {
  return tearDown(context, 'role', name, roleRequirements(keepProfiles), new DeleteRoleCommand({ RoleName: name }));
}

export function deletePolicy(context: TeardownContext, arn: string): Promise<void> {
  return tearDown(context, 'policy', arn, POLICY_REQUIREMENTS, new DeletePolicyCommand({ PolicyArn: arn }));
}
