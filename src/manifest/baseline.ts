/**
 * Shared baselines: manifests every account folder takes (a break-glass role, a read-only audit role), kept once in
 * a folder the Account manifest names (`baseline: {folder: ../baseline}`). Each account reads them as its own, with
 * `{{account.id}}` and `{{account.name}}` filled in before they are parsed (so ARNs, trust policies and conditions
 * name the account), and its plan shows them as its own entities. An account overrides a shared entity by declaring
 * one of the same kind and name itself, and leaves one out with `exclude: [KIND/NAME]`.
 */
import { posix } from 'node:path';
import { nameKey } from '../core/arn.js';
import { error, warning, type Diagnostic } from '../core/diagnostics.js';
import { isPlainObject } from '../core/policy.js';
import type { Declared, EntityManifest } from './declared.js';
import type { ProviderManifest } from './schema.js';
import type { AccountConfig } from './desired-state.js';
import type { DocumentFileResult, ManifestFile, ManifestSource } from './manifest-source.js';
import { checkSchema } from './schema-diagnostics.js';
import { parseSource } from './source-document.js';

/** Manifest kinds by the namespace their names share in IAM (a Policy and a Boundary are both managed policies). */
const NAMESPACE: Record<EntityManifest['kind'], string> = { User: 'user', Group: 'group', Role: 'role', Policy: 'policy', Boundary: 'policy' };

export interface Baseline {
  /** The shared entities this account takes (not overridden, not excluded). */
  readonly entities: Declared<EntityManifest>[];
  /** The shared identity providers it takes, likewise (an OIDC provider is told by its URL, a SAML one by its name). */
  readonly providers: Declared<ProviderManifest>[];
  /** The folder's source and the account's own, as one: documentFiles of shared manifests resolve in the shared folder. */
  readonly source: ManifestSource;
}

export function readBaseline(source: ManifestSource, account: AccountConfig, own: readonly Declared<EntityManifest>[], ownProviders: readonly Declared<ProviderManifest>[], diagnostics: Diagnostic[]): Baseline {
  const baseline = account.baseline;
  const none = { entities: [], providers: [], source };
  if (!baseline) return none;
  const at = account.locate(['baseline', 'folder']);
  const folder = source.readFolder ? source.readFolder(at.file, baseline.folder) : { refused: 'this source reads one folder only' };
  if ('refused' in folder) {
    diagnostics.push(error(`the baseline folder "${baseline.folder}" cannot be read: ${folder.refused}`, 'Name the shared folder relative to this Account manifest, inside the config repository, e.g. ../baseline.', at));
    return none;
  }
  const name = account.name ?? folderName(source.location);
  const fill = (file: ManifestFile): ManifestFile => ({ path: file.path, text: fillPlaceholders(file, account.id, name, diagnostics) });

  const ownKeys = new Set([...own.map((e) => keyOf(e.manifest)), ...ownProviders.map((p) => keyOf(p.manifest))]);
  const excluded = new Map(baseline.exclude.map((entry, i) => [excludeKey(entry), i]));
  const used = new Set<number>();
  const entities: Declared<EntityManifest>[] = [];
  const providers: Declared<ProviderManifest>[] = [];
  for (const file of folder.files) {
    const parsed = parseSource(file.path, fill(file).text);
    diagnostics.push(...parsed.diagnostics);
    for (const doc of parsed.documents) {
      if (isPlainObject(doc.value) && doc.value['kind'] === 'Account') {
        diagnostics.push(error('an Account manifest in a shared baseline', `The baseline is shared by account folders, each with its own Account manifest; this one would apply to every account (${account.locate([]).file} takes this folder). Remove it.`, doc.locate([])));
        continue;
      }
      const manifest = checkSchema(doc, diagnostics);
      if (!manifest || manifest.kind === 'Account') continue;
      const key = keyOf(manifest);
      const exclusion = excluded.get(key);
      if (exclusion !== undefined) {
        used.add(exclusion);
        continue;
      }
      // The account's own declaration of the same entity takes its place.
      if (ownKeys.has(key)) continue;
      if (manifest.kind === 'OpenIDConnectProvider' || manifest.kind === 'SAMLProvider') providers.push({ manifest, doc });
      else entities.push({ manifest, doc });
    }
  }
  baseline.exclude.forEach((entry, i) => {
    if (!used.has(i)) diagnostics.push(warning(`baseline exclude "${entry}" names nothing the baseline declares`, `It excludes nothing: the shared folder ${folder.location} has no such entity. Check the kind and name, or remove the entry.`, account.locate(['baseline', 'exclude', i])));
  });
  const sharedPaths = new Set(folder.files.map((f) => f.path));
  const combined: ManifestSource = {
    location: source.location,
    files: source.files,
    readDocumentFile(fromFile, relativePath): DocumentFileResult {
      if (!sharedPaths.has(fromFile)) return source.readDocumentFile(fromFile, relativePath);
      const found = folder.readDocumentFile(fromFile, relativePath);
      return 'file' in found ? { file: fill(found.file) } : found;
    },
    ...(source.readFolder ? { readFolder: source.readFolder.bind(source) } : {}),
  };
  return { entities, providers, source: combined };
}

/** What tells shared and own manifests of one entity apart: its namespace and name (a provider: its URL or name). */
function keyOf(manifest: EntityManifest | ProviderManifest): string {
  if (manifest.kind === 'OpenIDConnectProvider') return `oidc/${manifest.url.replace(/^https:\/\//i, '').toLowerCase()}`;
  if (manifest.kind === 'SAMLProvider') return `saml/${manifest.name.toLowerCase()}`;
  return `${NAMESPACE[manifest.kind]}/${nameKey(manifest.name)}`;
}

/** An `exclude` entry (`Role/break-glass`, `OpenIDConnectProvider/token.actions.githubusercontent.com`) as a key. */
function excludeKey(entry: string): string {
  const kind = entry.slice(0, entry.indexOf('/'));
  const name = entry.slice(entry.indexOf('/') + 1);
  if (kind === 'OpenIDConnectProvider') return `oidc/${name.replace(/^https:\/\//i, '').toLowerCase()}`;
  if (kind === 'SAMLProvider') return `saml/${name.toLowerCase()}`;
  return `${NAMESPACE[kind as EntityManifest['kind']] ?? ''}/${nameKey(name)}`;
}

/** `{{account.id}}` and `{{account.name}}` filled in; any other `{{...}}` is an error at its place. */
function fillPlaceholders(file: ManifestFile, id: string, name: string, diagnostics: Diagnostic[]): string {
  return file.text.replace(/\{\{\s*([^{}]*?)\s*\}\}/g, (match, key: string, offset: number) => {
    if (key === 'account.id') return id;
    if (key === 'account.name') return name;
    const before = file.text.slice(0, offset);
    const line = before.split('\n').length;
    diagnostics.push(error(`unknown placeholder ${match} in a shared baseline manifest`, 'Shared manifests may use {{account.id}} and {{account.name}}.', { file: file.path, line, col: offset - before.lastIndexOf('\n') }));
    return match;
  });
}

/** The last segment of a source's folder (`REF:accounts/prod` or `accounts/prod` -> `prod`). */
function folderName(location: string): string {
  return posix.basename(location.replace(/^[0-9a-f]{7,40}:/, '').replace(/\\/g, '/').replace(/\/+$/, '')) || location;
}
