/**
 * Adapter: the reconciler's steps as IAM calls, through the SDK (whose adaptive retry strategy handles throttling
 * and 5xx with backoff). What the SDK cannot know is handled here:
 * - idempotence: a create that meets EntityAlreadyExists, a delete or detach that meets NoSuchEntity, after a retry
 *   that met its own earlier attempt (a 500 may come after the change was made), count as done;
 * - eventual consistency: IAM refuses a principal created a moment ago in a trust policy ("Invalid principal"), and
 *   may not find an entity just created; such calls are polled with growing pauses up to a bound, and said so;
 * - IAM's prerequisites: deleting a user, group, role or policy first removes what IAM requires removed (credentials,
 *   memberships, policies, instance profiles, old policy versions), listing them at that moment, every page;
 * - IAM's limit of 5 policy versions: the oldest non-default version makes room for the new default;
 * - ownership: nothing outside the repo's managed paths, AWS-owned or protected is touched, even by a clean-up.
 */
import {
  AddRoleToInstanceProfileCommand,
  AddUserToGroupCommand,
  AttachGroupPolicyCommand,
  AttachRolePolicyCommand,
  AttachUserPolicyCommand,
  CreateGroupCommand,
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  CreateRoleCommand,
  CreateUserCommand,
  DeactivateMFADeviceCommand,
  DeleteAccessKeyCommand,
  DeleteGroupCommand,
  DeleteGroupPolicyCommand,
  DeleteInstanceProfileCommand,
  DeleteLoginProfileCommand,
  DeletePolicyCommand,
  DeletePolicyVersionCommand,
  DeleteRoleCommand,
  DeleteRolePermissionsBoundaryCommand,
  DeleteRolePolicyCommand,
  DeleteServiceSpecificCredentialCommand,
  DeleteSigningCertificateCommand,
  DeleteSSHPublicKeyCommand,
  DeleteUserCommand,
  DeleteUserPermissionsBoundaryCommand,
  DeleteUserPolicyCommand,
  DeleteVirtualMFADeviceCommand,
  DetachGroupPolicyCommand,
  DetachRolePolicyCommand,
  DetachUserPolicyCommand,
  GetGroupCommand,
  ListAccessKeysCommand,
  ListAttachedGroupPoliciesCommand,
  ListAttachedRolePoliciesCommand,
  ListAttachedUserPoliciesCommand,
  ListEntitiesForPolicyCommand,
  ListGroupPoliciesCommand,
  ListGroupsForUserCommand,
  ListInstanceProfilesForRoleCommand,
  ListMFADevicesCommand,
  ListPolicyVersionsCommand,
  ListRolePoliciesCommand,
  ListServiceSpecificCredentialsCommand,
  ListSigningCertificatesCommand,
  ListSSHPublicKeysCommand,
  ListUserPoliciesCommand,
  PutGroupPolicyCommand,
  PutRolePermissionsBoundaryCommand,
  PutRolePolicyCommand,
  PutUserPermissionsBoundaryCommand,
  PutUserPolicyCommand,
  RemoveRoleFromInstanceProfileCommand,
  RemoveUserFromGroupCommand,
  TagPolicyCommand,
  TagRoleCommand,
  TagUserCommand,
  UntagPolicyCommand,
  UntagRoleCommand,
  UntagUserCommand,
  UpdateAssumeRolePolicyCommand,
  UpdateGroupCommand,
  UpdateRoleCommand,
  UpdateUserCommand,
} from '@aws-sdk/client-iam';
import pLimit from 'p-limit';
import { SYSTEM_CLOCK, type Clock } from '../../core/clock.js';
import type { Diagnostic } from '../../core/diagnostics.js';
import type { IamWriter, StepOutcome } from '../../apply/execute.js';
import type { Step, Tag } from '../../apply/steps.js';
import type { AwsClients } from './connection.js';
import { awsErrorCode, describeAwsError, isAwsError } from './errors.js';

export interface WriterOptions {
  readonly account: string;
  /** Why the tool may not touch an entity (outside managed paths, AWS-owned, protected), or undefined. */
  readonly untouchable: (arn: string) => string | undefined;
  /** How long to wait for IAM to show what this run created, in ms (default 120 s, as mature tools do). */
  readonly consistencyTimeoutMs?: number;
  /** Said while waiting (eventual consistency), for the log. */
  readonly onWait?: (step: Step, message: string) => void;
  /** What the entry point advises when IAM keeps throttling (its own flags), e.g. "lower --concurrency". */
  readonly throttlingAdvice?: string;
  /** Where the waits for IAM to show what this run created are measured and spent (default the system's). */
  readonly clock?: Clock;
}

/** A step refused before any call: it would touch what the tool must not. */
export class UntouchableError extends Error {}

interface Progress {
  retries: number;
  readonly notes: string[];
}

/**
 * Calls of one clean-up in flight at once: a policy attached to 1,000 principals is detached in a fraction of the
 * time one by one would take, and IAM's throttling, if it comes, is the SDK's adaptive retry's to pace.
 */
const CLEANUP_CONCURRENCY = 8;

/** Any IAM command: the SDK's own types do not unify over the union of commands. */
type Sendable = object;

export class AwsIamWriter implements IamWriter {
  /** `kind:name` (lower case) and policy ARNs this run created: IAM may not show them yet. */
  private readonly created = new Set<string>();
  private readonly timeout: number;
  private readonly clock: Clock;

  constructor(
    private readonly clients: AwsClients,
    private readonly options: WriterOptions,
  ) {
    this.timeout = options.consistencyTimeoutMs ?? 120_000;
    this.clock = options.clock ?? SYSTEM_CLOCK;
  }

  describe(error: unknown, step: Step): Diagnostic {
    if (error instanceof UntouchableError) return { severity: 'error', summary: `${step.title}: ${error.message}`, detail: 'Nothing was changed by this step. Bring the entity under managedPaths (and out of protected) if the tool should change it, or change the manifests.' };
    return describeAwsError(error, step.title, this.clients.target, this.options.throttlingAdvice ? { throttling: this.options.throttlingAdvice } : {});
  }

  async perform(step: Step): Promise<StepOutcome> {
    const progress: Progress = { retries: 0, notes: [] };
    for (const arn of [step.target, ...step.alsoTouches]) {
      const reason = this.options.untouchable(arn);
      if (reason) throw new UntouchableError(`${arn} ${reason}`);
    }
    await this.run(step, progress);
    return progress;
  }

  // --- plumbing ----------------------------------------------------------------------------------------------------

  private async send<T>(command: Sendable, progress: Progress): Promise<T> {
    try {
      const out = (await this.clients.iam.send(command as never)) as { $metadata?: { attempts?: number } };
      progress.retries += Math.max(0, (out.$metadata?.attempts ?? 1) - 1);
      return out as T;
    } catch (e) {
      progress.retries += Math.max(0, ((e as { $metadata?: { attempts?: number } }).$metadata?.attempts ?? 1) - 1);
      throw e;
    }
  }

  /**
   * Every item of a paginated listing: IAM returns at most MaxItems per page (default 100; asked for 1,000 here) and
   * may return fewer, and says `IsTruncated` with a `Marker` to go on from. A clean-up that read one page would leave
   * the rest (a policy attached to 130 principals stays attached to 30, and its deletion fails).
   */
  private async listAll<T>(command: (page: { MaxItems: number; Marker?: string }) => Sendable, items: (page: Record<string, unknown>) => readonly T[] | undefined, progress: Progress): Promise<T[]> {
    const out: T[] = [];
    let marker: string | undefined;
    for (;;) {
      const page = await this.send<Record<string, unknown> & { IsTruncated?: boolean; Marker?: string }>(command({ MaxItems: 1000, ...(marker !== undefined ? { Marker: marker } : {}) }), progress);
      out.push(...(items(page) ?? []));
      if (!page.IsTruncated) return out;
      if (!page.Marker || page.Marker === marker) throw new Error(`IAM said a listing goes on (IsTruncated) without a new Marker: ${command({ MaxItems: 1000 }).constructor.name}`);
      marker = page.Marker;
    }
  }

  /**
   * `call` for every item, CLEANUP_CONCURRENCY at a time. After a failure no new call starts; the step fails with it
   * once the calls in flight have ended (so that nothing still runs when the step is reported).
   */
  private async forEach<T>(items: readonly T[], call: (item: T) => Promise<void>): Promise<void> {
    const limit = pLimit(CLEANUP_CONCURRENCY);
    let failed = false;
    const results = await Promise.allSettled(
      items.map((item) =>
        limit(async () => {
          if (failed) return;
          try {
            await call(item);
          } catch (e) {
            failed = true;
            throw e;
          }
        }),
      ),
    );
    const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failure) throw failure.reason;
  }

  /** A call whose `codes` mean "already done" (a retry met its earlier attempt, or the state is already so). */
  private async idempotent(command: Sendable, progress: Progress, codes: readonly string[], note?: string): Promise<void> {
    try {
      await this.send(command, progress);
    } catch (e) {
      if (!isAwsError(e, ...codes)) throw e;
      if (note) progress.notes.push(note);
    }
  }

  /**
   * A call that IAM may refuse for a while after this run created something it needs (eventual consistency): polled
   * with growing pauses, up to the timeout, and said so.
   */
  private async eventually(step: Step, command: () => Sendable, progress: Progress, transient: (e: unknown) => boolean, waitingFor: string, idempotentCodes: readonly string[] = []): Promise<void> {
    const started = this.clock.now();
    let pause = 250;
    let said = false;
    // Only the pauses between tries are waiting for consistency: time the SDK spent on a throttled call is
    // throttling, and is reported as such (AwsClients.throttling), never as this.
    let waited = 0;
    for (;;) {
      try {
        await this.send(command(), progress);
        if (said) progress.notes.push(`waited ${(waited / 1000).toFixed(1)} s for IAM to show ${waitingFor}`);
        return;
      } catch (e) {
        if (isAwsError(e, ...idempotentCodes)) return;
        if (!transient(e) || this.clock.now() - started > this.timeout) throw e;
        if (!said) this.options.onWait?.(step, `IAM does not show ${waitingFor} yet; waiting (up to ${Math.round(this.timeout / 1000)} s)`);
        said = true;
        progress.retries++;
        await this.clock.sleep(pause);
        waited += pause;
        pause = Math.min(pause * 1.6, 5000);
      }
    }
  }

  /** NoSuchEntity is worth waiting out only for what this run created. */
  private createdThisRun(...keys: string[]): (e: unknown) => boolean {
    return (e) => isAwsError(e, 'NoSuchEntity') && keys.some((k) => this.created.has(k.toLowerCase()));
  }

  private principalNotYetVisible(e: unknown): boolean {
    const message = (e as Error | undefined)?.message ?? '';
    return isAwsError(e, 'MalformedPolicyDocument') && /Invalid principal|Federated principals must be valid/i.test(message) && this.created.size > 0;
  }

  // --- the steps ---------------------------------------------------------------------------------------------------

  private async run(step: Step, progress: Progress): Promise<void> {
    const op = step.op;
    const doc = (d: unknown): string => JSON.stringify(d);
    const tags = (list: readonly Tag[]) => (list.length ? { Tags: list.map((t) => ({ Key: t.key, Value: t.value })) } : {});
    const already = `${step.title.replace(/^create /, '')} already existed (an earlier attempt made it)`;
    switch (op.op) {
      case 'createPolicy': {
        const arn = `arn:aws:iam::${this.options.account}:policy${op.path}${op.name}`;
        this.created.add(arn.toLowerCase());
        await this.idempotent(new CreatePolicyCommand({ PolicyName: op.name, Path: op.path, PolicyDocument: doc(op.document), ...(op.description ? { Description: op.description } : {}), ...tags(op.tags) }), progress, ['EntityAlreadyExists'], already);
        return;
      }
      case 'updatePolicyDocument':
        return this.newDefaultVersion(op.arn, doc(op.document), progress);
      case 'tagPolicy':
        await this.send(new TagPolicyCommand({ PolicyArn: op.arn, Tags: op.tags.map((t) => ({ Key: t.key, Value: t.value })) }), progress);
        return;
      case 'untagPolicy':
        await this.send(new UntagPolicyCommand({ PolicyArn: op.arn, TagKeys: [...op.keys] }), progress);
        return;
      case 'createGroup':
        this.created.add(`group:${op.name.toLowerCase()}`);
        await this.idempotent(new CreateGroupCommand({ GroupName: op.name, Path: op.path }), progress, ['EntityAlreadyExists'], already);
        return;
      case 'createUser':
        this.created.add(`user:${op.name.toLowerCase()}`);
        await this.eventually(step, () => new CreateUserCommand({ UserName: op.name, Path: op.path, ...(op.boundary ? { PermissionsBoundary: op.boundary } : {}), ...tags(op.tags) }), progress, this.createdThisRun(...(op.boundary ? [op.boundary] : [])), `boundary ${op.boundary}`, ['EntityAlreadyExists']);
        return;
      case 'createRole':
        this.created.add(`role:${op.name.toLowerCase()}`);
        await this.eventually(
          step,
          () => new CreateRoleCommand({ RoleName: op.name, Path: op.path, AssumeRolePolicyDocument: doc(op.trust), ...(op.description ? { Description: op.description } : {}), ...(op.maxSessionDuration ? { MaxSessionDuration: op.maxSessionDuration } : {}), ...(op.boundary ? { PermissionsBoundary: op.boundary } : {}), ...tags(op.tags) }),
          progress,
          (e) => this.principalNotYetVisible(e) || this.createdThisRun(...(op.boundary ? [op.boundary] : []))(e),
          'the principals its trust policy names',
          ['EntityAlreadyExists'],
        );
        return;
      case 'movePath':
        await this.eventually(step, () => (op.kind === 'user' ? new UpdateUserCommand({ UserName: op.name, NewPath: op.path }) : new UpdateGroupCommand({ GroupName: op.name, NewPath: op.path })), progress, this.createdThisRun(`${op.kind}:${op.name}`), `${op.kind} ${op.name}`);
        return;
      case 'updateRole':
        await this.eventually(step, () => new UpdateRoleCommand({ RoleName: op.name, ...(op.description !== undefined ? { Description: op.description } : {}), ...(op.maxSessionDuration !== undefined ? { MaxSessionDuration: op.maxSessionDuration } : {}) }), progress, this.createdThisRun(`role:${op.name}`), `role ${op.name}`);
        return;
      case 'updateTrust':
        await this.eventually(step, () => new UpdateAssumeRolePolicyCommand({ RoleName: op.name, PolicyDocument: doc(op.document) }), progress, (e) => this.principalNotYetVisible(e) || this.createdThisRun(`role:${op.name}`)(e), 'the principals the trust policy names');
        return;
      case 'putInline': {
        const command = (): Sendable =>
          op.kind === 'user'
            ? new PutUserPolicyCommand({ UserName: op.owner, PolicyName: op.policyName, PolicyDocument: doc(op.document) })
            : op.kind === 'group'
              ? new PutGroupPolicyCommand({ GroupName: op.owner, PolicyName: op.policyName, PolicyDocument: doc(op.document) })
              : new PutRolePolicyCommand({ RoleName: op.owner, PolicyName: op.policyName, PolicyDocument: doc(op.document) });
        await this.eventually(step, command, progress, this.createdThisRun(`${op.kind}:${op.owner}`), `${op.kind} ${op.owner}`);
        return;
      }
      case 'deleteInline': {
        const command = op.kind === 'user' ? new DeleteUserPolicyCommand({ UserName: op.owner, PolicyName: op.policyName }) : op.kind === 'group' ? new DeleteGroupPolicyCommand({ GroupName: op.owner, PolicyName: op.policyName }) : new DeleteRolePolicyCommand({ RoleName: op.owner, PolicyName: op.policyName });
        await this.idempotent(command, progress, ['NoSuchEntity'], `inline policy ${op.policyName} was already gone`);
        return;
      }
      case 'attach': {
        const command = (): Sendable =>
          op.kind === 'user' ? new AttachUserPolicyCommand({ UserName: op.owner, PolicyArn: op.arn }) : op.kind === 'group' ? new AttachGroupPolicyCommand({ GroupName: op.owner, PolicyArn: op.arn }) : new AttachRolePolicyCommand({ RoleName: op.owner, PolicyArn: op.arn });
        await this.eventually(step, command, progress, this.createdThisRun(`${op.kind}:${op.owner}`, op.arn), `${op.kind} ${op.owner} or ${op.arn}`);
        return;
      }
      case 'detach': {
        const command = op.kind === 'user' ? new DetachUserPolicyCommand({ UserName: op.owner, PolicyArn: op.arn }) : op.kind === 'group' ? new DetachGroupPolicyCommand({ GroupName: op.owner, PolicyArn: op.arn }) : new DetachRolePolicyCommand({ RoleName: op.owner, PolicyArn: op.arn });
        await this.idempotent(command, progress, ['NoSuchEntity'], `${op.arn} was already detached`);
        return;
      }
      case 'setBoundary': {
        const command = (): Sendable => (op.kind === 'user' ? new PutUserPermissionsBoundaryCommand({ UserName: op.owner, PermissionsBoundary: op.arn }) : new PutRolePermissionsBoundaryCommand({ RoleName: op.owner, PermissionsBoundary: op.arn }));
        await this.eventually(step, command, progress, (e) => this.createdThisRun(`${op.kind}:${op.owner}`, op.arn)(e) || (isAwsError(e, 'InvalidInput') && this.created.has(op.arn.toLowerCase())), `${op.kind} ${op.owner} or ${op.arn}`);
        return;
      }
      case 'deleteBoundary':
        await this.idempotent(op.kind === 'user' ? new DeleteUserPermissionsBoundaryCommand({ UserName: op.owner }) : new DeleteRolePermissionsBoundaryCommand({ RoleName: op.owner }), progress, ['NoSuchEntity']);
        return;
      case 'addToGroup':
        await this.eventually(step, () => new AddUserToGroupCommand({ GroupName: op.group, UserName: op.user }), progress, this.createdThisRun(`user:${op.user}`, `group:${op.group}`), `user ${op.user} or group ${op.group}`);
        return;
      case 'removeFromGroup':
        await this.idempotent(new RemoveUserFromGroupCommand({ GroupName: op.group, UserName: op.user }), progress, ['NoSuchEntity'], `user ${op.user} had already left group ${op.group}`);
        return;
      case 'tag': {
        const list = op.tags.map((t) => ({ Key: t.key, Value: t.value }));
        await this.eventually(step, () => (op.kind === 'user' ? new TagUserCommand({ UserName: op.owner, Tags: list }) : new TagRoleCommand({ RoleName: op.owner, Tags: list })), progress, this.createdThisRun(`${op.kind}:${op.owner}`), `${op.kind} ${op.owner}`);
        return;
      }
      case 'untag':
        await this.send(op.kind === 'user' ? new UntagUserCommand({ UserName: op.owner, TagKeys: [...op.keys] }) : new UntagRoleCommand({ RoleName: op.owner, TagKeys: [...op.keys] }), progress);
        return;
      case 'addToInstanceProfile':
        await this.eventually(step, () => new AddRoleToInstanceProfileCommand({ InstanceProfileName: op.profile, RoleName: op.role }), progress, this.createdThisRun(`role:${op.role}`), `role ${op.role}`, ['LimitExceeded']);
        return;
      case 'deleteUser':
        return this.deleteUser(op.name, progress);
      case 'deleteGroup':
        return this.deleteGroup(op.name, progress);
      case 'deleteRole':
        return this.deleteRole(op.name, op.keepProfiles, progress);
      case 'deletePolicy':
        return this.deletePolicy(op.arn, progress);
    }
  }

  /** A new default version; at IAM's limit of 5 versions, the oldest non-default one makes room. */
  private async newDefaultVersion(arn: string, document: string, progress: Progress): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.send(new CreatePolicyVersionCommand({ PolicyArn: arn, PolicyDocument: document, SetAsDefault: true }), progress);
        return;
      } catch (e) {
        if (!isAwsError(e, 'LimitExceeded') || attempt >= 3) throw e;
        const versions = await this.listAll((page) => new ListPolicyVersionsCommand({ PolicyArn: arn, ...page }), (p) => p['Versions'] as { VersionId?: string; IsDefaultVersion?: boolean; CreateDate?: Date }[] | undefined, progress);
        const oldest = versions.filter((v) => !v.IsDefaultVersion).sort((a, b) => (a.CreateDate?.getTime() ?? 0) - (b.CreateDate?.getTime() ?? 0))[0];
        if (!oldest?.VersionId) throw e;
        await this.idempotent(new DeletePolicyVersionCommand({ PolicyArn: arn, VersionId: oldest.VersionId }), progress, ['NoSuchEntity']);
        progress.notes.push(`deleted version ${oldest.VersionId} (IAM keeps 5)`);
      }
    }
  }

  private async deleteUser(name: string, progress: Progress): Promise<void> {
    const gone = (e: unknown): boolean => isAwsError(e, 'NoSuchEntity');
    try {
      const list = <T>(command: (page: { MaxItems: number; Marker?: string }) => Sendable, key: string): Promise<T[]> => this.listAll(command, (p) => p[key] as T[] | undefined, progress);
      const keys = await list<{ AccessKeyId?: string }>((page) => new ListAccessKeysCommand({ UserName: name, ...page }), 'AccessKeyMetadata');
      for (const k of keys) await this.idempotent(new DeleteAccessKeyCommand({ UserName: name, AccessKeyId: k.AccessKeyId! }), progress, ['NoSuchEntity']);
      await this.idempotent(new DeleteLoginProfileCommand({ UserName: name }), progress, ['NoSuchEntity']);
      const mfa = await list<{ SerialNumber?: string }>((page) => new ListMFADevicesCommand({ UserName: name, ...page }), 'MFADevices');
      for (const d of mfa) {
        await this.idempotent(new DeactivateMFADeviceCommand({ UserName: name, SerialNumber: d.SerialNumber! }), progress, ['NoSuchEntity']);
        // Virtual devices are IAM entities of their own (hardware ones are not): they go with the user.
        if (d.SerialNumber!.startsWith('arn:')) await this.idempotent(new DeleteVirtualMFADeviceCommand({ SerialNumber: d.SerialNumber! }), progress, ['NoSuchEntity']);
      }
      const ssh = await list<{ SSHPublicKeyId?: string }>((page) => new ListSSHPublicKeysCommand({ UserName: name, ...page }), 'SSHPublicKeys');
      for (const k of ssh) await this.idempotent(new DeleteSSHPublicKeyCommand({ UserName: name, SSHPublicKeyId: k.SSHPublicKeyId! }), progress, ['NoSuchEntity']);
      const certs = await list<{ CertificateId?: string }>((page) => new ListSigningCertificatesCommand({ UserName: name, ...page }), 'Certificates');
      for (const c of certs) await this.idempotent(new DeleteSigningCertificateCommand({ UserName: name, CertificateId: c.CertificateId! }), progress, ['NoSuchEntity']);
      const creds = await list<{ ServiceSpecificCredentialId?: string }>((page) => new ListServiceSpecificCredentialsCommand({ UserName: name, ...page }), 'ServiceSpecificCredentials');
      for (const c of creds) await this.idempotent(new DeleteServiceSpecificCredentialCommand({ UserName: name, ServiceSpecificCredentialId: c.ServiceSpecificCredentialId! }), progress, ['NoSuchEntity']);
      const inline = await list<string>((page) => new ListUserPoliciesCommand({ UserName: name, ...page }), 'PolicyNames');
      for (const p of inline) await this.idempotent(new DeleteUserPolicyCommand({ UserName: name, PolicyName: p }), progress, ['NoSuchEntity']);
      const attached = await list<{ PolicyArn?: string }>((page) => new ListAttachedUserPoliciesCommand({ UserName: name, ...page }), 'AttachedPolicies');
      for (const p of attached) await this.idempotent(new DetachUserPolicyCommand({ UserName: name, PolicyArn: p.PolicyArn! }), progress, ['NoSuchEntity']);
      const groups = await list<{ GroupName?: string }>((page) => new ListGroupsForUserCommand({ UserName: name, ...page }), 'Groups');
      for (const g of groups) await this.idempotent(new RemoveUserFromGroupCommand({ UserName: name, GroupName: g.GroupName! }), progress, ['NoSuchEntity']);
      await this.idempotent(new DeleteUserCommand({ UserName: name }), progress, ['NoSuchEntity']);
    } catch (e) {
      if (gone(e) && awsErrorCode(e) === 'NoSuchEntity') {
        progress.notes.push(`user ${name} was already gone`);
        return;
      }
      throw e;
    }
  }

  private async deleteGroup(name: string, progress: Progress): Promise<void> {
    try {
      const members = await this.listAll((page) => new GetGroupCommand({ GroupName: name, ...page }), (p) => p['Users'] as { UserName?: string; Arn?: string }[] | undefined, progress);
      for (const u of members) {
        const reason = this.options.untouchable(u.Arn!);
        if (reason) throw new UntouchableError(`member ${u.Arn} ${reason}: removing it from the group would change it`);
      }
      await this.forEach(members, (u) => this.idempotent(new RemoveUserFromGroupCommand({ GroupName: name, UserName: u.UserName! }), progress, ['NoSuchEntity']));
      const inline = await this.listAll((page) => new ListGroupPoliciesCommand({ GroupName: name, ...page }), (p) => p['PolicyNames'] as string[] | undefined, progress);
      for (const p of inline) await this.idempotent(new DeleteGroupPolicyCommand({ GroupName: name, PolicyName: p }), progress, ['NoSuchEntity']);
      const attached = await this.listAll((page) => new ListAttachedGroupPoliciesCommand({ GroupName: name, ...page }), (p) => p['AttachedPolicies'] as { PolicyArn?: string }[] | undefined, progress);
      for (const p of attached) await this.idempotent(new DetachGroupPolicyCommand({ GroupName: name, PolicyArn: p.PolicyArn! }), progress, ['NoSuchEntity']);
      await this.idempotent(new DeleteGroupCommand({ GroupName: name }), progress, ['NoSuchEntity']);
    } catch (e) {
      if (isAwsError(e, 'NoSuchEntity')) {
        progress.notes.push(`group ${name} was already gone`);
        return;
      }
      throw e;
    }
  }

  /**
   * Takes the role out of its instance profiles (deleting a profile of the role's own name that holds nothing else,
   * as the console creates one per EC2 role), unless it is being replaced: the new role goes back into them.
   */
  private async deleteRole(name: string, keepProfiles: boolean, progress: Progress): Promise<void> {
    try {
      const profiles = await this.listAll((page) => new ListInstanceProfilesForRoleCommand({ RoleName: name, ...page }), (p) => p['InstanceProfiles'] as { InstanceProfileName?: string; Roles?: unknown[] }[] | undefined, progress);
      for (const p of profiles) {
        await this.idempotent(new RemoveRoleFromInstanceProfileCommand({ InstanceProfileName: p.InstanceProfileName!, RoleName: name }), progress, ['NoSuchEntity']);
        if (!keepProfiles && p.InstanceProfileName!.toLowerCase() === name.toLowerCase() && (p.Roles?.length ?? 0) <= 1) {
          await this.idempotent(new DeleteInstanceProfileCommand({ InstanceProfileName: p.InstanceProfileName! }), progress, ['NoSuchEntity', 'DeleteConflict']);
          progress.notes.push(`deleted instance profile ${p.InstanceProfileName} with it`);
        }
      }
      const inline = await this.listAll((page) => new ListRolePoliciesCommand({ RoleName: name, ...page }), (p) => p['PolicyNames'] as string[] | undefined, progress);
      for (const p of inline) await this.idempotent(new DeleteRolePolicyCommand({ RoleName: name, PolicyName: p }), progress, ['NoSuchEntity']);
      const attached = await this.listAll((page) => new ListAttachedRolePoliciesCommand({ RoleName: name, ...page }), (p) => p['AttachedPolicies'] as { PolicyArn?: string }[] | undefined, progress);
      for (const p of attached) await this.idempotent(new DetachRolePolicyCommand({ RoleName: name, PolicyArn: p.PolicyArn! }), progress, ['NoSuchEntity']);
      await this.idempotent(new DeleteRoleCommand({ RoleName: name }), progress, ['NoSuchEntity']);
    } catch (e) {
      if (isAwsError(e, 'NoSuchEntity')) {
        progress.notes.push(`role ${name} was already gone`);
        return;
      }
      throw e;
    }
  }

  /** Detaches the policy everywhere (and as a boundary), deletes its old versions, then the policy. */
  private async deletePolicy(arn: string, progress: Progress): Promise<void> {
    try {
      // Every page of both listings before any change: the guard judges every entity first.
      type Named = { kind: 'user' | 'group' | 'role'; name: string };
      const entitiesOf = (filter: 'PermissionsPolicy' | 'PermissionsBoundary'): Promise<Named[]> =>
        this.listAll(
          (page) => new ListEntitiesForPolicyCommand({ PolicyArn: arn, PolicyUsageFilter: filter, ...page }),
          (p) => [
            ...((p['PolicyUsers'] as { UserName?: string }[] | undefined) ?? []).map((u): Named => ({ kind: 'user', name: u.UserName! })),
            ...((p['PolicyGroups'] as { GroupName?: string }[] | undefined) ?? []).map((g): Named => ({ kind: 'group', name: g.GroupName! })),
            ...((p['PolicyRoles'] as { RoleName?: string }[] | undefined) ?? []).map((r): Named => ({ kind: 'role', name: r.RoleName! })),
          ],
          progress,
        );
      const attachedTo = await entitiesOf('PermissionsPolicy');
      const boundaryOf = await entitiesOf('PermissionsBoundary');
      const arnOf = (kind: string, name: string): string => `arn:aws:iam::${this.options.account}:${kind}/${name}`;
      for (const { kind, name } of [...attachedTo, ...boundaryOf]) {
        // Entity listings carry names, not paths: judge by name against the account's entities the guard knows.
        const reason = this.options.untouchable(arnOf(kind, name));
        if (reason) throw new UntouchableError(`${kind} ${name} ${reason}: detaching the policy from it would change it`);
      }
      await this.forEach(attachedTo, ({ kind, name }) => {
        const command = kind === 'user' ? new DetachUserPolicyCommand({ UserName: name, PolicyArn: arn }) : kind === 'group' ? new DetachGroupPolicyCommand({ GroupName: name, PolicyArn: arn }) : new DetachRolePolicyCommand({ RoleName: name, PolicyArn: arn });
        return this.idempotent(command, progress, ['NoSuchEntity']);
      });
      await this.forEach(boundaryOf, ({ kind, name }) => (kind === 'user' ? this.idempotent(new DeleteUserPermissionsBoundaryCommand({ UserName: name }), progress, ['NoSuchEntity']) : kind === 'role' ? this.idempotent(new DeleteRolePermissionsBoundaryCommand({ RoleName: name }), progress, ['NoSuchEntity']) : Promise.resolve()));
      const versions = await this.listAll((page) => new ListPolicyVersionsCommand({ PolicyArn: arn, ...page }), (p) => p['Versions'] as { VersionId?: string; IsDefaultVersion?: boolean }[] | undefined, progress);
      for (const v of versions.filter((x) => !x.IsDefaultVersion)) await this.idempotent(new DeletePolicyVersionCommand({ PolicyArn: arn, VersionId: v.VersionId! }), progress, ['NoSuchEntity']);
      await this.idempotent(new DeletePolicyCommand({ PolicyArn: arn }), progress, ['NoSuchEntity']);
    } catch (e) {
      if (isAwsError(e, 'NoSuchEntity')) {
        progress.notes.push(`policy ${arn} was already gone`);
        return;
      }
      throw e;
    }
  }
}
