/**
 * The password policy finding: an account policy weaker than the CIS AWS Foundations Benchmark's (v1.4 and later,
 * recommendations "minimum length 14 or greater" and "prevents password reuse", 24 remembered passwords). Later CIS
 * versions dropped the character-class and 90-day-expiry recommendations (NIST SP 800-63B advises against both), so
 * they are not judged. Pure.
 */
import type { IamState, PasswordPolicy } from '../core/state.js';
import type { Finding } from './findings.js';

export const CIS_PASSWORD_POLICY = { minimumPasswordLength: 14, passwordReusePrevention: 24 } as const;

/** What the policy lacks against the baseline, in words; empty when it meets it. */
export function passwordPolicyWeaknesses(policy: PasswordPolicy): string[] {
  const out: string[] = [];
  if (policy.minimumPasswordLength < CIS_PASSWORD_POLICY.minimumPasswordLength) out.push(`minimum length ${policy.minimumPasswordLength} (CIS: ${CIS_PASSWORD_POLICY.minimumPasswordLength} or more)`);
  if (policy.passwordReusePrevention < CIS_PASSWORD_POLICY.passwordReusePrevention) out.push(`${policy.passwordReusePrevention === 0 ? 'password reuse allowed' : `reuse prevention ${policy.passwordReusePrevention}`} (CIS: the last ${CIS_PASSWORD_POLICY.passwordReusePrevention} passwords)`);
  return out;
}

const FIX = `Set the Account manifest's passwordPolicy to at least minimumPasswordLength: ${CIS_PASSWORD_POLICY.minimumPasswordLength} and passwordReusePrevention: ${CIS_PASSWORD_POLICY.passwordReusePrevention}, then apply.`;

/** The finding for the state's password policy; none where the state does not hold it (a GAAD export). */
export function passwordPolicyFindings(state: IamState): Finding[] {
  const policy = state.settings?.passwordPolicy;
  if (policy === undefined) return [];
  const principal = `arn:aws:iam::${state.account}:root`;
  if (policy === null) {
    return [{ code: 'PASSWORD_POLICY_WEAK', severity: 'medium', principal, summary: 'the account has no password policy', detail: `IAM's default then applies: 8 characters, no reuse prevention, weaker than the CIS AWS Foundations Benchmark. ${FIX}` }];
  }
  const weaknesses = passwordPolicyWeaknesses(policy);
  if (weaknesses.length === 0) return [];
  return [{ code: 'PASSWORD_POLICY_WEAK', severity: 'medium', principal, summary: `the account password policy is weaker than the CIS AWS Foundations Benchmark: ${weaknesses.join(', ')}`, detail: `Console passwords of IAM users are easier to guess or to reuse from another breach. ${FIX}` }];
}
