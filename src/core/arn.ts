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

/** The kinds of IAM entity an ARN of this tool can name. */
export type IamEntityKind = EntityKind | 'instance-profile';

/**
 * What identifies an IAM entity: its account, kind and name. The path is not part of it: IAM names are unique per
 * kind within an account, whatever the path, and compared case-insensitively (`name` keeps the ARN's spelling).
 */
export interface EntityIdentity {
  readonly account: string;
  readonly kind: IamEntityKind;
  readonly name: string;
}

const ENTITY_ARN = /^arn:aws[\w-]*:iam::(\d{12}|aws):(user|group|role|policy|instance-profile)((?:\/[^/]*)*\/)([^/]+)$/;

/** The identity an IAM entity ARN names, or undefined for anything else. */
export function entityIdentity(arn: string): EntityIdentity | undefined {
  const m = ENTITY_ARN.exec(arn);
  if (!m) return undefined;
  return { account: m[1]!, kind: m[2] as IamEntityKind, name: m[4]! };
}

/** `account|kind|name` in lower case: equal for two ARNs of the same entity, whatever their paths. */
export function entityKey(arn: string): string | undefined {
  const id = entityIdentity(arn);
  return id ? identityKey(id) : undefined;
}

export function identityKey(id: EntityIdentity): string {
  return `${id.account}|${id.kind}|${id.name.toLowerCase()}`;
}

/**
 * The Account manifest's `protected` list as a test of ARNs: an entry protects the entity of its kind and name,
 * case-insensitively, whatever either ARN's path (`role/break-glass` protects `role/admin/Break-Glass`).
 */
export function protectedMatcher(entries: readonly string[]): (arn: string) => boolean {
  const keys = new Set(entries.flatMap((e) => entityKey(e) ?? []));
  return (arn) => {
    const key = entityKey(arn);
    return key !== undefined && keys.has(key);
  };
}
