/**
 * Effective access of the principals of one IAM state, asked as questions: can this user or role do this action
 * on this resource; can it assume that role. Answers come from the evaluation engine over every request the principal
 * could make (src/evaluate/request-space.ts): the keys AWS sets from the principal (its ARN, type, user name, tags)
 * and from an IAM user or role it acts on (their tags) are fixed; the rest (source IP, region, MFA, TLS, user agent,
 * request tags, the time from `now` on, passed in, never read from the clock) are the caller's to choose. A condition
 * that can never hold from `now` on blocks a path; one the caller can satisfy does not.
 */
import { addTo } from '../core/multimap.js';
import { accountRootArn, isAwsOwnedPath } from '../core/arn.js';
import { statementsOf, type PolicyJson } from '../core/policy.js';
import type { GroupState, IamState, ManagedPolicyState, RoleState, UserState } from '../core/state.js';
import { prepareContext } from '../evaluate/context.js';
import { allowPaths, decideSelected, decisionInSomeContext, evaluateInSomeContext, hasStatementsFor, selectStatements, type ChosenContextResult, type EvaluateOptions } from '../evaluate/engine.js';
import { PrincipalResolver, type PolicyVersionsInForce, type PrincipalDocuments, type ResolvedPrincipal } from '../evaluate/principal-policies.js';
import { defaultContext, findContext, isPrincipalKey, isResourceTagKey, type ConditionEntry, type ContextSearch, type RequestSpace } from '../evaluate/request-space.js';
import { ALWAYS_ALLOWED_ACTION } from '../evaluate/service-rules.js';
import type { Decision, RequestContext } from '../evaluate/types.js';
import { compiledTrust, type CompiledTrust } from './trust-principals.js';
import { principalContext } from '../evaluate/specialize-policy.js';

export type Principal = UserState | RoleState;

export class EffectiveAccess {
  private readonly resolver: PrincipalResolver;
  // By the principal value: a user as it would be with one more group (asMemberOf) is another principal.
  private readonly resolved = new WeakMap<Principal, ResolvedPrincipal>();
  private readonly reach = new WeakMap<Principal, readonly RoleState[]>();

  constructor(
    readonly state: IamState,
    readonly now: Date,
    private readonly options: EvaluateOptions,
  ) {
    this.resolver = new PrincipalResolver(state);
  }

  /** The user as it would be after joining the group (one principal value per pair, so its answers are cached). */
  asMemberOf(user: UserState, group: GroupState): UserState {
    const key = `${user.arn}\u0000${group.name.toLowerCase()}`;
    let member = this.members.get(key);
    if (!member) this.members.set(key, (member = { ...user, groups: [...user.groups, group.name] }));
    return member;
  }

  private readonly members = new Map<string, UserState>();

  /**
   * The principal as it would be with another version of one of its customer managed policies in force (after
   * iam:SetDefaultPolicyVersion): one principal value per combination, so its answers are cached. Switching a policy
   * back to its default version gives the principal without that switch.
   */
  withPolicyVersion(principal: Principal, policyArn: string, version: { readonly id: string; readonly document: PolicyJson } | 'default'): Principal {
    const from = this.variants.get(principal);
    const base = from?.base ?? principal;
    const versions = new Map(from?.versions ?? []);
    if (version === 'default') versions.delete(policyArn);
    else versions.set(policyArn, version);
    if (versions.size === 0) return base;
    const key = `${base.arn}\u0000${[...versions].map(([arn, v]) => `${arn}#${v.id}`).sort().join('\u0000')}`;
    let variant = this.variantsByKey.get(key);
    if (!variant) {
      variant = { ...base };
      this.variantsByKey.set(key, variant);
      this.variants.set(variant, { base, versions });
    }
    return variant;
  }

  /** The policy versions in force for a principal value made by withPolicyVersion (none: the defaults). */
  versionsInForce(principal: Principal): PolicyVersionsInForce | undefined {
    return this.variants.get(principal)?.versions;
  }

  private readonly variants = new WeakMap<Principal, { readonly base: Principal; readonly versions: PolicyVersionsInForce }>();
  private readonly variantsByKey = new Map<string, Principal>();

  /** Users and roles of the account that can act: AWS-owned roles are AWS's, not the account's. */
  principals(): Principal[] {
    return [...this.state.users.values(), ...[...this.state.roles.values()].filter((r) => !isAwsOwnedPath(r.path))];
  }

  /** The decision for the most favourable request the principal can make (Allowed if any context it can present allows it). */
  decision(principal: Principal, action: string, resource: string, extra: RequestContext = {}): Decision {
    const resolved = this.resolve(principal);
    const service = action.slice(0, action.indexOf(':')).toLowerCase();
    if (!hasStatementsFor(resolved.policies, service) && action.toLowerCase() !== ALWAYS_ALLOWED_ACTION) return 'ImplicitlyDenied';
    return decisionInSomeContext(resolved.policies, { principal: principal.arn, action, resource }, this.spaceFor(principal, resource, extra), this.options);
  }

  /**
   * The decision with the context that reaches it: for an Allowed, a request the principal can make that is allowed
   * (its region, source, MFA, time...), so findings can say under which condition they hold.
   */
  judge(principal: Principal, action: string, resource: string, extra: RequestContext = {}): ChosenContextResult {
    const resolved = this.resolve(principal);
    const service = action.slice(0, action.indexOf(':')).toLowerCase();
    if (!hasStatementsFor(resolved.policies, service) && action.toLowerCase() !== ALWAYS_ALLOWED_ACTION) return { decision: 'ImplicitlyDenied', matched: [], reason: 'no-allow', context: {}, complete: true };
    return evaluateInSomeContext(resolved.policies, { principal: principal.arn, action, resource }, this.spaceFor(principal, resource, extra), this.options);
  }

  /**
   * The keys a principal's requests cannot choose: its own (ARN, account, type, user name, tags), the question's
   * (`extra`, such as iam:PassedToService), and the tags of the IAM user or role the request acts on.
   */
  spaceFor(principal: Principal, resource: string, extra: RequestContext = {}): RequestSpace {
    const target = this.byArn().get(resource) ?? this.taggedPolicies().get(resource);
    // The same principal asking about resources other than IAM users and roles, with nothing extra: one space.
    const plain = !target && Object.keys(extra).length === 0;
    if (plain) {
      const cached = this.plainSpaces.get(principal);
      if (cached) return cached;
    }
    const resourceTags: Record<string, string> = {};
    if (target) {
      for (const [key, value] of Object.entries(target.tags)) {
        resourceTags[`aws:ResourceTag/${key}`] = value;
        resourceTags[`iam:ResourceTag/${key}`] = value;
      }
    }
    const extraKeys = new Set(Object.keys(extra).map((k) => k.toLowerCase()));
    const space: RequestSpace = {
      fixed: { ...this.contextOf(principal), ...resourceTags, ...extra },
      isFixed: (key) => isPrincipalKey(key) || extraKeys.has(key) || (target !== undefined && isResourceTagKey(key)),
      notBefore: this.now,
    };
    if (plain) this.plainSpaces.set(principal, space);
    return space;
  }

  private readonly plainSpaces = new WeakMap<Principal, RequestSpace>();

  can(principal: Principal, action: string, resource: string, extra: RequestContext = {}): boolean {
    return this.decision(principal, action, resource, extra) === 'Allowed';
  }

  /**
   * Resources among `targets` on which the principal may perform the action. Asked first for "any resource"
   * (`*`): when no Allow applies to any resource, none applies to a specific one, and thousands of targets are
   * skipped. Only an implicit denial prunes: a Deny on NotResource can deny `*` yet spare a target.
   */
  allowedOn(principal: Principal, action: string, targets: readonly string[] | (() => readonly string[]), extra: RequestContext = {}): string[] {
    if (this.decision(principal, action, '*', extra) === 'ImplicitlyDenied') return [];
    return (typeof targets === 'function' ? targets() : targets).filter((arn) => this.can(principal, action, arn, extra));
  }

  /** Account-wide lists, computed once: rules ask for them for every principal. */
  get lists(): AccountLists {
    this.accountLists ??= {
      users: [...this.state.users.values()].map((u) => u.arn),
      groups: [...this.state.groups.values()],
      roles: [...this.state.roles.values()].filter((r) => !isAwsOwnedPath(r.path)),
      customerPolicies: new Set([...this.state.policies.values()].map((p) => p.arn)),
      policyVersions: new Map([...this.state.policies.values()].filter((p) => p.otherVersions?.length).map((p) => [p.arn, p])),
    };
    return this.accountLists;
  }

  private accountLists?: AccountLists;

  /**
   * Whether the principal can assume the role, in some request it can make: the trust policy must allow it and no
   * Deny (trust or its own) apply; in the same account a trust policy naming the principal's ARN (or "*", which
   * matches it as its ARN does) suffices, while one naming the account also needs the principal's own policies to
   * allow sts:AssumeRole on the role. Trust
   * and identity conditions are judged in one context: a trust requiring MFA and a policy denying it cannot both hold.
   */
  canAssume(principal: Principal, role: RoleState): boolean {
    const question = this.assumeQuestion(principal, role);
    if (!question) return false;
    const found = findContext(question);
    // A search cut short cannot prove the role out of reach: assume it can (findings err towards reporting).
    return found.context !== undefined || !found.complete;
  }

  /**
   * "Can the principal assume the role in this context?", with the conditions a search over contexts needs; undefined
   * when no trust statement admits the principal in any context (so it never can).
   */
  assumeQuestion(principal: Principal, role: RoleState): AssumeQuestion | undefined {
    if (principal.arn === role.arn) return undefined;
    const account = this.state.account;
    const byArn: CompiledTrust[] = [];
    const byAccount: CompiledTrust[] = [];
    const trustDenies: CompiledTrust[] = [];
    for (const t of this.trustStatements(role)) {
      if (!t.compiled.actionMatches('sts', 'assumerole')) continue;
      const match = principalMatch(t.statement, principal.arn, account);
      if (match === 'none') continue;
      if (t.compiled.effect === 'Deny') trustDenies.push(t);
      else (match === 'arn' ? byArn : byAccount).push(t);
    }
    if (byArn.length === 0 && byAccount.length === 0) return undefined;
    const space = this.spaceFor(principal, role.arn);
    const selected = selectStatements(this.resolve(principal).policies, { action: 'sts:AssumeRole', resource: role.arn, context: defaultContext(space) }, this.options);
    const identity = allowPaths(selected);
    const conditions = (t: CompiledTrust): readonly ConditionEntry[] => t.compiled.conditions;
    const paths = [...byArn.map((t) => ({ conditions: conditions(t) })), ...byAccount.flatMap((t) => identity.paths.map((p) => ({ conditions: [...conditions(t), ...p.conditions] })))];
    const denies = [...trustDenies.map(conditions), ...identity.denies];
    const fixed = space.fixed;
    const decide = (free: RequestContext): boolean => {
      // The principal's own keys are its own on this side, whatever context the question is asked in.
      const context = { ...free, ...fixed };
      const prepared = prepareContext(context);
      if (trustDenies.some((t) => t.compiled.conditionHolds(prepared))) return false;
      const own = decideSelected(selected, context).decision;
      if (own === 'ExplicitlyDenied') return false;
      return byArn.some((t) => t.compiled.conditionHolds(prepared)) || (own === 'Allowed' && byAccount.some((t) => t.compiled.conditionHolds(prepared)));
    };
    const admitting = (free: RequestContext): Record<string, unknown> | undefined => {
      const prepared = prepareContext({ ...free, ...fixed });
      const statement = [...byArn, ...byAccount].find((t) => t.compiled.conditionHolds(prepared))?.statement;
      return statement?.['Condition'] as Record<string, unknown> | undefined;
    };
    return { paths, denies, space, decide, admitting };
  }

  private readonly trustCache = new Map<string, readonly CompiledTrust[]>();

  /** A role's trust statements, compiled once (see `compiledTrust`). */
  trustStatements(role: RoleState): readonly CompiledTrust[] {
    let found = this.trustCache.get(role.arn);
    if (!found) this.trustCache.set(role.arn, (found = compiledTrust(role)));
    return found;
  }

  /** Every role the principal can reach by assuming roles, directly or through a chain. */
  reachableRoles(principal: Principal): readonly RoleState[] {
    const cached = this.reach.get(principal);
    if (cached) return cached;
    const seen = new Set<string>([principal.arn]);
    const found: RoleState[] = [];
    const queue: Principal[] = [principal];
    while (queue.length > 0) {
      const current = queue.shift()!;
      for (const role of this.candidateRoles(current)) {
        if (seen.has(role.arn) || !this.canAssume(current, role)) continue;
        seen.add(role.arn);
        found.push(role);
        queue.push(role);
      }
    }
    this.reach.set(principal, found);
    return found;
  }

  /** Principals that may be able to assume the role (its trust names them, or names the account). */
  possibleAssumers(role: RoleState): Principal[] {
    const index = this.trustIndex();
    const named = (index.namedIn.get(role.arn) ?? []).map((arn) => this.byArn().get(arn)).filter((p): p is Principal => p !== undefined);
    const byAccount = index.trustsEveryone.has(role.arn) ? this.principals() : index.trustsAccount.has(role.arn) ? this.principals().filter((p) => this.mayAssumeSomething(p)) : [];
    return [...new Set([...named, ...byAccount])];
  }

  /**
   * Roles whose trust could admit the principal: those naming its ARN, and those trusting the whole account when
   * its own policies can allow sts:AssumeRole at all. The rest cannot, whatever their conditions say.
   */
  private candidateRoles(principal: Principal): RoleState[] {
    const index = this.trustIndex();
    const direct = index.naming.get(principal.arn) ?? [];
    const byAccount = this.mayAssumeSomething(principal) ? index.accountTrusting : index.everyoneTrusting;
    return [...new Set([...direct, ...byAccount])];
  }

  /** Whether any of the principal's policies can allow sts:AssumeRole on some role. */
  private mayAssumeSomething(principal: Principal): boolean {
    return this.decision(principal, 'sts:AssumeRole', '*') !== 'ImplicitlyDenied';
  }

  private index?: TrustIndex;
  private principalsByArn?: Map<string, Principal>;

  /** The account's user or role with this ARN. */
  principalByArn(arn: string): Principal | undefined {
    return this.byArn().get(arn);
  }

  private policiesByArn?: Map<string, ManagedPolicyState>;

  /**
   * Customer managed policies whose tags the state knows: a request on one carries them (aws:ResourceTag/*), as on a
   * user or role. Where the source could not tell them (a snapshot), they stay free: any tags may hold.
   */
  taggedPolicies(): Map<string, ManagedPolicyState> {
    this.policiesByArn ??= new Map([...this.state.policies.values()].filter((p) => !p.unknown?.includes('tags')).map((p) => [p.arn, p]));
    return this.policiesByArn;
  }

  private byArn(): Map<string, Principal> {
    this.principalsByArn ??= new Map(this.principals().map((p) => [p.arn, p]));
    return this.principalsByArn;
  }

  private trustIndex(): TrustIndex {
    if (!this.index) {
      const naming = new Map<string, RoleState[]>();
      const namedIn = new Map<string, string[]>();
      const accountTrusting: RoleState[] = [];
      const trustsAccount = new Set<string>();
      const everyoneTrusting: RoleState[] = [];
      const account = this.state.account;
      for (const role of this.state.roles.values()) {
        if (isAwsOwnedPath(role.path)) continue;
        const ids = new Set<string>();
        let wholeAccount = false;
        let everyone = false;
        for (const statement of statementsOf(role.trustPolicy.document)) {
          if (statement['NotPrincipal'] !== undefined) wholeAccount = true;
          for (const id of awsPrincipals(statement['Principal'])) {
            if (id === '*') everyone = wholeAccount = true;
            else if (id === account || id === accountRootArn(account)) wholeAccount = true;
            else ids.add(id);
          }
        }
        for (const id of ids) addTo(naming, id, role);
        namedIn.set(role.arn, [...ids]);
        if (wholeAccount) {
          accountTrusting.push(role);
          trustsAccount.add(role.arn);
        }
        if (everyone) everyoneTrusting.push(role);
      }
      this.index = { naming, namedIn, accountTrusting, trustsAccount, everyoneTrusting, trustsEveryone: new Set(everyoneTrusting.map((r) => r.arn)) };
    }
    return this.index;
  }

  /**
   * Whether some Allow of the principal's own policies can name an action of one of these services (lower case), by
   * its text alone: an Action of the service, `*`, or a NotAction. A quick test before asking the engine; false means
   * no request of those services is ever allowed.
   */
  mayAllowAny(principal: Principal, services: ReadonlySet<string>): boolean {
    return this.resolver.documentsOf(principal, this.versionsInForce(principal)).identity.some((d) => {
      const allowed = servicesAllowed(d.document);
      return allowed === 'any' || [...services].some((s) => allowed.has(s));
    });
  }

  /** The documents that apply to the principal, identity and boundary apart, as the state holds them. */
  namedDocumentsOf(principal: Principal): Pick<PrincipalDocuments, 'identity' | 'boundary'> {
    return this.resolver.documentsOf(principal, this.versionsInForce(principal));
  }

  /** The documents of the policies that apply to the principal (identity and boundary), as the state holds them. */
  documentsOf(principal: Principal): PolicyJson[] {
    const documents = this.resolver.documentsOf(principal, this.versionsInForce(principal));
    return [...documents.identity, ...(documents.boundary ? [documents.boundary] : [])].map((d) => d.document);
  }

  /** Attached policies whose documents the state lacks: evaluation cannot see what they grant. */
  unknownPolicies(principal: Principal): readonly string[] {
    return this.resolve(principal).unknownPolicies;
  }

  private resolve(principal: Principal): ResolvedPrincipal {
    let resolved = this.resolved.get(principal);
    if (!resolved) {
      resolved = this.resolver.resolveEntity(principal, this.versionsInForce(principal));
      this.resolved.set(principal, resolved);
    }
    return resolved;
  }

  /** The keys AWS sets from the principal itself, for every request it makes. */
  private contextOf(principal: Principal): Record<string, string> {
    return principalContext(principal, this.state.account);
  }
}

/**
 * Whether a principal can assume a role in a given request context, as a search over contexts asks it
 * (`findContext`), with the trust statement's condition that admits it in a context (for saying under which).
 */
export interface AssumeQuestion extends ContextSearch {
  readonly admitting: (context: RequestContext) => Record<string, unknown> | undefined;
}


const allowedServices = new WeakMap<PolicyJson, ReadonlySet<string> | 'any'>();

/** The services whose actions a document's Allow statements can name (lower case), or 'any'. */
function servicesAllowed(document: PolicyJson): ReadonlySet<string> | 'any' {
  let found = allowedServices.get(document);
  if (found === undefined) {
    const services = new Set<string>();
    let any = false;
    for (const statement of statementsOf(document)) {
      if (statement['Effect'] !== 'Allow') continue;
      if (statement['Action'] === undefined) {
        any = true; // NotAction: every action but some
        break;
      }
      for (const action of (Array.isArray(statement['Action']) ? statement['Action'] : [statement['Action']]) as unknown[]) {
        if (typeof action !== 'string') continue;
        const colon = action.indexOf(':');
        if (action === '*' || colon < 0) any = any || action === '*';
        else services.add(action.slice(0, colon).toLowerCase());
      }
    }
    allowedServices.set(document, (found = any ? 'any' : services));
  }
  return found;
}

export interface AccountLists {
  readonly users: readonly string[];
  readonly groups: readonly GroupState[];
  /** Roles of the account, without AWS-owned ones. */
  readonly roles: readonly RoleState[];
  readonly customerPolicies: ReadonlySet<string>;
  /** Customer managed policies that have versions besides the default one, by ARN. */
  readonly policyVersions: ReadonlyMap<string, ManagedPolicyState>;
}

interface TrustIndex {
  /** Principal ARN -> roles whose trust names it. */
  readonly naming: ReadonlyMap<string, readonly RoleState[]>;
  /** Role ARN -> principal ARNs its trust names. */
  readonly namedIn: ReadonlyMap<string, readonly string[]>;
  /** Roles whose trust admits the whole account ("*", the account, or NotPrincipal). */
  readonly accountTrusting: readonly RoleState[];
  readonly trustsAccount: ReadonlySet<string>;
  /** Roles whose trust names every AWS principal ("*"): it admits each principal as naming it would. */
  readonly everyoneTrusting: readonly RoleState[];
  readonly trustsEveryone: ReadonlySet<string>;
}

function awsPrincipals(principal: unknown): string[] {
  if (principal === '*') return ['*'];
  if (typeof principal !== 'object' || principal === null) return [];
  const aws = (principal as Record<string, unknown>)['AWS'];
  return (Array.isArray(aws) ? aws : aws === undefined ? [] : [aws]).filter((v): v is string => typeof v === 'string');
}


/**
 * How a trust statement's Principal names a principal of `account`: by its ARN (or "*", every principal, which
 * matches it as its ARN does), by the account (its root ARN or bare id), or not at all. NotPrincipal names everyone
 * it does not list.
 */
export function principalMatch(statement: Record<string, unknown>, arn: string, account: string): 'arn' | 'account' | 'none' {
  const listed = (value: unknown): string[] => {
    if (value === '*') return ['*'];
    if (typeof value !== 'object' || value === null) return [];
    const aws = (value as Record<string, unknown>)['AWS'];
    return (Array.isArray(aws) ? aws : aws === undefined ? [] : [aws]).filter((v): v is string => typeof v === 'string');
  };
  const classify = (ids: string[]): 'arn' | 'account' | 'none' => {
    // "*" matches the caller itself, as its ARN does: no permission of its own is needed (only the account's
    // root ARN or id delegates to the principal's own policies).
    if (ids.includes(arn) || ids.includes('*')) return 'arn';
    if (ids.some((id) => id === account || id === accountRootArn(account))) return 'account';
    return 'none';
  };
  if (statement['Principal'] !== undefined) return classify(listed(statement['Principal']));
  if (statement['NotPrincipal'] !== undefined) return classify(listed(statement['NotPrincipal'])) === 'none' ? 'account' : 'none';
  return 'none';
}
