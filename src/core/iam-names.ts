/**
 * IAM's rules for names and paths, as the IAM API reference states them (CreateUser, CreateGroup, CreateRole,
 * CreatePolicy, PutUserPolicy, CreateInstanceProfile): what live IAM can hold. Anything read as live state (a
 * snapshot file, or the AWS API) is held to them, so that a name cannot carry `/`, `..` or control characters into
 * file names, messages or ARNs built from it.
 *
 * - names: `[\w+=,.@-]+` (ASCII letters, digits and `_+=,.@-`), 1-64 characters for users and roles, 1-128 for
 *   groups, managed policies, inline policies and instance profiles;
 * - paths: `(\u002F)|(\u002F[\u0021-\u007F]+\u002F)`, at most 512 characters: `/`, or printable ASCII between
 *   slashes.
 */

export type IamNameKind = 'user' | 'group' | 'role' | 'policy' | 'inline policy' | 'instance profile';

const NAME = /^[\w+=,.@-]+$/;
const PATH = /^\/$|^\/[\u0021-\u007F]+\/$/;
const MAX_NAME: Record<IamNameKind, number> = { user: 64, group: 128, role: 64, policy: 128, 'inline policy': 128, 'instance profile': 128 };
const MAX_PATH = 512;

/** The rule `name` breaks, in words, or undefined when IAM accepts it. */
export function iamNameProblem(kind: IamNameKind, name: string): string | undefined {
  if (name.length === 0) return `an IAM ${kind} name is never empty`;
  if (!NAME.test(name)) return `IAM ${kind} names hold only ASCII letters, digits and _+=,.@- (no "/", spaces or other characters)`;
  if (name.length > MAX_NAME[kind]) return `IAM ${kind} names are at most ${MAX_NAME[kind]} characters (this one has ${name.length})`;
  return undefined;
}

/** The rule `path` breaks, in words, or undefined when IAM accepts it. */
export function iamPathProblem(path: string): string | undefined {
  if (!PATH.test(path)) return 'an IAM path is "/" or starts and ends with "/", with printable ASCII between (no spaces or control characters)';
  if (path.length > MAX_PATH) return `IAM paths are at most ${MAX_PATH} characters (this one has ${path.length})`;
  return undefined;
}
