/**
 * The account settings a snapshot can hold beside the get-account-authorization-details keys: `PasswordPolicy` (as
 * `aws iam get-account-password-policy` prints it; null: the account has none) and `AccountAliases` (as
 * `aws iam list-account-aliases` prints it). `iam-gitops snapshot --aws` writes them; a CLI export has neither, and
 * then the settings are unknown (never guessed). Pure.
 */
import { z } from 'zod';
import { error, InputError } from '../core/diagnostics.js';
import { isPlainObject } from '../core/policy.js';
import { DEFAULT_PASSWORD_POLICY, type AccountSettings, type PasswordPolicy } from '../core/state.js';

/** GetAccountPasswordPolicy's `PasswordPolicy` shape (ExpirePasswords is derived from MaxPasswordAge, so not kept). */
const PasswordPolicyJson = z.object({
  MinimumPasswordLength: z.number().int().nullish(),
  RequireSymbols: z.boolean().nullish(),
  RequireNumbers: z.boolean().nullish(),
  RequireUppercaseCharacters: z.boolean().nullish(),
  RequireLowercaseCharacters: z.boolean().nullish(),
  AllowUsersToChangePassword: z.boolean().nullish(),
  ExpirePasswords: z.boolean().nullish(),
  MaxPasswordAge: z.number().int().nullish(),
  PasswordReusePrevention: z.number().int().nullish(),
  HardExpiry: z.boolean().nullish(),
});

export type PasswordPolicyJson = z.infer<typeof PasswordPolicyJson>;

/** IAM's answer as the model holds it: what IAM leaves out is its default. */
export function passwordPolicyFromIam(p: PasswordPolicyJson): PasswordPolicy {
  const d = DEFAULT_PASSWORD_POLICY;
  return {
    minimumPasswordLength: p.MinimumPasswordLength ?? d.minimumPasswordLength,
    requireSymbols: p.RequireSymbols ?? d.requireSymbols,
    requireNumbers: p.RequireNumbers ?? d.requireNumbers,
    requireUppercaseCharacters: p.RequireUppercaseCharacters ?? d.requireUppercaseCharacters,
    requireLowercaseCharacters: p.RequireLowercaseCharacters ?? d.requireLowercaseCharacters,
    allowUsersToChangePassword: p.AllowUsersToChangePassword ?? d.allowUsersToChangePassword,
    maxPasswordAge: p.MaxPasswordAge ?? d.maxPasswordAge,
    passwordReusePrevention: p.PasswordReusePrevention ?? d.passwordReusePrevention,
    hardExpiry: p.HardExpiry ?? d.hardExpiry,
  };
}

/** The settings a snapshot value holds, or undefined when it holds neither key (a CLI export). */
export function snapshotAccountSettings(file: string, json: Record<string, unknown>): AccountSettings | undefined {
  const out: { passwordPolicy?: PasswordPolicy | null; alias?: string | null } = {};
  if ('PasswordPolicy' in json) {
    const value = json['PasswordPolicy'];
    const parsed = value === null ? null : isPlainObject(value) ? PasswordPolicyJson.safeParse(value) : undefined;
    if (parsed === undefined || (parsed !== null && !parsed.success)) throw new InputError([error('snapshot "PasswordPolicy" is malformed', 'It should be null (no password policy) or the object `aws iam get-account-password-policy` prints under PasswordPolicy. Write the snapshot again with iam-gitops snapshot --aws.', { file, line: 1, col: 1 })]);
    out.passwordPolicy = parsed === null ? null : passwordPolicyFromIam(parsed.data);
  }
  if ('AccountAliases' in json) {
    const value = json['AccountAliases'];
    if (!Array.isArray(value) || !value.every((a) => typeof a === 'string') || value.length > 1) throw new InputError([error('snapshot "AccountAliases" is malformed', 'It should be a list of at most one alias, as `aws iam list-account-aliases` prints it. Write the snapshot again with iam-gitops snapshot --aws.', { file, line: 1, col: 1 })]);
    out.alias = (value[0] as string | undefined) ?? null;
  }
  return 'passwordPolicy' in out || 'alias' in out ? out : undefined;
}

/** The keys `snapshot --aws` writes beside the GAAD ones (IAM's own shapes, so each reads as the CLI prints it). */
export function accountSettingsKeys(policy: PasswordPolicyJson | null, aliases: readonly string[]): { PasswordPolicy: PasswordPolicyJson | null; AccountAliases: string[] } {
  return { PasswordPolicy: policy, AccountAliases: [...aliases] };
}
