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
 *
 * This file dispatches a step's op to its calls (every op of the union handled: the compiler checks it). How the
 * calls are made is `iam-calls.ts`; which command each kind of entity takes, `iam-commands.ts`; what a deletion
 * requires first, `iam-teardown.ts`.
 */
import {
  AddRoleToInstanceProfileCommand,
  CreateInstanceProfileCommand,
  DeleteAccessKeyCommand,
  DeleteLoginProfileCommand,
  DeleteInstanceProfileCommand,
  RemoveRoleFromInstanceProfileCommand,
  AddUserToGroupCommand,
  CreateAccountAliasCommand,
  CreateGroupCommand,
  DeleteAccountAliasCommand,
  DeleteAccountPasswordPolicyCommand,
  UpdateAccountPasswordPolicyCommand,
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  CreateRoleCommand,
  CreateUserCommand,
  DeletePolicyVersionCommand,
  ListPolicyVersionsCommand,
  RemoveUserFromGroupCommand,
  TagPolicyCommand,
  UntagPolicyCommand,
  UpdateAssumeRolePolicyCommand,
  UpdateRoleCommand,
} from '@aws-sdk/client-iam';
import { entityArn } from '../../core/arn.js';
import { SYSTEM_CLOCK, type Clock } from '../../core/clock.js';
import { assertNever, type Diagnostic } from '../../core/diagnostics.js';
import { DEFAULT_CONSISTENCY_TIMEOUT_MS } from '../../core/poll.js';
import type { IamWriter, StepOutcome } from '../../apply/execute.js';
import type { Step, StepOp, Tag } from '../../apply/steps.js';
import type { AwsClients } from './connection.js';
import { describeAwsError, isAwsError } from './errors.js';
import { StepCalls, type Progress } from './iam-calls.js';
import { BOUNDARY_AND_TAG_COMMANDS, iamTags, MOVE_COMMANDS, POLICY_COMMANDS, RENAME_COMMANDS } from './iam-commands.js';
import { runProviderOp } from './iam-providers.js';
import { deleteGroup, deletePolicy, deleteRole, deleteUser, UntouchableError, type TeardownContext } from './iam-teardown.js';

export { UntouchableError } from './iam-teardown.js';

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

export class AwsIamWriter implements IamWriter {
  /** `kind:name` (lower case) and policy ARNs this run created: IAM may not show them yet. */
  private readonly created = new Set<string>();
  private readonly timeout: number;
  private readonly clock: Clock;

  constructor(
    private readonly clients: AwsClients,
    private readonly options: WriterOptions,
  ) {
    this.timeout = options.consistencyTimeoutMs ?? DEFAULT_CONSISTENCY_TIMEOUT_MS;
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
    const onWait = this.options.onWait;
    const calls = new StepCalls(this.clients.iam, progress, { clock: this.clock, consistencyTimeoutMs: this.timeout, ...(onWait ? { onWait: (message: string) => onWait(step, message) } : {}) });
    await this.run(step.op, step.title, calls);
    return progress;
  }

  // --- what IAM may not show yet -----------------------------------------------------------------------------------

  /** NoSuchEntity is worth waiting out only for what this run created. */
  private createdThisRun(...keys: string[]): (e: unknown) => boolean {
    return (e) => isAwsError(e, 'NoSuchEntity') && keys.some((k) => this.created.has(k.toLowerCase()));
  }

  private principalNotYetVisible(e: unknown): boolean {
    const message = (e as Error | undefined)?.message ?? '';
    return isAwsError(e, 'MalformedPolicyDocument') && /Invalid principal|Federated principals must be valid/i.test(message) && this.created.size > 0;
  }

  // --- the steps ---------------------------------------------------------------------------------------------------

  private async run(op: StepOp, title: string, calls: StepCalls): Promise<void> {
    const doc = (d: unknown): string => JSON.stringify(d);
    const tags = (list: readonly Tag[]) => (list.length ? { Tags: iamTags(list) } : {});
    const already = `${title.replace(/^create /, '')} already existed (an earlier attempt made it)`;
    const teardown: TeardownContext = { calls, account: this.options.account, untouchable: this.options.untouchable };
    switch (op.op) {
      case 'createPolicy': {
        const arn = entityArn(this.options.account, 'policy', op.path, op.name);
        this.created.add(arn.toLowerCase());
        return calls.idempotent(new CreatePolicyCommand({ PolicyName: op.name, Path: op.path, PolicyDocument: doc(op.document), ...(op.description ? { Description: op.description } : {}), ...tags(op.tags) }), ['EntityAlreadyExists'], already);
      }
      case 'updatePolicyDocument':
        return newDefaultVersion(calls, op.arn, doc(op.document));
      case 'tagPolicy':
        await calls.send(new TagPolicyCommand({ PolicyArn: op.arn, Tags: iamTags(op.tags) }));
        return;
      case 'untagPolicy':
        await calls.send(new UntagPolicyCommand({ PolicyArn: op.arn, TagKeys: [...op.keys] }));
        return;
      case 'createGroup':
        this.created.add(`group:${op.name.toLowerCase()}`);
        return calls.idempotent(new CreateGroupCommand({ GroupName: op.name, Path: op.path }), ['EntityAlreadyExists'], already);
      case 'createUser':
        this.created.add(`user:${op.name.toLowerCase()}`);
        return calls.eventually(() => new CreateUserCommand({ UserName: op.name, Path: op.path, ...(op.boundary ? { PermissionsBoundary: op.boundary } : {}), ...tags(op.tags) }), this.createdThisRun(...(op.boundary ? [op.boundary] : [])), `boundary ${op.boundary}`, ['EntityAlreadyExists']);
      case 'createRole':
        this.created.add(`role:${op.name.toLowerCase()}`);
        return calls.eventually(
          () => new CreateRoleCommand({ RoleName: op.name, Path: op.path, AssumeRolePolicyDocument: doc(op.trust), ...(op.description ? { Description: op.description } : {}), ...(op.maxSessionDuration ? { MaxSessionDuration: op.maxSessionDuration } : {}), ...(op.boundary ? { PermissionsBoundary: op.boundary } : {}), ...tags(op.tags) }),
          (e) => this.principalNotYetVisible(e) || this.createdThisRun(...(op.boundary ? [op.boundary] : []))(e),
          'the principals its trust policy names',
          ['EntityAlreadyExists'],
        );
      case 'movePath':
        return calls.eventually(() => MOVE_COMMANDS[op.kind](op.name, op.path), this.createdThisRun(`${op.kind}:${op.name}`), `${op.kind} ${op.name}`);
      case 'rename':
        return calls.eventually(() => RENAME_COMMANDS[op.kind](op.name, op.newName), this.createdThisRun(`${op.kind}:${op.name}`), `${op.kind} ${op.name}`);
      case 'updateRole':
        return calls.eventually(() => new UpdateRoleCommand({ RoleName: op.name, ...(op.description !== undefined ? { Description: op.description } : {}), ...(op.maxSessionDuration !== undefined ? { MaxSessionDuration: op.maxSessionDuration } : {}) }), this.createdThisRun(`role:${op.name}`), `role ${op.name}`);
      case 'updateTrust':
        return calls.eventually(() => new UpdateAssumeRolePolicyCommand({ RoleName: op.name, PolicyDocument: doc(op.document) }), (e) => this.principalNotYetVisible(e) || this.createdThisRun(`role:${op.name}`)(e), 'the principals the trust policy names');
      case 'putInline':
        return calls.eventually(() => POLICY_COMMANDS[op.kind].putInline(op.owner, op.policyName, doc(op.document)), this.createdThisRun(`${op.kind}:${op.owner}`), `${op.kind} ${op.owner}`);
      case 'deleteInline':
        return calls.idempotent(POLICY_COMMANDS[op.kind].deleteInline(op.owner, op.policyName), ['NoSuchEntity'], `inline policy ${op.policyName} was already gone`);
      case 'attach':
        return calls.eventually(() => POLICY_COMMANDS[op.kind].attach(op.owner, op.arn), this.createdThisRun(`${op.kind}:${op.owner}`, op.arn), `${op.kind} ${op.owner} or ${op.arn}`);
      case 'detach':
        return calls.idempotent(POLICY_COMMANDS[op.kind].detach(op.owner, op.arn), ['NoSuchEntity'], `${op.arn} was already detached`);
      case 'setBoundary':
        // A boundary policy this run created may be refused as unknown (InvalidInput) until IAM shows it.
        return calls.eventually(() => BOUNDARY_AND_TAG_COMMANDS[op.kind].putBoundary(op.owner, op.arn), (e) => this.createdThisRun(`${op.kind}:${op.owner}`, op.arn)(e) || (isAwsError(e, 'InvalidInput') && this.created.has(op.arn.toLowerCase())), `${op.kind} ${op.owner} or ${op.arn}`);
      case 'deleteBoundary':
        return calls.idempotent(BOUNDARY_AND_TAG_COMMANDS[op.kind].deleteBoundary(op.owner), ['NoSuchEntity']);
      case 'addToGroup':
        return calls.eventually(() => new AddUserToGroupCommand({ GroupName: op.group, UserName: op.user }), this.createdThisRun(`user:${op.user}`, `group:${op.group}`), `user ${op.user} or group ${op.group}`);
      case 'removeFromGroup':
        return calls.idempotent(new RemoveUserFromGroupCommand({ GroupName: op.group, UserName: op.user }), ['NoSuchEntity'], `user ${op.user} had already left group ${op.group}`);
      case 'tag':
        return calls.eventually(() => BOUNDARY_AND_TAG_COMMANDS[op.kind].tag(op.owner, op.tags), this.createdThisRun(`${op.kind}:${op.owner}`), `${op.kind} ${op.owner}`);
      case 'untag':
        await calls.send(BOUNDARY_AND_TAG_COMMANDS[op.kind].untag(op.owner, op.keys));
        return;
      case 'addToInstanceProfile':
        return calls.eventually(() => new AddRoleToInstanceProfileCommand({ InstanceProfileName: op.profile, RoleName: op.role }), this.createdThisRun(`role:${op.role}`), `role ${op.role}`, ['LimitExceeded']);
      case 'createInstanceProfile':
        // An empty profile of that name may exist (the authorization details list profiles under their roles only).
        return calls.idempotent(new CreateInstanceProfileCommand({ InstanceProfileName: op.name, Path: op.path }), ['EntityAlreadyExists'], `instance profile ${op.name} already existed`);
      case 'deleteInstanceProfile':
        // DeleteConflict: a role joined it since the plan (by hand); it is left, as it serves that role now.
        return calls.idempotent(new DeleteInstanceProfileCommand({ InstanceProfileName: op.name }), ['NoSuchEntity', 'DeleteConflict'], `instance profile ${op.name} was already gone, or holds another role now`);
      case 'removeFromInstanceProfile':
        return calls.idempotent(new RemoveRoleFromInstanceProfileCommand({ InstanceProfileName: op.profile, RoleName: op.role }), ['NoSuchEntity'], `role ${op.role} had already left instance profile ${op.profile}`);
      case 'deleteLoginProfile':
        // Gone already (deleted by hand, or by an earlier run): the policy holds.
        return calls.idempotent(new DeleteLoginProfileCommand({ UserName: op.user }), ['NoSuchEntity'], `user ${op.user} had no console password left`);
      case 'deleteAccessKey':
        return calls.idempotent(new DeleteAccessKeyCommand({ UserName: op.user, AccessKeyId: op.id }), ['NoSuchEntity'], `access key ${op.id} of user ${op.user} was already gone`);
      case 'deleteUser':
        return deleteUser(teardown, op.name);
      case 'deleteGroup':
        return deleteGroup(teardown, op.name);
      case 'deleteRole':
        return deleteRole(teardown, op.name, op.keepProfiles);
      case 'deletePolicy':
        return deletePolicy(teardown, op.arn);
      case 'updatePasswordPolicy': {
        const p = op.policy;
        // IAM refuses 0 for these two (1 and up): their default is sent by leaving them out.
        await calls.send(new UpdateAccountPasswordPolicyCommand({ MinimumPasswordLength: p.minimumPasswordLength, RequireSymbols: p.requireSymbols, RequireNumbers: p.requireNumbers, RequireUppercaseCharacters: p.requireUppercaseCharacters, RequireLowercaseCharacters: p.requireLowercaseCharacters, AllowUsersToChangePassword: p.allowUsersToChangePassword, HardExpiry: p.hardExpiry, ...(p.maxPasswordAge > 0 ? { MaxPasswordAge: p.maxPasswordAge } : {}), ...(p.passwordReusePrevention > 0 ? { PasswordReusePrevention: p.passwordReusePrevention } : {}) }));
        return;
      }
      case 'deletePasswordPolicy':
        return calls.idempotent(new DeleteAccountPasswordPolicyCommand({}), ['NoSuchEntity'], 'the account had no password policy already');
      case 'setAccountAlias':
        if (op.previous !== null) await calls.idempotent(new DeleteAccountAliasCommand({ AccountAlias: op.previous }), ['NoSuchEntity'], `the alias ${op.previous} was already gone`);
        if (op.alias !== null) await calls.idempotent(new CreateAccountAliasCommand({ AccountAlias: op.alias }), ['EntityAlreadyExists'], `the alias ${op.alias} already existed (an earlier attempt made it)`);
        return;
      case 'createOidcProvider':
      case 'createSamlProvider':
      case 'addProviderClientId':
      case 'removeProviderClientId':
      case 'setProviderThumbprints':
      case 'updateSamlMetadata':
      case 'tagProvider':
      case 'untagProvider':
      case 'deleteProvider':
        return runProviderOp(op, calls, this.options.account, (arn) => this.created.has(arn.toLowerCase()), (arn) => this.created.add(arn.toLowerCase()));
      default:
        return assertNever(op, 'step op');
    }
  }
}

/** A new default version; at IAM's limit of 5 versions, the oldest non-default one makes room. */
async function newDefaultVersion(calls: StepCalls, arn: string, document: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await calls.send(new CreatePolicyVersionCommand({ PolicyArn: arn, PolicyDocument: document, SetAsDefault: true }));
      return;
    } catch (e) {
      if (!isAwsError(e, 'LimitExceeded') || attempt >= 3) throw e;
      const versions = await calls.listAll((page) => new ListPolicyVersionsCommand({ PolicyArn: arn, ...page }), (p) => p['Versions'] as { VersionId?: string; IsDefaultVersion?: boolean; CreateDate?: Date }[] | undefined);
      const oldest = versions.filter((v) => !v.IsDefaultVersion).sort((a, b) => (a.CreateDate?.getTime() ?? 0) - (b.CreateDate?.getTime() ?? 0))[0];
      if (!oldest?.VersionId) throw e;
      await calls.idempotent(new DeletePolicyVersionCommand({ PolicyArn: arn, VersionId: oldest.VersionId }), ['NoSuchEntity']);
      calls.progress.notes.push(`deleted version ${oldest.VersionId} (IAM keeps 5)`);
    }
  }
}
