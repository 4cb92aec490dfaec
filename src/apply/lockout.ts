/**
 * The lockout guard, judged with the evaluation engine on the planned state. The caller of `apply` (for an assumed
 * role, the role) and every protected user or role must not, after the change:
 * - lose a permission that apply itself needs on the repo's managed paths (allowed before, not after);
 * - lose the trust that lets the caller in (for a role: any principal its trust policy stops admitting);
 * - be deleted (a replacement deletes too), judged by the entity each step's IAM call names.
 * Protected principals are the Account manifest's entries, matched by kind and name. A condition on a key that varies
 * per request (aws:SourceIp, aws:CurrentTime, ...) may hold or not for apply's own requests: a Deny under one is
 * assumed able to apply (see lostPermissions). Pure: states in, risks out. `touchesGuarded` says which steps can
 * cause them, so that --allow-lockout runs those steps last.
 */
import { entityKey, protectedMatcher, splitArn } from '../core/arn.js';
import { isPlainObject, stableStringify, type PolicyJson } from '../core/policy.js';
import type { IamState, RoleState, UserState } from '../core/state.js';
import { compilePolicy, type CompiledPolicy } from '../evaluate/compile-policy.js';
import { evaluate, type EvaluateOptions, type PrincipalPolicies } from '../evaluate/engine.js';
import { PrincipalResolver, type NamedDocument } from '../evaluate/principal-policies.js';
import type { TrustDelta } from '../analyze/trust-delta.js';
import type { Step } from './steps.js';

/** What apply calls, by the kind of resource it names (`*` for listings and reads of the whole account). */
export const APPLY_PERMISSIONS: Readonly<Record<'*' | 'user' | 'group' | 'role' | 'policy' | 'instance-profile' | 'oidc-provider' | 'saml-provider', readonly string[]>> = {
  // The account's settings name no resource: IAM authorizes them on "*".
  '*': ['iam:GetAccountAuthorizationDetails', 'iam:ListRoles', 'iam:UpdateAccountPasswordPolicy', 'iam:DeleteAccountPasswordPolicy', 'iam:CreateAccountAlias', 'iam:DeleteAccountAlias'],
  user: ['iam:CreateUser', 'iam:DeleteUser', 'iam:UpdateUser', 'iam:TagUser', 'iam:UntagUser', 'iam:PutUserPolicy', 'iam:DeleteUserPolicy', 'iam:AttachUserPolicy', 'iam:DetachUserPolicy', 'iam:PutUserPermissionsBoundary', 'iam:DeleteUserPermissionsBoundary', 'iam:ListAccessKeys', 'iam:DeleteAccessKey', 'iam:DeleteLoginProfile', 'iam:ListGroupsForUser'],
  group: ['iam:CreateGroup', 'iam:DeleteGroup', 'iam:UpdateGroup', 'iam:GetGroup', 'iam:PutGroupPolicy', 'iam:DeleteGroupPolicy', 'iam:AttachGroupPolicy', 'iam:DetachGroupPolicy', 'iam:AddUserToGroup', 'iam:RemoveUserFromGroup'],
  role: ['iam:CreateRole', 'iam:DeleteRole', 'iam:UpdateRole', 'iam:UpdateAssumeRolePolicy', 'iam:TagRole', 'iam:UntagRole', 'iam:PutRolePolicy', 'iam:DeleteRolePolicy', 'iam:AttachRolePolicy', 'iam:DetachRolePolicy', 'iam:PutRolePermissionsBoundary', 'iam:DeleteRolePermissionsBoundary', 'iam:ListInstanceProfilesForRole', 'iam:RemoveRoleFromInstanceProfile'],
  policy: ['iam:CreatePolicy', 'iam:CreatePolicyVersion', 'iam:DeletePolicyVersion', 'iam:DeletePolicy', 'iam:ListPolicyVersions', 'iam:ListEntitiesForPolicy', 'iam:TagPolicy', 'iam:UntagPolicy', 'iam:ListPolicyTags'],
  'instance-profile': ['iam:CreateInstanceProfile', 'iam:DeleteInstanceProfile', 'iam:AddRoleToInstanceProfile', 'iam:RemoveRoleFromInstanceProfile'],
  'oidc-provider': ['iam:CreateOpenIDConnectProvider', 'iam:DeleteOpenIDConnectProvider', 'iam:AddClientIDToOpenIDConnectProvider', 'iam:RemoveClientIDFromOpenIDConnectProvider', 'iam:UpdateOpenIDConnectProviderThumbprint', 'iam:TagOpenIDConnectProvider', 'iam:UntagOpenIDConnectProvider'],
  'saml-provider': ['iam:CreateSAMLProvider', 'iam:DeleteSAMLProvider', 'iam:UpdateSAMLProvider', 'iam:TagSAMLProvider', 'iam:UntagSAMLProvider'],
};

/** Identity providers have no path: one probe ARN each, whatever the managed paths. */
const PATHLESS_KINDS: ReadonlySet<string> = new Set(['oidc-provider', 'saml-provider']);

export interface LockoutRisk {
  /** The guarded principal, and why it is guarded: `the caller` or `protected`. */
  readonly principal: string;
  readonly as: 'caller' | 'protected';
  readonly summary: string;
  /** The statements involved: what allowed it before, what denies it (or that nothing allows it) after. */
  readonly statements: readonly string[];
}

export interface LockoutInput {
  readonly before: IamState;
  readonly after: IamState;
  /** The steps that will run: a deletion is judged by the entity its IAM call names. */
  readonly steps: readonly Step[];
  readonly trust: readonly TrustDelta[];
  /** The IAM principal apply runs as (a user, or an assumed role's role), when it is in the account. */
  readonly caller?: string;
  /** The Account manifest's `protected` entries (matched by kind and name, whatever the path). */
  readonly protected: readonly string[];
  readonly managedPaths: readonly string[];
  readonly options: EvaluateOptions;
}

/**
 * Condition keys whose value in a principal's own requests the state tells exactly: who the principal is. Every
 * other key (aws:SourceIp, aws:CurrentTime, aws:SecureTransport, aws:ViaAWSService, aws:RequestedRegion,
 * aws:UserAgent, aws:MultiFactorAuthPresent, iam:PolicyARN, aws:RequestTag/..., ...) takes a value per request
 * that the guard cannot know before the requests are made, so a condition on it may hold or not.
 */
const IDENTITY_KEYS: ReadonlySet<string> = new Set(['aws:principalarn', 'aws:principalaccount', 'aws:principaltype', 'aws:username', 'aws:principalisawsservice']);

function isIdentityKey(key: string): boolean {
  const k = key.toLowerCase();
  return IDENTITY_KEYS.has(k) || k.startsWith('aws:principaltag/');
}

/** More per-request conditions than this among a principal's statements are judged pessimistically, not one by one. */
const MAX_ENUMERATED_CONDITIONS = 10;

export function lockoutRisks(input: LockoutInput): LockoutRisk[] {
  const guarded = new Map<string, 'caller' | 'protected'>();
  const isProtected = protectedMatcher(input.protected);
  for (const state of [input.before, input.after]) {
    for (const principal of [...state.users.values(), ...state.roles.values()]) if (isProtected(principal.arn)) guarded.set(principal.arn, 'protected');
  }
  if (input.caller) guarded.set(input.caller, 'caller');
  const unknowns = new UnknownConditions();
  const sides = { before: new Side(input.before, unknowns), after: new Side(input.after, unknowns) };
  const risks: LockoutRisk[] = [];
  for (const [arn, as] of guarded) {
    const who = as === 'caller' ? `the caller (${arn})` : `protected ${arn}`;
    const key = entityKey(arn);
    const deleted = input.steps.find((s) => (s.op.op === 'deleteUser' || s.op.op === 'deleteRole') && entityKey(s.target) === key);
    if (deleted) {
      risks.push({ principal: arn, as, summary: `${who} is ${deleted.phase === 'replace-delete' ? 'replaced (deleted and created again: its credentials and sessions end)' : 'deleted by this plan'}`, statements: [] });
      continue;
    }
    // A credentials policy may delete the guarded user's own access keys or console password: the ones apply (or the
    // break-glass person) signs in with, perhaps.
    const credentials = input.steps.filter((s) => (s.op.op === 'deleteAccessKey' || s.op.op === 'deleteLoginProfile') && entityKey(s.target) === key);
    if (credentials.length) {
      const what = credentials.map((s) => (s.op.op === 'deleteAccessKey' ? `access key ${s.op.id}` : 'console password'));
      risks.push({ principal: arn, as, summary: `${who} would lose its ${what.join(', ')} (credentials policy): if that is how it signs in, it is locked out`, statements: [] });
    }
    const was = sides.before.resolve(arn);
    // A user renamed in place keeps its credentials: judged under its new ARN after the plan.
    const renamed = input.steps.find((s) => s.op.op === 'rename' && entityKey(s.target) === key)?.alsoTouches[0];
    const is = sides.after.resolve(renamed ?? arn);
    if (!was || !is) continue;
    const lost = lostPermissions(input, arn, was, is, unknowns);
    if (lost.length) {
      const actions = [...new Set(lost.map((l) => l.action))];
      risks.push({
        principal: arn,
        as,
        summary: `${who} would lose ${actions.length === 1 ? actions[0] : `${actions.length} permissions apply needs (${actions.slice(0, 4).join(', ')}${actions.length > 4 ? ', ...' : ''})`} on ${lost[0]!.resource === '*' ? 'the account' : 'the managed paths'}`,
        statements: [...new Set(lost.flatMap((l) => l.statements))].slice(0, 6),
      });
    }
    // The caller's own role must keep admitting whoever assumes it (a CI system's OIDC trust, say); who else may
    // assume a protected role is not apply's to judge (its trust policy is never changed anyway).
    const trust = as === 'caller' ? input.trust.find((t) => t.role === arn) : undefined;
    if (trust?.lost.length) {
      risks.push({ principal: arn, as, summary: `${who} would stop trusting ${trust.lost.map((g) => `${g.type} ${g.principal}`).join(', ')}: whoever assumes it that way (the caller, perhaps) is locked out`, statements: [] });
    }
  }
  return risks;
}

/**
 * What apply needs that the principal may do before the change and not after, for some request it could make. A
 * condition on a per-request key (see IDENTITY_KEYS) may hold or not: each such condition is a free choice, made
 * the same way on both sides, and a permission counts as lost when some choice allows it before and not after. So a
 * Deny that can apply to the principal's own requests is assumed to apply (a new `Deny iam:* unless aws:SourceIp is
 * the office` locks out a CI runner elsewhere), while a condition that both sides share changes nothing.
 */
function lostPermissions(input: LockoutInput, arn: string, was: Resolved, is: Resolved, unknowns: UnknownConditions): { action: string; resource: string; statements: string[] }[] {
  // Policies the plan leaves as they are lose nothing, under any condition.
  if (was.key === is.key && stableStringify(contextOf(was.entity)) === stableStringify(contextOf(is.entity))) return [];
  const atoms = [...new Set([...was.atoms, ...is.atoms])].sort((a, b) => a - b);
  const contexts = atomChoices(atoms, unknowns).map((choice) => ({ before: { ...contextOf(was.entity), ...choice.context('before') }, after: { ...contextOf(is.entity), ...choice.context('after') } }));
  const lost: { action: string; resource: string; statements: string[] }[] = [];
  for (const [kind, actions] of Object.entries(APPLY_PERMISSIONS) as [keyof typeof APPLY_PERMISSIONS, readonly string[]][]) {
    const resources = kind === '*' ? ['*'] : PATHLESS_KINDS.has(kind) ? [`arn:aws:iam::${input.before.account}:${kind}/iam-gitops-probe`] : input.managedPaths.map((path) => `arn:aws:iam::${input.before.account}:${kind}${path}iam-gitops-probe`);
    for (const action of actions) {
      for (const resource of resources) {
        for (const context of contexts) {
          const before = evaluate(was.policies, { principal: arn, action, resource, context: context.before }, input.options);
          if (before.decision !== 'Allowed') continue;
          const after = evaluate(is.policies, { principal: arn, action, resource, context: context.after }, input.options);
          if (after.decision === 'Allowed') continue;
          const allowedBy = before.matched.filter((m) => m.effect === 'Allow').map((m) => `before: allowed by ${m.policy}, statement ${m.statement}${m.sid ? ` (${m.sid})` : ''}`);
          const deniedBy =
            after.decision === 'ExplicitlyDenied'
              ? after.matched.map((m) => `after: denied by ${m.policy}, statement ${m.statement}${m.sid ? ` (${m.sid})` : ''}${conditionNote(is.conditions.get(`${m.boundary ? 'boundary' : 'identity'}|${m.policy}|${m.statement}`), unknowns)}`)
              : [after.reason === 'boundary' ? 'after: the permissions boundary does not allow it' : 'after: no statement allows it'];
          lost.push({ action, resource, statements: [...allowedBy, ...deniedBy] });
          break;
        }
      }
    }
  }
  return lost;
}

function conditionNote(atoms: readonly number[] | undefined, unknowns: UnknownConditions): string {
  if (!atoms?.length) return '';
  const keys = [...new Set(atoms.map((a) => unknowns.atom(a).key))].sort();
  return `, under a condition on ${keys.join(', ')}, which may hold for apply's own requests`;
}

/**
 * The ways the per-request conditions may turn out, as context values of their stand-in keys. Up to
 * MAX_ENUMERATED_CONDITIONS, every combination; beyond, one pessimistic pair (before: every Allow's condition holds
 * and no Deny's; after: every Deny's holds and no Allow's), which can only report more.
 */
function atomChoices(atoms: readonly number[], unknowns: UnknownConditions): { context(side: 'before' | 'after'): Record<string, string> }[] {
  const valued = (holds: (atom: number, side: 'before' | 'after') => boolean) => ({
    context: (side: 'before' | 'after') => Object.fromEntries(atoms.map((a) => [atomKey(a), String(holds(a, side))])),
  });
  if (atoms.length > MAX_ENUMERATED_CONDITIONS) {
    return [valued((a, side) => (unknowns.atom(a).effect === 'Allow') === (side === 'before'))];
  }
  return Array.from({ length: 2 ** atoms.length }, (_, mask) => valued((a) => ((mask >> atoms.indexOf(a)) & 1) === 1));
}

const ATOM_PREFIX = 'iam-gitops:condition/';
const atomKey = (atom: number): string => `${ATOM_PREFIX}${atom}`;

interface Atom {
  readonly effect: 'Allow' | 'Deny';
  readonly operator: string;
  readonly key: string;
}

/**
 * The per-request condition entries of the policies judged, each a numbered atom: the same entry (effect, operator,
 * key, values) in the before and after states is one atom, so a condition both sides share is decided alike.
 */
class UnknownConditions {
  private readonly ids = new Map<string, number>();
  private readonly atoms: Atom[] = [];

  atom(id: number): Atom {
    return this.atoms[id]!;
  }

  /**
   * The document with every per-request condition entry replaced by `Bool {iam-gitops:condition/N: true}`, and the
   * atoms of each statement (by index).
   */
  rewrite(document: PolicyJson): { document: PolicyJson; atoms: Map<number, number[]> } {
    const byStatement = new Map<number, number[]>();
    const raw = document['Statement'];
    const list = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
    const statements = list.map((statement: unknown, index) => {
      if (!isPlainObject(statement) || !isPlainObject(statement['Condition'])) return statement;
      const effect = statement['Effect'] === 'Deny' ? 'Deny' : 'Allow';
      const condition: Record<string, unknown> = {};
      const ids: number[] = [];
      for (const [operator, entries] of Object.entries(statement['Condition'])) {
        if (!isPlainObject(entries)) {
          condition[operator] = entries;
          continue;
        }
        const known: Record<string, unknown> = {};
        for (const [key, values] of Object.entries(entries)) {
          if (isIdentityKey(key) && !refersToRequestKeys(values)) known[key] = values;
          else ids.push(this.register({ effect, operator, key }, values));
        }
        if (Object.keys(known).length) condition[operator] = known;
      }
      if (ids.length === 0) return statement;
      byStatement.set(index, ids);
      condition['Bool'] = { ...(isPlainObject(condition['Bool']) ? condition['Bool'] : {}), ...Object.fromEntries(ids.map((id) => [atomKey(id), 'true'])) };
      return { ...statement, Condition: condition };
    });
    if (byStatement.size === 0) return { document, atoms: byStatement };
    return { document: { ...document, Statement: statements }, atoms: byStatement };
  }

  private register(atom: Atom, values: unknown): number {
    const id = stableStringify([atom.effect, atom.operator.toLowerCase(), atom.key.toLowerCase(), values]);
    let n = this.ids.get(id);
    if (n === undefined) {
      n = this.atoms.length;
      this.atoms.push(atom);
      this.ids.set(id, n);
    }
    return n;
  }
}

/** Whether condition values name a policy variable of a per-request key (`${aws:SourceIp}`). */
function refersToRequestKeys(values: unknown): boolean {
  const list = Array.isArray(values) ? values : [values];
  return list.some((v) => typeof v === 'string' && [...v.matchAll(/\$\{([^}]+)\}/g)].some((m) => !['*', '?', '$'].includes(m[1]!) && !isIdentityKey(m[1]!)));
}

interface Resolved {
  readonly entity: UserState | RoleState;
  readonly policies: PrincipalPolicies;
  /** The atoms its statements use. */
  readonly atoms: readonly number[];
  /** `identity|policy name|statement index` (or `boundary|...`) to the atoms of that statement. */
  readonly conditions: ReadonlyMap<string, readonly number[]>;
  /** The documents that apply, as text: equal on both sides when the plan leaves the principal's policies alone. */
  readonly key: string;
}

/** One state's principals with their policies rewritten and compiled (a managed policy once for all). */
class Side {
  private readonly documents: PrincipalResolver;
  private readonly compiled = new Map<PolicyJson, { policy: CompiledPolicy; atoms: Map<number, number[]> }>();

  constructor(state: IamState, private readonly unknowns: UnknownConditions) {
    this.documents = new PrincipalResolver(state);
  }

  resolve(arn: string): Resolved | undefined {
    const found = this.documents.documents(arn);
    if (!found) return undefined;
    const atoms = new Set<number>();
    const conditions = new Map<string, number[]>();
    const compile = (d: NamedDocument, where: 'identity' | 'boundary'): CompiledPolicy => {
      let entry = this.compiled.get(d.document);
      if (!entry) {
        const rewritten = this.unknowns.rewrite(d.document);
        entry = { policy: compilePolicy(d.name, rewritten.document), atoms: rewritten.atoms };
        this.compiled.set(d.document, entry);
      }
      for (const [index, ids] of entry.atoms) {
        ids.forEach((id) => atoms.add(id));
        conditions.set(`${where}|${d.name}|${index}`, ids);
      }
      return entry.policy;
    };
    const identity = found.identity.map((d) => compile(d, 'identity'));
    const boundary = found.boundary ? compile(found.boundary, 'boundary') : undefined;
    const key = stableStringify({ identity: found.identity.map((d) => [d.name, d.document]), boundary: found.boundary ? [found.boundary.name, found.boundary.document] : null });
    return { entity: found.entity, policies: { identity, ...(boundary ? { boundary } : {}) }, atoms: [...atoms], conditions, key };
  }
}

/** The keys the state tells for the principal's own requests (per-request keys are the atoms' business). */
function contextOf(entity: UserState | RoleState): Record<string, string> {
  return {
    'aws:PrincipalArn': entity.arn,
    'aws:PrincipalAccount': splitArn(entity.arn)?.account ?? '',
    'aws:PrincipalType': entity.kind === 'user' ? 'User' : 'AssumedRole',
    'aws:PrincipalIsAWSService': 'false',
    ...(entity.kind === 'user' ? { 'aws:username': entity.name } : {}),
    ...Object.fromEntries(Object.entries(entity.tags).map(([k, v]) => [`aws:PrincipalTag/${k}`, v])),
  };
}

/**
 * Whether a step can change what a guarded principal may do or who may assume it: a step on the principal itself,
 * on a group it belongs to, or on a policy it (or its groups) holds or is bounded by.
 */
export function touchesGuarded(step: Step, guarded: readonly string[], states: readonly IamState[]): boolean {
  const related = new Set<string>();
  const relate = (arn: string): void => void related.add(entityKey(arn) ?? arn);
  const isGuarded = new Set(guarded.map((arn) => entityKey(arn) ?? arn));
  for (const state of states) {
    for (const principal of [...state.users.values(), ...state.roles.values()]) {
      if (!isGuarded.has(entityKey(principal.arn) ?? principal.arn)) continue;
      relate(principal.arn);
      principal.managedPolicies.forEach(relate);
      if (principal.permissionsBoundary) relate(principal.permissionsBoundary);
      if (principal.kind === 'user') {
        for (const g of principal.groups) {
          const group = state.groups.get(g.toLowerCase());
          if (!group) continue;
          relate(group.arn);
          group.managedPolicies.forEach(relate);
        }
      }
    }
  }
  // By kind and name, as the step's calls name entities: whatever path an ARN was written with.
  return [step.target, ...step.alsoTouches].some((arn) => related.has(entityKey(arn) ?? arn));
}
