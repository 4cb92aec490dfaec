/**
 * The manifest stage: files in, `DesiredState` and diagnostics out. Pure: the caller supplies the file texts and
 * a way to read `documentFile`s, so that tests need no file system and the Action can read from git.
 *
 * Order of checks: YAML syntax, then each document's schema, then (only for documents that passed) names,
 * duplicates, policy grammar, references and IAM limits. Every problem found is reported in one run, so a user
 * fixes a folder in one pass rather than one error at a time.
 */
import type { z } from 'zod';
import type { ActionCatalog } from '../catalog/action-catalog.js';
import { ACCOUNT_ID, accountOfArn, entityArn, entityIdentity, isArn, isAwsManagedPolicyArn, nameKey, type EntityKind } from '../core/arn.js';
import { error, warning, type Diagnostic, type SourceLocation } from '../core/diagnostics.js';
import { isPlainObject, makePolicy, policySize, statementsOf, type Policy, type PolicyJson } from '../core/policy.js';
import {
  DEFAULT_MAX_SESSION_DURATION,
  sortedUnique,
  type GroupState,
  type IamState,
  type InlinePolicies,
  type ManagedPolicyState,
  type RoleState,
  type Tags,
  type UnknownField,
  type UserState,
} from '../core/state.js';
import { closestMatches, didYouMean } from '../core/suggest.js';
import type { AccountConfig, DeletedEntity, DesiredState } from './desired-state.js';
import { isOwnedPath, sourceKey } from './desired-state.js';
import * as limits from './limits.js';
import { checkPolicyDocument, unknownAction, type PolicyType } from './policy-grammar.js';
import { compileWildcard } from '../core/wildcard.js';
import { FINDING_CODES } from '../core/finding-codes.js';
import {
  fieldsOf,
  MANIFEST_KINDS,
  SCHEMAS,
  type AccountManifest,
  type BoundaryManifest,
  type GroupManifest,
  type ManifestKind,
  type PolicyManifest,
  type RoleManifest,
  type UserManifest,
} from './schema.js';
import { jsonSyntaxError } from '../core/json-location.js';
import { parseSource, type SourceDocument, type ValuePath } from './source-document.js';

export interface ManifestFile {
  /** The path shown in messages, e.g. `manifests/users/alice.yaml`. */
  readonly path: string;
  readonly text: string;
}

export interface ManifestSource {
  /** Where the manifests come from, for messages: a folder, or `REF:folder` in git. */
  readonly location: string;
  readonly files: readonly ManifestFile[];
  /** Reads a `documentFile` named in `fromFile`, relative to that file's folder. */
  readDocumentFile(fromFile: string, relativePath: string): DocumentFileResult;
}

/** A documentFile's text; or that there is no such file; or why it may not or cannot be read. */
export type DocumentFileResult = { readonly file: ManifestFile } | { readonly missing: true } | { readonly refused: string };

export interface ManifestResult {
  /** Present when there is no error. */
  readonly desired?: DesiredState;
  readonly diagnostics: readonly Diagnostic[];
}

type EntityManifest = UserManifest | GroupManifest | RoleManifest | PolicyManifest | BoundaryManifest;

/** A document that passed its schema, with the place it came from. */
interface Declared<M> {
  readonly manifest: M;
  readonly doc: SourceDocument;
}

const KIND_OF_MANIFEST: Record<Exclude<ManifestKind, 'Account'>, EntityKind> = {
  User: 'user',
  Group: 'group',
  Role: 'role',
  Policy: 'policy',
  Boundary: 'policy',
};

export interface ManifestOptions {
  /** Known AWS managed policies: attaching an ARN of AWS's that is not among them is an error. */
  readonly awsManagedPolicies?: { readonly byArn: ReadonlyMap<string, { readonly name: string }> };
  /** Report at most this many lint warnings, and a count of the others (validate reports all). */
  readonly lintLimit?: number;
}

export function loadManifests(source: ManifestSource, catalog: ActionCatalog, options: ManifestOptions = {}): ManifestResult {
  const diagnostics: Diagnostic[] = [];
  const accounts: Declared<AccountManifest>[] = [];
  const entities: Declared<EntityManifest>[] = [];
  let invalidAccounts = 0;

  for (const file of source.files) {
    const parsed = parseSource(file.path, file.text);
    diagnostics.push(...parsed.diagnostics);
    for (const doc of parsed.documents) {
      const manifest = checkSchema(doc, diagnostics);
      if (!manifest) {
        if (isPlainObject(doc.value) && doc.value['kind'] === 'Account') invalidAccounts++;
        continue;
      }
      if (manifest.kind === 'Account') accounts.push({ manifest, doc });
      else entities.push({ manifest, doc });
    }
  }

  const account = resolveAccount(accounts, invalidAccounts, source.files, diagnostics);
  const index = indexEntities(entities, diagnostics);
  const builder = new StateBuilder(account, index, source, catalog, diagnostics, options);
  const desired = account ? builder.build() : undefined;
  const failed = diagnostics.some((d) => d.severity === 'error');
  return { ...(desired && !failed ? { desired } : {}), diagnostics };
}

// ---------------------------------------------------------------------------------------------------------------
// Schema

function checkSchema(doc: SourceDocument, diagnostics: Diagnostic[]): z.infer<(typeof SCHEMAS)[ManifestKind]> | undefined {
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
  return undefined;
}

function describeIssue(issue: z.core.$ZodIssue, kind: ManifestKind, doc: SourceDocument): Diagnostic[] {
  const path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
  const field = path.map(String).join('.');
  if (issue.code === 'unrecognized_keys') {
    const parentIsManifest = path.length === 0;
    const known = parentIsManifest ? fieldsOf(kind) : [];
    return issue.keys.map((key) => {
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

// ---------------------------------------------------------------------------------------------------------------
// Account and names

function resolveAccount(accounts: Declared<AccountManifest>[], invalidAccounts: number, files: readonly ManifestFile[], diagnostics: Diagnostic[]): AccountConfig | undefined {
  const [first, ...others] = accounts;
  for (const other of others) {
    diagnostics.push(error('a second Account manifest', `A manifests folder describes one account; the first is at ${formatAt(first!.doc.locate([]))}. Remove one of them.`, other.doc.locate([])));
  }
  if (!first) {
    // An Account that failed its schema was already reported; saying "no Account" too would mislead.
    if (invalidAccounts === 0) {
      const at = files[0] ? { file: files[0].path, line: 1, col: 1 } : undefined;
      diagnostics.push(error('no Account manifest', 'Add a document with kind: Account, id: "123456789012" (your account id) to the manifests folder.', at));
    }
    return undefined;
  }
  const { manifest, doc } = first;
  if (!ACCOUNT_ID.test(manifest.id)) {
    diagnostics.push(error(`invalid account id "${manifest.id}"`, 'An AWS account id is exactly 12 digits, quoted.', doc.locate(['id'])));
  }
  const managedPaths = manifest.managedPaths ?? ['/'];
  managedPaths.forEach((path, i) => checkPath(path, doc, ['managedPaths', i], diagnostics));
  const protectedArns = manifest.protected ?? [];
  protectedArns.forEach((arn, i) => {
    if (!isArn(arn)) {
      diagnostics.push(error(`protected entry "${arn}" is not an ARN`, 'List full ARNs, e.g. arn:aws:iam::123456789012:role/break-glass.', doc.locate(['protected', i])));
      return;
    }
    // Entries match by kind and name in this account: one that cannot protects nothing (plan also warns about
    // entries that name no entity live or declared).
    const id = entityIdentity(arn);
    if (!id) diagnostics.push(warning(`protected entry ${arn} matches nothing: it is not the ARN of an IAM user, group, role, policy or instance profile`, 'It protects nothing. Write arn:aws:iam::ACCOUNT:KIND/NAME (with or without the path), e.g. arn:aws:iam::123456789012:role/break-glass.', doc.locate(['protected', i])));
    else if (id.account !== manifest.id) diagnostics.push(warning(`protected entry ${arn} matches nothing: it is in account ${id.account}, and this folder manages ${manifest.id}`, 'It protects nothing here. Fix the account id, or remove the entry.', doc.locate(['protected', i])));
  });
  const acceptUnknown = { actions: manifest.acceptUnknown?.actions ?? [], awsManagedPolicies: manifest.acceptUnknown?.awsManagedPolicies ?? [] };
  acceptUnknown.actions.forEach((action, i) => {
    if (!/^[A-Za-z0-9-]+:[A-Za-z0-9*?_-]+$/.test(action)) diagnostics.push(error(`acceptUnknown action "${action}" is not an action`, 'Write "service:ActionName", or a pattern such as "deeplens:*".', doc.locate(['acceptUnknown', 'actions', i])));
  });
  acceptUnknown.awsManagedPolicies.forEach((arn, i) => {
    if (!isAwsManagedPolicyArn(arn)) diagnostics.push(error(`acceptUnknown policy "${arn}" is not an AWS managed policy ARN`, 'List ARNs such as arn:aws:iam::aws:policy/AWSLambdaFullAccess.', doc.locate(['acceptUnknown', 'awsManagedPolicies', i])));
  });
  const acceptedRisks = manifest.acceptedRisks ?? [];
  acceptedRisks.forEach((risk, i) => {
    if (!isArn(risk.principal)) diagnostics.push(error(`accepted risk principal "${risk.principal}" is not an ARN`, 'Give the ARN of the user or role that holds the risk, e.g. arn:aws:iam::123456789012:role/break-glass.', doc.locate(['acceptedRisks', i, 'principal'])));
    if (!(FINDING_CODES as readonly string[]).includes(risk.code)) diagnostics.push(error(`unknown finding code "${risk.code}"`, `Finding codes are listed in the README.${didYouMean(risk.code, FINDING_CODES)}`, doc.locate(['acceptedRisks', i, 'code'])));
    if (risk.reason.trim() === '') diagnostics.push(error('an accepted risk needs a reason', 'Say why the risk is accepted: reviewers read it beside the finding.', doc.locate(['acceptedRisks', i, 'reason'])));
  });
  return { id: manifest.id, prune: manifest.prune ?? false, managedPaths, protected: protectedArns, acceptUnknown, acceptedRisks, at: doc.locate([]), locate: (path) => doc.locate(path) };
}

function formatAt(at: SourceLocation): string {
  return `${at.file}:${at.line}:${at.col}`;
}

/** Reports an invalid IAM path; returns whether it is valid. */
function checkPath(path: string, doc: SourceDocument, at: ValuePath, diagnostics: Diagnostic[]): boolean {
  if (path.length > limits.MAX_PATH_LENGTH || !limits.PATH_PATTERN.test(path)) {
    diagnostics.push(error(`invalid IAM path "${path}"`, 'A path starts and ends with "/", e.g. "/" or "/engineering/platform/", and has at most 512 printable ASCII characters.', doc.locate(at)));
    return false;
  }
  return true;
}

interface EntityIndex {
  readonly users: Map<string, Declared<UserManifest>>;
  readonly groups: Map<string, Declared<GroupManifest>>;
  readonly roles: Map<string, Declared<RoleManifest>>;
  /** Policy and Boundary manifests share IAM's one namespace of managed policy names. */
  readonly policies: Map<string, Declared<PolicyManifest | BoundaryManifest>>;
}

function indexEntities(entities: Declared<EntityManifest>[], diagnostics: Diagnostic[]): EntityIndex {
  const index: EntityIndex = { users: new Map(), groups: new Map(), roles: new Map(), policies: new Map() };
  for (const entity of entities) {
    const kind = KIND_OF_MANIFEST[entity.manifest.kind];
    const map = mapOf(index, kind) as Map<string, Declared<EntityManifest>>;
    const key = nameKey(entity.manifest.name);
    const first = map.get(key);
    if (first) {
      const clash = first.manifest.name === entity.manifest.name ? '' : ` ("${first.manifest.name}"; IAM names are case-insensitive)`;
      diagnostics.push(error(`duplicate ${entity.manifest.kind} name "${entity.manifest.name}"`, `Already declared at ${formatAt(first.doc.locate(['name']))}${clash}. Keep one declaration.`, entity.doc.locate(['name'])));
      continue;
    }
    map.set(key, entity);
  }
  return index;
}

function mapOf(index: EntityIndex, kind: EntityKind): Map<string, Declared<EntityManifest>> {
  switch (kind) {
    case 'user':
      return index.users;
    case 'group':
      return index.groups;
    case 'role':
      return index.roles;
    case 'policy':
      return index.policies;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Building the desired state

class StateBuilder {
  private readonly users = new Map<string, UserState>();
  private readonly groups = new Map<string, GroupState>();
  private readonly roles = new Map<string, RoleState>();
  private readonly policies = new Map<string, ManagedPolicyState>();
  private readonly deleted: DeletedEntity[] = [];
  private readonly sources = new Map<string, () => SourceLocation>();

  constructor(
    private readonly account: AccountConfig | undefined,
    private readonly index: EntityIndex,
    private readonly source: ManifestSource,
    private readonly catalog: ActionCatalog,
    private readonly diagnostics: Diagnostic[],
    private readonly options: ManifestOptions,
  ) {}

  /** acceptUnknown entries that something used, to point out the stale ones. */
  private readonly acceptedUsed = new Set<string>();
  private acceptedActionMatchers?: { entry: string; matches: (action: string) => boolean }[];

  /** Whether an unknown action is listed (exactly, or by a pattern) in the Account's acceptUnknown.actions. */
  private readonly acceptsUnknownAction = (action: string): boolean => {
    this.acceptedActionMatchers ??= (this.account?.acceptUnknown.actions ?? []).map((entry) => ({ entry, matches: compileWildcard(entry, true) }));
    const found = this.acceptedActionMatchers.find((m) => m.entry.toLowerCase() === action.toLowerCase() || m.matches(action));
    if (found) this.acceptedUsed.add(`action:${found.entry}`);
    return found !== undefined;
  };

  build(): DesiredState | undefined {
    const account = this.account;
    if (!account) return undefined;
    // Policies first: principals refer to them by name and need their ARNs.
    for (const entity of this.index.policies.values()) this.addPolicy(account, entity);
    for (const entity of this.index.groups.values()) this.addGroup(account, entity);
    for (const entity of this.index.roles.values()) this.addRole(account, entity);
    for (const entity of this.index.users.values()) this.addUser(account, entity);
    this.checkAcceptUnknown(account);
    this.reportLints();
    const state: IamState = {
      account: account.id,
      users: this.users,
      groups: this.groups,
      roles: this.roles,
      policies: this.policies,
      externalPolicies: new Map(),
    };
    return { account, state, deleted: this.deleted, sources: this.sources };
  }

  private readonly lints: { summary: string; detail: string; locate: () => SourceLocation }[] = [];

  /** Lint warnings: all of them, or (with `lintLimit`, as plans ask) the first ones and a count of the rest. */
  private reportLints(): void {
    const limit = this.options.lintLimit ?? Infinity;
    for (const lint of this.lints.slice(0, limit)) this.diagnostics.push(warning(lint.summary, lint.detail, lint.locate()));
    const more = this.lints.length - Math.min(limit, this.lints.length);
    if (more > 0) {
      this.diagnostics.push(warning(`${more.toLocaleString('en-US')} more statements grant or deny nothing as written`, 'Lints: actions paired only with resources they do not take. Run iam-gitops validate to list them all.'));
    }
  }

  /** Entries of acceptUnknown that nothing uses, or that the catalog now knows, are worth removing. */
  private checkAcceptUnknown(account: AccountConfig): void {
    const at = (list: string, i: number): SourceLocation => account.locate(['acceptUnknown', list, i]);
    account.acceptUnknown.actions.forEach((entry, i) => {
      if (this.catalog.expand(entry).length > 0 && !unknownAction(entry, this.catalog)) {
        this.diagnostics.push(warning(`acceptUnknown lists "${entry}", which the AWS catalog knows`, `Remove it: ${this.catalog.version} lists it, so it needs no exception.`, at('actions', i)));
      } else if (!this.acceptedUsed.has(`action:${entry}`)) {
        this.diagnostics.push(warning(`acceptUnknown lists "${entry}", which no policy uses`, 'Remove it, so that a future typo of this name is caught.', at('actions', i)));
      }
    });
    const offered = this.options.awsManagedPolicies?.byArn;
    account.acceptUnknown.awsManagedPolicies.forEach((arn, i) => {
      if (offered?.has(arn)) {
        this.diagnostics.push(warning(`acceptUnknown lists ${arn}, which AWS offers`, 'Remove it: it is a current AWS managed policy and needs no exception.', at('awsManagedPolicies', i)));
      } else if (!this.acceptedUsed.has(`policy:${arn}`)) {
        this.diagnostics.push(warning(`acceptUnknown lists ${arn}, which no manifest attaches`, 'Remove it, so that a future typo of this ARN is caught.', at('awsManagedPolicies', i)));
      }
    });
  }

  /** Common checks; returns the normalised path, or undefined for an entity marked deleted. */
  private declare(account: AccountConfig, kind: EntityKind, entity: Declared<EntityManifest>): string | undefined {
    const { manifest, doc } = entity;
    this.sources.set(sourceKey(kind, manifest.name), () => doc.locate([]));
    this.checkName(kind, manifest.name, doc);
    const path = manifest.path ?? '/';
    const validPath = checkPath(path, doc, ['path'], this.diagnostics);
    if (validPath && !isOwnedPath(account, path)) {
      this.diagnostics.push(error(`${manifest.kind} "${manifest.name}" has path "${path}", outside managedPaths`, `This repo owns only ${account.managedPaths.join(', ')} (the Account's managedPaths). Move the ${manifest.kind.toLowerCase()} under one of them or add its path there.`, doc.locate(manifest.path ? ['path'] : [])));
    }
    if (manifest.deleted) {
      this.deleted.push({ kind, name: manifest.name, at: doc.locate([]) });
      return undefined;
    }
    return path;
  }

  private checkName(kind: EntityKind, name: string, doc: SourceDocument): void {
    const max = limits.MAX_NAME_LENGTH[kind];
    if (!limits.NAME_PATTERN.test(name) || name.length > max) {
      this.diagnostics.push(error(`invalid ${kind} name "${name}"`, `IAM ${kind} names have 1 to ${max} characters: letters, digits and + = , . @ _ -.`, doc.locate(['name'])));
    }
  }

  private addPolicy(account: AccountConfig, entity: Declared<PolicyManifest | BoundaryManifest>): void {
    const { manifest, doc } = entity;
    const path = this.declare(account, 'policy', entity);
    const arn = entityArn(account.id, 'policy', path ?? manifest.path ?? '/', manifest.name);
    if (path === undefined) return;
    this.checkDescription(manifest.description, doc);
    const tags = this.tags(manifest.tags, doc);
    let document: Policy | undefined;
    if (manifest.document !== undefined && manifest.documentFile !== undefined) {
      this.diagnostics.push(error(`${manifest.kind} "${manifest.name}" has both document and documentFile`, 'Keep one of them.', doc.locate(['documentFile'], { key: true })));
    } else if (manifest.document === undefined && manifest.documentFile === undefined) {
      this.diagnostics.push(error(`${manifest.kind} "${manifest.name}" has no document`, 'Add document: {Version: "2012-10-17", Statement: [...]} or documentFile: path/to/policy.json.', doc.locate([])));
    } else {
      const found = manifest.document !== undefined
        ? this.checkedDocument(manifest.document, doc, ['document'], 'identity')
        : this.documentFromFile(manifest.documentFile!, doc, ['documentFile'], 'identity');
      if (found) {
        const size = policySize(found.document);
        if (size > limits.MAX_MANAGED_POLICY_SIZE) {
          this.diagnostics.push(error(`managed policy "${manifest.name}" is ${size} characters, over IAM's limit of ${limits.MAX_MANAGED_POLICY_SIZE}`, 'White space is not counted. Split it into two policies, or use wildcards where they grant exactly what you mean.', found.locate()));
        }
        document = found.policy;
      }
    }
    if (!document) return;
    if (manifest.kind === 'Boundary' && !statementsOf(document.document).some((st) => st['Effect'] === 'Allow')) {
      this.diagnostics.push(warning(`Boundary "${manifest.name}" has no Allow statement: it denies everything`, 'A permissions boundary lets through only what it allows; with no Allow, whoever it bounds can do nothing (sts:GetCallerIdentity aside). Add Allow statements for what the principals may do.', doc.locate(manifest.document !== undefined ? ['document'] : ['documentFile'])));
    }
    this.policies.set(nameKey(manifest.name), {
      kind: 'policy',
      name: manifest.name,
      path,
      arn,
      ...(manifest.description !== undefined ? { description: manifest.description } : {}),
      document,
      tags,
      usage: manifest.kind === 'Boundary' ? 'boundary' : 'policy',
    });
  }

  private addGroup(account: AccountConfig, entity: Declared<GroupManifest>): void {
    const { manifest, doc } = entity;
    const path = this.declare(account, 'group', entity);
    if (path === undefined) return;
    this.groups.set(nameKey(manifest.name), {
      kind: 'group',
      name: manifest.name,
      path,
      arn: entityArn(account.id, 'group', path, manifest.name),
      managedPolicies: this.policyRefs(manifest.managedPolicies, doc, manifest.name),
      inlinePolicies: this.inlinePolicies(manifest.inlinePolicies, doc, 'group', manifest.name),
    });
  }

  private addRole(account: AccountConfig, entity: Declared<RoleManifest>): void {
    const { manifest, doc } = entity;
    const path = this.declare(account, 'role', entity);
    if (path === undefined) return;
    this.checkDescription(manifest.description, doc);
    const unmanaged = this.unmanagedFields(manifest, doc);
    const duration = manifest.maxSessionDuration ?? DEFAULT_MAX_SESSION_DURATION;
    if (duration < limits.MIN_SESSION_DURATION || duration > limits.MAX_SESSION_DURATION) {
      this.diagnostics.push(error(`maxSessionDuration ${duration} is out of range`, `Use ${limits.MIN_SESSION_DURATION} (1 hour) to ${limits.MAX_SESSION_DURATION} (12 hours) seconds.`, doc.locate(['maxSessionDuration'])));
    }
    let trustPolicy: Policy | undefined;
    if (manifest.trustPolicy === undefined) {
      this.diagnostics.push(error(`Role "${manifest.name}" has no trustPolicy`, 'Add trustPolicy: who may assume the role, e.g. {Version: "2012-10-17", Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}]}.', doc.locate([])));
    } else {
      const found = this.policyOrFile(manifest.trustPolicy, doc, ['trustPolicy'], 'trust');
      if (found) {
        const size = policySize(found.document);
        if (size > limits.MAX_TRUST_POLICY_SIZE) {
          this.diagnostics.push(error(`trust policy of role "${manifest.name}" is ${size} characters, over IAM's limit of ${limits.MAX_TRUST_POLICY_SIZE}`, 'White space is not counted. The quota can be raised to 4,096 through Service Quotas; otherwise merge statements.', found.locate()));
        }
        trustPolicy = found.policy;
      }
    }
    const role: RoleState = {
      kind: 'role',
      name: manifest.name,
      path,
      arn: entityArn(account.id, 'role', path, manifest.name),
      ...(manifest.description !== undefined ? { description: manifest.description } : {}),
      // Unmanaged, the duration has no value here (not IAM's default): live IAM's stays.
      ...(unmanaged.includes('maxSessionDuration') ? {} : { maxSessionDuration: duration }),
      trustPolicy: trustPolicy ?? makePolicy({}),
      managedPolicies: this.policyRefs(manifest.managedPolicies, doc, manifest.name),
      inlinePolicies: this.inlinePolicies(manifest.inlinePolicies, doc, 'role', manifest.name),
      ...this.boundary(manifest.permissionsBoundary, doc),
      tags: this.tags(manifest.tags, doc),
      ...(unmanaged.length ? { unknown: unmanaged } : {}),
    };
    this.roles.set(nameKey(manifest.name), role);
  }

  private addUser(account: AccountConfig, entity: Declared<UserManifest>): void {
    const { manifest, doc } = entity;
    const path = this.declare(account, 'user', entity);
    if (path === undefined) return;
    const groups: string[] = [];
    (manifest.groups ?? []).forEach((name, i) => {
      const group = this.index.groups.get(nameKey(name));
      if (!group) {
        const defined = [...this.index.groups.values()].map((g) => g.manifest.name);
        this.diagnostics.push(error(`unknown group "${name}"`, `User "${manifest.name}" lists group "${name}", which no Group manifest declares.${didYouMean(name, defined)}${defined.length ? ` Defined groups: ${defined.join(', ')}.` : ' Declare it with kind: Group.'}`, doc.locate(['groups', i])));
      } else if (group.manifest.deleted) {
        this.diagnostics.push(error(`group "${name}" is marked deleted`, `User "${manifest.name}" cannot stay in a group that this change deletes; remove the group from the user's list.`, doc.locate(['groups', i])));
      } else {
        groups.push(group.manifest.name);
      }
    });
    const uniqueGroups = sortedUnique(groups);
    if (uniqueGroups.length > limits.MAX_GROUPS_PER_USER) {
      this.diagnostics.push(error(`user "${manifest.name}" is in ${uniqueGroups.length} groups, over IAM's limit of ${limits.MAX_GROUPS_PER_USER}`, 'Merge groups, or give the user a role to assume instead.', doc.locate(['groups'])));
    }
    this.users.set(nameKey(manifest.name), {
      kind: 'user',
      name: manifest.name,
      path,
      arn: entityArn(account.id, 'user', path, manifest.name),
      groups: uniqueGroups,
      managedPolicies: this.policyRefs(manifest.managedPolicies, doc, manifest.name),
      inlinePolicies: this.inlinePolicies(manifest.inlinePolicies, doc, 'user', manifest.name),
      ...this.boundary(manifest.permissionsBoundary, doc),
      tags: this.tags(manifest.tags, doc),
    });
  }

  // --- references -------------------------------------------------------------------------------------------

  /** Resolves a Policy/Boundary manifest name or an ARN to an ARN; reports and returns undefined otherwise. */
  private resolvePolicy(ref: string, doc: SourceDocument, at: ValuePath, role: 'managed policy' | 'permissions boundary'): string | undefined {
    if (isArn(ref)) {
      if (!/^arn:aws[\w-]*:iam::(\d{12}|aws):policy\/(.+\/)?[\w+=,.@-]+$/.test(ref)) {
        this.diagnostics.push(error(`invalid policy ARN "${ref}"`, 'A managed policy ARN looks like arn:aws:iam::aws:policy/ReadOnlyAccess or arn:aws:iam::123456789012:policy/path/name.', doc.locate(at)));
        return undefined;
      }
      const owner = accountOfArn(ref);
      if (owner !== 'aws' && this.account && owner !== this.account.id) {
        this.diagnostics.push(error(`policy ${ref} belongs to account ${owner}`, `IAM attaches only AWS managed policies and this account's (${this.account.id}) own. Declare the policy here with kind: Policy, or fix the account id in the ARN.`, doc.locate(at)));
        return undefined;
      }
      const known = this.options.awsManagedPolicies?.byArn;
      if (known && isAwsManagedPolicyArn(ref) && !known.has(ref)) {
        if (this.account?.acceptUnknown.awsManagedPolicies.includes(ref)) {
          this.acceptedUsed.add(`policy:${ref}`);
          return ref;
        }
        // An error, as in the plan: a misspelt ARN would fail to attach. A deprecated policy that stays attached
        // where it was is listed, knowingly, under acceptUnknown (import writes those).
        const arnByName = new Map([...known.entries()].map(([arn, p]) => [p.name, arn]));
        const suggestions = closestMatches(ref.split('/').pop()!, arnByName.keys()).map((name) => `"${arnByName.get(name)}"`);
        this.diagnostics.push(error(`"${ref}" is not a current AWS managed policy`, `It is misspelt${suggestions.length ? ` (did you mean ${suggestions.join(' or ')}?)` : ''}, or deprecated: AWS keeps deprecated policies only where they are already attached, and then the Account manifest lists them under acceptUnknown.awsManagedPolicies.`, doc.locate(at)));
        return undefined;
      }
      return ref;
    }
    const declared = this.index.policies.get(nameKey(ref));
    if (!declared) {
      const names = [...this.index.policies.values()].map((p) => p.manifest.name);
      this.diagnostics.push(error(`unknown ${role} "${ref}"`, `No Policy or Boundary manifest is named "${ref}".${didYouMean(ref, names)} Declare it, or write the policy's ARN (AWS managed: arn:aws:iam::aws:policy/NAME).`, doc.locate(at)));
      return undefined;
    }
    if (declared.manifest.deleted) {
      this.diagnostics.push(error(`${role} "${ref}" is marked deleted`, 'A deleted policy cannot stay attached; remove this reference.', doc.locate(at)));
      return undefined;
    }
    if (role === 'managed policy' && declared.manifest.kind === 'Boundary') {
      this.diagnostics.push(warning(`"${ref}" is a Boundary attached as a permissions policy`, 'Boundaries limit what a principal may do; attached as a policy it grants what it allows. Declare it as kind: Policy if that is intended.', doc.locate(at)));
    }
    return this.policies.get(nameKey(ref))?.arn ?? entityArn(this.account!.id, 'policy', declared.manifest.path ?? '/', declared.manifest.name);
  }

  private policyRefs(refs: readonly string[] | undefined, doc: SourceDocument, owner: string): string[] {
    const arns: string[] = [];
    (refs ?? []).forEach((ref, i) => {
      const arn = this.resolvePolicy(ref, doc, ['managedPolicies', i], 'managed policy');
      if (!arn) return;
      if (arns.includes(arn)) this.diagnostics.push(warning(`managed policy "${ref}" is listed twice`, 'Remove the repeated entry.', doc.locate(['managedPolicies', i])));
      arns.push(arn);
    });
    const unique = sortedUnique(arns);
    if (unique.length > limits.MAX_MANAGED_POLICIES_PER_PRINCIPAL) {
      this.diagnostics.push(error(`"${owner}" has ${unique.length} managed policies, over IAM's default quota of ${limits.MAX_MANAGED_POLICIES_PER_PRINCIPAL}`, 'Combine policies; the quota can be raised to 20 through Service Quotas.', doc.locate(['managedPolicies'])));
    }
    return unique;
  }

  private boundary(ref: string | undefined, doc: SourceDocument): { permissionsBoundary?: string } {
    if (ref === undefined) return {};
    const arn = this.resolvePolicy(ref, doc, ['permissionsBoundary'], 'permissions boundary');
    return arn ? { permissionsBoundary: arn } : {};
  }

  // --- documents -------------------------------------------------------------------------------------------

  private inlinePolicies(policies: Record<string, PolicyJson> | undefined, doc: SourceDocument, kind: 'user' | 'group' | 'role', owner: string): InlinePolicies {
    const out: Record<string, Policy> = {};
    let total = 0;
    for (const [name, value] of Object.entries(policies ?? {})) {
      if (!limits.NAME_PATTERN.test(name) || name.length > limits.MAX_INLINE_POLICY_NAME_LENGTH) {
        this.diagnostics.push(error(`invalid inline policy name "${name}"`, 'Inline policy names have 1 to 128 characters: letters, digits and + = , . @ _ -.', doc.locate(['inlinePolicies', name], { key: true })));
      }
      const found = this.policyOrFile(value, doc, ['inlinePolicies', name], 'identity');
      if (!found) continue;
      total += policySize(found.document);
      out[name] = found.policy;
    }
    const max = limits.MAX_INLINE_POLICIES_SIZE[kind];
    if (total > max) {
      this.diagnostics.push(error(`inline policies of ${kind} "${owner}" total ${total} characters, over IAM's limit of ${max}`, `IAM limits the combined size of a ${kind}'s inline policies (white space not counted). Move some into a customer managed Policy.`, doc.locate(['inlinePolicies'])));
    }
    return out;
  }

  /** An inline document, or `{documentFile: path}`. */
  private policyOrFile(value: PolicyJson, doc: SourceDocument, at: ValuePath, type: PolicyType): CheckedDocument | undefined {
    const keys = Object.keys(value);
    if (keys.includes('documentFile')) {
      if (keys.length > 1 || typeof value['documentFile'] !== 'string') {
        this.diagnostics.push(error('documentFile must stand alone', 'Write either a policy document or {documentFile: path/to/policy.json}, not both.', doc.locate([...at, 'documentFile'], { key: true })));
        return undefined;
      }
      return this.documentFromFile(value['documentFile'], doc, [...at, 'documentFile'], type);
    }
    return this.checkedDocument(value, doc, at, type);
  }

  private documentFromFile(relativePath: string, doc: SourceDocument, at: ValuePath, type: PolicyType): CheckedDocument | undefined {
    const found = this.source.readDocumentFile(doc.file, relativePath);
    if ('missing' in found) {
      this.diagnostics.push(error(`documentFile "${relativePath}" does not exist`, `The path is relative to ${doc.file}'s folder. Create the file or fix the path.`, doc.locate(at)));
      return undefined;
    }
    if ('refused' in found) {
      this.diagnostics.push(error(`documentFile "${relativePath}" cannot be used: ${found.refused}`, `documentFile names a JSON file inside the manifests folder, relative to ${doc.file}'s folder.`, doc.locate(at)));
      return undefined;
    }
    const file = found.file;
    // A .json file is JSON, read strictly (a trailing comma or YAML in it is an error at its place); a YAML file
    // (.yaml/.yml) is YAML. Either way the document is then located through the YAML parser, which reads JSON.
    const isYaml = /\.ya?ml$/i.test(file.path);
    if (!isYaml) {
      const problem = jsonSyntaxError(file.path, file.text);
      if (problem) {
        this.diagnostics.push(problem);
        return undefined;
      }
    }
    const parsed = parseSource(file.path, file.text);
    this.diagnostics.push(...parsed.diagnostics.map((d) => (isYaml ? d : { ...d, summary: d.summary.replace('invalid YAML', 'invalid JSON') })));
    if (parsed.diagnostics.length > 0) return undefined;
    const [fileDoc, ...extra] = parsed.documents;
    if (!fileDoc || extra.length > 0) {
      this.diagnostics.push(error(`documentFile "${relativePath}" must hold exactly one policy document`, 'Write one JSON object with Version and Statement.', fileDoc?.locate([]) ?? { file: file.path, line: 1, col: 1 }));
      return undefined;
    }
    if (!isPlainObject(fileDoc.value)) {
      this.diagnostics.push(error('a policy document must be an object', 'Write one JSON object with Version and Statement.', fileDoc.locate([])));
      return undefined;
    }
    return this.checkedDocument(fileDoc.value, fileDoc, [], type);
  }

  private checkedDocument(document: PolicyJson, doc: SourceDocument, at: ValuePath, type: PolicyType): CheckedDocument | undefined {
    const problems = checkPolicyDocument(document, type, this.catalog, { acceptsUnknownAction: this.acceptsUnknownAction });
    for (const p of problems) {
      if (p.lint) {
        // Located only when reported: locating parses the file again, and large accounts can have thousands.
        this.lints.push({ summary: p.summary, detail: p.detail, locate: () => doc.locate([...at, ...p.path]) });
        continue;
      }
      const location = doc.locate([...at, ...p.path], p.atKey ? { key: true } : undefined);
      this.diagnostics.push(p.severity === 'error' ? error(p.summary, p.detail, location) : warning(p.summary, p.detail, location));
    }
    if (problems.some((p) => p.severity === 'error')) return undefined;
    return { policy: makePolicy(document), document, locate: () => doc.locate(at) };
  }

  // --- small fields ----------------------------------------------------------------------------------------

  /**
   * A role's `unmanagedFields`, sorted and without repeats. A field both set and listed is an error: the manifest
   * would say two things about it.
   */
  private unmanagedFields(manifest: RoleManifest, doc: SourceDocument): UnknownField[] {
    const fields = [...new Set(manifest.unmanagedFields ?? [])].sort();
    for (const field of fields) {
      if (manifest[field] === undefined) continue;
      this.diagnostics.push(error(`${field} is set and listed under unmanagedFields`, `Role "${manifest.name}" both sets ${field} and leaves it unmanaged. Remove ${field} from unmanagedFields to manage it (import lists fields its source did not hold), or remove the ${field} line to leave live IAM's value as it is.`, doc.locate(['unmanagedFields', (manifest.unmanagedFields ?? []).indexOf(field)])));
    }
    return fields;
  }

  private checkDescription(description: string | undefined, doc: SourceDocument): void {
    if (description !== undefined && description.length > limits.MAX_DESCRIPTION_LENGTH) {
      this.diagnostics.push(error(`description is ${description.length} characters, over IAM's limit of ${limits.MAX_DESCRIPTION_LENGTH}`, 'Shorten it.', doc.locate(['description'])));
    }
  }

  private tags(tags: Record<string, string> | undefined, doc: SourceDocument): Tags {
    if (!tags) return {};
    const keys = Object.keys(tags);
    if (keys.length > limits.MAX_TAGS) {
      this.diagnostics.push(error(`${keys.length} tags, over IAM's limit of ${limits.MAX_TAGS}`, 'Remove some tags.', doc.locate(['tags'])));
    }
    for (const key of keys) {
      const value = tags[key]!;
      if (key.length === 0 || key.length > limits.MAX_TAG_KEY_LENGTH || !limits.TAG_PATTERN.test(key) || key.toLowerCase().startsWith('aws:')) {
        this.diagnostics.push(error(`invalid tag key "${key}"`, 'Tag keys have 1 to 128 letters, digits, spaces and _ . : / = + - @, and may not start with "aws:".', doc.locate(['tags', key], { key: true })));
      }
      if (value.length > limits.MAX_TAG_VALUE_LENGTH || !limits.TAG_PATTERN.test(value)) {
        this.diagnostics.push(error(`invalid value of tag "${key}"`, 'Tag values have up to 256 letters, digits, spaces and _ . : / = + - @.', doc.locate(['tags', key])));
      }
    }
    return Object.fromEntries(keys.sort().map((k) => [k, tags[k]!]));
  }
}

interface CheckedDocument {
  readonly policy: Policy;
  /** The document as written, for size checks. */
  readonly document: PolicyJson;
  /** Where it is, found only when a problem needs reporting (locating means parsing the file again). */
  readonly locate: () => SourceLocation;
}
