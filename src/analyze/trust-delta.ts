/**
 * Trust deltas: for each role whose assumability changes, who gains or loses the ability to assume it.
 *
 * Law: the delta is the set difference of who may assume the role, as the engine decides it, over every request a
 * would-be assumer can make. "Who" is a principal and a request context: a narrower condition (a pinned OIDC subject,
 * an added sts:ExternalId) takes requests away and adds none, so it is a loss only; a statement allowing only
 * sts:TagSession lets nobody in; removing a Deny that kept an account out is a gain.
 * - Principals outside the account (accounts, their principals, "*", services, OIDC and SAML providers, the account
 *   itself for its principals the state does not hold) are read from both trust policies: each named one, and for
 *   each account (and for "*") a principal of it that no policy names. Each is judged by the trust policy alone (its
 *   own account's policies are not known), with the keys that describe who it is fixed or kept within it.
 * - Users and roles of the account are judged effectively: the trust policy must admit them and, where it names only
 *   the account, their own policies must allow sts:AssumeRole; roles reached through a chain count too ("via").
 * A grant carries the condition of the statement that admits it, an `example` request in the difference, and the
 * `overlap`: the condition under which the principal could assume the role on both sides, where there is one.
 */
import { isPlainObject, stableStringify } from '../core/policy.js';
import type { RoleState } from '../core/state.js';
import type { ChangeOrigin } from '../plan/plan.js';
import { findContext, type ConditionEntry, type RequestSpace } from '../evaluate/request-space.js';
import type { RequestContext } from '../evaluate/types.js';
import { EffectiveAccess, type Principal } from './effective-access.js';
import { findRisks, type FindingSeverity } from './findings.js';
import type { FindingCode } from '../core/finding-codes.js';
import { admittedBy, identityHints, outsiders, sideFor, type CompiledTrust, type Outsider, type OutsiderSide } from './trust-principals.js';

export interface TrustGrant {
  /** `AWS`, `Service`, `Federated`, `CanonicalUser` for principals named in the trust policy; `user`/`role` for the account's. */
  readonly type: string;
  /** The principal; `*` for anyone, `arn:aws:iam::ACCOUNT:root` for any principal of that account. */
  readonly principal: string;
  /** The trust statement's conditions, when any. */
  readonly condition?: Record<string, unknown>;
  /** For the account's principals: reached through these roles (empty when it assumes the role directly). */
  readonly via?: readonly string[];
  /** Added field: the principal's ARN before the change, when the change moves it to another path. */
  readonly movedFrom?: string;
  /**
   * Added field: a request in the difference (the keys the trust conditions name), e.g. the OIDC subject that can
   * no longer assume the role.
   */
  readonly example?: Readonly<Record<string, string | readonly string[]>>;
  /**
   * Added field: the other side's condition under which the principal can assume the role on both sides (a lost
   * grant still held there, a gained one already held there); `{}` when that side admits it unconditionally.
   */
  readonly overlap?: Record<string, unknown>;
}

export interface TrustDelta {
  readonly role: string;
  /** Added field: the role's ARN before the change, when the change moves it (a replacement). */
  readonly movedFrom?: string;
  readonly gained: readonly TrustGrant[];
  readonly lost: readonly TrustGrant[];
  /** What the role can do after the change, as risk findings (e.g. FULL_ADMIN): what assuming it is worth. */
  readonly roleFindings: readonly { readonly code: FindingCode; readonly severity: FindingSeverity; readonly summary: string }[];
  /** Added field, with a pull request: whether the pull request causes this item, drift does, or both. */
  readonly origin?: ChangeOrigin;
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
  const account = after.state.account || before.state.account;
  for (const [arn, { before: was, after: is }] of [...roles].sort(([a], [b]) => a.localeCompare(b))) {
    const gained: TrustGrant[] = [];
    const lost: TrustGrant[] = [];
    const trustChanged = !was || !is || was.trustPolicy.key !== is.trustPolicy.key;
    // Principals outside the account can only gain or lose with the trust policy (its key the diff computed).
    if (trustChanged) {
      const difference = outsiderDifference(was, is, account, before, after);
      gained.push(...difference.gained);
      lost.push(...difference.lost);
    }
    // The account's principals that can assume it (directly or through other roles), before and after.
    const a0 = assumersBefore.get(arn) ?? none;
    const a1 = assumersAfter.get(arn) ?? none;
    const kindOf = (p: string): string => (p.includes(':user/') ? 'user' : 'role');
    for (const [p, via] of a1) {
      if (!a0.has(p)) gained.push({ type: kindOf(p), principal: p, ...moved(p), ...(via.length ? { via } : {}) });
      else if (via.length === 0 && (a0.get(p) ?? []).length === 0 && was && is && (trustChanged || affected.has(p) || (previous.has(p) && affected.has(previous.get(p)!)))) {
        // Assumable directly on both sides: the requests it can make to do so may still differ (an MFA condition).
        const difference = ownDifference(p, previous.get(p) ?? p, was, is, before, after);
        if (difference.gained) gained.push({ type: kindOf(p), principal: p, ...moved(p), ...difference.gained });
        if (difference.lost) lost.push({ type: kindOf(p), principal: p, ...moved(p), ...difference.lost });
      }
    }
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

// ---------------------------------------------------------------------------------------------------------------
// Principals outside the account

function outsiderDifference(was: RoleState | undefined, is: RoleState | undefined, account: string, before: EffectiveAccess, after: EffectiveAccess): { gained: TrustGrant[]; lost: TrustGrant[] } {
  const trust = { before: was ? before.trustStatements(was) : [], after: is ? after.trustStatements(is) : [] };
  const now = after.now;
  const found: { who: Outsider; gained?: TrustGrant; lost?: TrustGrant }[] = [];
  for (const who of outsiders([was, is], account)) {
    const sides = { before: sideFor(trust.before, who), after: sideFor(trust.after, who) };
    const space: RequestSpace = { fixed: who.fixed, isFixed: (key) => Object.keys(who.fixed).some((k) => k.toLowerCase() === key), notBefore: now };
    const one = (from: OutsiderSide, to: OutsiderSide): TrustGrant | undefined => {
      const inContext = (context: RequestContext): RequestContext | undefined => {
        const identity = who.member(context);
        return identity ? { ...context, ...identity, ...who.fixed } : undefined;
      };
      const entries = (t: CompiledTrust): readonly ConditionEntry[] => t.compiled.conditions;
      const hints = identityHints([...to.allows, ...to.denies, ...from.allows, ...from.denies], who);
      const search = findContext({
        hints,
        paths: to.allows.flatMap((t) => [{ conditions: entries(t) }, ...from.denies.map((d) => ({ conditions: [...entries(t), ...entries(d)] }))]),
        denies: [...to.denies.map(entries), ...from.allows.map(entries)],
        space,
        decide: (context) => {
          const full = inContext(context);
          return full !== undefined && admittedBy(to, full) !== undefined && admittedBy(from, full) === undefined;
        },
      });
      if (!search.context) return undefined;
      const full = inContext(search.context)!;
      const condition = admittedBy(to, full)!.statement['Condition'];
      // Where both sides admit it: what the grant shares with the other side.
      const both = findContext({
        hints,
        paths: to.allows.flatMap((t) => from.allows.map((f) => ({ conditions: [...entries(t), ...entries(f)] }))),
        denies: [...to.denies.map(entries), ...from.denies.map(entries)],
        space,
        decide: (context) => {
          const c = inContext(context);
          return c !== undefined && admittedBy(to, c) !== undefined && admittedBy(from, c) !== undefined;
        },
      });
      const overlap = both.context ? admittedBy(from, inContext(both.context)!)!.statement['Condition'] : undefined;
      return {
        type: who.type,
        principal: who.shown,
        ...(isPlainObject(condition) ? { condition: condition as Record<string, unknown> } : {}),
        ...nonEmpty('example', exampleOf(full, [...to.allows, ...to.denies, ...from.allows, ...from.denies])),
        ...(both.context ? { overlap: isPlainObject(overlap) ? (overlap as Record<string, unknown>) : {} } : {}),
      };
    };
    const gained = one(sides.before, sides.after);
    const lost = one(sides.after, sides.before);
    if (gained || lost) found.push({ who, ...(gained ? { gained } : {}), ...(lost ? { lost } : {}) });
  }
  // A class that shows the same grant as a wider class it belongs to (a principal of an account trusted as a
  // whole) adds nothing.
  const shownAs = (direction: 'gained' | 'lost', type: string, shown: string, grant: TrustGrant): boolean =>
    found.some((f) => f.who.type === type && f.who.shown === shown && f[direction] !== undefined && stableStringify(f[direction]!.condition ?? null) === stableStringify(grant.condition ?? null));
  const pick = (direction: 'gained' | 'lost'): TrustGrant[] =>
    found.flatMap((f) => {
      const grant = f[direction];
      return grant && !f.who.within.some((wider) => shownAs(direction, f.who.type, wider, grant)) ? [grant] : [];
    });
  return { gained: pick('gained'), lost: pick('lost') };
}

/** The keys of a context the statements' conditions name: what makes it an example. */
function exampleOf(context: RequestContext, statements: readonly CompiledTrust[]): Record<string, string | readonly string[]> {
  const keys = new Set(statements.flatMap((t) => t.compiled.conditions.map((e) => e.key)));
  const out: Record<string, string | readonly string[]> = {};
  for (const [key, value] of Object.entries(context)) if (keys.has(key.toLowerCase())) out[key] = value;
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// The account's own principals

/** For a principal that can assume the role directly on both sides: requests it can make only on one side. */
function ownDifference(arn: string, beforeArn: string, was: RoleState, is: RoleState, before: EffectiveAccess, after: EffectiveAccess): { gained?: Pick<TrustGrant, 'condition' | 'example' | 'overlap'>; lost?: Pick<TrustGrant, 'condition' | 'example' | 'overlap'> } {
  const p0 = principalOf(before, beforeArn);
  const p1 = principalOf(after, arn);
  if (!p0 || !p1) return {};
  const q0 = before.assumeQuestion(p0, was);
  const q1 = after.assumeQuestion(p1, is);
  if (!q0 || !q1) return {};
  const one = (from: typeof q0, to: typeof q1) => {
    const found = findContext({ paths: to.paths, denies: [...to.denies, ...from.paths.map((p) => p.conditions), ...from.denies], space: to.space, decide: (c) => to.decide(c) && !from.decide(c) });
    if (!found.context) return undefined;
    const both = findContext({ paths: to.paths.flatMap((t) => from.paths.map((f) => ({ conditions: [...t.conditions, ...f.conditions] }))), denies: [...to.denies, ...from.denies], space: to.space, decide: (c) => to.decide(c) && from.decide(c) });
    const condition = to.admitting(found.context);
    const names = new Set([...to.paths, ...from.paths].flatMap((p) => p.conditions.map((e) => e.key)));
    const example = Object.fromEntries(Object.entries(found.context).filter(([k]) => names.has(k.toLowerCase())));
    return { ...(condition ? { condition } : {}), ...nonEmpty('example', example), ...(both.context ? { overlap: from.admitting(both.context) ?? {} } : {}) };
  };
  const gained = one(q0, q1);
  const lost = one(q1, q0);
  return { ...(gained ? { gained } : {}), ...(lost ? { lost } : {}) };
}

function nonEmpty<K extends string, V extends object>(key: K, value: V): { [k in K]?: V } {
  return (Object.keys(value).length ? { [key]: value } : {}) as { [k in K]?: V };
}

function principalOf(access: EffectiveAccess, arn: string): Principal | undefined {
  return access.principals().find((p) => p.arn === arn);
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

