/**
 * The account's own settings in a plan: the password policy and the alias of the Account manifest against live IAM.
 * Pure. A setting the manifest leaves out is not managed; one the live source does not hold (a
 * get-account-authorization-details export holds neither) is not compared, and the plan says so instead of
 * guessing a change.
 */
import { warning, type Diagnostic } from '../core/diagnostics.js';
import { PASSWORD_POLICY_SETTINGS, type AccountSettings, type PasswordPolicy, type PasswordPolicySetting } from '../core/state.js';
import type { DesiredState } from '../manifest/desired-state.js';
import type { LiveState } from '../live/live-state.js';
import type { Change, ChangeDetail } from './plan.js';

/** The account's root ARN: what account-wide changes and findings are about. */
export function accountArn(account: string): string {
  return `arn:aws:iam::${account}:root`;
}

/** The update of the account's settings the manifests ask for, or undefined when there is nothing to change. */
export function diffAccountSettings(desired: DesiredState, live: LiveState, diagnostics: Diagnostic[]): Change | undefined {
  const account = desired.account;
  const want = account.settings;
  const have: AccountSettings = live.state.settings ?? {};
  const details: ChangeDetail[] = [];
  const notCompared: string[] = [];
  if (want.passwordPolicy !== undefined) {
    if (have.passwordPolicy === undefined) notCompared.push('the password policy');
    else details.push(...passwordPolicyDetails(have.passwordPolicy, want.passwordPolicy));
  }
  if (want.alias !== undefined) {
    if (have.alias === undefined) notCompared.push('the account alias');
    else if (have.alias !== want.alias) details.push({ field: 'accountAlias', before: have.alias, after: want.alias });
  }
  if (notCompared.length > 0) {
    const at = account.locate([want.passwordPolicy !== undefined ? 'passwordPolicy' : 'alias']);
    diagnostics.push(warning(`${notCompared.join(' and ')} could not be compared: ${live.source} does not hold ${notCompared.length === 1 ? 'it' : 'them'}`, `get-account-authorization-details exports hold no password policy and no account alias, so the plan leaves ${notCompared.length === 1 ? 'it as it is' : 'them as they are'}. Plan against AWS (--aws), or against a snapshot written by \`iam-gitops snapshot --aws\`, which holds them.`, at));
  }
  if (details.length === 0) return undefined;
  const where = account.at;
  return { action: 'update', kind: 'account', name: account.id, arn: accountArn(account.id), path: '/', reason: `live IAM differs from ${where.file}:${where.line}`, source: where, details };
}

/**
 * Setting by setting, `before` -> `after`. IAM sets the password policy whole (a setting left out of the call reverts
 * to its default), so when anything changes every setting is listed, the unchanged ones with equal before and after:
 * apply sends them all, renderers show the changed ones. No policy on one side (null) lists every setting too.
 */
export function passwordPolicyDetails(before: PasswordPolicy | null, after: PasswordPolicy | null): ChangeDetail[] {
  if (before === null && after === null) return [];
  const value = (policy: PasswordPolicy | null, setting: PasswordPolicySetting): number | boolean | null => (policy === null ? null : policy[setting]);
  if (PASSWORD_POLICY_SETTINGS.every((s) => value(before, s) === value(after, s))) return [];
  return PASSWORD_POLICY_SETTINGS.map((setting) => ({ field: 'passwordPolicy', setting, before: value(before, setting), after: value(after, setting) }));
}

/** Live settings with what the plan changes applied: what IAM holds after apply. */
export function plannedSettings(live: AccountSettings | undefined, desired: AccountSettings, changed: boolean): AccountSettings | undefined {
  if (!changed) return live;
  return { ...live, ...(desired.passwordPolicy !== undefined ? { passwordPolicy: desired.passwordPolicy } : {}), ...(desired.alias !== undefined ? { alias: desired.alias } : {}) };
}
