/**
 * Import: live state -> tidy manifests, one file per entity in a folder per kind. Pure: returns file contents
 * by relative path; the app writes them. Round-trip law: planning the result against the same live state yields
 * no changes (tested on the real-world snapshots).
 */
import { Document, isScalar, visit } from 'yaml';
import type { ActionCatalog } from '../catalog/action-catalog.js';
import { isAwsManagedPolicyArn, isAwsOwnedPath } from '../core/arn.js';
import { error, InputError, warning, type Diagnostic } from '../core/diagnostics.js';
import { addTo } from '../core/multimap.js';
import { iamNameProblem, iamPathProblem } from '../core/iam-names.js';
import type { PolicyJson } from '../core/policy.js';
import { DEFAULT_MAX_SESSION_DURATION, DEFAULT_PASSWORD_POLICY, PASSWORD_POLICY_SETTINGS, type EntityState, type IamState, type InlinePolicies, type ManagedPolicyState, type RoleState, type UnknownField } from '../core/state.js';
import type { LiveState } from '../live/live-state.js';
import { federatedPrincipals, isAwsOwnedProvider, isProviderArnOf, providerName } from '../core/providers.js';
import { unknownActionsOf } from '../manifest/policy-grammar.js';
import { manifestJsonSchema, ROLE_UNMANAGED_FIELDS } from '../manifest/schema.js';

/** Written beside the manifests, so that editors complete and check them with no setup (yaml-language-server). */
export const SCHEMA_FILE = 'manifest.schema.json';

export interface ImportOptions {
  /** Actions the catalog does not know are listed under the Account's acceptUnknown.actions. */
  readonly catalog: ActionCatalog;
  /** Attached AWS managed policies that AWS no longer offers (deprecated) go under acceptUnknown too. */
  readonly awsManagedPolicies: { readonly byArn: ReadonlyMap<string, unknown> };
}

export interface ImportedFiles {
  /** Relative path -> file text. */
  readonly files: ReadonlyMap<string, string>;
  /** Entities skipped because AWS owns them. */
  readonly skipped: readonly string[];
  /**
   * What the source did not hold, and so what the manifests leave as it is in IAM: one warning per field, naming
   * the entities and the source that holds it.
   */
  readonly diagnostics: readonly Diagnostic[];
}

export function importLiveState(live: LiveState, options: ImportOptions): ImportedFiles {
  const state = live.state;
  const files = new Map<string, string>();
  const skipped: string[] = [];
  const unread = new Map<UnknownField, string[]>();
  refuseInvalidIdentifiers(live);
  const policyRef = policyReferencer(state);

  const unknown = unknownNames(state, options);
  const account = { kind: 'Account', id: state.account, prune: false, managedPaths: ['/'], protected: [], ...(unknown.size ? { acceptUnknown: unknown.value } : {}), ...importedSettings(state) };
  files.set('account.yaml', render(account, `Imported from ${live.source}.`, unknown.comments));
  files.set(SCHEMA_FILE, `${JSON.stringify(manifestJsonSchema(), null, 2)}\n`);

  for (const policy of sorted(state.policies)) {
    // A policy whose manifest sets no tags leaves its tags as they are (plan reads them only for those that do).
    const tagsUnread = policy.unknown?.includes('tags') === true;
    if (tagsUnread) addTo(unread, 'tags', policy.name);
    files.set(entityFile(policy), render({
      kind: policy.usage === 'boundary' ? 'Boundary' : 'Policy',
      name: policy.name,
      ...pathField(policy),
      ...(policy.description ? { description: policy.description } : {}),
      ...tagsField(policy.tags),
      document: policy.document.document,
    }, tagsUnread ? `tags: not in ${live.source}; without a tags field, plan leaves them as they are in IAM.` : undefined));
  }
  for (const group of sorted(state.groups)) {
    files.set(entityFile(group), render({
      kind: 'Group',
      name: group.name,
      ...pathField(group),
      ...listField('managedPolicies', group.managedPolicies.map(policyRef)),
      ...inlineField(group.inlinePolicies),
    }));
  }
  for (const role of sorted(state.roles)) {
    if (isAwsOwnedPath(role.path)) {
      skipped.push(role.arn);
      continue;
    }
    // Fields the source does not hold are listed as unmanaged, never written as IAM's defaults: plan would reset them.
    const unmanaged = ROLE_UNMANAGED_FIELDS.filter((field) => role.unknown?.includes(field));
    for (const field of unmanaged) addTo(unread, field, role.name);
    files.set(entityFile(role), render({
      kind: 'Role',
      name: role.name,
      ...pathField(role),
      ...(role.description && !unmanaged.includes('description') ? { description: role.description } : {}),
      ...(role.maxSessionDuration !== undefined && role.maxSessionDuration !== DEFAULT_MAX_SESSION_DURATION && !unmanaged.includes('maxSessionDuration') ? { maxSessionDuration: role.maxSessionDuration } : {}),
      ...(unmanaged.length ? { unmanagedFields: [...unmanaged] } : {}),
      ...(role.permissionsBoundary ? { permissionsBoundary: policyRef(role.permissionsBoundary) } : {}),
      ...listField('managedPolicies', role.managedPolicies.map(policyRef)),
      ...tagsField(role.tags),
      ...instanceProfileField(role),
      trustPolicy: role.trustPolicy.document,
      ...inlineField(role.inlinePolicies),
    }, [
      ...(unmanaged.length ? [`${unmanaged.join(', ')}: not in ${live.source}; unmanagedFields leaves ${unmanaged.length === 1 ? 'it' : 'them'} as ${unmanaged.length === 1 ? 'it is' : 'they are'} in IAM.`] : []),
      ...((role.instanceProfiles?.length ?? 0) > 1 ? [`in instance profiles ${role.instanceProfiles!.join(', ')}: a manifest declares one, so they are left unmanaged (as they are in IAM).`] : []),
    ].join('\n# ') || undefined));
  }
  for (const user of sorted(state.users)) {
    files.set(entityFile(user), render({
      kind: 'User',
      name: user.name,
      ...pathField(user),
      ...listField('groups', user.groups),
      ...(user.permissionsBoundary ? { permissionsBoundary: policyRef(user.permissionsBoundary) } : {}),
      ...listField('managedPolicies', user.managedPolicies.map(policyRef)),
      ...tagsField(user.tags),
      ...inlineField(user.inlinePolicies),
    }));
  }
  const providerNotes = importProviders(live, files, skipped);
  return { files, skipped, diagnostics: [...unreadWarnings(unread, live.source), ...providerNotes] };
}

/**
 * Identity providers, one manifest each under providers/ (a SAML provider's metadata in an XML file beside it), as
 * live IAM has them: thumbprints included, so that plan compares them. A source without providers (a
 * get-account-authorization-details export) writes none, and says so when roles trust some.
 */
function importProviders(live: LiveState, files: Map<string, string>, skipped: string[]): Diagnostic[] {
  const providers = live.state.providers;
  if (!providers) {
    const trusted = new Set([...live.state.roles.values()].flatMap((r) => federatedPrincipals(r.trustPolicy.document)).filter((arn) => isProviderArnOf(arn, live.state.account) && !isAwsOwnedProvider(arn)));
    if (trusted.size === 0) return [];
    return [warning(`identity providers are not in ${live.source}: no manifest is written for the ${trusted.size === 1 ? 'one' : trusted.size} the roles trust`, 'get-account-authorization-details does not return OIDC or SAML providers. Plans leave providers no manifest declares as they are; to manage them, import with --aws (or from a snapshot written by snapshot --aws).')];
  }
  for (const provider of [...providers.values()].sort((a, b) => a.arn.localeCompare(b.arn))) {
    if (isAwsOwnedProvider(provider.arn)) {
      skipped.push(provider.arn);
      continue;
    }
    const base = `providers/${providerName(provider).replace(/[^\w.-]+/g, '_')}`;
    if (provider.kind === 'oidcProvider') {
      files.set(`${base}.yaml`, render({ kind: 'OpenIDConnectProvider', url: `https://${provider.url}`, clientIds: [...provider.clientIds], ...listField('thumbprints', provider.thumbprints ?? []), ...tagsField(provider.tags) }));
    } else {
      const metadataFile = `${base.replace(/^providers\//, '')}-metadata.xml`;
      files.set(`providers/${metadataFile}`, `${provider.metadataDocument}\n`);
      files.set(`${base}.yaml`, render({ kind: 'SAMLProvider', name: provider.name, metadataDocumentFile: metadataFile, ...tagsField(provider.tags) }));
    }
  }
  return [];
}

/** One warning per field the source did not hold, saying what the manifests do about it and where to read it. */
function unreadWarnings(unread: ReadonlyMap<UnknownField, readonly string[]>, source: string): Diagnostic[] {
  return [...unread].map(([field, names]) => {
    const list = `${names.slice(0, 5).join(', ')}${names.length > 5 ? `, and ${names.length - 5} more` : ''}`;
    if (field === 'tags') {
      return warning(`the tags of ${names.length === 1 ? '1 customer managed policy are' : `${names.length} customer managed policies are`} not in ${source}: ${list}`, 'No bulk IAM API returns policy tags, and get-account-authorization-details does not. Their manifests set no tags, which leaves the tags as they are in IAM (plan compares the tags of a policy only when its manifest sets some). import --aws reads them, one call per policy.');
    }
    const what = field === 'description' ? 'descriptions' : 'maximum session durations';
    return warning(`the ${what} of ${names.length === 1 ? '1 role are' : `${names.length} roles are`} not in ${source}: ${list}`, `get-account-authorization-details does not return them. The imported roles list ${field} under unmanagedFields, so plan leaves it as it is in IAM instead of resetting it. To manage it, import with --aws (or from a snapshot written by snapshot --aws), or write it in each manifest and remove it from unmanagedFields.`);
  });
}

const FOLDERS: Record<EntityState['kind'], string> = { user: 'users', group: 'groups', role: 'roles', policy: 'policies' };

/**
 * Where an entity's manifest goes: `users/alice.yaml`. The name is a valid IAM name (checked first), so it holds no
 * "/" and cannot leave its folder. Two kinds of valid names still make a poor file name, and get a leading "_"
 * (the manifest's `name:` field, not its file name, is what counts): one starting with "." (the manifests reader
 * skips hidden files, so the entity would silently go unmanaged) and a Windows device name (`CON`, `nul.x`,
 * `COM1`...), which Windows opens as the device whatever the extension.
 */
export function entityFile(entity: Pick<EntityState, 'kind' | 'name'>): string {
  const base = entity.name.split('.')[0]!;
  const awkward = entity.name.startsWith('.') || /^(con|prn|aux|nul|conin\$|conout\$|com[0-9]|lpt[0-9])$/i.test(base);
  return `${FOLDERS[entity.kind]}/${awkward ? '_' : ''}${entity.name}.yaml`;
}

/**
 * Every entity the import writes has a name and path IAM accepts. Live state read from a snapshot is checked as it
 * is read; this holds for any other source too, since names become file names.
 */
function refuseInvalidIdentifiers(live: LiveState): void {
  const problems: Diagnostic[] = [];
  const entities: EntityState[] = [...live.state.policies.values(), ...live.state.groups.values(), ...live.state.roles.values(), ...live.state.users.values()];
  for (const entity of entities) {
    const problem = iamNameProblem(entity.kind, entity.name) ?? iamPathProblem(entity.path);
    if (problem) problems.push(error(`cannot import ${entity.kind} ${JSON.stringify(entity.name)} (path ${JSON.stringify(entity.path)}) from ${live.source}: ${problem}`, 'IAM never holds such a name or path, and import writes a file named after each entity: fix the source (re-export the snapshot) and import again. Nothing was written.'));
  }
  if (problems.length > 0) throw new InputError(problems);
}

/** Customer managed policies of this account are referenced by name (readable, and renames stay in one place). */
function policyReferencer(state: IamState): (arn: string) => string {
  const byArn = new Map<string, ManagedPolicyState>([...state.policies.values()].map((p) => [p.arn, p]));
  return (arn) => byArn.get(arn)?.name ?? arn;
}

function sorted<T extends EntityState>(map: ReadonlyMap<string, T>): T[] {
  return [...map.values()].sort((a, b) => a.name.localeCompare(b.name));
}

function pathField(entity: EntityState): { path?: string } {
  return entity.path === '/' ? {} : { path: entity.path };
}

function listField<K extends string>(key: K, values: readonly string[]): Partial<Record<K, string[]>> {
  return values.length ? ({ [key]: [...values] } as Record<K, string[]>) : {};
}

function tagsField(tags: Readonly<Record<string, string>>): { tags?: Record<string, string> } {
  return Object.keys(tags).length ? { tags: { ...tags } } : {};
}

function inlineField(policies: InlinePolicies): { inlinePolicies?: Record<string, PolicyJson> } {
  const names = Object.keys(policies).sort();
  return names.length ? { inlinePolicies: Object.fromEntries(names.map((n) => [n, policies[n]!.document])) } : {};
}

/**
 * A manifest file: the schema header for editors, an optional comment, and YAML in which every string that YAML 1.1
 * tools would read as something else (`2012-10-17` as a date, `yes` as true) is quoted. `comments` add a comment
 * after the value at a path (the reasons for acceptUnknown entries).
 */
function render(manifest: Record<string, unknown>, comment?: string, comments: ReadonlyMap<readonly (string | number)[], string> = new Map()): string {
  const doc = new Document(manifest, { aliasDuplicateObjects: false });
  visit(doc, {
    Scalar(_, scalar) {
      if (typeof scalar.value === 'string' && AMBIGUOUS_IN_YAML_1_1.test(scalar.value)) scalar.type = 'QUOTE_DOUBLE';
    },
  });
  for (const [path, text] of comments) {
    const node = doc.getIn(path, true);
    if (isScalar(node)) node.comment = ` ${text}`;
  }
  const depth = manifest['kind'] === 'Account' ? '' : '../';
  const header = `# yaml-language-server: $schema=${depth}${SCHEMA_FILE}\n${comment ? `# ${comment}\n` : ''}`;
  return `${header}${doc.toString({ lineWidth: 0 })}`;
}

/** Strings that YAML 1.1 (PyYAML, older tools) reads as dates, booleans, numbers or null. */
const AMBIGUOUS_IN_YAML_1_1 = /^(\d{4}-\d\d?-\d\d?([Tt ].*)?|y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF|[-+]?\d[\d_]*(:[0-5]?\d)+(\.\d*)?|0b[01_]+|0[0-7_]+|[-+]?(\.\d+|\d[\d_]*\.?\d*)([eE][-+]?\d+)?)$/;

/**
 * Names the catalog or AWS does not know that the account uses: they would be errors in the imported manifests, so
 * they are listed, each with where it is used, under the Account's acceptUnknown (a person's typo stays an error).
 */
function unknownNames(state: IamState, options: ImportOptions): { size: number; value: Record<string, string[]>; comments: Map<(string | number)[], string> } {
  const actions = new Map<string, { spelling: string; where: string[] }>();
  const policies = new Map<string, string[]>();
  const documents: { where: string; document: PolicyJson }[] = [];
  for (const p of state.policies.values()) documents.push({ where: `policy ${p.name}`, document: p.document.document });
  for (const principal of [...state.users.values(), ...state.groups.values(), ...state.roles.values()]) {
    if (principal.kind === 'role' && isAwsOwnedPath(principal.path)) continue;
    for (const [name, policy] of Object.entries(principal.inlinePolicies)) documents.push({ where: `${principal.kind} ${principal.name} (inline ${name})`, document: policy.document });
    if (principal.kind === 'role') documents.push({ where: `role ${principal.name} (trust policy)`, document: principal.trustPolicy.document });
    const attached = [...principal.managedPolicies, ...('permissionsBoundary' in principal && principal.permissionsBoundary ? [principal.permissionsBoundary] : [])];
    for (const arn of attached) {
      if (isAwsManagedPolicyArn(arn) && !options.awsManagedPolicies.byArn.has(arn)) policies.set(arn, [...(policies.get(arn) ?? []), `${principal.kind} ${principal.name}`]);
    }
  }
  for (const { where, document } of documents) {
    for (const action of unknownActionsOf(document, options.catalog)) {
      const key = action.toLowerCase();
      const found = actions.get(key) ?? { spelling: action, where: [] };
      if (!found.where.includes(where)) found.where.push(where);
      actions.set(key, found);
    }
  }
  const places = (where: readonly string[]): string => `${where.slice(0, 3).join(', ')}${where.length > 3 ? ` and ${where.length - 3} more` : ''}`;
  const value: Record<string, string[]> = {};
  const comments = new Map<(string | number)[], string>();
  const actionList = [...actions.values()].sort((a, b) => a.spelling.localeCompare(b.spelling));
  if (actionList.length) {
    value['actions'] = actionList.map((a) => a.spelling);
    actionList.forEach((a, i) => comments.set(['acceptUnknown', 'actions', i], `not in ${options.catalog.version}; used by ${places(a.where)}`));
  }
  const policyList = [...policies].sort(([a], [b]) => a.localeCompare(b));
  if (policyList.length) {
    value['awsManagedPolicies'] = policyList.map(([arn]) => arn);
    policyList.forEach(([, where], i) => comments.set(['acceptUnknown', 'awsManagedPolicies', i], `not offered by AWS today (deprecated); still attached to ${places(where)}`));
  }
  return { size: actionList.length + policyList.length, value, comments };
}

/**
 * The account settings the source holds, as the Account manifest writes them (a setting at IAM's default is left
 * out, as IAM's default is what an absent field means); a source without them (a GAAD export) leaves them unmanaged.
 */
function importedSettings(state: IamState): { passwordPolicy?: Record<string, unknown>; alias?: string | null } {
  const settings = state.settings;
  if (!settings) return {};
  const out: { passwordPolicy?: Record<string, unknown>; alias?: string | null } = {};
  if (settings.passwordPolicy === null) out.passwordPolicy = { deleted: true };
  else if (settings.passwordPolicy !== undefined) {
    const policy = settings.passwordPolicy;
    out.passwordPolicy = Object.fromEntries(PASSWORD_POLICY_SETTINGS.filter((s) => policy[s] !== DEFAULT_PASSWORD_POLICY[s]).map((s) => [s, policy[s]]));
  }
  if (settings.alias !== undefined) out.alias = settings.alias;
  return out;
}

/**
 * A role's one instance profile (`true` when named like the role, as the console names it). A role in several is
 * left unmanaged (no field): a manifest declares one profile, and plan must not take the role out of the others.
 */
function instanceProfileField(role: RoleState): { instanceProfile?: true | { name: string } } {
  const profiles = role.instanceProfiles ?? [];
  if (profiles.length !== 1) return {};
  return { instanceProfile: profiles[0] === role.name ? true : { name: profiles[0]! } };
}
