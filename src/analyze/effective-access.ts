/**
 * Effective access of the principals of one IAM state, asked as questions: can this user or role do this action
 * on this resource; can it assume that role. Answers come from the evaluation engine, with the request context an
 * attacker would have: the time is `now` (passed in, never read from the clock), MFA is present, the transport is
 * TLS, and the keys AWS sets from the principal are set. A condition that can never hold at `now` blocks a path; one
 * the caller can satisfy does not.
 */
import { addTo } from '../core/multimap.js';
import { isAwsOwnedPath } from '../core/arn.js';
import { statementsOf, type PolicyJson } from '../core/policy.js';
import type { GroupState, IamState, RoleState, UserState } from '../core/state.js';
import { compilePolicy, type CompiledPolicy } from '../evaluate/compile-policy.js';
import { evaluate, hasStatementsFor, type EvaluateOptions } from '../evaluate/engine.js';
import { PrincipalResolver, type ResolvedPrincipal } from '../evaluate/principal-policies.js';
import { ALWAYS_ALLOWED_ACTION } from '../evaluate/service-rules.js';
import type { Decision, RequestContext } from '../evaluate/types.js';

export type Principal = UserState | RoleState;

export class EffectiveAccess {
  private readonly resolver: PrincipalResolver;
  private readonly resolved = new Map<string, ResolvedPrincipal>();
  private readonly reach = new Map<string, readonly RoleState[]>();
  /** The caller picks the region: us-east-1 (where IAM lives) and every region a policy condition names. */
  private readonly regions: readonly string[];

  constructor(
    readonly state: IamState,
    private readonly now: Date,
    private readonly options: EvaluateOptions,
  ) {
    this.resolver = new PrincipalResolver(state);
    this.regions = ['us-east-1', ...[...regionsNamedIn(state)].filter((r) => r !== 'us-east-1').sort()];
  }

  /** Users and roles of the account that can act: AWS-owned roles are AWS's, not the account's. */
  principals(): Principal[] {
    return [...this.state.users.values(), ...[...this.state.roles.values()].filter((r) => !isAwsOwnedPath(r.path))];
  }

  /** The decision in the most favourable region for the caller (Allowed if any region allows it). */
  decision(principal: Principal, action: string, resource: string, extra: RequestContext = {}): Decision {
    const resolved = this.resolve(principal);
    const service = action.slice(0, action.indexOf(':')).toLowerCase();
    if (!hasStatementsFor(resolved.policies, service) && action.toLowerCase() !== ALWAYS_ALLOWED_ACTION) return 'ImplicitlyDenied';
    let first: Decision | undefined;
    const noExtra = Object.keys(extra).length === 0;
    for (const region of this.regions) {
      const context = noExtra ? this.regionalContext(principal, region) : { ...this.contextOf(principal), 'aws:RequestedRegion': region, ...extra };
      const decision = evaluate(resolved.policies, { principal: principal.arn, action, resource, context }, this.options).decision;
      if (decision === 'Allowed') return decision;
      first ??= decision;
    }
    return first!;
  }

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
    };
    return this.accountLists;
  }

  private accountLists?: AccountLists;

  /**
   * Whether the principal can assume the role: the trust policy must allow it and not deny it; in the same
   * account a trust policy naming the principal's ARN suffices, while one naming the account (or "*") also needs
   * the principal's own policies to allow sts:AssumeRole on the role.
   */
  canAssume(principal: Principal, role: RoleState): boolean {
    if (principal.arn === role.arn) return false;
    const account = this.state.account;
    const request = { principal: principal.arn, action: 'sts:AssumeRole', resource: role.arn, context: this.contextOf(principal) };
    let namedDirectly = false;
    let namedByAccount = false;
    for (const { statement, compiled } of this.trustStatements(role)) {
      const match = principalMatch(statement, principal.arn, account);
      if (match === 'none') continue;
      const decision = evaluate({ identity: [compiled] }, request, this.options).decision;
      // A Deny that names the principal and applies blocks the role whatever else allows it.
      if (decision === 'ExplicitlyDenied') return false;
      if (decision === 'Allowed') {
        if (match === 'arn') namedDirectly = true;
        else namedByAccount = true;
      }
    }
    const identity = this.decision(principal, 'sts:AssumeRole', role.arn);
    if (identity === 'ExplicitlyDenied') return false;
    return namedDirectly || (namedByAccount && identity === 'Allowed');
  }

  private readonly trustCache = new Map<string, readonly { statement: Record<string, unknown>; compiled: CompiledPolicy }[]>();

  /**
   * A role's trust statements, each compiled once on its own without its Principal (matched separately), in the
   * trust policy's own version, so policy variables behave as they do everywhere else.
   */
  private trustStatements(role: RoleState): readonly { statement: Record<string, unknown>; compiled: CompiledPolicy }[] {
    let found = this.trustCache.get(role.arn);
    if (!found) {
      const version = role.trustPolicy.document['Version'];
      found = statementsOf(role.trustPolicy.document).map((statement) => ({
        statement,
        compiled: compilePolicy(`trust policy of role ${role.name}`, { ...(version !== undefined ? { Version: version } : {}), Statement: [{ ...statement, Principal: undefined, NotPrincipal: undefined }] }),
      }));
      this.trustCache.set(role.arn, found);
    }
    return found;
  }

  /** Every role the principal can reach by assuming roles, directly or through a chain. */
  reachableRoles(principal: Principal): readonly RoleState[] {
    const cached = this.reach.get(principal.arn);
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
    this.reach.set(principal.arn, found);
    return found;
  }

  /** Principals that may be able to assume the role (its trust names them, or names the account). */
  possibleAssumers(role: RoleState): Principal[] {
    const index = this.trustIndex();
    const named = (index.namedIn.get(role.arn) ?? []).map((arn) => this.byArn().get(arn)).filter((p): p is Principal => p !== undefined);
    const byAccount = index.trustsAccount.has(role.arn) ? this.principals().filter((p) => this.mayAssumeSomething(p)) : [];
    return [...new Set([...named, ...byAccount])];
  }

  /**
   * Roles whose trust could admit the principal: those naming its ARN, and those trusting the whole account when
   * its own policies can allow sts:AssumeRole at all. The rest cannot, whatever their conditions say.
   */
  private candidateRoles(principal: Principal): RoleState[] {
    const index = this.trustIndex();
    const direct = index.naming.get(principal.arn) ?? [];
    const byAccount = this.mayAssumeSomething(principal) ? index.accountTrusting : [];
    return [...new Set([...direct, ...byAccount])];
  }

  /** Whether any of the principal's policies can allow sts:AssumeRole on some role. */
  private mayAssumeSomething(principal: Principal): boolean {
    return this.decision(principal, 'sts:AssumeRole', '*') !== 'ImplicitlyDenied';
  }

  private index?: TrustIndex;
  private principalsByArn?: Map<string, Principal>;

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
      const account = this.state.account;
      for (const role of this.state.roles.values()) {
        if (isAwsOwnedPath(role.path)) continue;
        const ids = new Set<string>();
        let wholeAccount = false;
        for (const statement of statementsOf(role.trustPolicy.document)) {
          if (statement['NotPrincipal'] !== undefined) wholeAccount = true;
          for (const id of awsPrincipals(statement['Principal'])) {
            if (id === '*' || id === account || id === `arn:aws:iam::${account}:root`) wholeAccount = true;
            else ids.add(id);
          }
        }
        for (const id of ids) addTo(naming, id, role);
        namedIn.set(role.arn, [...ids]);
        if (wholeAccount) {
          accountTrusting.push(role);
          trustsAccount.add(role.arn);
        }
      }
      this.index = { naming, namedIn, accountTrusting, trustsAccount };
    }
    return this.index;
  }

  /** Attached policies whose documents the state lacks: evaluation cannot see what they grant. */
  unknownPolicies(principal: Principal): readonly string[] {
    return this.resolve(principal).unknownPolicies;
  }

  private resolve(principal: Principal): ResolvedPrincipal {
    let resolved = this.resolved.get(principal.arn);
    if (!resolved) {
      resolved = this.resolver.resolve(principal.arn)!;
      this.resolved.set(principal.arn, resolved);
    }
    return resolved;
  }

  private readonly contexts = new Map<string, Record<string, string>>();

  /** The principal's context in a region, built once: thousands of probes ask with the same one. */
  private regionalContext(principal: Principal, region: string): Record<string, string> {
    const key = `${principal.arn}\u0000${region}`;
    let context = this.contexts.get(key);
    if (!context) this.contexts.set(key, (context = { ...this.contextOf(principal), 'aws:RequestedRegion': region }));
    return context;
  }

  private contextOf(principal: Principal): Record<string, string> {
    const iso = this.now.toISOString();
    const context: Record<string, string> = {
      'aws:CurrentTime': iso,
      'aws:EpochTime': String(Math.floor(this.now.getTime() / 1000)),
      'aws:TokenIssueTime': iso,
      'aws:MultiFactorAuthPresent': 'true',
      'aws:MultiFactorAuthAge': '0',
      'aws:SecureTransport': 'true',
      'aws:RequestedRegion': 'us-east-1',
      'aws:PrincipalArn': principal.arn,
      'aws:PrincipalAccount': this.state.account,
      'aws:PrincipalType': principal.kind === 'user' ? 'User' : 'AssumedRole',
    };
    if (principal.kind === 'user') context['aws:username'] = principal.name;
    for (const [key, value] of Object.entries(principal.tags)) context[`aws:PrincipalTag/${key}`] = value;
    return context;
  }
}

/** Regions that conditions on aws:RequestedRegion name anywhere in the state (literal values only). */
function regionsNamedIn(state: IamState): Set<string> {
  const regions = new Set<string>();
  const documents: PolicyJson[] = [
    ...[...state.policies.values()].map((p) => p.document.document),
    ...[...state.externalPolicies.values()].map((p) => p.document),
    ...[...state.users.values(), ...state.groups.values(), ...state.roles.values()].flatMap((e) => Object.values(e.inlinePolicies).map((p) => p.document)),
  ];
  for (const document of documents) {
    for (const statement of statementsOf(document)) {
      const condition = statement['Condition'];
      if (typeof condition !== 'object' || condition === null) continue;
      for (const block of Object.values(condition as Record<string, unknown>)) {
        if (typeof block !== 'object' || block === null) continue;
        for (const [key, value] of Object.entries(block as Record<string, unknown>)) {
          if (key.toLowerCase() !== 'aws:requestedregion') continue;
          for (const v of Array.isArray(value) ? value : [value]) if (typeof v === 'string' && /^[a-z]{2}(-[a-z]+)+-\d$/.test(v)) regions.add(v);
        }
      }
    }
  }
  return regions;
}

export interface AccountLists {
  readonly users: readonly string[];
  readonly groups: readonly GroupState[];
  /** Roles of the account, without AWS-owned ones. */
  readonly roles: readonly RoleState[];
  readonly customerPolicies: ReadonlySet<string>;
}

interface TrustIndex {
  /** Principal ARN -> roles whose trust names it. */
  readonly naming: ReadonlyMap<string, readonly RoleState[]>;
  /** Role ARN -> principal ARNs its trust names. */
  readonly namedIn: ReadonlyMap<string, readonly string[]>;
  /** Roles whose trust admits the whole account ("*", the account, or NotPrincipal). */
  readonly accountTrusting: readonly RoleState[];
  readonly trustsAccount: ReadonlySet<string>;
}

function awsPrincipals(principal: unknown): string[] {
  if (principal === '*') return ['*'];
  if (typeof principal !== 'object' || principal === null) return [];
  const aws = (principal as Record<string, unknown>)['AWS'];
  return (Array.isArray(aws) ? aws : aws === undefined ? [] : [aws]).filter((v): v is string => typeof v === 'string');
}


/**
 * How a trust statement's Principal names a principal of `account`: by its ARN, by the account (its root ARN,
 * bare id, or "*"), or not at all. NotPrincipal names everyone it does not list.
 */
export function principalMatch(statement: Record<string, unknown>, arn: string, account: string): 'arn' | 'account' | 'none' {
  const listed = (value: unknown): string[] => {
    if (value === '*') return ['*'];
    if (typeof value !== 'object' || value === null) return [];
    const aws = (value as Record<string, unknown>)['AWS'];
    return (Array.isArray(aws) ? aws : aws === undefined ? [] : [aws]).filter((v): v is string => typeof v === 'string');
  };
  const classify = (ids: string[]): 'arn' | 'account' | 'none' => {
    if (ids.includes(arn)) return 'arn';
    if (ids.some((id) => id === '*' || id === account || id === `arn:aws:iam::${account}:root`)) return 'account';
    return 'none';
  };
  if (statement['Principal'] !== undefined) return classify(listed(statement['Principal']));
  if (statement['NotPrincipal'] !== undefined) return classify(listed(statement['NotPrincipal'])) === 'none' ? 'account' : 'none';
  return 'none';
}
