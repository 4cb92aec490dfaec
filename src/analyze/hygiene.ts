/**
 * Hygiene findings: what IAM's own usage records say about an account's credentials and roles (keys that are old or
 * unused, console users without MFA, root keys, roles nobody assumes). Unlike the risk findings, they judge facts
 * that change without any change to IAM's configuration, so `audit` and `drift` report them and plans do not.
 * Each says how to fix it in the manifests (or, for what only a person can do, by hand).
 */
import { isAwsOwnedPath } from '../core/arn.js';
import type { IamState } from '../core/state.js';
import { ROOT_USER, type HygieneSettings, type UsageFacts } from '../core/usage.js';
import type { Finding } from './findings.js';

const DAY_MS = 24 * 60 * 60 * 1000;

export function hygieneFindings(state: IamState, facts: UsageFacts, settings: HygieneSettings, now: Date): Finding[] {
  const out: Finding[] = [];
  const ageDays = (d: Date): number => Math.floor((now.getTime() - d.getTime()) / DAY_MS);
  const rootArn = `arn:aws:iam::${state.account}:root`;
  const users = new Map([...state.users.values()].map((u) => [u.arn, u]));

  // The root user: keys on it cannot be limited by any policy; without MFA a password alone opens the account.
  const rootRow = facts.credentials?.rows.find((r) => r.user === ROOT_USER);
  const rootKeys = facts.summary?.rootAccessKeysPresent ?? (rootRow ? rootRow.activeKeys.length > 0 : undefined);
  const rootMfa = facts.summary?.rootMfaEnabled ?? rootRow?.mfaActive;
  if (rootKeys === true) {
    out.push({ code: 'ROOT_ACCESS_KEYS', severity: 'critical', principal: rootArn, summary: 'the root user has access keys', detail: 'No policy can limit them. Delete them (as the root user: Security credentials, Access keys); use IAM roles instead. Manifests cannot manage root credentials.' });
  }
  if (rootMfa === false) {
    out.push({ code: 'ROOT_WITHOUT_MFA', severity: 'high', principal: rootArn, summary: 'the root user has no MFA device', detail: 'Its password alone opens the whole account. Sign in as the root user and assign an MFA device (Security credentials, Multi-factor authentication).' });
  }

  for (const row of facts.credentials?.rows ?? []) {
    if (row.user === ROOT_USER) continue;
    const user = users.get(row.arn);
    // A user the judged state does not hold (audit --manifests of a state that deletes it) has nothing to fix.
    if (!user) continue;
    const where = `users/${user.name}.yaml`;
    if (row.password && !row.mfaActive) {
      out.push({ code: 'CONSOLE_WITHOUT_MFA', severity: 'medium', principal: row.arn, summary: `user ${row.user} signs in to the console without MFA`, detail: `A stolen password is enough. Have ${row.user} assign an MFA device; or, if the user needs no console, write credentials: {console: false} in its manifest (or the Account's default) and apply: the password is deleted. With credentials: {mfa: required}, drift reports the user until it has a device.` });
    }
    if (row.password && row.activeKeys.length > 0) {
      out.push({ code: 'CONSOLE_AND_ACCESS_KEYS', severity: 'low', principal: row.arn, summary: `user ${row.user} has both a console password and ${row.activeKeys.length === 1 ? 'an active access key' : `${row.activeKeys.length} active access keys`}`, detail: `A person and a program share one identity, so neither can be limited to what it needs. Split them: a role (or a user declared in its own manifest) for the program, then delete this user's keys (aws iam delete-access-key).` });
    }
    for (const key of row.activeKeys) {
      const lastUse = key.lastUsedAt ?? undefined;
      const since = lastUse ?? key.rotatedAt;
      if (since && ageDays(since) > settings.unusedForDays) {
        const when = lastUse ? `last used ${ageDays(lastUse)} days ago` : `never used in the ${ageDays(key.rotatedAt!)} days since it was created`;
        out.push({ code: 'ACCESS_KEY_UNUSED', severity: 'medium', principal: row.arn, summary: `user ${row.user}'s access key ${key.slot} is ${when}`, detail: `An unused key is a credential nobody watches. Deactivate it, then delete it (aws iam update-access-key --status Inactive, then delete-access-key); if ${where} exists only for this key, delete the user there (deleted: true). (Unused: no use for more than ${settings.unusedForDays} days; the Account manifest's \`hygiene.unusedForDays\`.)` });
      } else if (key.rotatedAt && ageDays(key.rotatedAt) > settings.accessKeyMaxAgeDays) {
        out.push({ code: 'ACCESS_KEY_NOT_ROTATED', severity: 'medium', principal: row.arn, summary: `user ${row.user}'s access key ${key.slot} is ${ageDays(key.rotatedAt)} days old`, detail: `Rotate it: create a second key, move its users to it, then delete this one (the limit is ${settings.accessKeyMaxAgeDays} days; the Account manifest's \`hygiene.accessKeyMaxAgeDays\`). Better: replace the key with a role.` });
      }
    }
  }

  for (const [arn, services] of facts.services ?? []) {
    const unused = services.filter((s) => !s.lastUsedAt || ageDays(s.lastUsedAt) > settings.unusedForDays);
    if (unused.length === 0) continue;
    const principal = users.get(arn) ?? [...state.roles.values()].find((r) => r.arn === arn);
    if (!principal) continue;
    const names = unused.map((s) => s.namespace).sort();
    const shown = names.length > 12 ? `${names.slice(0, 12).join(', ')} and ${names.length - 12} more` : names.join(', ');
    out.push({
      code: 'SERVICES_UNUSED',
      severity: 'low',
      principal: arn,
      summary: `${principal.kind} ${principal.name} may use ${unused.length} of ${services.length} ${services.length === 1 ? 'service' : 'services'} it has not used in ${settings.unusedForDays} days: ${shown}`,
      detail: `Access nobody uses is risk without purpose. Remove those services from the policies in ${principal.kind}s/${principal.name}.yaml (and the groups and policies it holds that grant them); access used through a shared group or policy by others must stay for them. IAM's last-accessed data covers 400 days and only the regions where it is tracked.`,
      targets: names,
    });
  }

  for (const role of state.roles.values()) {
    // AWS-owned roles (service-linked, /aws-reserved/) are AWS's to keep or remove.
    if (isAwsOwnedPath(role.path)) continue;
    const use = facts.roles?.get(role.arn);
    if (!use) continue;
    const since = use.lastUsedAt ?? use.createdAt;
    if (!since || ageDays(since) <= settings.unusedForDays) continue;
    const when = use.lastUsedAt ? `last used ${ageDays(use.lastUsedAt)} days ago` : `never used in the ${ageDays(use.createdAt!)} days since it was created`;
    out.push({ code: 'ROLE_UNUSED', severity: 'low', principal: role.arn, summary: `role ${role.name} is ${when}`, detail: `Whoever may assume it keeps that power unused. Delete it (\`deleted: true\` in roles/${role.name}.yaml, or remove the manifest with prune on), or say why it stays by accepting ROLE_UNUSED in the Account manifest (a break-glass role).` });
  }
  return out;
}
