/**
 * The policy grammar: what IAM itself would refuse (MalformedPolicyDocument), plus actions and services that
 * the AWS catalog does not know (IAM accepts those silently, and a typo in an action is a grant that never works
 * or a Deny that never denies). Problems carry a path inside the document; callers turn it into a location.
 */
import type { ActionCatalog } from '../catalog/action-catalog.js';
import type { Severity } from '../core/diagnostics.js';
import { isPlainObject } from '../core/policy.js';
import { isLiteralStringOperator } from '../core/condition-operators.js';
import { closestMatches, didYouMean } from '../core/suggest.js';
import { hasWildcard } from '../core/wildcard.js';
import { ResourceTypeIndex } from '../evaluate/resource-types.js';
import type { ValuePath } from './source-document.js';

/** `identity`: attached to a user, group or role, or a managed policy; `trust`: a role's trust policy. */
export type PolicyType = 'identity' | 'trust';

export interface PolicyProblem {
  readonly severity: Severity;
  readonly summary: string;
  readonly detail: string;
  /** Path inside the document. */
  readonly path: ValuePath;
  /** Point at the key rather than the value (for fields that should not be there). */
  readonly atKey?: boolean;
  /** A lint: the statement is valid but grants (or denies) nothing as written. */
  readonly lint?: true;
}

const TOP_LEVEL_KEYS = ['Version', 'Id', 'Statement'];
const STATEMENT_KEYS = ['Sid', 'Effect', 'Principal', 'NotPrincipal', 'Action', 'NotAction', 'Resource', 'NotResource', 'Condition'];
const VERSIONS = ['2012-10-17', '2008-10-17'];
const PRINCIPAL_TYPES = ['AWS', 'Service', 'Federated', 'CanonicalUser'];

const BASE_OPERATORS = [
  'StringEquals', 'StringNotEquals', 'StringEqualsIgnoreCase', 'StringNotEqualsIgnoreCase', 'StringLike', 'StringNotLike',
  'NumericEquals', 'NumericNotEquals', 'NumericLessThan', 'NumericLessThanEquals', 'NumericGreaterThan', 'NumericGreaterThanEquals',
  'DateEquals', 'DateNotEquals', 'DateLessThan', 'DateLessThanEquals', 'DateGreaterThan', 'DateGreaterThanEquals',
  'Bool', 'BinaryEquals', 'IpAddress', 'NotIpAddress', 'ArnEquals', 'ArnLike', 'ArnNotEquals', 'ArnNotLike', 'Null',
];

/** Every operator name IAM accepts: the base names, their `...IfExists` forms (not for Null), and set prefixes. */
export const CONDITION_OPERATORS: ReadonlySet<string> = new Set(
  BASE_OPERATORS.flatMap((op) => (op === 'Null' ? [op] : [op, `${op}IfExists`])).flatMap((op) =>
    op === 'Null' ? [op] : [op, `ForAnyValue:${op}`, `ForAllValues:${op}`],
  ),
);

export interface GrammarOptions {
  /** Whether an action the catalog does not know is used knowingly (the Account's acceptUnknown.actions). */
  readonly acceptsUnknownAction?: (action: string) => boolean;
}

export function checkPolicyDocument(document: unknown, type: PolicyType, catalog: ActionCatalog, options: GrammarOptions = {}): PolicyProblem[] {
  const problems: PolicyProblem[] = [];
  const report = (severity: Severity, path: ValuePath, summary: string, detail: string, atKey = false, lint = false): void => {
    problems.push({ severity, path, summary, detail, ...(atKey ? { atKey } : {}), ...(lint ? { lint: true as const } : {}) });
  };

  if (!isPlainObject(document)) {
    report('error', [], 'a policy document must be an object', 'Write it as a mapping with Version and Statement.');
    return problems;
  }
  for (const key of Object.keys(document)) {
    if (!TOP_LEVEL_KEYS.includes(key)) {
      report('error', [key], `unknown policy element "${key}"`, `A policy document has only Version, Id and Statement.${didYouMean(key, TOP_LEVEL_KEYS)}`, true);
    }
  }
  const version = document['Version'];
  if (version === undefined) {
    report('warning', [], 'policy has no Version', 'Add Version: "2012-10-17"; without it IAM uses 2008-10-17, where policy variables such as ${aws:username} are plain text.');
  } else if (typeof version !== 'string' || !VERSIONS.includes(version)) {
    report('error', ['Version'], `invalid policy Version ${JSON.stringify(version)}`, 'Use Version: "2012-10-17" (quoted, so YAML keeps it a string).');
  }

  const statementValue = document['Statement'];
  if (statementValue === undefined) {
    report('error', [], 'policy has no Statement', 'Add a Statement list with at least one statement.');
    return problems;
  }
  const statements = Array.isArray(statementValue) ? statementValue : [statementValue];
  const statementPath = (i: number): ValuePath => (Array.isArray(statementValue) ? ['Statement', i] : ['Statement']);
  if (statements.length === 0) report('error', ['Statement'], 'Statement is empty', 'Add at least one statement.');

  const sids = new Map<string, number>();
  statements.forEach((statement, i) => {
    const at = statementPath(i);
    if (!isPlainObject(statement)) {
      report('error', at, 'a statement must be an object', 'Write each statement as a mapping with Effect, Action and Resource.');
      return;
    }
    checkStatement(statement, at, type, catalog, options, report);
    const sid = statement['Sid'];
    if (typeof sid === 'string' && sid !== '') {
      const first = sids.get(sid);
      if (first !== undefined) {
        report('error', [...at, 'Sid'], `duplicate Sid "${sid}"`, `Statement ${first} already uses this Sid; IAM requires Sids to be unique within a policy.`);
      } else {
        sids.set(sid, i);
      }
    }
  });
  return problems;
}

type Report = (severity: Severity, path: ValuePath, summary: string, detail: string, atKey?: boolean, lint?: boolean) => void;

function checkStatement(statement: Record<string, unknown>, at: ValuePath, type: PolicyType, catalog: ActionCatalog, options: GrammarOptions, report: Report): void {
  for (const key of Object.keys(statement)) {
    if (!STATEMENT_KEYS.includes(key)) {
      report('error', [...at, key], `unknown statement element "${key}"`, `A statement has Sid, Effect, Action or NotAction, Resource or NotResource, Condition${type === 'trust' ? ' and Principal or NotPrincipal' : ''}.${didYouMean(key, STATEMENT_KEYS)}`, true);
    }
  }
  const sid = statement['Sid'];
  if (sid !== undefined && (typeof sid !== 'string' || !/^[A-Za-z0-9]*$/.test(sid))) {
    report('error', [...at, 'Sid'], `invalid Sid ${JSON.stringify(sid)}`, 'A Sid may contain only letters and digits (A-Z, a-z, 0-9).');
  }

  const effect = statement['Effect'];
  if (effect === undefined) {
    report('error', at, 'statement has no Effect', 'Add Effect: Allow or Effect: Deny.');
  } else if (effect !== 'Allow' && effect !== 'Deny') {
    report('error', [...at, 'Effect'], `invalid Effect ${JSON.stringify(effect)}`, `Effect must be exactly "Allow" or "Deny".${typeof effect === 'string' ? didYouMean(effect, ['Allow', 'Deny']) : ''}`);
  }

  exactlyOne(statement, at, 'Action', 'NotAction', report, 'Add Action (the actions it applies to) or NotAction (all actions except these).');
  for (const key of ['Action', 'NotAction'] as const) {
    if (statement[key] !== undefined) checkActions(statement[key], [...at, key], type, catalog, options, report);
  }

  if (type === 'identity') {
    exactlyOne(statement, at, 'Resource', 'NotResource', report, 'Add Resource (ARNs it applies to, or "*") or NotResource.');
    for (const key of ['Principal', 'NotPrincipal'] as const) {
      if (statement[key] !== undefined) {
        report('error', [...at, key], `${key} is not allowed in an identity policy`, 'Principal belongs only in trust and resource policies; this policy applies to whoever it is attached to.', true);
      }
    }
  } else {
    exactlyOne(statement, at, 'Principal', 'NotPrincipal', report, 'Add Principal: who may assume the role, e.g. {Service: lambda.amazonaws.com}.');
    for (const key of ['Resource', 'NotResource'] as const) {
      if (statement[key] !== undefined) {
        report('error', [...at, key], `${key} is not allowed in a trust policy`, 'A trust policy is about the role itself; remove this element.', true);
      }
    }
    for (const key of ['Principal', 'NotPrincipal'] as const) {
      if (statement[key] !== undefined) checkPrincipal(statement[key], [...at, key], report);
    }
    // IAM refuses it (MalformedPolicyDocument): an Allow would admit everyone the list does not name.
    if (statement['NotPrincipal'] !== undefined && statement['Effect'] === 'Allow') {
      report('error', [...at, 'NotPrincipal'], 'NotPrincipal with "Effect": "Allow" is not allowed in a trust policy', 'IAM refuses it: it would let every principal the list does not name assume the role. Name who may assume it with Principal instead.', true);
    } else if (statement['NotPrincipal'] !== undefined) {
      report('warning', [...at, 'NotPrincipal'], 'NotPrincipal is not supported in role trust policies', 'AWS documents NotPrincipal for some resource policies only. Deny with Principal "*" and an ArnNotEquals condition on aws:PrincipalArn says the same and is supported.', true);
    }
  }
  for (const key of ['Resource', 'NotResource'] as const) {
    if (statement[key] !== undefined) checkResources(statement[key], [...at, key], report);
  }
  if (statement['Condition'] !== undefined) checkCondition(statement['Condition'], [...at, 'Condition'], report);
  if (type === 'identity') checkActionsMeetResources(statement, at, catalog, report);
}

/** Per catalog: its resource-type index, and the lint found for each action and resource list already judged. */
const typeLints = new WeakMap<ActionCatalog, { index: ResourceTypeIndex; found: Map<string, { summary: string; detail: string } | null> }>();

/**
 * Lints: an action whose every catalog action can name none of the statement's resources matches no request AWS
 * can receive, so the statement grants (or denies) it nothing. Two cases: an action that takes no resource, given
 * only specific ARNs; an action given only resources of types it does not take. Only statements with Action and
 * Resource are judged, and only what the catalog can rule out (see ResourceTypeIndex).
 */
function checkActionsMeetResources(statement: Record<string, unknown>, at: ValuePath, catalog: ActionCatalog, report: Report): void {
  const actions = statement['Action'];
  const resources = statement['Resource'];
  if (actions === undefined || resources === undefined) return;
  const resourceList = (Array.isArray(resources) ? resources : [resources]).filter((r): r is string => typeof r === 'string');
  if (resourceList.length === 0 || resourceList.includes('*')) return;
  let lints = typeLints.get(catalog);
  if (!lints) typeLints.set(catalog, (lints = { index: new ResourceTypeIndex(catalog), found: new Map() }));
  const verb = statement['Effect'] === 'Deny' ? 'denies' : 'grants';
  const resourcesKey = resourceList.join('\u0000');
  const list = Array.isArray(actions) ? actions : [actions];
  list.forEach((action, i) => {
    if (typeof action !== 'string' || action === '*' || !/^[A-Za-z0-9-]+:[A-Za-z0-9*?_-]+$/.test(action)) return;
    // Accounts repeat the same statements thousands of times: each pairing is judged once.
    const key = `${verb} ${action}\u0001${resourcesKey}`;
    let problem = lints.found.get(key);
    if (problem === undefined) {
      problem = actionMeetsNoResource(action, resourceList, verb, catalog, lints.index);
      if (lints.found.size > 50_000) lints.found.clear();
      lints.found.set(key, problem);
    }
    if (problem) report('warning', Array.isArray(actions) ? [...at, 'Action', i] : [...at, 'Action'], problem.summary, problem.detail, false, true);
  });
}

function actionMeetsNoResource(action: string, resources: readonly string[], verb: string, catalog: ActionCatalog, index: ResourceTypeIndex): { summary: string; detail: string } | null {
  const expanded = catalog.expand(action);
  if (expanded.length === 0 || expanded.some((a) => resources.some((r) => index.canName(a, r)))) return null;
  if (expanded.every((a) => catalog.isWildcardOnly(a))) {
    return { summary: `"${action}" takes no resource, and this statement gives it only specific ones`, detail: `It ${verb} nothing: AWS requests ${expanded.length === 1 ? 'this action' : 'these actions'} on "*" only. Give it Resource: "*" in a statement of its own.` };
  }
  const takes = [...new Map(expanded.flatMap((a) => index.typesOf(a)).map((t) => [t.arn, t])).values()];
  const named = takes.slice(0, 3).map((t) => `${t.key} (${t.arn})`).join(', ');
  return { summary: `"${action}" is paired only with resources of types it does not take`, detail: `It ${verb} nothing on them. It acts on ${named}${takes.length > 3 ? ` and ${takes.length - 3} more types` : ''}; check the ARNs, or move the action to a statement with matching resources.` };
}

function exactlyOne(statement: Record<string, unknown>, at: ValuePath, a: string, b: string, report: Report, howToAdd: string): void {
  const hasA = statement[a] !== undefined;
  const hasB = statement[b] !== undefined;
  if (hasA && hasB) {
    report('error', [...at, b], `statement has both ${a} and ${b}`, `Use exactly one of ${a} and ${b}.`, true);
  } else if (!hasA && !hasB) {
    report('error', at, `statement has neither ${a} nor ${b}`, howToAdd);
  }
}

/** A string or a non-empty list of strings; reports and returns undefined otherwise. */
function stringsAt(value: unknown, at: ValuePath, what: string, report: Report): { value: string; path: ValuePath }[] | undefined {
  if (typeof value === 'string') return [{ value, path: at }];
  if (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string')) {
    return value.map((v, i) => ({ value: v as string, path: [...at, i] }));
  }
  report('error', at, `${what} must be a string or a list of strings`, `Write ${what} as "value" or a list ["a", "b"].`);
  return undefined;
}

function checkActions(value: unknown, at: ValuePath, type: PolicyType, catalog: ActionCatalog, options: GrammarOptions, report: Report): void {
  const actions = stringsAt(value, at, String(at[at.length - 1]), report);
  for (const { value: action, path } of actions ?? []) {
    if (action === '*') continue;
    const colon = action.indexOf(':');
    if (colon <= 0 || colon === action.length - 1) {
      report('error', path, `invalid action "${action}"`, 'An action is "service:ActionName" (e.g. "s3:GetObject"), may use * and ?, or is "*" alone.');
      continue;
    }
    const service = action.slice(0, colon);
    const name = action.slice(colon + 1);
    if (!/^[A-Za-z0-9*?-]+$/.test(service) || !/^[A-Za-z0-9*?_-]+$/.test(name)) {
      report('error', path, `invalid action "${action}"`, 'Service prefixes and action names contain only letters, digits, "-", "_" and the wildcards * and ?.');
      continue;
    }
    if (hasWildcard(service)) {
      report('error', path, `wildcard in the service prefix of "${action}"`, 'IAM compares the service prefix literally, so this matches no action. Name the service, e.g. "s3:Get*", or use "*" for every action.');
      continue;
    }
    const unknown = unknownAction(action, catalog);
    if (unknown) {
      if (!options.acceptsUnknownAction?.(action)) {
        report('error', path, unknown.summary, `${unknown.detail} If IAM accepts it (a retired service, an undocumented action), list it under acceptUnknown.actions in the Account manifest.`);
      }
      continue;
    }
    if (type === 'trust' && !catalog.expand(action).some((m) => m.startsWith('sts:'))) {
      report('warning', path, `action "${action}" has no effect in a trust policy`, 'A trust policy governs sts actions such as sts:AssumeRole, sts:AssumeRoleWithWebIdentity, sts:TagSession.');
    }
  }
}

/**
 * Why a well-formed `service:Name` (or pattern) is not in the catalog: an unknown service, or a name or pattern
 * that matches none of its actions (with the closest names). Undefined for a catalog action.
 */
export function unknownAction(action: string, catalog: ActionCatalog): { summary: string; detail: string } | undefined {
  const colon = action.indexOf(':');
  const service = action.slice(0, colon);
  const name = action.slice(colon + 1);
  if (catalog.actionsOf(service) === undefined) {
    return { summary: `unknown service "${service}" in action "${action}"`, detail: `The AWS catalog (${catalog.version}) has no service with this prefix.${didYouMean(service, catalog.services)}` };
  }
  if (catalog.expand(action).length > 0) return undefined;
  const names = hasWildcard(name) ? [] : (catalog.actionsOf(service) ?? []).map((a) => a.name);
  const suggestions = closestMatches(name, names).map((n) => `${service}:${n}`);
  const hint = suggestions.length ? ` Did you mean ${suggestions.map((s) => `"${s}"`).join(' or ')}?` : '';
  return { summary: `unknown action "${action}"`, detail: `${hasWildcard(name) ? 'The pattern matches no action' : 'No such action'} of service "${service}" in the AWS catalog (${catalog.version}).${hint}` };
}

/** The well-formed actions of a document (Action and NotAction) that the catalog does not know, as written. */
export function unknownActionsOf(document: unknown, catalog: ActionCatalog): string[] {
  if (!isPlainObject(document)) return [];
  const statements = Array.isArray(document['Statement']) ? document['Statement'] : [document['Statement']];
  const out: string[] = [];
  for (const statement of statements) {
    if (!isPlainObject(statement)) continue;
    for (const key of ['Action', 'NotAction']) {
      const value = statement[key];
      for (const action of Array.isArray(value) ? value : [value]) {
        if (typeof action !== 'string' || action === '*' || !/^[A-Za-z0-9-]+:[A-Za-z0-9*?_-]+$/.test(action)) continue;
        if (unknownAction(action, catalog)) out.push(action);
      }
    }
  }
  return out;
}

function checkResources(value: unknown, at: ValuePath, report: Report): void {
  const resources = stringsAt(value, at, String(at[at.length - 1]), report);
  for (const { value: resource, path } of resources ?? []) {
    if (resource !== '*' && !resource.startsWith('arn:')) {
      report('error', path, `invalid resource "${resource}"`, 'A resource is an ARN such as "arn:aws:s3:::my-bucket/*" (wildcards allowed), or "*".');
    }
  }
}

function checkPrincipal(value: unknown, at: ValuePath, report: Report): void {
  if (value === '*') return;
  if (!isPlainObject(value)) {
    report('error', at, 'invalid Principal', 'Write Principal as "*" or a mapping such as {AWS: "arn:aws:iam::123456789012:root"} or {Service: "ec2.amazonaws.com"}.');
    return;
  }
  for (const [type, ids] of Object.entries(value)) {
    if (!PRINCIPAL_TYPES.includes(type)) {
      report('error', [...at, type], `unknown principal type "${type}"`, `Principal types are AWS, Service, Federated and CanonicalUser.${didYouMean(type, PRINCIPAL_TYPES)}`, true);
      continue;
    }
    stringsAt(ids, [...at, type], `Principal ${type}`, report);
  }
}

function checkCondition(value: unknown, at: ValuePath, report: Report): void {
  if (!isPlainObject(value)) {
    report('error', at, 'Condition must be a mapping', 'Write Condition as {Operator: {conditionKey: value}}, e.g. {Bool: {"aws:MultiFactorAuthPresent": "true"}}.');
    return;
  }
  for (const [operator, block] of Object.entries(value)) {
    if (!CONDITION_OPERATORS.has(operator)) {
      report('error', [...at, operator], `unknown condition operator "${operator}"`, `See the IAM condition operators (StringEquals, ArnLike, IpAddress, ... and their IfExists, ForAnyValue: and ForAllValues: forms).${didYouMean(operator, CONDITION_OPERATORS)}`, true);
      continue;
    }
    if (!isPlainObject(block) || Object.keys(block).length === 0) {
      report('error', [...at, operator], `condition ${operator} must map condition keys to values`, `Write it as ${operator}: {"aws:SourceIp": "10.0.0.0/8"}.`);
      continue;
    }
    for (const [key, values] of Object.entries(block)) {
      const items = Array.isArray(values) ? values : [values];
      if (items.length === 0 || !items.every((v) => ['string', 'number', 'boolean'].includes(typeof v))) {
        report('error', [...at, operator, key], `condition values of "${key}" must be strings, numbers or booleans`, 'Write one value or a non-empty list of values.');
        continue;
      }
      if (isLiteralStringOperator(operator)) {
        items.forEach((v, i) => {
          // `${*}` and `${?}` are the escapes for a literal * and ?: those are meant literally.
          if (typeof v === 'string' && /[*?]/.test(v.replace(/\$\{[*?$]\}/g, ''))) {
            const like = operator.replace(/Equals(IgnoreCase)?/, 'Like');
            report('warning', Array.isArray(values) ? [...at, operator, key, i] : [...at, operator, key], `"${v}" under ${operator} matches the text literally, * and ? included`, `${operator} compares exactly: "${v}" matches only a value with a "*" or "?" in it. To match a pattern, use ${like.includes('IgnoreCase') ? like.replace('IgnoreCase', '') : like}.`);
          }
        });
      }
    }
  }
}
