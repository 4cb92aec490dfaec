/**
 * Policy documents. A document is kept as the JSON it was written or read as (`PolicyJson`), so that import and
 * apply reproduce it faithfully; comparison and display go through the canonical forms below, which erase what
 * IAM treats as insignificant.
 */
import { ACCOUNT_ID, accountRootArn } from './arn.js';

/** A policy document as authored in a manifest or read from AWS: arbitrary JSON until validated. */
export type PolicyJson = { readonly [key: string]: unknown };

/** A policy document together with its canonical key, computed once because plans compare many of them. */
export interface Policy {
  readonly document: PolicyJson;
  /** `canonicalPolicyKey(document)`: equal keys mean IAM treats the documents as the same policy. */
  readonly key: string;
}

/** The key is computed on first use: evaluation needs only the document, diffing needs the key. */
export function makePolicy(document: PolicyJson): Policy {
  let key: string | undefined;
  return {
    document,
    get key() {
      key ??= canonicalPolicyKey(document);
      return key;
    },
  };
}

const LIST_FIELDS = ['Action', 'NotAction', 'Resource', 'NotResource'] as const;
const PRINCIPAL_FIELDS = ['Principal', 'NotPrincipal'] as const;

/**
 * The document with IAM-insignificant differences removed, keeping letter case so it reads as written:
 * `Statement` and every Action/Resource/condition value become lists (sorted, without duplicates), an empty
 * `Sid` is dropped, `"Principal": "*"` becomes `{"AWS": ["*"]}` and a bare account id the
 * `arn:aws:iam::ID:root` form IAM stores, statements are sorted and object keys ordered.
 * Total over any JSON (unknown fields are kept) and idempotent.
 */
export function tidyPolicy(document: PolicyJson): PolicyJson {
  return canonicalise(document, false);
}

/** A string equal for two documents exactly when IAM treats them alike (also ignoring action and key case). */
export function canonicalPolicyKey(document: PolicyJson): string {
  return stableStringify(canonicalise(document, true));
}

function canonicalise(document: PolicyJson, foldCase: boolean): PolicyJson {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(document)) {
    if (key === 'Statement') {
      const statements = (Array.isArray(value) ? value : [value]).map((s) => canonicalStatement(s, foldCase));
      out[key] = sortUniqueBy(statements, stableStringify, false);
    } else {
      out[key] = value;
    }
  }
  return sortKeys(out) as PolicyJson;
}

function canonicalStatement(statement: unknown, foldCase: boolean): unknown {
  if (!isPlainObject(statement)) return statement;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(statement)) {
    if (key === 'Sid' && value === '') continue;
    if ((LIST_FIELDS as readonly string[]).includes(key)) {
      const fold = foldCase && (key === 'Action' || key === 'NotAction');
      out[key] = stringList(value, fold);
    } else if ((PRINCIPAL_FIELDS as readonly string[]).includes(key)) {
      out[key] = canonicalPrincipal(value);
    } else if (key === 'Condition' && isPlainObject(value)) {
      out[key] = canonicalCondition(value, foldCase);
    } else {
      out[key] = value;
    }
  }
  return sortKeys(out);
}

function canonicalPrincipal(value: unknown): unknown {
  if (value === '*') return { AWS: ['*'] };
  if (!isPlainObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [type, ids] of Object.entries(value)) {
    const list = stringList(ids, false);
    out[type] = type === 'AWS' && Array.isArray(list) ? sortUniqueBy(list.map((id) => principalIdAsArn(String(id))), (s) => s, false) : list;
  }
  return sortKeys(out);
}

/** IAM stores a bare account id in a Principal as the account's root ARN; compare in that form. */
function principalIdAsArn(value: string): string {
  return ACCOUNT_ID.test(value) ? accountRootArn(value) : value;
}

/** A Condition block's key, equal for two blocks exactly when IAM reads them alike (order, case of keys, scalar or list). */
export function canonicalConditionKey(condition: Record<string, unknown>): string {
  return stableStringify(canonicalCondition(condition, true));
}

function canonicalCondition(condition: Record<string, unknown>, foldCase: boolean): unknown {
  const out: Record<string, unknown> = {};
  for (const [operator, block] of Object.entries(condition)) {
    if (!isPlainObject(block)) {
      out[operator] = block;
      continue;
    }
    const keys: Record<string, unknown> = {};
    for (const [conditionKey, values] of Object.entries(block)) {
      // Condition keys are case-insensitive in IAM; their values are compared as written.
      keys[foldCase ? conditionKey.toLowerCase() : conditionKey] = stringList(values, false);
    }
    out[operator] = sortKeys(keys);
  }
  return sortKeys(out);
}

/** A scalar or list of scalars as a sorted list of unique strings (`true` and `"true"` are the same to IAM). */
function stringList(value: unknown, foldCase: boolean): unknown {
  const items = Array.isArray(value) ? value : [value];
  if (!items.every((v) => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean')) return value;
  const strings = items.map((v) => String(v));
  return sortUniqueBy(foldCase ? strings.map((s) => s.toLowerCase()) : strings, (s) => s, false);
}

function sortUniqueBy<T>(items: readonly T[], keyOf: (item: T) => string, keepDuplicates: boolean): T[] {
  const keyed = items.map((item) => ({ item, key: keyOf(item) }));
  keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const out: T[] = [];
  let last: string | undefined;
  for (const { item, key } of keyed) {
    if (keepDuplicates || key !== last) out.push(item);
    last = key;
  }
  return out;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function sortKeys(value: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) out[key] = value[key];
  return out;
}

/** A document's statements as a list (a single statement object counts as one); non-objects are skipped. */
export function statementsOf(document: PolicyJson): Record<string, unknown>[] {
  const raw = document['Statement'];
  return (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).filter((s): s is Record<string, unknown> => typeof s === 'object' && s !== null && !Array.isArray(s));
}

/** JSON with object keys in sorted order at every depth, so equal values give equal strings. */
export function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (isPlainObject(value)) {
    const keys = Object.keys(value).filter((k) => value[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${stableStringify(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** IAM's size measure for quota checks: the document's length with insignificant white space removed. */
export function policySize(document: PolicyJson): number {
  return JSON.stringify(document).length;
}
