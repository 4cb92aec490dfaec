/** ARNs and names of the IAM entities this tool manages. */

export type EntityKind = 'user' | 'group' | 'role' | 'policy';

export const ENTITY_KINDS: readonly EntityKind[] = ['policy', 'group', 'role', 'user'];

export function entityArn(account: string, kind: EntityKind, path: string, name: string): string {
  return `arn:aws:iam::${account}:${kind}${path}${name}`;
}

export interface ParsedArn {
  readonly partition: string;
  readonly service: string;
  readonly region: string;
  readonly account: string;
  /** Everything after the fifth colon, e.g. `role/path/name`. */
  readonly resource: string;
}

export function parseArn(arn: string): ParsedArn | undefined {
  const parts = arn.split(':');
  if (parts.length < 6 || parts[0] !== 'arn') return undefined;
  const [, partition, service, region, account] = parts as [string, string, string, string, string];
  return { partition, service, region, account, resource: parts.slice(5).join(':') };
}

export function accountOfArn(arn: string): string | undefined {
  return parseArn(arn)?.account;
}

export function isArn(value: string): boolean {
  return value.startsWith('arn:');
}

export function isAwsManagedPolicyArn(arn: string): boolean {
  return /^arn:aws[\w-]*:iam::aws:policy\//.test(arn);
}

/** Case-insensitive identity of an IAM name: IAM refuses two users "Bob" and "bob" in one account. */
export function nameKey(name: string): string {
  return name.toLowerCase();
}

/** AWS owns these paths: service-linked roles and roles that IAM Identity Center creates. Never changed. */
export function isAwsOwnedPath(path: string): boolean {
  return path.startsWith('/aws-service-role/') || path.startsWith('/aws-reserved/');
}

export const ACCOUNT_ID = /^\d{12}$/;
