/**
 * A plan as the IAM calls that carry it out: `scheduleSteps(plan) -> Step[]`, pure. Each step is one idempotent
 * operation (deletes clean up what IAM requires first, at execution time), placed in a phase; phases run in order,
 * the steps within one concurrently:
 *
 *   replace-delete   the old half of replacements (IAM names are unique whatever the path: the old goes first)
 *   policies         create managed policies and boundaries; new default versions; policy tags
 *   principals       create groups and users
 *   roles            create roles (their trust may name the users just created)
 *   grants           put inline policies, attach, set boundaries, join groups, tag, move paths, role settings
 *   trust            update trust policies (after the principals they name exist)
 *   revokes          detach, delete inline policies, leave groups, remove boundaries, untag
 *   delete-principals, delete-groups, delete-policies   deletions, members before what they belong to
 *   last             steps the lockout guard let through with --allow-lockout: nothing else can run after them
 *
 * Grants come before revokes, so a principal whose access moves from one policy to another never has less than
 * either side gives it in between.
 */
import { entityArn, splitArn } from '../core/arn.js';
import { assertNever } from '../core/diagnostics.js';
import type { PolicyJson } from '../core/policy.js';
import { DEFAULT_PASSWORD_POLICY, PASSWORD_POLICY_SETTINGS, type PasswordPolicy } from '../core/state.js';
import type { Change, ChangeDetail, Plan } from '../plan/plan.js';
import { providerSteps, type ProviderStepOp } from './provider-steps.js';

export type Phase = 'replace-delete' | 'policies' | 'principals' | 'roles' | 'grants' | 'trust' | 'revokes' | 'delete-principals' | 'delete-groups' | 'delete-policies' | 'last';

export const PHASES: readonly Phase[] = ['replace-delete', 'policies', 'principals', 'roles', 'grants', 'trust', 'revokes', 'delete-principals', 'delete-groups', 'delete-policies', 'last'];

export type PrincipalKind = 'user' | 'group' | 'role';

export interface Tag {
  readonly key: string;
  readonly value: string;
}

/** One IAM operation. Names are IAM names; documents are JSON values, sent as text. */
export type StepOp =
  | { readonly op: 'createPolicy'; readonly name: string; readonly path: string; readonly document: PolicyJson; readonly description?: string; readonly tags: readonly Tag[] }
  | { readonly op: 'updatePolicyDocument'; readonly arn: string; readonly document: PolicyJson }
  | { readonly op: 'tagPolicy'; readonly arn: string; readonly tags: readonly Tag[] }
  | { readonly op: 'untagPolicy'; readonly arn: string; readonly keys: readonly string[] }
  | { readonly op: 'createGroup'; readonly name: string; readonly path: string }
  | { readonly op: 'createUser'; readonly name: string; readonly path: string; readonly boundary?: string; readonly tags: readonly Tag[] }
  | { readonly op: 'createRole'; readonly name: string; readonly path: string; readonly trust: PolicyJson; readonly description?: string; readonly maxSessionDuration?: number; readonly boundary?: string; readonly tags: readonly Tag[] }
  | { readonly op: 'movePath'; readonly kind: 'user' | 'group'; readonly name: string; readonly path: string }
  /** UpdateUser / UpdateGroup with a new name: everything of it stays (keys, password, MFA, memberships). */
  | { readonly op: 'rename'; readonly kind: 'user' | 'group'; readonly name: string; readonly newName: string; readonly path: string }
  | { readonly op: 'updateRole'; readonly name: string; readonly description?: string; readonly maxSessionDuration?: number }
  | { readonly op: 'updateTrust'; readonly name: string; readonly document: PolicyJson }
  | { readonly op: 'putInline'; readonly kind: PrincipalKind; readonly owner: string; readonly policyName: string; readonly document: PolicyJson }
  | { readonly op: 'deleteInline'; readonly kind: PrincipalKind; readonly owner: string; readonly policyName: string }
  | { readonly op: 'attach'; readonly kind: PrincipalKind; readonly owner: string; readonly arn: string }
  | { readonly op: 'detach'; readonly kind: PrincipalKind; readonly owner: string; readonly arn: string }
  | { readonly op: 'setBoundary'; readonly kind: 'user' | 'role'; readonly owner: string; readonly arn: string }
  | { readonly op: 'deleteBoundary'; readonly kind: 'user' | 'role'; readonly owner: string }
  | { readonly op: 'addToGroup'; readonly user: string; readonly group: string }
  | { readonly op: 'removeFromGroup'; readonly user: string; readonly group: string }
  | { readonly op: 'tag'; readonly kind: 'user' | 'role'; readonly owner: string; readonly tags: readonly Tag[] }
  | { readonly op: 'untag'; readonly kind: 'user' | 'role'; readonly owner: string; readonly keys: readonly string[] }
  | { readonly op: 'addToInstanceProfile'; readonly profile: string; readonly role: string }
  | { readonly op: 'createInstanceProfile'; readonly name: string; readonly path: string }
  | { readonly op: 'removeFromInstanceProfile'; readonly profile: string; readonly role: string }
  | { readonly op: 'deleteInstanceProfile'; readonly name: string }
  /** DeleteLoginProfile: the user's console password (a credentials policy with `console: false`). */
  | { readonly op: 'deleteLoginProfile'; readonly user: string }
  /** DeleteAccessKey: one key beyond the credentials policy's `accessKeys`. */
  | { readonly op: 'deleteAccessKey'; readonly user: string; readonly id: string }
  | { readonly op: 'deleteUser'; readonly name: string }
  | { readonly op: 'deleteGroup'; readonly name: string }
  | { readonly op: 'deleteRole'; readonly name: string; readonly keepProfiles: boolean }
  | { readonly op: 'deletePolicy'; readonly arn: string }
  /** Account settings. IAM has no partial update of the password policy: the op carries all of it. */
  | { readonly op: 'updatePasswordPolicy'; readonly policy: PasswordPolicy }
  | { readonly op: 'deletePasswordPolicy' }
  /** IAM holds one alias: a new one replaces `previous` (deleted first); `alias: null` only deletes it. */
  | { readonly op: 'setAccountAlias'; readonly alias: string | null; readonly previous: string | null }
  | ProviderStepOp;

export interface Step {
  /** 1-based, in schedule order: the number the output shows. */
  readonly id: number;
  readonly phase: Phase;
  /** What it does, in words: `attach arn:aws:iam::aws:policy/ReadOnlyAccess to role auditor`. */
  readonly title: string;
  /** The ARN of the entity the step changes (its owner), for ownership checks and the lockout guard. */
  readonly target: string;
  /** Other entities it changes too (a group a user joins). */
  readonly alsoTouches: readonly string[];
  readonly op: StepOp;
}

type Draft = Omit<Step, 'id'>;

export function scheduleSteps(plan: Pick<Plan, 'changes' | 'providerChanges'>): Step[] {
  const drafts: Draft[] = [];
  for (const change of plan.changes) drafts.push(...stepsOf(change));
  for (const change of plan.providerChanges ?? []) drafts.push(...providerSteps(change));
  const ordered = PHASES.flatMap((phase) => drafts.filter((d) => d.phase === phase));
  return ordered.map((d, i) => ({ id: i + 1, ...d }));
}

/** Moves the steps that `isRisky` picks to the last phase (the lockout guard's --allow-lockout), renumbering all. */
export function deferSteps(steps: readonly Step[], isRisky: (step: Step) => boolean): Step[] {
  const moved = steps.map((s) => (isRisky(s) ? { ...s, phase: 'last' as const } : s));
  return PHASES.flatMap((phase) => moved.filter((s) => s.phase === phase)).map((s, i) => ({ ...s, id: i + 1 }));
}

function stepsOf(change: Change): Draft[] {
  const name = change.name;
  const account = splitArn(change.arn)?.account ?? '';
  // The target is the entity the op's IAM calls name (by name, as IAM identifies it), so that every guard judges
  // what the calls will act on, never a label beside them.
  const step = (phase: Phase, title: string, op: StepOp, alsoTouches: readonly string[] = []): Draft => ({ phase, title, target: actedOnArn(op, account, change.path), alsoTouches, op });
  const label = `${change.kind} ${name}`;
  if (change.kind === 'account') return accountSteps(change, step);
  switch (change.action) {
    case 'delete': {
      const phase: Phase = change.replacedBy ? 'replace-delete' : change.kind === 'policy' ? 'delete-policies' : change.kind === 'group' ? 'delete-groups' : 'delete-principals';
      const verb = change.replacedBy ? `delete ${label} (to create it again at its new path)` : `delete ${label}`;
      switch (change.kind) {
        case 'user':
          return [step(phase, verb, { op: 'deleteUser', name })];
        case 'group':
          return [step(phase, verb, { op: 'deleteGroup', name })];
        case 'role':
          return [step(phase, verb, { op: 'deleteRole', name, keepProfiles: change.replacedBy !== undefined })];
        case 'policy':
          return [step(phase, verb, { op: 'deletePolicy', arn: change.arn })];
        default:
          return assertNever(change.kind, 'entity kind');
      }
    }
    case 'create':
      return [...createSteps(change, step, label), ...detailSteps(change, change.details.filter((d) => !consumedByCreate(change, d)), step, label)];
    case 'update':
      return detailSteps(change, change.details, step, label);
    default:
      return assertNever(change.action, 'change action');
  }
}

type StepMaker = (phase: Phase, title: string, op: StepOp, alsoTouches?: readonly string[]) => Draft;

/**
 * The account's settings: one call sets the whole password policy (the plan lists every setting of a changed policy,
 * unchanged ones with equal before and after); the alias is replaced in one step (delete, then create).
 */
function accountSteps(change: Change, step: StepMaker): Draft[] {
  const out: Draft[] = [];
  const settings = change.details.flatMap((d) => (d.field === 'passwordPolicy' ? [d] : []));
  if (settings.length > 0) {
    if (settings.every((d) => d.after === null)) out.push(step('revokes', 'delete the account password policy', { op: 'deletePasswordPolicy' }));
    else {
      const after = new Map(settings.map((d) => [d.setting, d.after]));
      const missing = PASSWORD_POLICY_SETTINGS.filter((s) => after.get(s) === undefined || after.get(s) === null);
      // A plan that does not say every setting cannot be applied without guessing the rest.
      if (missing.length > 0) throw new Error(`the plan's password policy change does not give ${missing.join(', ')}`);
      const policy = Object.fromEntries(after) as unknown as PasswordPolicy;
      // From no policy, the title names what differs from IAM's defaults (the rest is listed in the plan).
      const changed = settings.filter((d) => d.before !== d.after && (d.before !== null || d.after !== DEFAULT_PASSWORD_POLICY[d.setting])).map((d) => `${d.setting} ${String(d.after)}`);
      out.push(step('grants', `set the account password policy (${changed.join(', ')})`, { op: 'updatePasswordPolicy', policy }));
    }
  }
  for (const d of change.details) {
    if (d.field !== 'accountAlias') continue;
    const title = d.after === null ? `delete the account alias ${d.before ?? ''}` : d.before === null ? `create the account alias ${d.after}` : `replace the account alias ${d.before} with ${d.after}`;
    out.push(step(d.after === null ? 'revokes' : 'grants', title, { op: 'setAccountAlias', alias: d.after, previous: d.before }));
  }
  return out;
}

/** Details a create call already carries (document, trust, description, boundary, tags). */
function consumedByCreate(change: Change, d: ChangeDetail): boolean {
  switch (d.field) {
    case 'document':
    case 'trustPolicy':
    case 'description':
    case 'maxSessionDuration':
    case 'permissionsBoundary':
    case 'tag':
      return true;
    default:
      return change.kind === 'policy';
  }
}

function tagsOf(details: readonly ChangeDetail[]): Tag[] {
  return details.flatMap((d) => (d.field === 'tag' && d.after !== null ? [{ key: d.key, value: d.after }] : []));
}

function createSteps(change: Change, step: StepMaker, label: string): Draft[] {
  const find = <F extends ChangeDetail['field']>(field: F) => change.details.find((d): d is Extract<ChangeDetail, { field: F }> => d.field === field);
  const description = find('description')?.after ?? undefined;
  const boundary = find('permissionsBoundary')?.after ?? undefined;
  const tags = tagsOf(change.details);
  const title = `create ${label}${change.path !== '/' ? ` at ${change.path}` : ''}`;
  switch (change.kind) {
    case 'policy':
      return [step('policies', title, { op: 'createPolicy', name: change.name, path: change.path, document: find('document')!.after, ...(description !== undefined ? { description } : {}), tags })];
    case 'group':
      return [step('principals', title, { op: 'createGroup', name: change.name, path: change.path })];
    case 'user':
      return [step('principals', title, { op: 'createUser', name: change.name, path: change.path, ...(boundary ? { boundary } : {}), tags })];
    case 'role': {
      const duration = find('maxSessionDuration')?.after;
      return [step('roles', title, { op: 'createRole', name: change.name, path: change.path, trust: find('trustPolicy')!.after, ...(description !== undefined ? { description } : {}), ...(duration !== undefined ? { maxSessionDuration: duration } : {}), ...(boundary ? { boundary } : {}), tags })];
    }
    case 'account':
      // The account is never created: its changes are updates (accountSteps).
      return [];
    default:
      return assertNever(change.kind, 'entity kind');
  }
}

/** The path a renamed entity has while it is renamed: the one it had (a move, if any, comes later). */
function renamedPath(change: Change, details: readonly ChangeDetail[]): string {
  const moved = details.find((d) => d.field === 'path');
  return moved?.field === 'path' ? moved.before : change.path;
}

function detailSteps(change: Change, details: readonly ChangeDetail[], step: StepMaker, label: string): Draft[] {
  const out: Draft[] = [];
  const kind = change.kind;
  const name = change.name;
  const principal = kind === 'policy' || kind === 'account' ? undefined : kind;
  const addTags = tagsOf(details);
  const removeTags = details.flatMap((d) => (d.field === 'tag' && d.after === null ? [d.key] : []));
  let roleSettings: { description?: string; maxSessionDuration?: number } | undefined;
  for (const d of details) {
    switch (d.field) {
      case 'name':
        // First of all (the policies phase comes before principals and grants): every other step names it anew.
        if (kind === 'user' || kind === 'group') out.push(step('policies', `rename ${kind} ${d.before} to ${d.after}`, { op: 'rename', kind, name: d.before, newName: d.after, path: renamedPath(change, details) }, [change.arn]));
        break;
      case 'path':
        if (kind === 'user' || kind === 'group') out.push(step('grants', `move ${label} to ${d.after}`, { op: 'movePath', kind, name, path: d.after }));
        break;
      case 'description':
        roleSettings = { ...roleSettings, description: d.after ?? '' };
        break;
      case 'maxSessionDuration':
        roleSettings = { ...roleSettings, maxSessionDuration: d.after };
        break;
      case 'permissionsBoundary':
        if (kind !== 'user' && kind !== 'role') break;
        if (d.after !== null) out.push(step('grants', `set the permissions boundary of ${label} to ${d.after}`, { op: 'setBoundary', kind, owner: name, arn: d.after }));
        else out.push(step('revokes', `remove the permissions boundary of ${label}`, { op: 'deleteBoundary', kind, owner: name }));
        break;
      case 'inlinePolicy':
        if (!principal) break;
        if (d.after !== null) out.push(step('grants', `put inline policy ${d.name} on ${label}`, { op: 'putInline', kind: principal, owner: name, policyName: d.name, document: d.after }));
        else out.push(step('revokes', `delete inline policy ${d.name} of ${label}`, { op: 'deleteInline', kind: principal, owner: name, policyName: d.name }));
        break;
      case 'managedPolicy':
        if (!principal) break;
        if (d.op === 'attach') out.push(step('grants', `attach ${d.arn} to ${label}`, { op: 'attach', kind: principal, owner: name, arn: d.arn }));
        else out.push(step('revokes', `detach ${d.arn} from ${label}`, { op: 'detach', kind: principal, owner: name, arn: d.arn }));
        break;
      case 'group': {
        const groupArn = entityArn(splitArn(change.arn)?.account ?? '', 'group', '/', d.group);
        if (d.op === 'add') out.push(step('grants', `add ${label} to group ${d.group}`, { op: 'addToGroup', user: name, group: d.group }, [groupArn]));
        else out.push(step('revokes', `remove ${label} from group ${d.group}`, { op: 'removeFromGroup', user: name, group: d.group }, [groupArn]));
        break;
      }
      case 'trustPolicy':
        out.push(step('trust', `update the trust policy of ${label}`, { op: 'updateTrust', name, document: d.after }));
        break;
      case 'document':
        out.push(step('policies', `set a new default version of ${label}`, { op: 'updatePolicyDocument', arn: change.arn, document: d.after }));
        break;
      case 'instanceProfile':
        if (d.op === 'add' && d.create) {
          // The profile first (at the role's path, where IAM's console puts it too), then the role into it.
          out.push(step('roles', `create instance profile ${d.name}`, { op: 'createInstanceProfile', name: d.name, path: change.path }));
          out.push(step('grants', `add ${label} to instance profile ${d.name}`, { op: 'addToInstanceProfile', profile: d.name, role: name }));
        } else if (d.op === 'add') out.push(step('grants', `put ${label} back into instance profile ${d.name}`, { op: 'addToInstanceProfile', profile: d.name, role: name }));
        else if (change.action === 'update') {
          out.push(step('revokes', `take ${label} out of instance profile ${d.name}`, { op: 'removeFromInstanceProfile', profile: d.name, role: name }));
          // After the role left it (a later phase): IAM refuses to delete a profile that holds a role.
          if (d.delete) out.push(step('delete-principals', `delete instance profile ${d.name}`, { op: 'deleteInstanceProfile', name: d.name }));
        }
        break;
      case 'loginProfile':
        if (kind === 'user') out.push(step('revokes', `delete the console password of ${label}`, { op: 'deleteLoginProfile', user: name }));
        break;
      case 'accessKey':
        if (kind === 'user') out.push(step('revokes', `delete ${d.active ? 'active' : 'inactive'} access key ${d.id} of ${label}`, { op: 'deleteAccessKey', user: name, id: d.id }));
        break;
      case 'tag':
      case 'member':
      case 'attachment':
      // On the account only (accountSteps).
      case 'passwordPolicy':
      case 'accountAlias':
        break;
      default:
        assertNever(d, 'change detail');
    }
  }
  if (roleSettings && kind === 'role') out.push(step('grants', `update ${label} (${Object.keys(roleSettings).join(', ')})`, { op: 'updateRole', name, ...roleSettings }));
  if (addTags.length) {
    const tagTitle = `tag ${label} (${addTags.map((t) => t.key).join(', ')})`;
    if (kind === 'policy') out.push(step('policies', tagTitle, { op: 'tagPolicy', arn: change.arn, tags: addTags }));
    else if (kind === 'user' || kind === 'role') out.push(step('grants', tagTitle, { op: 'tag', kind, owner: name, tags: addTags }));
  }
  if (removeTags.length) {
    const untagTitle = `untag ${label} (${removeTags.join(', ')})`;
    if (kind === 'policy') out.push(step('policies', untagTitle, { op: 'untagPolicy', arn: change.arn, keys: removeTags }));
    else if (kind === 'user' || kind === 'role') out.push(step('revokes', untagTitle, { op: 'untag', kind, owner: name, keys: removeTags }));
  }
  return out;
}

/**
 * The ARN of the entity an op's IAM calls change, built from the name (or policy ARN) the op sends. Ops that name an
 * entity without its path get `pathHint` (the change's path): guards resolve such ARNs by kind and name anyway, as
 * IAM names are unique per kind whatever the path.
 */
export function actedOnArn(op: StepOp, account: string, pathHint: string): string {
  const arn = (kind: 'user' | 'group' | 'role' | 'policy', name: string, path = pathHint): string => entityArn(account, kind, path, name);
  switch (op.op) {
    case 'createPolicy':
      return arn('policy', op.name, op.path);
    case 'updatePolicyDocument':
    case 'tagPolicy':
    case 'untagPolicy':
    case 'deletePolicy':
      return op.arn;
    case 'createGroup':
      return arn('group', op.name, op.path);
    case 'createUser':
      return arn('user', op.name, op.path);
    case 'createRole':
      return arn('role', op.name, op.path);
    case 'movePath':
      return arn(op.kind, op.name, op.path);
    case 'rename':
      return arn(op.kind, op.name, op.path);
    case 'updateRole':
    case 'updateTrust':
    case 'deleteRole':
      return arn('role', op.name);
    case 'putInline':
    case 'deleteInline':
    case 'attach':
    case 'detach':
    case 'setBoundary':
    case 'deleteBoundary':
    case 'tag':
    case 'untag':
      return arn(op.kind, op.owner);
    case 'addToGroup':
    case 'removeFromGroup':
      return arn('user', op.user);
    case 'addToInstanceProfile':
    case 'removeFromInstanceProfile':
      return arn('role', op.role);
    case 'createInstanceProfile':
      return entityArn(account, 'instance-profile', op.path, op.name);
    case 'deleteInstanceProfile':
      return entityArn(account, 'instance-profile', pathHint, op.name);
    case 'deleteLoginProfile':
    case 'deleteAccessKey':
      return arn('user', op.user);
    case 'deleteUser':
      return arn('user', op.name);
    case 'deleteGroup':
      return arn('group', op.name);
    case 'updatePasswordPolicy':
    case 'deletePasswordPolicy':
    case 'setAccountAlias':
      return `arn:aws:iam::${account}:root`;
    case 'createOidcProvider':
      return `arn:aws:iam::${account}:oidc-provider/${op.url.replace(/^https:\/\//, '')}`;
    case 'createSamlProvider':
      return `arn:aws:iam::${account}:saml-provider/${op.name}`;
    case 'addProviderClientId':
    case 'removeProviderClientId':
    case 'setProviderThumbprints':
    case 'updateSamlMetadata':
    case 'tagProvider':
    case 'untagProvider':
    case 'deleteProvider':
      return op.arn;
    default:
      return assertNever(op, 'step op');
  }
}
