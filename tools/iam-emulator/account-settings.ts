/**
 * The account's own settings: its password policy (UpdateAccountPasswordPolicy, GetAccountPasswordPolicy,
 * DeleteAccountPasswordPolicy) and its alias (CreateAccountAlias, DeleteAccountAlias, ListAccountAliases). Each
 * function is one IAM operation; the rules are those of the IAM API reference page of the action.
 */
import { alreadyExists, limitExceeded, noSuchEntity, validationError } from './errors.js';
import type { IamModel } from './model.js';
import type { PasswordPolicyRecord } from './records.js';

/** What UpdateAccountPasswordPolicy was sent: a parameter left out is undefined (and takes IAM's default). */
export interface PasswordPolicyRequest {
  readonly minimumPasswordLength?: number;
  readonly requireSymbols?: boolean;
  readonly requireNumbers?: boolean;
  readonly requireUppercaseCharacters?: boolean;
  readonly requireLowercaseCharacters?: boolean;
  readonly allowUsersToChangePassword?: boolean;
  readonly maxPasswordAge?: number;
  readonly passwordReusePrevention?: number;
  readonly hardExpiry?: boolean;
}

/** No partial update (IAM API reference): every parameter left out reverts to its default. */
export function updatePasswordPolicy(model: IamModel, request: PasswordPolicyRequest): void {
  checkRange(request.minimumPasswordLength, 'minimumPasswordLength', 6, 128);
  // 0 is not a value IAM accepts for these two: their default ("never", "no limit") is had by leaving them out.
  checkRange(request.maxPasswordAge, 'maxPasswordAge', 1, 1095);
  checkRange(request.passwordReusePrevention, 'passwordReusePrevention', 1, 24);
  model.passwordPolicy = {
    minimumPasswordLength: request.minimumPasswordLength ?? 6,
    requireSymbols: request.requireSymbols ?? false,
    requireNumbers: request.requireNumbers ?? false,
    requireUppercaseCharacters: request.requireUppercaseCharacters ?? false,
    requireLowercaseCharacters: request.requireLowercaseCharacters ?? false,
    allowUsersToChangePassword: request.allowUsersToChangePassword ?? false,
    ...(request.maxPasswordAge !== undefined ? { maxPasswordAge: request.maxPasswordAge } : {}),
    ...(request.passwordReusePrevention !== undefined ? { passwordReusePrevention: request.passwordReusePrevention } : {}),
    hardExpiry: request.hardExpiry ?? false,
  };
  model.changed();
}

export function passwordPolicy(model: IamModel): PasswordPolicyRecord {
  if (!model.passwordPolicy) throw noSuchEntity(`The Password Policy with domain name ${model.account} cannot be found.`);
  return model.passwordPolicy;
}

export function deletePasswordPolicy(model: IamModel): void {
  passwordPolicy(model);
  model.passwordPolicy = undefined;
  model.changed();
}

/** 3 to 63 lowercase letters, digits and single hyphens, none at either end (IAM API reference: CreateAccountAlias). */
const ALIAS_PATTERN = /^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$/;

function checkAlias(alias: string): void {
  if (alias.length < 3) throw validationError(alias, 'accountAlias', 'Member must have length greater than or equal to 3');
  if (alias.length > 63) throw validationError(alias, 'accountAlias', 'Member must have length less than or equal to 63');
  if (!ALIAS_PATTERN.test(alias)) throw validationError(alias, 'accountAlias', 'Member must satisfy regular expression pattern: ^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$');
}

/**
 * An account has at most one alias. Creating the one it has is EntityAlreadyExists (as the reference lists); another
 * while one exists is refused as over the limit of one (the emulator's reading: delete the old alias first, which
 * is what the tool does).
 */
export function createAccountAlias(model: IamModel, alias: string): void {
  checkAlias(alias);
  if (model.accountAliases.includes(alias)) throw alreadyExists(`The account alias ${alias} already exists.`);
  if (model.accountAliases.length > 0) throw limitExceeded(`Cannot exceed quota for AccountAliasesPerAccount: 1`);
  model.accountAliases.push(alias);
  model.changed();
}

export function deleteAccountAlias(model: IamModel, alias: string): void {
  checkAlias(alias);
  const index = model.accountAliases.indexOf(alias);
  if (index < 0) throw noSuchEntity(`The account alias ${alias} cannot be found.`);
  model.accountAliases.splice(index, 1);
  model.changed();
}

function checkRange(value: number | undefined, member: string, min: number, max: number): void {
  if (value === undefined) return;
  if (value < min) throw validationError(String(value), member, `Member must have value greater than or equal to ${min}`);
  if (value > max) throw validationError(String(value), member, `Member must have value less than or equal to ${max}`);
}
