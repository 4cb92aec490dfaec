/**
 * Who a role's trust policy can admit from outside the account, and whether it does: the vocabulary trust deltas and
 * trust findings share. An outsider is one principal (an ARN, a service, an identity provider) or a class of them
 * (any principal of an account that no policy names; anyone), with the keys its requests carry because of who it is;
 * a trust policy is judged for it statement by statement, Principal and NotPrincipal matched here, Action and
 * conditions by the engine's compiled statements.
 */
import { accountRootArn, parseArn, parseEntityArn } from '../core/arn.js';
import { isPlainObject, statementsOf } from '../core/policy.js';
import type { RoleState } from '../core/state.js';
import { compilePolicy, type CompiledStatement } from '../evaluate/compile-policy.js';
import { prepareContext } from '../evaluate/context.js';
import { findContext, type ConditionEntry } from '../evaluate/request-space.js';
import type { RequestContext } from '../evaluate/types.js';

/**
 * A would-be assumer the trust policy can name: one principal, or a class of them ("any principal of account A that
 * no policy names", "anyone"), with the keys its requests carry because of who it is.
 */
export interface Outsider {
  readonly type: 'AWS' | 'Service' | 'Federated' | 'CanonicalUser';
  /** As a grant shows it. */
  readonly shown: string;
  /** The action it assumes a role with. */
  readonly action: 'sts:AssumeRole' | 'sts:AssumeRoleWithWebIdentity' | 'sts:AssumeRoleWithSAML';
  /** Whether a Principal element entry (type, id) names it. */
  readonly namedBy: (type: string, id: string) => boolean;
  /** Keys set by who it is. */
  readonly fixed: RequestContext;
  /** For a class: whether the identity keys of a context describe one of its members (defaults where absent). */
  readonly member: (context: RequestContext) => RequestContext | undefined;
  /** Classes are shown only where none of their wider classes shows the same grant. */
  readonly within: readonly string[];
}

export const ANYONE = '*';

/** The outsiders both trust policies name, with the classes they belong to. */
export function outsiders(roles: readonly (RoleState | undefined)[], account: string): Outsider[] {
  const named = new Map<string, Set<string>>();
  let anyone = false;
  // An Allow with NotPrincipal (which IAM refuses in a trust policy, but a state may hold) admits services and
  // identity providers no policy names, too.
  let unnamed = false;
  for (const role of roles) {
    for (const s of statementsOf(role?.trustPolicy.document ?? {})) {
      if (s['NotPrincipal'] !== undefined) anyone = true;
      if (s['NotPrincipal'] !== undefined && s['Effect'] === 'Allow') unnamed = true;
      for (const [type, id] of principalEntries(s['Principal'] ?? s['NotPrincipal'])) {
        if (type === 'AWS' && id === '*') anyone = true;
        else if (!named.has(type)) named.set(type, new Set([id]));
        else named.get(type)!.add(id);
      }
    }
  }
  const out: Outsider[] = [];
  const accounts = new Set<string>();
  const arns: string[] = [];
  for (const id of named.get('AWS') ?? []) {
    const acct = accountOf(id);
    if (!acct) continue;
    accounts.add(acct);
    if (!isAccountId(id)) arns.push(id);
  }
  const exactArns = new Set(arns.filter((a) => !isAccountRoot(a)));
  for (const arn of exactArns) {
    // The account's own users and roles are judged effectively, with their policies.
    if (accountOf(arn) === account && isOwnUserOrRole(arn)) continue;
    const acct = accountOf(arn)!;
    out.push({
      type: 'AWS',
      shown: arn,
      action: 'sts:AssumeRole',
      namedBy: (type, id) => type === 'AWS' && (id === '*' || id === arn || namesAccount(id, acct)),
      fixed: { 'aws:PrincipalArn': arn, 'aws:PrincipalAccount': acct },
      member: () => ({}),
      within: [rootOf(acct), ANYONE],
    });
  }
  for (const acct of accounts) {
    const other = `arn:aws:iam::${acct}:role/iam-gitops-other-principal`;
    out.push({
      type: 'AWS',
      shown: rootOf(acct),
      action: 'sts:AssumeRole',
      namedBy: (type, id) => type === 'AWS' && (id === '*' || namesAccount(id, acct)),
      fixed: { 'aws:PrincipalAccount': acct },
      // Any principal of the account that no policy names: its ARN is the caller's, within the account.
      member: (context) => {
        const principalArn = valueOf(context, 'aws:principalarn') ?? other;
        return typeof principalArn === 'string' && accountOf(principalArn) === acct && !exactArns.has(principalArn) ? { 'aws:PrincipalArn': principalArn } : undefined;
      },
      within: [ANYONE],
    });
  }
  if (anyone || accounts.size > 0) {
    const stranger = '999999999990';
    out.push({
      type: 'AWS',
      shown: ANYONE,
      action: 'sts:AssumeRole',
      namedBy: (type, id) => type === 'AWS' && id === '*',
      fixed: {},
      // Anyone at all, in an account no policy names: its account and ARN are the caller's.
      member: (context) => {
        // Its ARN, where the request names one, decides its account; else its account, where one is named.
        const principalArn = valueOf(context, 'aws:principalarn');
        const named = valueOf(context, 'aws:principalaccount');
        const acct = typeof principalArn === 'string' ? accountOf(principalArn) : typeof named === 'string' && isAccountId(named) ? named : stranger;
        if (!acct || accounts.has(acct)) return undefined;
        return { 'aws:PrincipalAccount': acct, 'aws:PrincipalArn': typeof principalArn === 'string' ? principalArn : `arn:aws:iam::${acct}:role/iam-gitops-anyone` };
      },
      within: [],
    });
  }
  if (unnamed) {
    out.push({ type: 'Service', shown: ANYONE, action: 'sts:AssumeRole', namedBy: () => false, fixed: {}, member: () => ({}), within: [] });
    out.push({ type: 'Federated', shown: ANYONE, action: 'sts:AssumeRoleWithWebIdentity', namedBy: () => false, fixed: {}, member: () => ({}), within: [] });
  }
  for (const [type, ids] of named) {
    if (type === 'AWS') continue;
    for (const id of ids) {
      const kind = type === 'Service' ? 'Service' : type === 'Federated' ? 'Federated' : type === 'CanonicalUser' ? 'CanonicalUser' : undefined;
      if (!kind) continue;
      const action = kind === 'Federated' ? (id.includes(':saml-provider/') ? 'sts:AssumeRoleWithSAML' : 'sts:AssumeRoleWithWebIdentity') : 'sts:AssumeRole';
      const key = kind === 'Service' ? id.toLowerCase() : id;
      out.push({ type: kind, shown: id, action, namedBy: (t, i) => t === type && (kind === 'Service' ? i.toLowerCase() : i) === key, fixed: {}, member: () => ({}), within: [] });
    }
  }
  return out;
}

/** A trust policy's statements, compiled without their Principal (matched separately), in its own version. */
export interface CompiledTrust {
  readonly statement: Record<string, unknown>;
  readonly compiled: CompiledStatement;
}

export function compiledTrust(role: RoleState | undefined): CompiledTrust[] {
  if (!role) return [];
  const version = role.trustPolicy.document['Version'];
  return statementsOf(role.trustPolicy.document).flatMap((statement) => {
    const policy = compilePolicy(`trust policy of role ${role.name}`, { ...(version !== undefined ? { Version: version } : {}), Statement: [{ ...statement, Principal: undefined, NotPrincipal: undefined }] });
    const compiled = [...policy.byService.values()].flat()[0] ?? policy.anyService[0];
    return compiled ? [{ statement, compiled }] : [];
  });
}

/** Whether a trust statement's Principal (or NotPrincipal) admits the outsider. */
export function admits(statement: Record<string, unknown>, who: Outsider): boolean {
  if (statement['Principal'] !== undefined) return principalEntries(statement['Principal']).some(([type, id]) => who.namedBy(type, id));
  if (statement['NotPrincipal'] !== undefined) return !principalEntries(statement['NotPrincipal']).some(([type, id]) => who.namedBy(type, id));
  return false;
}

/** One side's trust, for one outsider: the statements that can apply to its requests. */
export interface OutsiderSide {
  readonly allows: readonly CompiledTrust[];
  readonly denies: readonly CompiledTrust[];
}

export function sideFor(trust: readonly CompiledTrust[], who: Outsider): OutsiderSide {
  const [service, action] = who.action.toLowerCase().split(':') as [string, string];
  const applying = trust.filter((t) => t.compiled.actionMatches(service, action) && admits(t.statement, who));
  return { allows: applying.filter((t) => t.compiled.effect === 'Allow'), denies: applying.filter((t) => t.compiled.effect === 'Deny') };
}

/** The Allow that admits the outsider in this context, or undefined when none does or a Deny applies. */
export function admittedBy(side: OutsiderSide, context: RequestContext): CompiledTrust | undefined {
  const prepared = prepareContext(context);
  if (side.denies.some((t) => t.compiled.conditionHolds(prepared))) return undefined;
  return side.allows.find((t) => t.compiled.conditionHolds(prepared));
}

/**
 * ARNs worth trying for a class of outsiders whose members' ARNs and accounts go together: one in each account the
 * conditions name (aws:PrincipalAccount "A" needs an ARN in A), and one in the class's own account.
 */
export function identityHints(statements: readonly CompiledTrust[], who: Outsider): ConditionEntry[] {
  const accounts = new Set<string>();
  for (const entry of statements.flatMap((t) => t.compiled.conditions)) {
    if (entry.key === 'aws:principalaccount') for (const v of entry.values) if (isAccountId(v)) accounts.add(v);
  }
  const own = who.fixed['aws:PrincipalAccount'];
  if (typeof own === 'string') accounts.add(own);
  if (who.shown === ANYONE) accounts.add('999999999990');
  // A user and a role of each: patterns on the ARN (role/*) tell them apart.
  const values = [...accounts].flatMap((a) => [`arn:aws:iam::${a}:role/iam-gitops-other-principal`, `arn:aws:iam::${a}:user/iam-gitops-other-principal`]);
  if (values.length === 0) return [];
  return [{ operator: 'StringEquals', key: 'aws:principalarn', written: 'aws:PrincipalArn', values, variables: false }];
}

// ---------------------------------------------------------------------------------------------------------------
// Principal elements

/** The (type, id) entries of a Principal element: `"*"` is `AWS *`. */
export function principalEntries(principal: unknown): [string, string][] {
  if (principal === '*') return [['AWS', '*']];
  if (!isPlainObject(principal)) return [];
  return Object.entries(principal as Record<string, unknown>).flatMap(([type, ids]) => (Array.isArray(ids) ? ids : [ids]).filter((v): v is string => typeof v === 'string').map((id): [string, string] => [type, id]));
}

export const isAccountId = (id: string): boolean => /^\d{12}$/.test(id);
/** `arn:PARTITION:iam::ACCOUNT:root`, the account as a principal. */
function rootAccountOf(id: string): string | undefined {
  const arn = parseArn(id);
  return arn && arn.service === 'iam' && arn.region === '' && isAccountId(arn.account) && arn.resource === 'root' ? arn.account : undefined;
}
const isAccountRoot = (id: string): boolean => rootAccountOf(id) !== undefined;
const rootOf = (account: string): string => accountRootArn(account);
/** A user or role of an account (by ARN): judged with its own policies, not as a stranger. */
const isOwnUserOrRole = (arn: string): boolean => {
  const entity = parseEntityArn(arn);
  return entity !== undefined && isAccountId(entity.account) && (entity.kind === 'user' || entity.kind === 'role');
};

/** Whether a Principal id names a whole account: its id or its root ARN. */
function namesAccount(id: string, account: string): boolean {
  return id === account || rootAccountOf(id) === account;
}

/** The account of an account id or an IAM/STS ARN. */
export function accountOf(id: string): string | undefined {
  if (isAccountId(id)) return id;
  const arn = parseArn(id);
  return arn && (arn.service === 'iam' || arn.service === 'sts') && arn.region === '' && isAccountId(arn.account) ? arn.account : undefined;
}

function valueOf(context: RequestContext, lowerKey: string): string | readonly string[] | undefined {
  const key = Object.keys(context).find((k) => k.toLowerCase() === lowerKey);
  return key === undefined ? undefined : context[key];
}

/**
 * Whether the trust policy admits the outsider in some request it can make, with `fixed` keys set as given and
 * `absent` keys missing (a stranger's identity; no external id). Returns the admitting statement and a request.
 */
export function admitsSomeRequest(trust: readonly CompiledTrust[], who: Outsider, fixed: RequestContext, absent: readonly string[], now: Date): { statement: CompiledTrust; context: RequestContext } | undefined {
  const side = sideFor(trust, who);
  if (side.allows.length === 0) return undefined;
  const all = { ...who.fixed, ...fixed };
  const fixedKeys = new Set([...Object.keys(all).map((k) => k.toLowerCase()), ...absent.map((k) => k.toLowerCase())]);
  const entries = (t: CompiledTrust): readonly ConditionEntry[] => t.compiled.conditions;
  const inContext = (context: RequestContext): RequestContext | undefined => {
    const identity = who.member(context);
    if (!identity) return undefined;
    const full: Record<string, string | readonly string[]> = { ...context, ...identity, ...all };
    for (const key of Object.keys(full)) if (absent.some((a) => a.toLowerCase() === key.toLowerCase())) delete full[key];
    return full;
  };
  const found = findContext({
    paths: side.allows.map((t) => ({ conditions: entries(t) })),
    denies: side.denies.map(entries),
    hints: identityHints([...side.allows, ...side.denies], who),
    space: { fixed: all, isFixed: (key) => fixedKeys.has(key), notBefore: now },
    decide: (context) => {
      const full = inContext(context);
      return full !== undefined && admittedBy(side, full) !== undefined;
    },
  });
  if (!found.context) return undefined;
  const context = inContext(found.context)!;
  return { statement: admittedBy(side, context)!, context };
}
