/**
 * The IAM policy language as this emulator reads it, written from the IAM User Guide ("IAM JSON policy elements:
 * Condition operators", "Policy evaluation logic") and not shared with the product: an oracle that used the product's
 * grammar or evaluator could not catch the product's mistakes in them.
 *
 * Evaluation covers what the emulator decides (its `--enforce` mode and STS): identity-based policies, permissions
 * boundaries and role trust policies in one account. Policy variables (`${aws:username}`) are not substituted: they
 * match only themselves.
 */

type Json = Record<string, unknown>;

/** The base condition operators of the IAM User Guide's "Condition operators" page. */
export const BASE_CONDITION_OPERATORS = [
  'StringEquals', 'StringNotEquals', 'StringEqualsIgnoreCase', 'StringNotEqualsIgnoreCase', 'StringLike', 'StringNotLike',
  'NumericEquals', 'NumericNotEquals', 'NumericLessThan', 'NumericLessThanEquals', 'NumericGreaterThan', 'NumericGreaterThanEquals',
  'DateEquals', 'DateNotEquals', 'DateLessThan', 'DateLessThanEquals', 'DateGreaterThan', 'DateGreaterThanEquals',
  'Bool', 'BinaryEquals', 'IpAddress', 'NotIpAddress', 'ArnEquals', 'ArnLike', 'ArnNotEquals', 'ArnNotLike', 'Null',
] as const;

type BaseOperator = (typeof BASE_CONDITION_OPERATORS)[number];

/** A condition operator name split into its parts: `ForAnyValue:StringLikeIfExists`. */
interface Operator {
  readonly base: BaseOperator;
  readonly set?: 'ForAnyValue' | 'ForAllValues';
  readonly ifExists: boolean;
}

/** The operator named, or undefined if IAM has no such operator (`...IfExists` is for every operator but Null). */
export function parseOperator(name: string): Operator | undefined {
  const m = /^(?:(ForAnyValue|ForAllValues):)?(\w+?)(IfExists)?$/.exec(name);
  if (!m) return undefined;
  const base = BASE_CONDITION_OPERATORS.find((op) => op === m[2]);
  if (!base || (base === 'Null' && (m[3] || m[1]))) return undefined;
  return { base, ifExists: m[3] !== undefined, ...(m[1] ? { set: m[1] as 'ForAnyValue' | 'ForAllValues' } : {}) };
}

/** Operators that match when the key is absent (the negated ones), per the User Guide's note on missing keys. */
const NEGATED: ReadonlySet<BaseOperator> = new Set(['StringNotEquals', 'StringNotEqualsIgnoreCase', 'StringNotLike', 'NumericNotEquals', 'DateNotEquals', 'NotIpAddress', 'ArnNotEquals', 'ArnNotLike']);

/** IAM's wildcards: `*` any run of characters, `?` one character. */
export function globMatches(pattern: string, value: string, ignoreCase = false): boolean {
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${source}$`, ignoreCase ? 'is' : 's').test(value);
}

function matchOne(base: BaseOperator, policyValue: string, requestValue: string): boolean {
  switch (base) {
    case 'StringEquals':
    case 'StringNotEquals':
    case 'ArnEquals':
    case 'ArnNotEquals':
    case 'BinaryEquals':
      return policyValue === requestValue;
    case 'StringEqualsIgnoreCase':
    case 'StringNotEqualsIgnoreCase':
      return policyValue.toLowerCase() === requestValue.toLowerCase();
    case 'StringLike':
    case 'StringNotLike':
    case 'ArnLike':
    case 'ArnNotLike':
      return globMatches(policyValue, requestValue);
    case 'Bool':
      return policyValue.toLowerCase() === requestValue.toLowerCase();
    case 'NumericEquals':
    case 'NumericNotEquals':
      return Number(requestValue) === Number(policyValue);
    case 'NumericLessThan':
      return Number(requestValue) < Number(policyValue);
    case 'NumericLessThanEquals':
      return Number(requestValue) <= Number(policyValue);
    case 'NumericGreaterThan':
      return Number(requestValue) > Number(policyValue);
    case 'NumericGreaterThanEquals':
      return Number(requestValue) >= Number(policyValue);
    case 'DateEquals':
    case 'DateNotEquals':
      return Date.parse(requestValue) === Date.parse(policyValue);
    case 'DateLessThan':
      return Date.parse(requestValue) < Date.parse(policyValue);
    case 'DateLessThanEquals':
      return Date.parse(requestValue) <= Date.parse(policyValue);
    case 'DateGreaterThan':
      return Date.parse(requestValue) > Date.parse(policyValue);
    case 'DateGreaterThanEquals':
      return Date.parse(requestValue) >= Date.parse(policyValue);
    case 'IpAddress':
    case 'NotIpAddress':
      // The emulator's requests carry no source address: no address matches.
      return false;
    case 'Null':
      return false;
  }
}

export type RequestContext = Readonly<Record<string, string | readonly string[]>>;

/** Whether one `operator: {key: values}` block holds for the request (keys are case-insensitive). */
function conditionHolds(operatorName: string, block: Json, context: RequestContext): boolean {
  const op = parseOperator(operatorName);
  if (!op) return false;
  const lowered = new Map(Object.entries(context).map(([k, v]) => [k.toLowerCase(), v]));
  return Object.entries(block).every(([key, raw]) => {
    const policyValues = (Array.isArray(raw) ? raw : [raw]).map(String);
    const present = lowered.get(key.toLowerCase());
    if (op.base === 'Null') return policyValues.some((v) => (v === 'true') === (present === undefined));
    if (present === undefined) return op.ifExists || op.set === 'ForAllValues' || (NEGATED.has(op.base) && op.set === undefined);
    const requestValues = Array.isArray(present) ? (present as readonly string[]) : [present as string];
    const negated = NEGATED.has(op.base);
    // A negated operator matches a value that matches none of the policy's values.
    const valueMatches = (v: string): boolean => (negated ? !policyValues.some((p) => matchOne(op.base, p, v)) : policyValues.some((p) => matchOne(op.base, p, v)));
    if (op.set === 'ForAllValues') return requestValues.every(valueMatches);
    return requestValues.some(valueMatches);
  });
}

export interface Request {
  readonly action: string;
  readonly resource: string;
  readonly context: RequestContext;
}

const list = (value: unknown): string[] => (value === undefined ? [] : (Array.isArray(value) ? value : [value]).map(String));

export function statementsOf(document: Json): Json[] {
  const raw = document['Statement'];
  return (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).filter((s): s is Json => typeof s === 'object' && s !== null);
}

/** Whether a statement applies to the request (its principal, if any, is the caller's business). */
export function statementApplies(statement: Json, request: Request): boolean {
  const actionIn = (patterns: string[]): boolean => patterns.some((p) => globMatches(p, request.action, true));
  const actionOk = statement['Action'] !== undefined ? actionIn(list(statement['Action'])) : !actionIn(list(statement['NotAction']));
  if (!actionOk) return false;
  if (statement['Resource'] !== undefined || statement['NotResource'] !== undefined) {
    const resourceIn = (patterns: string[]): boolean => patterns.some((p) => globMatches(p, request.resource));
    const resourceOk = statement['Resource'] !== undefined ? resourceIn(list(statement['Resource'])) : !resourceIn(list(statement['NotResource']));
    if (!resourceOk) return false;
  }
  const condition = statement['Condition'];
  if (condition === undefined) return true;
  if (typeof condition !== 'object' || condition === null) return false;
  return Object.entries(condition as Json).every(([operator, block]) => typeof block === 'object' && block !== null && conditionHolds(operator, block as Json, request.context));
}

export type Decision = 'Allowed' | 'ExplicitlyDenied' | 'ImplicitlyDenied';

/** What policies say of the request: any Deny wins, then any Allow. */
export function decide(statements: readonly Json[], request: Request): Decision {
  let allowed = false;
  for (const statement of statements) {
    if (!statementApplies(statement, request)) continue;
    if (statement['Effect'] === 'Deny') return 'ExplicitlyDenied';
    if (statement['Effect'] === 'Allow') allowed = true;
  }
  return allowed ? 'Allowed' : 'ImplicitlyDenied';
}

/**
 * Identity-based evaluation in one account: an explicit Deny in identity policies or the boundary denies; otherwise
 * the identity policies must allow and, when the principal has a boundary, the boundary too.
 */
export function decideForPrincipal(identity: readonly Json[], boundary: readonly Json[] | undefined, request: Request): Decision {
  const byIdentity = decide(identity, request);
  if (byIdentity === 'ExplicitlyDenied') return byIdentity;
  if (boundary) {
    const byBoundary = decide(boundary, request);
    if (byBoundary !== 'Allowed') return byBoundary;
  }
  return byIdentity;
}
