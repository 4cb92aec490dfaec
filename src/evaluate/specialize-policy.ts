/**
 * A policy as it applies to one principal. Every request a principal makes carries keys AWS sets from the principal
 * itself (IAM User Guide, global condition keys): its ARN, account and type, its user name, its tags. So a
 * condition on those keys (`StringEquals aws:PrincipalTag/team: payments`) and a variable naming them
 * (`arn:aws:s3:::data/${aws:PrincipalTag/team}/*`) have one meaning per principal: resolved here, a statement reads
 * as what it does for this principal. Access deltas compare these: tagging a user `team: payments` so that such a
 * condition starts to hold is an access change of that user, as it is in AWS.
 *
 * Resolved: conditions whose key is the principal's (held: the condition goes; not held: the statement never
 * applies, and stays as an empty placeholder so statement numbers are kept), and variables naming the principal's
 * keys in condition values and resources (substituted as literal text). A condition comparing the principal's key
 * with a key the request chooses (`StringEquals aws:PrincipalTag/team: ${aws:ResourceTag/team}`) becomes one on the
 * request's key (`aws:ResourceTag/team` equals the principal's tag). `${aws:username}` is left as written (a user's
 * name cannot change while it acts, and so the same policy reads the same for every member of a group), as is a
 * statement this cannot rewrite exactly (it is then read as written, against the principal's own keys).
 */
import type { PolicyJson } from '../core/policy.js';
import type { RoleState, UserState } from '../core/state.js';
import { compileConditions } from './conditions.js';
import { prepareContext } from './context.js';
import { isPrincipalKey } from './request-space.js';

/**
 * The keys AWS sets from a principal on every request it makes (IAM User Guide, global condition keys), spelled as
 * AWS spells them: its ARN, account and type, its user name (users), its tags. A role's requests come from a session
 * of it (`AssumedRole`), whose aws:PrincipalArn is the role's ARN.
 */
export function principalContext(entity: UserState | RoleState, account: string): Record<string, string> {
  const context: Record<string, string> = {
    'aws:PrincipalArn': entity.arn,
    'aws:PrincipalAccount': account,
    'aws:PrincipalType': entity.kind === 'user' ? 'User' : 'AssumedRole',
    'aws:PrincipalIsAWSService': 'false',
  };
  if (entity.kind === 'user') context['aws:username'] = entity.name;
  for (const [key, value] of Object.entries(entity.tags)) context[`aws:PrincipalTag/${key}`] = value;
  return context;
}

/** `principalContext` keyed in lower case, as conditions look keys up. */
export function principalKeys(entity: UserState | RoleState, account: string): ReadonlyMap<string, string> {
  return new Map(Object.entries(principalContext(entity, account)).map(([k, v]) => [k.toLowerCase(), v]));
}

/** Principal keys a document's statements read (conditions and variables), lower case; none for most documents. */
const readKeys = new WeakMap<PolicyJson, ReadonlySet<string>>();

function keysRead(document: PolicyJson): ReadonlySet<string> {
  let found = readKeys.get(document);
  if (!found) {
    const keys = new Set<string>();
    const text = JSON.stringify(document['Statement'] ?? []);
    for (const m of text.matchAll(/"(aws:[^"]+)"\s*:/g)) if (isPrincipalKey(m[1]!)) keys.add(m[1]!.toLowerCase());
    for (const m of text.matchAll(/\$\{([^}*?$][^},]*)/g)) if (isPrincipalKey(m[1]!.trim())) keys.add(m[1]!.trim().toLowerCase());
    readKeys.set(document, (found = keys));
  }
  return found;
}

const specialized = new WeakMap<PolicyJson, Map<string, PolicyJson>>();

/**
 * The document as it applies to a principal with these keys: the same object when it reads none of them (so shared
 * documents stay shared), else a copy made once per document and distinct values of the keys it reads.
 */
export function specializeDocument(document: PolicyJson, keys: ReadonlyMap<string, string>): PolicyJson {
  const read = keysRead(document);
  if (read.size === 0) return document;
  const relevant = [...read].filter((k) => k !== 'aws:username' || hasUsernameCondition(document)).map((k) => [k, keys.get(k) ?? null]);
  const cacheKey = JSON.stringify(relevant);
  let perValues = specialized.get(document);
  if (!perValues) specialized.set(document, (perValues = new Map()));
  let found = perValues.get(cacheKey);
  if (!found) perValues.set(cacheKey, (found = specializeUncached(document, keys)));
  return found;
}

function hasUsernameCondition(document: PolicyJson): boolean {
  return /"aws:username"\s*:/i.test(JSON.stringify(document['Statement'] ?? []));
}

function specializeUncached(document: PolicyJson, keys: ReadonlyMap<string, string>): PolicyJson {
  const variables = document['Version'] === '2012-10-17';
  const raw = document['Statement'];
  const statements = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]) as unknown[];
  const out = statements.map((s) => (isRecord(s) ? specializeStatement(s, keys, variables) : s));
  return { ...document, Statement: out };
}

/** A statement that never applies, where one stood: statement numbers in explanations stay those of the policy. */
const NEVER_APPLIES = {};

function specializeStatement(statement: Record<string, unknown>, keys: ReadonlyMap<string, string>, variables: boolean): Record<string, unknown> {
  const rewritten: Record<string, unknown> = { ...statement };
  // Resources naming the principal's keys.
  for (const element of ['Resource', 'NotResource'] as const) {
    const value = statement[element];
    if (value === undefined || !variables) continue;
    const list = (Array.isArray(value) ? value : [value]) as unknown[];
    const substituted = list.map((v) => (typeof v === 'string' ? substitute(v, keys) : v));
    if (substituted.some((v) => v === UNRESOLVED)) return statement; // read as written: it matches nothing there, as AWS reads it
    rewritten[element] = Array.isArray(value) ? substituted : substituted[0];
  }
  const condition = statement['Condition'];
  if (!isRecord(condition)) return rewritten;
  const out: Record<string, Record<string, unknown>> = {};
  const add = (operator: string, key: string, values: unknown): void => {
    out[operator] = { ...(out[operator] ?? {}), [key]: values };
  };
  const context = Object.fromEntries(keys);
  for (const [operator, block] of Object.entries(condition)) {
    if (!isRecord(block)) return statement;
    for (const [key, raw] of Object.entries(block)) {
      const values = (Array.isArray(raw) ? raw : [raw]).map((v) => (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined));
      if (values.some((v) => v === undefined)) return statement;
      const list = values as string[];
      const free = variables ? list.flatMap(variableNames).filter((name) => !isPrincipalKey(name)) : [];
      if (isPrincipalKey(key)) {
        if (free.length === 0) {
          // Fixed for this principal: the condition holds or not, whatever the request.
          const holds = compileConditions({ [operator]: { [key]: list } }, variables)(prepareContext(context));
          if (!holds) return NEVER_APPLIES;
          continue;
        }
        const swapped = swapToRequestKey(operator, key.toLowerCase(), list, keys);
        if (swapped === undefined) return statement;
        if (swapped === 'holds') continue;
        if (swapped === 'never') return NEVER_APPLIES;
        for (const [op, k, v] of swapped) add(op, k, v);
        continue;
      }
      if (!variables) {
        add(operator, key, raw);
        continue;
      }
      const substituted = list.map((v) => substitute(v, keys));
      if (substituted.some((v) => v === UNRESOLVED)) return statement;
      add(operator, key, Array.isArray(raw) ? substituted : substituted[0]);
    }
  }
  if (Object.keys(out).length === 0) {
    const { Condition: _dropped, ...unconditional } = rewritten;
    return unconditional;
  }
  return { ...rewritten, Condition: out };
}

const UNRESOLVED = Symbol('unresolved');

/** `${name}` and `${name, 'default'}` names in a value (lower case), escapes aside. */
function variableNames(value: string): string[] {
  return [...value.matchAll(/\$\{([^}]*)\}/g)].map((m) => m[1]!).filter((inside) => inside !== '*' && inside !== '?' && inside !== '$').map((inside) => inside.split(', ')[0]!.trim().toLowerCase());
}

/**
 * The value with the principal's variables (but aws:username) replaced by their values as literal text (escaped,
 * so a `*` in a tag is no wildcard), or a default where the principal lacks the key; UNRESOLVED where it has neither.
 */
function substitute(value: string, keys: ReadonlyMap<string, string>): string | typeof UNRESOLVED {
  let unresolved = false;
  const text = value.replace(/\$\{([^}]*)\}/g, (whole, inside: string) => {
    if (inside === '*' || inside === '?' || inside === '$') return whole;
    const [rawName, fallback] = inside.split(', ');
    const name = rawName!.trim().toLowerCase();
    if (!isPrincipalKey(name) || name === 'aws:username') return whole;
    const found = keys.get(name);
    const resolved = found !== undefined && found !== '' ? found : fallback?.startsWith("'") && fallback.endsWith("'") ? fallback.slice(1, -1) : undefined;
    if (resolved === undefined) {
      unresolved = true;
      return whole;
    }
    return escapeLiteral(resolved);
  });
  return unresolved ? UNRESOLVED : text;
}

/** Text that reads as itself in a policy value: `*`, `?` and `$` as their escapes. */
function escapeLiteral(text: string): string {
  return text.replace(/\$/g, '${$}').replace(/\*/g, '${*}').replace(/\?/g, '${?}');
}

type Rewritten = readonly (readonly [string, string, string])[];

/**
 * A condition on the principal's key compared with one variable the request chooses, turned round: the request's
 * key compared with the principal's value. Only for a value that is exactly one variable under a string equality
 * (or Like, which reads a substituted value literally); undefined otherwise (the statement is then read as written).
 */
function swapToRequestKey(operator: string, key: string, values: readonly string[], keys: ReadonlyMap<string, string>): Rewritten | 'holds' | 'never' | undefined {
  const m = /^String(Not)?(Equals|EqualsIgnoreCase|Like)(IfExists)?$/.exec(operator);
  if (!m || values.length !== 1) return undefined;
  const one = /^\$\{([^}]*)\}$/.exec(values[0]!);
  if (!one) return undefined;
  const [rawName, fallback] = one[1]!.split(', ');
  const name = rawName!.trim();
  const fallbackValue = fallback === undefined ? undefined : fallback.startsWith("'") && fallback.endsWith("'") ? fallback.slice(1, -1) : undefined;
  if (fallback !== undefined && fallbackValue === undefined) return undefined;
  const negated = m[1] !== undefined;
  const ignoreCase = m[2] === 'EqualsIgnoreCase';
  const ifExists = m[3] !== undefined;
  const mine = keys.get(key);
  // The principal lacks the key: a negated operator and IfExists hold on a missing key, a positive one does not.
  if (mine === undefined) return negated || ifExists ? 'holds' : 'never';
  const same = (a: string, b: string): boolean => (ignoreCase ? a.toLowerCase() === b.toLowerCase() : a === b);
  const op = `String${negated ? 'Not' : ''}${ignoreCase ? 'EqualsIgnoreCase' : 'Equals'}`;
  // Where the request lacks its key, the variable takes its default, or (with none) matches nothing, which fails
  // both forms of the operator.
  const holdsWhenAbsent = fallbackValue === undefined ? false : negated ? !same(fallbackValue, mine) : same(fallbackValue, mine);
  if (negated) return holdsWhenAbsent ? [[op, name, mine]] : [[op, name, mine], ['Null', name, 'false']];
  return holdsWhenAbsent ? [[`${op}IfExists`, name, mine]] : [[op, name, mine]];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
