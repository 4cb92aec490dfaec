/**
 * The Account manifest: which account a folder describes, the paths it owns, what it protects, and the exceptions
 * it grants. Read by the manifest stage for the folder it loads, and by `accountsInFile` for whoever looks for
 * account folders (the `accounts` command): one parser, one schema, the same located errors.
 */
import { isProviderArnOf } from '../core/providers.js';
import { ACCOUNT_ID, entityIdentity, isArn, isAwsManagedPolicyArn } from '../core/arn.js';
import { DEFAULT_HYGIENE } from '../core/usage.js';
import { error, warning, type Diagnostic } from '../core/diagnostics.js';
import { FINDING_CODES } from '../core/finding-codes.js';
import { isPlainObject } from '../core/policy.js';
import { didYouMean } from '../core/suggest.js';
import { checkPath, formatAt, type Declared } from './declared.js';
import type { AccountConfig } from './desired-state.js';
import { DEFAULT_PASSWORD_POLICY, type AccountSettings, type PasswordPolicy } from '../core/state.js';
import type { ManifestFile } from './manifest-source.js';
import { checkSchema } from './schema-diagnostics.js';
import type { AccountManifest } from './schema.js';
import { parseSource } from './source-document.js';

/**
 * The folder's one Account: the first declared (a second is an error), checked; undefined when there is none. An
 * Account that failed its schema (`invalidAccounts`) was reported already, so its absence is not reported again.
 */
export function resolveAccount(accounts: readonly Declared<AccountManifest>[], invalidAccounts: number, files: readonly ManifestFile[], diagnostics: Diagnostic[]): AccountConfig | undefined {
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
  return readAccount(first, diagnostics);
}

/** An Account manifest that passed its schema, checked (id, paths, protected ARNs, exceptions) and with defaults. */
export function readAccount(declared: Declared<AccountManifest>, diagnostics: Diagnostic[]): AccountConfig {
  const { manifest, doc } = declared;
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
    // An identity provider's ARN (no path) protects that provider.
    if (!id && isProviderArnOf(arn, manifest.id)) return;
    if (!id) diagnostics.push(warning(`protected entry ${arn} matches nothing: it is not the ARN of an IAM user, group, role, policy, instance profile or identity provider of this account`, 'It protects nothing. Write arn:aws:iam::ACCOUNT:KIND/NAME (with or without the path), e.g. arn:aws:iam::123456789012:role/break-glass, or a provider ARN (oidc-provider/HOST, saml-provider/NAME).', doc.locate(['protected', i])));
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
  const hygiene = { accessKeyMaxAgeDays: manifest.hygiene?.accessKeyMaxAgeDays ?? DEFAULT_HYGIENE.accessKeyMaxAgeDays, unusedForDays: manifest.hygiene?.unusedForDays ?? DEFAULT_HYGIENE.unusedForDays };
  const settings = readAccountSettings(manifest, doc, diagnostics);
  const exclude = manifest.baseline?.exclude ?? [];
  exclude.forEach((entry, i) => {
    if (!/^((User|Group|Role|Policy|Boundary|SAMLProvider)\/[\w+=,.@-]+|OpenIDConnectProvider\/\S+)$/.test(entry)) diagnostics.push(error(`baseline exclude "${entry}" is not KIND/NAME`, 'Name a shared entity as KIND/NAME, e.g. Role/break-glass (kinds: User, Group, Role, Policy, Boundary, SAMLProvider; OpenIDConnectProvider/URL without https://).', doc.locate(['baseline', 'exclude', i])));
  });
  return {
    id: manifest.id,
    ...(manifest.name !== undefined ? { name: manifest.name } : {}),
    prune: manifest.prune ?? false,
    managedPaths,
    protected: protectedArns,
    acceptUnknown,
    acceptedRisks,
    hygiene,
    settings,
    ...(manifest.credentials && Object.keys(manifest.credentials).length ? { credentials: manifest.credentials } : {}),
    ...(manifest.baseline ? { baseline: { folder: manifest.baseline.folder, exclude } } : {}),
    at: doc.locate([]),
    locate: (path) => doc.locate(path),
  };
}

/** CreateAccountAlias's rule (IAM API reference): 3 to 63 characters, lowercase letters, digits and single hyphens, none at either end. */
export const ACCOUNT_ALIAS = /^[a-z0-9](?:[a-z0-9]|-(?!-)){1,61}[a-z0-9]$/;

/** What IAM refuses in an alias, in words; undefined when IAM accepts it. */
export function accountAliasProblem(alias: string): string | undefined {
  if (alias.length < 3 || alias.length > 63) return `it has ${alias.length} characters; an alias has 3 to 63`;
  if (/[^a-z0-9-]/.test(alias)) return 'an alias holds only lowercase letters, digits and hyphens';
  if (alias.startsWith('-') || alias.endsWith('-')) return 'an alias cannot start or end with a hyphen';
  if (alias.includes('--')) return 'an alias cannot hold two hyphens in a row';
  return ACCOUNT_ALIAS.test(alias) ? undefined : 'IAM refuses it';
}

/** The password policy and alias the manifest manages: absent is not managed; `deleted: true` and null mean none. */
function readAccountSettings(manifest: AccountManifest, doc: Declared<AccountManifest>['doc'], diagnostics: Diagnostic[]): AccountSettings {
  const out: { passwordPolicy?: PasswordPolicy | null; alias?: string | null } = {};
  const policy = manifest.passwordPolicy;
  if (policy !== undefined) {
    const { deleted, ...fields } = policy;
    if (deleted === true) {
      const extra = Object.keys(fields);
      if (extra.length > 0) diagnostics.push(error(`a deleted password policy also sets ${extra.join(', ')}`, 'With deleted: true the account has no custom password policy: remove the other fields, or remove deleted: true to manage the policy.', doc.locate(['passwordPolicy', 'deleted'])));
      out.passwordPolicy = null;
    } else {
      out.passwordPolicy = { ...DEFAULT_PASSWORD_POLICY, ...fields };
    }
  }
  if (manifest.alias !== undefined) {
    const problem = manifest.alias === null ? undefined : accountAliasProblem(manifest.alias);
    if (problem) diagnostics.push(error(`invalid account alias "${manifest.alias}": ${problem}`, 'IAM accepts 3 to 63 lowercase letters, digits and single hyphens, not at either end, e.g. example-prod. Write null for no alias.', doc.locate(['alias'])));
    out.alias = manifest.alias;
  }
  return out;
}

/** A file's Account manifests, read as the manifest stage reads them. */
export interface AccountsInFile {
  /** Each document of kind Account, in file order: its settings, or undefined when it has errors. */
  readonly declared: readonly (AccountConfig | undefined)[];
  /** The file's syntax errors (then nothing is declared), and the problems of its Account documents. */
  readonly diagnostics: readonly Diagnostic[];
}

/**
 * The Account manifests of one file: every YAML document whose kind is Account (however the YAML writes it: quoted
 * keys, flow mappings, anchors, tags, comments), held to the Account schema and checks. Other documents are not
 * judged here.
 */
export function accountsInFile(file: ManifestFile): AccountsInFile {
  const parsed = parseSource(file.path, file.text);
  const diagnostics: Diagnostic[] = [...parsed.diagnostics];
  const declared: (AccountConfig | undefined)[] = [];
  for (const doc of parsed.documents) {
    if (!isPlainObject(doc.value) || doc.value['kind'] !== 'Account') continue;
    const manifest = checkSchema(doc, diagnostics);
    if (manifest?.kind !== 'Account') {
      declared.push(undefined);
      continue;
    }
    const before = diagnostics.length;
    const account = readAccount({ manifest, doc }, diagnostics);
    declared.push(diagnostics.slice(before).some((d) => d.severity === 'error') ? undefined : account);
  }
  return { declared, diagnostics };
}
