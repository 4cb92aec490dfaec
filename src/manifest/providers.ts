/**
 * Identity provider manifests (`kind: OpenIDConnectProvider`, `kind: SAMLProvider`) to `ProviderState`s, checked
 * against IAM's rules (CreateOpenIDConnectProvider, CreateSAMLProvider), so that apply never meets a refusal that
 * validate could have named. Duplicates (the same URL or name, IAM's key) are errors.
 */
import { error, type Diagnostic, type SourceLocation } from '../core/diagnostics.js';
import { bareOidcUrl, oidcProviderArn, samlProviderArn, type ProviderState } from '../core/providers.js';
import type { Tags } from '../core/state.js';
import { formatAt, type Declared } from './declared.js';
import type { ManifestSource } from './manifest-source.js';
import type { OpenIDConnectProviderManifest, ProviderManifest, SAMLProviderManifest } from './schema.js';
import type { SourceDocument } from './source-document.js';

/** Quotas and formats from the IAM API reference (CreateOpenIDConnectProvider, CreateSAMLProvider). */
const MAX_URL_LENGTH = 255;
const MAX_CLIENT_IDS = 100;
const MAX_CLIENT_ID_LENGTH = 255;
const MAX_THUMBPRINTS = 5;
const THUMBPRINT = /^[0-9a-fA-F]{40}$/;
const SAML_NAME = /^[\w._-]{1,128}$/;
const MIN_METADATA_LENGTH = 1000;
const MAX_METADATA_LENGTH = 10_000_000;

export interface DeclaredProviders {
  /** By ARN. */
  readonly providers: Map<string, ProviderState>;
  /** Providers marked `deleted: true`, by ARN. */
  readonly deleted: Map<string, SourceLocation>;
  /** Where each is declared, by ARN (computed on demand). */
  readonly sources: Map<string, () => SourceLocation>;
}

export function buildProviders(account: string, declared: readonly Declared<ProviderManifest>[], source: ManifestSource, tags: (tags: Record<string, string> | undefined, doc: SourceDocument) => Tags, diagnostics: Diagnostic[]): DeclaredProviders {
  const out: DeclaredProviders = { providers: new Map(), deleted: new Map(), sources: new Map() };
  const firstAt = new Map<string, SourceLocation>();
  for (const entity of declared) {
    const { manifest, doc } = entity;
    const arn = manifest.kind === 'OpenIDConnectProvider' ? oidcProviderArn(account, manifest.url) : samlProviderArn(account, manifest.name);
    const key = manifest.kind === 'OpenIDConnectProvider' ? 'url' : 'name';
    const first = firstAt.get(arn);
    if (first) {
      diagnostics.push(error(`duplicate ${manifest.kind} ${arn}`, `Already declared at ${formatAt(first)}. Keep one declaration.`, doc.locate([key])));
      continue;
    }
    firstAt.set(arn, doc.locate([key]));
    out.sources.set(arn, () => doc.locate([]));
    const provider = manifest.kind === 'OpenIDConnectProvider' ? oidcProvider(arn, { manifest, doc }, tags, diagnostics) : samlProvider(arn, { manifest, doc }, source, tags, diagnostics);
    if (manifest.deleted) out.deleted.set(arn, doc.locate([]));
    else if (provider) out.providers.set(arn, provider);
  }
  return out;
}

function oidcProvider(arn: string, { manifest, doc }: Declared<OpenIDConnectProviderManifest>, tags: (tags: Record<string, string> | undefined, doc: SourceDocument) => Tags, diagnostics: Diagnostic[]): ProviderState | undefined {
  const problems = diagnostics.length;
  if (!/^https:\/\/[^\s/]+(\/[^\s]*)?$/i.test(manifest.url) || manifest.url.length > MAX_URL_LENGTH) {
    diagnostics.push(error(`invalid OIDC provider url "${manifest.url}"`, `IAM takes the issuer URL as https://host[/path] (no spaces, at most ${MAX_URL_LENGTH} characters), e.g. https://token.actions.githubusercontent.com.`, doc.locate(['url'])));
  }
  if (manifest.clientIds.length > MAX_CLIENT_IDS) diagnostics.push(error(`${manifest.clientIds.length} client ids, over IAM's limit of ${MAX_CLIENT_IDS}`, 'Remove some client ids.', doc.locate(['clientIds'])));
  manifest.clientIds.forEach((id, i) => {
    if (id.length < 1 || id.length > MAX_CLIENT_ID_LENGTH) diagnostics.push(error(`client id "${id}" must have 1 to ${MAX_CLIENT_ID_LENGTH} characters`, 'Write the audience tokens are issued for, e.g. sts.amazonaws.com.', doc.locate(['clientIds', i])));
  });
  const thumbprints = manifest.thumbprints;
  if (thumbprints && thumbprints.length > MAX_THUMBPRINTS) diagnostics.push(error(`${thumbprints.length} thumbprints, over IAM's limit of ${MAX_THUMBPRINTS}`, 'Keep the thumbprints of the certificates the issuer uses now.', doc.locate(['thumbprints'])));
  thumbprints?.forEach((t, i) => {
    if (!THUMBPRINT.test(t)) diagnostics.push(error(`invalid thumbprint "${t}"`, 'A thumbprint is the SHA-1 fingerprint of a certificate: 40 hexadecimal digits.', doc.locate(['thumbprints', i])));
  });
  const tagged = tags(manifest.tags, doc);
  if (diagnostics.length > problems) return undefined;
  return {
    kind: 'oidcProvider',
    arn,
    url: bareOidcUrl(manifest.url),
    clientIds: [...new Set(manifest.clientIds)].sort(),
    ...(thumbprints ? { thumbprints: [...new Set(thumbprints.map((t) => t.toLowerCase()))].sort() } : {}),
    tags: tagged,
  };
}

function samlProvider(arn: string, { manifest, doc }: Declared<SAMLProviderManifest>, source: ManifestSource, tags: (tags: Record<string, string> | undefined, doc: SourceDocument) => Tags, diagnostics: Diagnostic[]): ProviderState | undefined {
  const problems = diagnostics.length;
  if (!SAML_NAME.test(manifest.name)) diagnostics.push(error(`invalid SAML provider name "${manifest.name}"`, 'A SAML provider name has 1 to 128 letters, digits and _ . -', doc.locate(['name'])));
  const tagged = tags(manifest.tags, doc);
  if (manifest.deleted) return undefined;
  const file = manifest.metadataDocumentFile;
  if (file === undefined) {
    diagnostics.push(error(`SAMLProvider "${manifest.name}" has no metadataDocumentFile`, 'Name the XML metadata document your identity provider publishes, relative to this manifest, e.g. metadataDocumentFile: okta-metadata.xml.', doc.locate([])));
    return undefined;
  }
  const found = source.readDocumentFile(doc.file, file);
  if ('missing' in found) {
    diagnostics.push(error(`metadataDocumentFile "${file}" does not exist`, `The path is relative to ${doc.file}'s folder. Save the identity provider's SAML metadata there, or fix the path.`, doc.locate(['metadataDocumentFile'])));
    return undefined;
  }
  if ('refused' in found) {
    diagnostics.push(error(`metadataDocumentFile "${file}" cannot be used: ${found.refused}`, `metadataDocumentFile names a file inside the manifests folder, relative to ${doc.file}'s folder.`, doc.locate(['metadataDocumentFile'])));
    return undefined;
  }
  const metadata = found.file.text.trim();
  if (metadata.length < MIN_METADATA_LENGTH || metadata.length > MAX_METADATA_LENGTH || !/<(\w+:)?EntityDescriptor[\s>]/.test(metadata) || !/<(\w+:)?IDPSSODescriptor[\s>]/.test(metadata)) {
    diagnostics.push(error(`metadataDocumentFile "${file}" is not SAML metadata IAM accepts`, `IAM takes an identity provider's metadata XML (an EntityDescriptor with an IDPSSODescriptor) of ${MIN_METADATA_LENGTH} to ${MAX_METADATA_LENGTH} characters; download it again from the identity provider.`, doc.locate(['metadataDocumentFile'])));
  }
  if (diagnostics.length > problems) return undefined;
  return { kind: 'samlProvider', arn, name: manifest.name, metadataDocument: metadata, tags: tagged };
}
