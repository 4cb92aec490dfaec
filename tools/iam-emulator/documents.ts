/**
 * Policy documents as IAM checks them when they are written: syntax, grammar, sizes, and (for trust policies)
 * principals that must exist. IAM rewrites a trust policy as it stores it: a bare account id as an AWS principal
 * reads back as `arn:aws:iam::ID:root`; this emulator does the same, so that a plan must treat both as equal.
 */
import { limitExceeded, malformed, validationError } from './errors.js';
import { parseOperator } from './policy-language.js';

export type DocumentKind = 'identity' | 'trust';

type Json = Record<string, unknown>;

/** What a trust policy's principals must resolve to: checked against the emulated account. */
export interface PrincipalChecks {
  readonly account: string;
  /** Whether `arn` (a user or role of this account) exists and is visible to IAM now. */
  readonly principalExists: (arn: string) => boolean;
  /** Whether an OIDC or SAML provider of this account exists. */
  readonly providerExists: (arn: string) => boolean;
}

/** IAM's character set for a PolicyDocument parameter. */
const DOCUMENT_CHARACTERS = /^[\u0009\u000A\u000D\u0020-\u00FF]+$/;

/**
 * The document as IAM stores it (text), or an IamError: ValidationError for the parameter, MalformedPolicyDocument
 * for the content. `maxSize`, when given, is the quota for this document alone (LimitExceeded beyond it).
 */
export function checkDocument(text: string, kind: DocumentKind, member: string, principals?: PrincipalChecks): { stored: string; size: number } {
  if (text.length === 0 || text.length > 131072 || !DOCUMENT_CHARACTERS.test(text)) {
    throw validationError(text.slice(0, 40), member, 'Member must satisfy regular expression pattern: [\\u0009\\u000A\\u000D\\u0020-\\u00FF]+');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw malformed('Syntax errors in policy.');
  }
  if (!isObject(json)) throw malformed('Syntax errors in policy.');
  // IAM's grammar nests a few levels (Statement, Condition, operator, key, values): a deeper document is no policy,
  // and walking it must not take the emulator down.
  if (nestingDepth(json) > MAX_DOCUMENT_DEPTH) throw malformed('Syntax errors in policy.');
  for (const key of Object.keys(json)) if (!['Version', 'Id', 'Statement'].includes(key)) throw malformed('Syntax errors in policy.');
  const version = json['Version'];
  if (version !== undefined && version !== '2012-10-17' && version !== '2008-10-17') throw malformed('The policy failed legacy parsing');
  const raw = json['Statement'];
  if (raw === undefined) throw malformed('Syntax errors in policy.');
  const statements = Array.isArray(raw) ? raw : [raw];
  if (statements.length === 0) throw malformed('Syntax errors in policy.');
  const sids = new Set<string>();
  let rewritten = false;
  for (const statement of statements) {
    if (!isObject(statement)) throw malformed('Syntax errors in policy.');
    for (const key of Object.keys(statement)) {
      if (!['Sid', 'Effect', 'Action', 'NotAction', 'Resource', 'NotResource', 'Principal', 'NotPrincipal', 'Condition'].includes(key)) throw malformed('Syntax errors in policy.');
    }
    const sid = statement['Sid'];
    if (sid !== undefined) {
      if (typeof sid !== 'string' || (kind === 'identity' && !/^[A-Za-z0-9]*$/.test(sid))) throw malformed('Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*');
      if (sid !== '' && sids.has(sid)) throw malformed('Statement IDs (SID) in a single policy must be unique.');
      sids.add(sid);
    }
    if (statement['Effect'] !== 'Allow' && statement['Effect'] !== 'Deny') throw malformed('Syntax errors in policy.');
    const actions = statement['Action'] ?? statement['NotAction'];
    if (actions === undefined || (statement['Action'] !== undefined && statement['NotAction'] !== undefined)) throw malformed('Policy statement must contain actions.');
    for (const action of stringList(actions)) {
      if (action !== '*' && !/^[A-Za-z0-9-]+:[A-Za-z0-9*?_-]+$/.test(action)) throw malformed('Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.');
    }
    const hasResource = statement['Resource'] !== undefined || statement['NotResource'] !== undefined;
    const hasPrincipal = statement['Principal'] !== undefined || statement['NotPrincipal'] !== undefined;
    if (kind === 'identity') {
      if (hasPrincipal) throw malformed('Policy document should not specify a principal.');
      if (!hasResource || (statement['Resource'] !== undefined && statement['NotResource'] !== undefined)) throw malformed('Policy statement must contain resources.');
      for (const resource of stringList(statement['Resource'] ?? statement['NotResource'])) {
        if (resource !== '*' && !resource.startsWith('arn:')) throw malformed(`Resource ${resource} must be in ARN format or "*".`);
      }
    } else {
      if (hasResource) throw malformed('Has prohibited field Resource');
      if (!hasPrincipal) throw malformed('Missing required field Principal');
      // IAM: NotPrincipal is for Deny only, and an Allow with it would admit everyone the list does not name.
      if (statement['NotPrincipal'] !== undefined && statement['Effect'] === 'Allow') throw malformed('Invalid principal in policy: NotPrincipal is not supported with "Effect": "Allow"');
      if (statement['Principal'] !== undefined && principals) {
        const principal = checkPrincipal(statement['Principal'], principals);
        if (principal !== statement['Principal']) {
          statement['Principal'] = principal;
          rewritten = true;
        }
      }
    }
    const condition = statement['Condition'];
    if (condition !== undefined) {
      if (!isObject(condition)) throw malformed('Syntax errors in policy.');
      for (const [operator, block] of Object.entries(condition)) {
        if (!parseOperator(operator)) throw malformed(`Invalid Condition type : ${operator}`);
        if (!isObject(block)) throw malformed('Syntax errors in policy.');
      }
    }
  }
  const stored = rewritten ? JSON.stringify(json) : text;
  return { stored, size: JSON.stringify(json).length };
}

/** IAM's quotas on document sizes (white space not counted), as LimitExceeded errors. */
export function checkManagedPolicySize(size: number): void {
  if (size > 6144) throw limitExceeded('Cannot exceed quota for PolicySize: 6144');
}

export function checkTrustPolicySize(size: number): void {
  if (size > 2048) throw limitExceeded('Cannot exceed quota for ACLSizePerRole: 2048');
}

/**
 * The deepest a policy's JSON goes: document, Statement list, statement, Condition, operator, key, value list (7),
 * with room to spare. A deeper document is not one IAM's grammar describes.
 */
const MAX_DOCUMENT_DEPTH = 16;

/** How deep objects and arrays nest in a parsed value (iteratively: a hostile document must not exhaust the stack). */
function nestingDepth(value: unknown): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length) {
    const [item, depth] = stack.pop()!;
    if (typeof item !== 'object' || item === null) continue;
    deepest = Math.max(deepest, depth);
    if (deepest > MAX_DOCUMENT_DEPTH) return deepest;
    for (const child of Object.values(item)) stack.push([child, depth + 1]);
  }
  return deepest;
}

export const INLINE_QUOTA = { user: 2048, group: 5120, role: 10240 } as const;

/** A Principal element with every principal checked; a bare account id becomes the account's root ARN. */
function checkPrincipal(value: unknown, checks: PrincipalChecks): unknown {
  if (value === '*') return value;
  if (!isObject(value)) throw malformed('Invalid principal in policy');
  const out: Json = {};
  for (const [type, ids] of Object.entries(value)) {
    const list = stringList(ids);
    if (list.length === 0) throw malformed('Invalid principal in policy');
    const checked = list.map((id) => checkPrincipalId(type, id, checks));
    out[type] = Array.isArray(ids) ? checked : checked[0];
  }
  return JSON.stringify(out) === JSON.stringify(value) ? value : out;
}

function checkPrincipalId(type: string, id: string, checks: PrincipalChecks): string {
  const invalid = (): never => {
    throw malformed(`Invalid principal in policy: "${type === 'Service' ? 'SERVICE' : type}":"${id}"`);
  };
  switch (type) {
    case 'AWS': {
      if (id === '*') return id;
      if (/^\d{12}$/.test(id)) return `arn:aws:iam::${id}:root`;
      const m = /^arn:aws[\w-]*:(iam|sts)::(\d{12}):(.+)$/.exec(id);
      if (!m) return invalid();
      const [, service, account, resource] = m as unknown as [string, string, string, string];
      if (resource === 'root') return id;
      if (service === 'sts' && resource.startsWith('assumed-role/')) return id;
      if (service === 'iam' && /^(user|role)\//.test(resource)) {
        // IAM resolves a same-account user or role to its unique id when it stores the policy: it must exist now.
        if (account === checks.account && !checks.principalExists(id)) return invalid();
        return id;
      }
      return invalid();
    }
    case 'Service':
      return /^[a-z0-9][a-z0-9.-]*\.(amazonaws\.com(\.cn)?|amazon\.com)$/.test(id) ? id : invalid();
    case 'Federated': {
      if (/^arn:aws[\w-]*:iam::\d{12}:(oidc-provider|saml-provider)\/.+$/.test(id)) {
        if (id.split(':')[4] === checks.account && !checks.providerExists(id)) throw malformed('Federated principals must be valid domain names or SAML metadata ARNs');
        return id;
      }
      if (/^[a-z0-9][a-z0-9.-]*\.[a-z]{2,}$/.test(id)) return id;
      throw malformed('Federated principals must be valid domain names or SAML metadata ARNs');
    }
    case 'CanonicalUser':
      return id;
    default:
      return invalid();
  }
}

function stringList(value: unknown): string[] {
  const list = Array.isArray(value) ? value : [value];
  if (!list.every((v) => typeof v === 'string')) throw malformed('Syntax errors in policy.');
  return list as string[];
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
