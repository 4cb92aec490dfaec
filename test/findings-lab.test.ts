/**
 * Findings on the public privilege-escalation lab (../shared/fixtures/real-world/cloudsplaining-example-account.json),
 * whose principals are named for their case: privesc* and fn* hold escalation paths (fn*: ones naive tools miss),
 * fp* are false-positive traps. The rules never look at names: a renamed copy of the account must score the same.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { EffectiveAccess } from '../src/analyze/effective-access.js';
import { findRisks, SEVERITY_ORDER, type Finding } from '../src/analyze/findings.js';
import type { ActionCatalog } from '../src/catalog/action-catalog.js';
import { loadActionCatalog } from '../src/catalog/iam-data-catalog.js';
import { parseSnapshot } from '../src/live/parse-snapshot.js';
import { realWorldAvailable, realWorldSnapshot } from './helpers/fixtures.js';

const NOW = new Date('2026-11-24T12:00:00Z');
const MEDIUM_OR_ABOVE = new Set(['critical', 'high', 'medium']);

let catalog: ActionCatalog;
beforeAll(async () => {
  catalog = await loadActionCatalog();
});

interface Raw {
  UserDetailList: { UserName: string; GroupList?: string[]; UserPolicyList?: unknown[]; AttachedManagedPolicies?: unknown[] }[];
  GroupDetailList: { GroupName: string; GroupPolicyList?: unknown[]; AttachedManagedPolicies?: unknown[] }[];
  RoleDetailList: { RoleName: string; Path: string; RolePolicyList?: unknown[]; AttachedManagedPolicies?: unknown[] }[];
}

function worstByName(text: string): Map<string, { severity: string; codes: string[] }> {
  const live = parseSnapshot('lab', text);
  const access = new EffectiveAccess(live.state, NOW, { isWildcardOnlyAction: (a) => catalog.isWildcardOnly(a) });
  const findings: Finding[] = findRisks(access);
  const out = new Map<string, { severity: string; codes: string[] }>();
  for (const p of access.principals()) {
    const own = findings.filter((f) => f.principal === p.arn);
    const worst = own.map((f) => f.severity).sort((a, b) => SEVERITY_ORDER.indexOf(a) - SEVERITY_ORDER.indexOf(b))[0] ?? 'none';
    out.set(p.name, { severity: worst, codes: own.map((f) => f.code) });
  }
  return out;
}

/**
 * Principals that hold no permission at all: no policy of their own, none through a group, and no role they can
 * assume (a role trusting a principal by ARN needs no policy on the principal's side to be assumed).
 */
function permissionless(raw: Raw, text: string): Set<string> {
  const groupHasPolicies = new Map(raw.GroupDetailList.map((g) => [g.GroupName, (g.GroupPolicyList?.length ?? 0) + (g.AttachedManagedPolicies?.length ?? 0) > 0]));
  const noPolicies = new Set<string>();
  for (const u of raw.UserDetailList) {
    if (!(u.UserPolicyList?.length || u.AttachedManagedPolicies?.length || (u.GroupList ?? []).some((g) => groupHasPolicies.get(g)))) noPolicies.add(u.UserName);
  }
  for (const r of raw.RoleDetailList) if (!(r.RolePolicyList?.length || r.AttachedManagedPolicies?.length)) noPolicies.add(r.RoleName);
  const access = new EffectiveAccess(parseSnapshot('lab', text).state, NOW, { isWildcardOnlyAction: (a) => catalog.isWildcardOnly(a) });
  return new Set(access.principals().filter((p) => noPolicies.has(p.name) && access.reachableRoles(p).length === 0).map((p) => p.name));
}

describe.skipIf(!realWorldAvailable)('findings on the privilege-escalation lab', () => {
  const text = realWorldAvailable ? readFileSync(realWorldSnapshot('cloudsplaining-example-account.json'), 'utf8') : '{}';
  const raw = JSON.parse(text) as Raw;

  it('every privesc* and fn* principal that holds permissions gets medium or above; fp* and permissionless ones do not', () => {
    const worst = worstByName(text);
    const none = permissionless(raw, text);
    const missed: string[] = [];
    const falseAlarms: string[] = [];
    for (const [name, { severity, codes }] of worst) {
      if (/^(privesc|fn)/.test(name) && !none.has(name) && !MEDIUM_OR_ABOVE.has(severity)) missed.push(name);
      if ((/^fp/.test(name) || none.has(name)) && MEDIUM_OR_ABOVE.has(severity)) falseAlarms.push(`${name}: ${codes.join(',')}`);
    }
    expect(missed).toEqual([]);
    expect(falseAlarms).toEqual([]);
    // The lab's principals that hold a path really are covered (not vacuously true).
    expect([...worst.keys()].filter((n) => /^(privesc|fn)/.test(n) && !none.has(n)).length).toBeGreaterThan(70);
  });

  it('paths that need nothing unseen are high or critical; those through unseen resources are medium', () => {
    const worst = worstByName(text);
    for (const name of ['privesc1-CreateNewPolicyVersion-user', 'privesc7-AttachUserPolicy-user', 'privesc13-AddUserToGroup-user', 'privesc14-UpdatingAssumeRolePolicy-user', 'fn2-exploitableResourceConstraint-user', 'fn3-exploitableConditionConstraint-user', 'privesc-AssumeRole-starting-role']) {
      expect(worst.get(name)?.severity, name).toBe('critical');
    }
    // Taking over other principals is critical here because the lab's targets include administrators (severity
    // carries through the path: keys for an administrator, passing an administrator role to Lambda or EC2).
    for (const name of ['privesc4-CreateAccessKey-user', 'privesc15-PassExistingRoleToNewLambdaThenInvoke-user', 'fn1-privesc3-partial-user']) {
      expect(worst.get(name), name).toMatchObject({ severity: 'critical', codes: ['PRIVESC_TO_ADMIN'] });
    }
    for (const name of ['privesc17-EditExistingLambdaFunctionWithRole-user', 'privesc-ssmSendCommand-user', 'privesc-ec2InstanceConnect-user', 'privesc19-UpdateExistingGlueDevEndpoint-user']) {
      expect(worst.get(name)?.severity, name).toBe('medium');
    }
  });

  it('scores a copy of the account with its principals renamed the same: the rules never key on names', () => {
    const names = [...raw.UserDetailList.map((u) => u.UserName), ...raw.RoleDetailList.filter((r) => !r.Path.startsWith('/aws-')).map((r) => r.RoleName)];
    // Longest first, so a name that contains another is replaced whole.
    const renames = [...new Set(names)].sort((a, b) => b.length - a.length).map((name, i) => [name, `entity${String(i).padStart(3, '0')}x`] as const);
    let renamed = text;
    for (const [from, to] of renames) renamed = renamed.split(from).join(to);
    const before = worstByName(text);
    const after = worstByName(renamed);
    const mapping = new Map(renames);
    for (const [name, { severity }] of before) expect(after.get(mapping.get(name) ?? name)?.severity, name).toBe(severity);
  });
});
