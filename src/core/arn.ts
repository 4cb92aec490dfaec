/** ARNs and names of the IAM entities this tool manages. */

export type EntityKind = 'user' | 'group' | 'role' | 'policy';

export const ENTITY_KINDS: readonly EntityKind[] = ['policy', 'group', 'role', 'user'];

export function entityArn(account: string, kind: EntityKind | 'instance-profile', path: string, name: string): string {
  return formatArn({ partition: 'aws', service: 'iam', region: '', account, resource: formatIamResource({ type: kind, path, name }) });
}

/**
 * An ARN's parts: `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`. The resource is everything after the fifth colon
 * and may hold colons and slashes of its own (`log-group:/aws/lambda/x:*`, `role/path/name`). `formatArn` writes
 * exactly the text `parseArn` read.
 */
export interface Arn {
  /** `aws`, `aws-cn`, `aws-us-gov`, `aws-iso`...: the AWS partition. */
  readonly partition: string;
  readonly service: string;
  /** Empty for global services (IAM, S3 buckets). */
  readonly region: string;
  /** 12 digits, `aws` (AWS managed policies), or empty (S3 buckets). */
  readonly account: string;
  /** Everything after the fifth colon, e.g. `role/path/name`. Never empty. */
  readonly resource: string;
}

/** @deprecated the same as `Arn` (kept for the callers that name it). */
export type ParsedArn = Arn;

const PARTITION = /^aws(-[a-z]+)*$/;
const SERVICE = /^[a-z0-9][a-z0-9-]*$/;
const REGION = /^([a-z]{2}(-[a-z]+)+-\d+)?$/;
const ACCOUNT = /^(\d{12}|aws)?$/;

/**
 * The fields of ARN-shaped text, leniently: split at the first five colons, the rest (colons kept) the sixth. For
 * policy patterns too (wildcards, empty or short fields): fewer than six fields when the text has fewer colons.
 * Matching a resource pattern is IAM's business (src/evaluate); this only says where the fields are.
 */
export function arnFields(text: string): string[] {
  const parts = text.split(':');
  return parts.length <= 6 ? parts : [...parts.slice(0, 5), parts.slice(5).join(':')];
}

/** The resource part of ARN-shaped text (everything after the fifth colon), or '' when it has none. */
export function arnResource(text: string): string {
  return arnFields(text)[5] ?? '';
}

/**
 * The parts of ARN-shaped text, leniently: `arn` and at least six fields, whatever they hold (wildcards, a managed
 * policy's `aws` account, an odd partition). What the tool compares and rewrites; `parseArn` judges well-formedness.
 */
export function splitArn(text: string): Arn | undefined {
  const fields = arnFields(text);
  if (fields.length < 6 || fields[0] !== 'arn') return undefined;
  const [, partition, service, region, account, resource] = fields as [string, string, string, string, string, string];
  return { partition, service, region, account, resource };
}

/**
 * A well-formed ARN's parts, or undefined: a known partition form, a lower-case service, a region or none, an
 * account of 12 digits, `aws` or none, and a non-empty resource. Wildcards are not ARNs (they are patterns).
 */
export function parseArn(text: string): Arn | undefined {
  const arn = splitArn(text);
  if (!arn || !PARTITION.test(arn.partition) || !SERVICE.test(arn.service) || !REGION.test(arn.region) || !ACCOUNT.test(arn.account) || arn.resource === '') return undefined;
  return arn;
}

export function formatArn(arn: Arn): string {
  return `arn:${arn.partition}:${arn.service}:${arn.region}:${arn.account}:${arn.resource}`;
}

/** The account field of ARN-shaped text (lenient: `splitArn`). */
export function accountOfArn(arn: string): string | undefined {
  return splitArn(arn)?.account;
}

/**
 * IAM's resource form `TYPE/PATH/NAME` (`role/service/deployer`: type `role`, path `/service/`, name `deployer`).
 * The path starts and ends with `/` (`/` alone when there is none); the name is what follows the last `/`.
 */
export interface IamResource {
  readonly type: string;
  readonly path: string;
  readonly name: string;
}

/** `type/path/name` read, or undefined without a slash, a type or a name (`root`, `role/`). */
export function parseIamResource(resource: string): IamResource | undefined {
  const first = resource.indexOf('/');
  const last = resource.lastIndexOf('/');
  if (first <= 0 || last === resource.length - 1) return undefined;
  return { type: resource.slice(0, first), path: resource.slice(first, last + 1), name: resource.slice(last + 1) };
}

export function formatIamResource(resource: IamResource): string {
  return `${resource.type}${resource.path}${resource.name}`;
}

/** `arn:aws:iam::ACCOUNT:root`: the account as a principal, as IAM stores a bare account id in a policy. */
export function accountRootArn(account: string, partition = 'aws'): string {
  return formatArn({ partition, service: 'iam', region: '', account, resource: 'root' });
}

export function isArn(value: string): boolean {
  return value.startsWith('arn:');
}

export function isAwsManagedPolicyArn(arn: string): boolean {
  const parsed = splitArn(arn);
  return parsed !== undefined && /^aws[\w-]*$/.test(parsed.partition) && parsed.service === 'iam' && parsed.region === '' && parsed.account === 'aws' && parsed.resource.startsWith('policy/');
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

const ENTITY_KIND = /^(user|group|role|policy|instance-profile)$/;

/** An IAM entity's ARN read: its identity and its path, or undefined for anything else. */
export function parseEntityArn(arn: string): (EntityIdentity & { readonly path: string }) | undefined {
  const parsed = parseArn(arn);
  if (!parsed || parsed.service !== 'iam' || parsed.region !== '' || parsed.account === '') return undefined;
  const resource = parseIamResource(parsed.resource);
  if (!resource || !ENTITY_KIND.test(resource.type)) return undefined;
  return { account: parsed.account, kind: resource.type as IamEntityKind, name: resource.name, path: resource.path };
}

/** The identity an IAM entity ARN names, or undefined for anything else. */
export function entityIdentity(arn: string): EntityIdentity | undefined {
  const entity = parseEntityArn(arn);
  return entity ? { account: entity.account, kind: entity.kind, name: entity.name } : undefined;
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
