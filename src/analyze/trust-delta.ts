/**
 * Trust deltas: for each role whose assumability changes, who gains or loses the ability to assume it.
 * - Principals outside the account (accounts, services, OIDC/SAML providers), read from the trust policy's Allow
 *   statements, each with the conditions that bind it (e.g. token.actions.githubusercontent.com:sub).
 * - Users and roles of the account, judged effectively: the trust policy must admit them and, where it names only
 *   the account, their own policies must allow sts:AssumeRole; roles reached through a chain count too ("reach").
 */
import { canonicalConditionKey, isPlainObject, stableStringify, statementsOf } from '../core/policy.js';
import type { RoleState } from '../core/state.js';
import { EffectiveAccess } from './effective-access.js';
import { findRisks } from './findings.js';

export interface TrustGrant {
  /** `AWS`, `Service`, `Federated`, `CanonicalUser` for principals named in the trust policy; `user`/`role` for the account's. */
  readonly type: string;
  readonly principal: string;
  /** The trust statement's conditions, when any. */
  readonly condition?: Record<string, unknown>;
  /** For the account's principals: reached through these roles (empty when it assumes the role directly). */
  readonly via?: readonly string[];
  /** Added field: the principal's ARN before the change, when the change moves it to another path. */
  readonly movedFrom?: string;
}

export interface TrustDelta {
  readonly role: string;
  /** Added field: the role's ARN before the change, when the change moves it (a replacement). */
  readonly movedFrom?: string;
  readonly gained: readonly TrustGrant[];
  readonly lost: readonly TrustGrant[];
  /** What the role can do after the change, as risk findings (e.g. FULL_ADMIN): what assuming it is worth. */
  readonly roleFindings: readonly { readonly code: string; readonly severity: string; readonly summary: string }[];
}

/**
 * `moves` (old ARN -> new ARN) makes a moved role, and a moved user or role among the assumers, one principal under
 * its new ARN on both sides: a move is not a loss and a gain. What named the old ARN (another role's trust policy)
 * no longer admits it, and that shows.
 */
export function trustDeltas(before: EffectiveAccess, after: EffectiveAccess, affected: ReadonlySet<string>, moves: ReadonlyMap<string, string> = new Map()): TrustDelta[] {
  const renamed = (arn: string): string => moves.get(arn) ?? arn;
  const previous = new Map([...moves].map(([old, now]) => [now, old]));
  const roles = new Map<string, { before?: RoleState; after?: RoleState }>();
  for (const [side, access] of [['before', before], ['after', after]] as const) {
    for (const role of access.lists.roles) {
      const arn = side === 'before' ? renamed(role.arn) : role.arn;
      roles.set(arn, { ...roles.get(arn), [side]: role });
    }
  }
  const out: TrustDelta[] = [];
  const assumersBefore = renameAssumers(assumersByRole(reachMap(before, affected)), renamed);
  const assumersAfter = assumersByRole(reachMap(after, affected));
  const none = new Map<string, string[]>();
  const moved = (arn: string): { movedFrom?: string } => (previous.has(arn) ? { movedFrom: previous.get(arn)! } : {});
  for (const [arn, { before: was, after: is }] of [...roles].sort(([a], [b]) => a.localeCompare(b))) {
    const gained: TrustGrant[] = [];
    const lost: TrustGrant[] = [];
    // Named outsiders can only change with the trust policy (whose key the diff has already computed). Two grants
    // are the same when their conditions are, as IAM reads them (order, key case, scalar or list).
    if (!was || !is || was.trustPolicy.key !== is.trustPolicy.key) {
      const grantKey = (g: TrustGrant): string => stableStringify({ type: g.type, principal: g.principal, condition: g.condition ? canonicalConditionKey(g.condition) : null });
      const named = (role: RoleState | undefined): Map<string, TrustGrant> => new Map(namedPrincipals(role, before.state.account).map((g) => [grantKey(g), g]));
      const wasNamed = named(was);
      const isNamed = named(is);
      gained.push(...[...isNamed].filter(([k]) => !wasNamed.has(k)).map(([, g]) => g));
      lost.push(...[...wasNamed].filter(([k]) => !isNamed.has(k)).map(([, g]) => g));
    }
    // The account's principals that can assume it (directly or through other roles), before and after.
    const a0 = assumersBefore.get(arn) ?? none;
    const a1 = assumersAfter.get(arn) ?? none;
    const kindOf = (p: string): string => (p.includes(':user/') ? 'user' : 'role');
    for (const [p, via] of a1) if (!a0.has(p)) gained.push({ type: kindOf(p), principal: p, ...moved(p), ...(via.length ? { via } : {}) });
    for (const [p, via] of a0) if (!a1.has(p)) lost.push({ type: kindOf(p), principal: p, ...moved(p), ...(via.length ? { via } : {}) });
    if (gained.length || lost.length) {
      const role = is ?? was!;
      const holder = is ? after : before;
      const roleFindings = findRisks(holder, new Set([role.arn]))
        .filter((f) => f.principal === role.arn && !f.code.startsWith('TRUST_'))
        .map((f) => ({ code: f.code, severity: f.severity, summary: f.summary }));
      out.push({ role: arn, ...moved(arn), gained, lost, roleFindings });
    }
  }
  return out;
}

/** Assumers (role -> principal -> chain) with every ARN under its name after the change. */
function renameAssumers(assumers: Map<string, Map<string, string[]>>, renamed: (arn: string) => string): Map<string, Map<string, string[]>> {
  return new Map([...assumers].map(([role, byPrincipal]) => [renamed(role), new Map([...byPrincipal].map(([p, via]) => [renamed(p), via.map(renamed)]))]));
}

/** The reach map turned around: role -> principal -> chain. */
function assumersByRole(reach: Map<string, Map<string, string[]>>): Map<string, Map<string, string[]>> {
  const out = new Map<string, Map<string, string[]>>();
  for (const [principal, reached] of reach) {
    for (const [role, via] of reached) {
      let assumers = out.get(role);
      if (!assumers) out.set(role, (assumers = new Map()));
      assumers.set(principal, via);
    }
  }
  return out;
}

/** For each affected principal (and each principal that can assume an affected role): role -> chain through which it is reached. */
function reachMap(access: EffectiveAccess, affected: ReadonlySet<string>): Map<string, Map<string, string[]>> {
  const out = new Map<string, Map<string, string[]>>();
  const principals = new Set(affected);
  for (const role of access.lists.roles) if (affected.has(role.arn)) for (const p of access.possibleAssumers(role)) principals.add(p.arn);
  for (const p of access.principals()) {
    if (!principals.has(p.arn)) continue;
    const reached = new Map<string, string[]>();
    for (const role of access.reachableRoles(p)) reached.set(role.arn, chainTo(access, p.arn, role));
    out.set(p.arn, reached);
  }
  return out;
}

/** The roles between a principal and a role it reaches (empty when it assumes the role directly). */
function chainTo(access: EffectiveAccess, principal: string, role: RoleState): string[] {
  const start = access.principals().find((p) => p.arn === principal);
  if (!start || access.canAssume(start, role)) return [];
  for (const middle of access.reachableRoles(start)) if (middle.arn !== role.arn && access.canAssume(middle, role)) return [...chainTo(access, principal, middle), middle.arn];
  return [];
}

/** Principals a trust policy's Allow statements name, other than this account's own users and roles. */
function namedPrincipals(role: RoleState | undefined, account: string): TrustGrant[] {
  if (!role) return [];
  const out: TrustGrant[] = [];
  for (const s of statementsOf(role.trustPolicy.document)) {
    if (s['Effect'] !== 'Allow') continue;
    const condition = isPlainObject(s['Condition']) ? (s['Condition'] as Record<string, unknown>) : undefined;
    const principal = s['Principal'] === '*' ? { AWS: '*' } : s['Principal'];
    if (!isPlainObject(principal)) continue;
    for (const [type, ids] of Object.entries(principal)) {
      for (const id of (Array.isArray(ids) ? ids : [ids]).filter((v): v is string => typeof v === 'string')) {
        // The account's own users and roles are judged effectively above.
        if (type === 'AWS' && new RegExp(`^arn:aws[\\w-]*:iam::${account}:(user|role)/`).test(id)) continue;
        const normalised = type === 'AWS' && /^\d{12}$/.test(id) ? `arn:aws:iam::${id}:root` : id;
        out.push({ type, principal: normalised, ...(condition ? { condition } : {}) });
      }
    }
  }
  return out;
}

