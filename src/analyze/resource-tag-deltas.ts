/**
 * Access that follows the tags of the IAM users and roles a request acts on. A policy reads "iam:PassRole on any
 * role, when aws:ResourceTag/team is payments": the entry stays the same when a role is retagged, but which roles
 * it reaches does not. So for each user or role whose tags a change alters, and each principal whose policies read
 * resource tags, the IAM actions on that entity are judged before and after (the engine, over every request the
 * principal can make, the entity's tags on each side): what the principal can newly do, or no longer do, on it is an
 * entry on that entity, its reason the retagging.
 *
 * An entry holds for the requests of that action on that entity; where the deciding statements carry conditions on
 * other keys too (aws:SourceIp, ...), only some of those requests are, and the entry says so (`approximate`).
 */
import type { PolicyJson } from '../core/policy.js';
import type { ManagedPolicyState, RoleState, UserState } from '../core/state.js';

/** What a request can act on whose tags its conditions read. */
type Tagged = UserState | RoleState | ManagedPolicyState;
import type { ActionCatalog } from '../catalog/action-catalog.js';
import { isResourceTagKey } from '../evaluate/request-space.js';
import type { AccessDelta, AccessEntry, PrincipalDelta } from './access-delta.js';
import type { EffectiveAccess, Principal } from './effective-access.js';

/** The principals' deltas on users and roles whose tags differ between the two sides. */
export function resourceTagDeltas(before: EffectiveAccess, after: EffectiveAccess, catalog: ActionCatalog, moves: ReadonlyMap<string, string> = new Map()): PrincipalDelta[] {
  const previous = new Map([...moves].map(([old, now]) => [now, old]));
  const retagged: { was?: Tagged; is?: Tagged; arn: string }[] = [];
  // Customer managed policies count where both sides know their tags (a snapshot does not hold them).
  const entities = (access: EffectiveAccess): Map<string, Tagged> => new Map([...access.state.users.values(), ...access.lists.roles, ...access.taggedPolicies().values()].map((e) => [e.arn, e]));
  const [was, is] = [entities(before), entities(after)];
  for (const arn of new Set([...was.keys(), ...is.keys()].map((a) => moves.get(a) ?? a))) {
    const [w, i] = [was.get(previous.get(arn) ?? arn), is.get(arn)];
    // A policy known on one side only (created, deleted, or its tags unknown live) is no retagging.
    if ((w ?? i)!.kind === 'policy' && (!w || !i)) continue;
    if (JSON.stringify(w?.tags ?? null) !== JSON.stringify(i?.tags ?? null)) retagged.push({ ...(w ? { was: w } : {}), ...(i ? { is: i } : {}), arn });
  }
  if (retagged.length === 0) return [];
  const actionsOn = (kind: Tagged['kind']): string[] => (catalog.actionsOf('iam') ?? []).filter((a) => a.resourceTypes?.includes(kind)).map((a) => `iam:${a.name}`);
  const readers = (access: EffectiveAccess): Map<string, Principal> => new Map(access.principals().filter((p) => readsResourceTags(access, p)).map((p) => [p.arn, p]));
  const [readersBefore, readersAfter] = [readers(before), readers(after)];
  const out: PrincipalDelta[] = [];
  for (const arn of [...new Set([...[...readersBefore.keys()].map((a) => moves.get(a) ?? a), ...readersAfter.keys()])].sort()) {
    const p0 = readersBefore.get(previous.get(arn) ?? arn) ?? before.principalByArn(previous.get(arn) ?? arn);
    const p1 = readersAfter.get(arn) ?? after.principalByArn(arn);
    const granted: AccessEntry[] = [];
    const revoked: AccessEntry[] = [];
    for (const entity of retagged) {
      const kind = (entity.is ?? entity.was)!.kind;
      const name = (entity.is ?? entity.was)!.name;
      const beforeArn = entity.was?.arn;
      const on = (access: EffectiveAccess, p: Principal | undefined, target: string | undefined, action: string) => (p && target ? access.judge(p, action, target) : undefined);
      const gains: string[] = [];
      const losses: string[] = [];
      let conditional = false;
      for (const action of actionsOn(kind)) {
        const [d0, d1] = [on(before, p0, beforeArn, action), on(after, p1, entity.is?.arn, action)];
        const [a0, a1] = [d0?.decision === 'Allowed', d1?.decision === 'Allowed'];
        if (a0 === a1) continue;
        (a1 ? gains : losses).push(action);
        const deciding = a1 ? d1 : d0;
        if ((deciding?.conditions ?? []).some((e) => !isResourceTagKey(e.key))) conditional = true;
      }
      const because = [`the tags of ${kind} ${name}, which its policies read (aws:ResourceTag)`];
      const entry = (actions: string[]): AccessEntry => ({ actions: [...actions].sort(), resources: [entity.arn], resourceTypes: [`iam:${kind}`], ...(conditional ? { approximate: true as const } : {}), because });
      if (gains.length) granted.push(entry(gains));
      if (losses.length) revoked.push(entry(losses));
    }
    if (granted.length || revoked.length) out.push({ arn, granted, revoked });
  }
  return out;
}

/** Whether any policy of the principal reads resource tags (and so may judge IAM users and roles by theirs). */
function readsResourceTags(access: EffectiveAccess, p: Principal): boolean {
  return access.documentsOf(p).some((d) => readsTags(d));
}

const reading = new WeakMap<PolicyJson, boolean>();

function readsTags(document: PolicyJson): boolean {
  let found = reading.get(document);
  if (found === undefined) reading.set(document, (found = /(aws|iam):resourcetag\//i.test(JSON.stringify(document['Statement'] ?? []))));
  return found;
}

/**
 * Per-principal deltas merged into grouped ones: a principal's extra entries join its item (taken out of a group
 * it shared, since its delta now differs), or make an item of their own.
 */
export function withPrincipalDeltas(deltas: readonly AccessDelta[], extra: readonly PrincipalDelta[]): AccessDelta[] {
  if (extra.length === 0) return [...deltas];
  const byPrincipal = new Map(extra.map((d) => [d.arn, d]));
  const out: AccessDelta[] = [];
  for (const d of deltas) {
    const rest = d.principals.filter((p) => !byPrincipal.has(p));
    if (rest.length) out.push(rest.length === d.principals.length ? d : { ...d, principals: rest });
    for (const p of d.principals.filter((x) => byPrincipal.has(x))) {
      const more = byPrincipal.get(p)!;
      byPrincipal.delete(p);
      const { movedFrom, ...item } = d;
      out.push({ ...item, principals: [p], granted: [...d.granted, ...more.granted], revoked: [...d.revoked, ...more.revoked], ...(movedFrom?.[p] ? { movedFrom: { [p]: movedFrom[p]! } } : {}) });
    }
  }
  for (const d of byPrincipal.values()) out.push({ principals: [d.arn], granted: d.granted, revoked: d.revoked });
  return out;
}
