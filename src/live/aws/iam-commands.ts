/**
 * IAM's commands per kind of entity. IAM has one API per kind for the same operation (PutUserPolicy, PutGroupPolicy,
 * PutRolePolicy, each naming its entity by UserName, GroupName or RoleName): these tables say, once, which command
 * and which name field each kind takes, for the writer's steps and its clean-ups alike. A kind IAM has no such
 * operation for (a group's boundary or tags) is not in the table's type, so it cannot be asked for.
 */
import {
  AttachGroupPolicyCommand,
  AttachRolePolicyCommand,
  AttachUserPolicyCommand,
  DeleteGroupPolicyCommand,
  DeleteRolePermissionsBoundaryCommand,
  DeleteRolePolicyCommand,
  DeleteUserPermissionsBoundaryCommand,
  DeleteUserPolicyCommand,
  DetachGroupPolicyCommand,
  DetachRolePolicyCommand,
  DetachUserPolicyCommand,
  ListAttachedGroupPoliciesCommand,
  ListAttachedRolePoliciesCommand,
  ListAttachedUserPoliciesCommand,
  ListGroupPoliciesCommand,
  ListRolePoliciesCommand,
  ListUserPoliciesCommand,
  PutGroupPolicyCommand,
  PutRolePermissionsBoundaryCommand,
  PutRolePolicyCommand,
  PutUserPermissionsBoundaryCommand,
  PutUserPolicyCommand,
  TagRoleCommand,
  TagUserCommand,
  UntagRoleCommand,
  UntagUserCommand,
  UpdateGroupCommand,
  UpdateUserCommand,
} from '@aws-sdk/client-iam';
import type { PrincipalKind, Tag } from '../../apply/steps.js';
import type { PageRequest, Sendable } from './iam-calls.js';

/** The policies of a user, group or role: inline ones by name, managed ones by ARN. */
export interface PolicyCommands {
  readonly putInline: (owner: string, policyName: string, document: string) => Sendable;
  readonly deleteInline: (owner: string, policyName: string) => Sendable;
  readonly attach: (owner: string, policyArn: string) => Sendable;
  readonly detach: (owner: string, policyArn: string) => Sendable;
  /** One page of the names of its inline policies (`PolicyNames`). */
  readonly listInline: (owner: string, page: PageRequest) => Sendable;
  /** One page of its attached managed policies (`AttachedPolicies`). */
  readonly listAttached: (owner: string, page: PageRequest) => Sendable;
}

export const POLICY_COMMANDS: { readonly [K in PrincipalKind]: PolicyCommands } = {
  user: {
    putInline: (UserName, PolicyName, PolicyDocument) => new PutUserPolicyCommand({ UserName, PolicyName, PolicyDocument }),
    deleteInline: (UserName, PolicyName) => new DeleteUserPolicyCommand({ UserName, PolicyName }),
    attach: (UserName, PolicyArn) => new AttachUserPolicyCommand({ UserName, PolicyArn }),
    detach: (UserName, PolicyArn) => new DetachUserPolicyCommand({ UserName, PolicyArn }),
    listInline: (UserName, page) => new ListUserPoliciesCommand({ UserName, ...page }),
    listAttached: (UserName, page) => new ListAttachedUserPoliciesCommand({ UserName, ...page }),
  },
  group: {
    putInline: (GroupName, PolicyName, PolicyDocument) => new PutGroupPolicyCommand({ GroupName, PolicyName, PolicyDocument }),
    deleteInline: (GroupName, PolicyName) => new DeleteGroupPolicyCommand({ GroupName, PolicyName }),
    attach: (GroupName, PolicyArn) => new AttachGroupPolicyCommand({ GroupName, PolicyArn }),
    detach: (GroupName, PolicyArn) => new DetachGroupPolicyCommand({ GroupName, PolicyArn }),
    listInline: (GroupName, page) => new ListGroupPoliciesCommand({ GroupName, ...page }),
    listAttached: (GroupName, page) => new ListAttachedGroupPoliciesCommand({ GroupName, ...page }),
  },
  role: {
    putInline: (RoleName, PolicyName, PolicyDocument) => new PutRolePolicyCommand({ RoleName, PolicyName, PolicyDocument }),
    deleteInline: (RoleName, PolicyName) => new DeleteRolePolicyCommand({ RoleName, PolicyName }),
    attach: (RoleName, PolicyArn) => new AttachRolePolicyCommand({ RoleName, PolicyArn }),
    detach: (RoleName, PolicyArn) => new DetachRolePolicyCommand({ RoleName, PolicyArn }),
    listInline: (RoleName, page) => new ListRolePoliciesCommand({ RoleName, ...page }),
    listAttached: (RoleName, page) => new ListAttachedRolePoliciesCommand({ RoleName, ...page }),
  },
};

/** Permissions boundaries and tags: users and roles have them, groups do not. */
export interface BoundaryAndTagCommands {
  readonly putBoundary: (owner: string, boundaryArn: string) => Sendable;
  readonly deleteBoundary: (owner: string) => Sendable;
  readonly tag: (owner: string, tags: readonly Tag[]) => Sendable;
  readonly untag: (owner: string, keys: readonly string[]) => Sendable;
}

export const BOUNDARY_AND_TAG_COMMANDS: { readonly [K in 'user' | 'role']: BoundaryAndTagCommands } = {
  user: {
    putBoundary: (UserName, PermissionsBoundary) => new PutUserPermissionsBoundaryCommand({ UserName, PermissionsBoundary }),
    deleteBoundary: (UserName) => new DeleteUserPermissionsBoundaryCommand({ UserName }),
    tag: (UserName, tags) => new TagUserCommand({ UserName, Tags: iamTags(tags) }),
    untag: (UserName, keys) => new UntagUserCommand({ UserName, TagKeys: [...keys] }),
  },
  role: {
    putBoundary: (RoleName, PermissionsBoundary) => new PutRolePermissionsBoundaryCommand({ RoleName, PermissionsBoundary }),
    deleteBoundary: (RoleName) => new DeleteRolePermissionsBoundaryCommand({ RoleName }),
    tag: (RoleName, tags) => new TagRoleCommand({ RoleName, Tags: iamTags(tags) }),
    untag: (RoleName, keys) => new UntagRoleCommand({ RoleName, TagKeys: [...keys] }),
  },
};

/** A new path: users and groups can move (IAM has no call that moves a role or a policy). */
export const MOVE_COMMANDS: { readonly [K in 'user' | 'group']: (name: string, newPath: string) => Sendable } = {
  user: (UserName, NewPath) => new UpdateUserCommand({ UserName, NewPath }),
  group: (GroupName, NewPath) => new UpdateGroupCommand({ GroupName, NewPath }),
};

/** A new name, in place: users and groups keep their unique id, credentials and memberships (roles and policies cannot be renamed). */
export const RENAME_COMMANDS: { readonly [K in 'user' | 'group']: (name: string, newName: string) => Sendable } = {
  user: (UserName, NewUserName) => new UpdateUserCommand({ UserName, NewUserName }),
  group: (GroupName, NewGroupName) => new UpdateGroupCommand({ GroupName, NewGroupName }),
};

/** Tags as IAM's API spells them. */
export function iamTags(tags: readonly Tag[]): { Key: string; Value: string }[] {
  return tags.map((t) => ({ Key: t.key, Value: t.value }));
}
