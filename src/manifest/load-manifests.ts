/**
 * The manifest stage: files in, `DesiredState` and diagnostics out. Pure: the caller supplies the file texts and
 * a way to read `documentFile`s, so that tests need no file system and the Action can read from git.
 *
 * Order of checks: YAML syntax, then each document's schema, then (only for documents that passed) names,
 * duplicates, policy grammar, references and IAM limits. Every problem found is reported in one run, so a user
 * fixes a folder in one pass rather than one error at a time.
 *
 * Rooms: manifest-source.ts (the input), source-document.ts (YAML with positions), schema-diagnostics.ts (each
 * document against its kind's schema), account-manifest.ts (the Account), entity-index.ts (entities by name,
 * duplicates), state-builder.ts (the desired state), with policy-references.ts (references to managed policies),
 * policy-documents.ts (inline documents and documentFiles) and accept-unknown.ts (the Account's exceptions).
 */
import type { ActionCatalog } from '../catalog/action-catalog.js';
import type { Diagnostic } from '../core/diagnostics.js';
import { isPlainObject } from '../core/policy.js';
import { resolveAccount } from './account-manifest.js';
import { readBaseline } from './baseline.js';
import type { Declared, EntityManifest } from './declared.js';
import type { DesiredState } from './desired-state.js';
import { indexEntities } from './entity-index.js';
import type { ManifestSource } from './manifest-source.js';
import { checkSchema } from './schema-diagnostics.js';
import { buildProviders } from './providers.js';
import type { AccountManifest, ProviderManifest } from './schema.js';
import { parseSource } from './source-document.js';
import { StateBuilder } from './state-builder.js';

// The stage's input types, where its callers have always found them.
export type { DocumentFileResult, ManifestFile, ManifestSource } from './manifest-source.js';

export interface ManifestResult {
  /** Present when there is no error. */
  readonly desired?: DesiredState;
  readonly diagnostics: readonly Diagnostic[];
}

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
  const providers: Declared<ProviderManifest>[] = [];
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
      else if (manifest.kind === 'OpenIDConnectProvider' || manifest.kind === 'SAMLProvider') providers.push({ manifest, doc });
      else entities.push({ manifest, doc });
    }
  }

  const account = resolveAccount(accounts, invalidAccounts, source.files, diagnostics);
  // A shared baseline's manifests join the folder's own (after them: the folder's declarations come first).
  const baseline = account ? readBaseline(source, account, entities, providers, diagnostics) : { entities: [], providers: [], source };
  const index = indexEntities([...entities, ...baseline.entities], diagnostics);
  const builder = new StateBuilder(account, index, baseline.source, catalog, diagnostics, options);
  const built = account ? builder.build() : undefined;
  const declaredProviders = account ? buildProviders(account.id, [...providers, ...baseline.providers], baseline.source, (tags, doc) => builder.tags(tags, doc), diagnostics) : undefined;
  const desired = built && declaredProviders ? { ...built, state: { ...built.state, providers: declaredProviders.providers }, providers: declaredProviders } : built;
  const failed = diagnostics.some((d) => d.severity === 'error');
  return { ...(desired && !failed ? { desired } : {}), diagnostics };
}
