/**
 * Schema diagnostics: a YAML document checked against its kind's schema (schema.ts), each problem told in words a
 * person can act on, at its place in the file.
 */
import type { z } from 'zod';
import { error, type Diagnostic } from '../core/diagnostics.js';
import { isPlainObject } from '../core/policy.js';
import { didYouMean } from '../core/suggest.js';
import { fieldsOf, MANIFEST_KINDS, SCHEMAS, type ManifestKind } from './schema.js';
import type { SourceDocument, ValuePath } from './source-document.js';

/**
 * A document held to its kind's schema: the typed manifest, or undefined after the problems were reported at their
 * place (a mapping, a known kind, each field's type; unknown fields with the kind's fields and a suggestion).
 */
export function checkSchema(doc: SourceDocument, diagnostics: Diagnostic[]): z.infer<(typeof SCHEMAS)[ManifestKind]> | undefined {
  const value = doc.value;
  if (!isPlainObject(value)) {
    diagnostics.push(error('a manifest must be a mapping', 'Each YAML document is a mapping that starts with kind: User, Group, Role, Policy, Boundary or Account.', doc.locate([])));
    return undefined;
  }
  const kind = value['kind'];
  if (kind === undefined) {
    diagnostics.push(error('missing "kind"', `Add kind: ${MANIFEST_KINDS.join(', ')} as the first line of this document.`, doc.locate([])));
    return undefined;
  }
  if (typeof kind !== 'string' || !(MANIFEST_KINDS as string[]).includes(kind)) {
    diagnostics.push(error(`unknown kind ${JSON.stringify(kind)}`, `kind is one of ${MANIFEST_KINDS.join(', ')}.${typeof kind === 'string' ? didYouMean(kind, MANIFEST_KINDS) : ''}`, doc.locate(['kind'])));
    return undefined;
  }
  const schema = SCHEMAS[kind as ManifestKind];
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  for (const issue of result.error.issues) diagnostics.push(...describeIssue(issue, kind as ManifestKind, doc));
  // A manifest whose problems lie in fields it can do without still says something with the rest: it goes on (the
  // run fails on the errors above all the same), so that one run reports every independent error (an unknown group
  // it names, a duplicate name, an invalid path) instead of one stage at a time. Unknown fields are dropped, and so
  // are optional fields of the wrong shape; a manifest without its kind's required fields goes no further.
  const rest = withoutFaults(value, result.error.issues);
  if (rest) {
    const again = schema.safeParse(rest);
    if (again.success) return again.data;
  }
  return undefined;
}

/**
 * Fields that say what a manifest is (its kind, name, account id) or whether it is meant at all (`deleted`): with a
 * fault in one of them, what the rest would be checked against is unknown, so it goes no further.
 */
const IDENTIFYING = new Set(['kind', 'name', 'id', 'deleted']);

/**
 * A copy of `value` without the faults the issues name: unknown keys (at their own path), and each top-level field
 * with a value of the wrong shape. Undefined when a fault is in an identifying field.
 */
function withoutFaults(value: Record<string, unknown>, issues: readonly z.core.$ZodIssue[]): Record<string, unknown> | undefined {
  const copy = structuredClone(value);
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      let parent: unknown = copy;
      for (const step of issue.path) parent = isPlainObject(parent) || Array.isArray(parent) ? (parent as Record<PropertyKey, unknown>)[step as PropertyKey] : undefined;
      if (isPlainObject(parent)) for (const key of issue.keys) delete parent[key];
      continue;
    }
    const field = issue.path[0];
    if (typeof field !== 'string' || IDENTIFYING.has(field)) return undefined;
    delete copy[field];
  }
  return copy;
}

/** Fields that ask for a rename (`previousName`, and the spelling `renamedFrom` people reach for): see checkSchema. */
const RENAME_FIELDS = new Set(['previousName', 'renamedFrom']);

function describeIssue(issue: z.core.$ZodIssue, kind: ManifestKind, doc: SourceDocument): Diagnostic[] {
  const path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
  const field = path.map(String).join('.');
  if (issue.code === 'unrecognized_keys') {
    const parentIsManifest = path.length === 0;
    const known = parentIsManifest ? fieldsOf(kind) : [];
    return issue.keys.map((key) => {
      if (parentIsManifest && RENAME_FIELDS.has(key) && (kind === 'Role' || kind === 'Policy' || kind === 'Boundary')) {
        return error(`${kind} "${String(valueAt(doc.value, ['name']))}" declares "${key}", but IAM cannot rename a ${kind === 'Role' ? 'role' : 'managed policy'}`, `IAM has no call that renames a ${kind === 'Role' ? 'role' : 'managed policy'}: only users and groups can be renamed in place. To change the name, declare the new ${kind} (without ${key}) and mark the old one deleted: true; the plan deletes it and creates the new one (a new ARN: whatever refers to the old ARN must change too).`, doc.locate([key], { key: true }));
      }
      const detail = parentIsManifest
        ? `${kind} fields are: ${known.filter((f) => f !== 'kind').join(', ')}.${didYouMean(key, known)}`
        : 'Remove this field.';
      return error(`unknown field "${[...path, key].join('.')}" in ${kind}`, detail, doc.locate([...path, key], { key: true }));
    });
  }
  return [describeValueIssue(issue, path, field, kind, doc)];
}

function describeValueIssue(issue: z.core.$ZodIssue, path: ValuePath, field: string, kind: ManifestKind, doc: SourceDocument): Diagnostic {
  const value = valueAt(doc.value, path);
  if (issue.code === 'invalid_type') {
    if (value === undefined) {
      return error(`missing required field "${field}" in ${kind}`, `Add ${field}: ... to this ${kind}.`, doc.locate(path));
    }
    const detail =
      kind === 'Account' && field === 'id'
        ? 'Quote the account id (id: "012345678901"): unquoted, YAML reads it as a number and drops leading zeros.'
        : `Write "${field}" as ${articled(issue.expected)}.`;
    return error(`"${field}" must be ${articled(issue.expected)}, not ${describeValue(value)}`, detail, doc.locate(path));
  }
  return error(`invalid "${field}": ${issue.message}`, `Check the value of "${field}" against the manifest reference in the README.`, doc.locate(path));
}

function valueAt(value: unknown, path: ValuePath): unknown {
  let current = value;
  for (const segment of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string | number, unknown>)[segment];
  }
  return current;
}

function articled(expected: string): string {
  const names: Record<string, string> = {
    string: 'a string',
    number: 'a number',
    int: 'a whole number',
    boolean: 'true or false',
    array: 'a list',
    object: 'a mapping',
    record: 'a mapping',
  };
  return names[expected] ?? expected;
}

function describeValue(value: unknown): string {
  if (value === null) return 'null (an empty value)';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `${typeof value === 'number' ? 'a number' : typeof value === 'boolean' ? 'a boolean' : 'a string'} (${JSON.stringify(value)})`;
}
