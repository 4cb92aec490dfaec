/**
 * Identity providers in a snapshot file: keys `iam-gitops snapshot --aws` adds beside the
 * get-account-authorization-details ones (which hold no providers), so the file stays readable as a GAAD export.
 *
 *   "OpenIDConnectProviderList": [{ "Arn", "Url", "ClientIDList", "ThumbprintList", "Tags" }]   (GetOpenIDConnectProvider)
 *   "SAMLProviderList": [{ "Arn", "SAMLMetadataDocument", "Tags" }]                             (GetSAMLProvider)
 *
 * A file with neither key says nothing of providers (`undefined`): a plan against it does not compare them.
 */
import { z } from 'zod';
import { error, InputError } from '../core/diagnostics.js';
import { bareOidcUrl, type ProviderState } from '../core/providers.js';
import type { Tags } from '../core/state.js';

export const OIDC_PROVIDER_LIST = 'OpenIDConnectProviderList';
export const SAML_PROVIDER_LIST = 'SAMLProviderList';

const Tag = z.object({ Key: z.string(), Value: z.string() });
const OidcEntry = z.object({ Arn: z.string(), Url: z.string(), ClientIDList: z.array(z.string()).nullish(), ThumbprintList: z.array(z.string()).nullish(), Tags: z.array(Tag).nullish() });
const SamlEntry = z.object({ Arn: z.string(), SAMLMetadataDocument: z.string(), Tags: z.array(Tag).nullish() });
const Lists = z.object({ [OIDC_PROVIDER_LIST]: z.array(OidcEntry).optional(), [SAML_PROVIDER_LIST]: z.array(SamlEntry).optional() });

export function parseSnapshotProviders(file: string, json: Record<string, unknown>): ReadonlyMap<string, ProviderState> | undefined {
  if (!(OIDC_PROVIDER_LIST in json) && !(SAML_PROVIDER_LIST in json)) return undefined;
  const parsed = Lists.safeParse({ [OIDC_PROVIDER_LIST]: json[OIDC_PROVIDER_LIST], [SAML_PROVIDER_LIST]: json[SAML_PROVIDER_LIST] });
  if (!parsed.success) {
    throw new InputError(
      parsed.error.issues.slice(0, 20).map((issue) => error(`snapshot ${issue.path.map(String).join('.')}: ${issue.message.replace('Invalid input: ', '')}`, 'The identity provider lists are written by iam-gitops snapshot --aws; write the snapshot again, or remove them (a plan then does not compare providers).', { file, line: 1, col: 1 })),
    );
  }
  const out = new Map<string, ProviderState>();
  for (const p of parsed.data[OIDC_PROVIDER_LIST] ?? []) {
    out.set(p.Arn, { kind: 'oidcProvider', arn: p.Arn, url: bareOidcUrl(p.Url), clientIds: [...new Set(p.ClientIDList ?? [])].sort(), thumbprints: [...new Set((p.ThumbprintList ?? []).map((t) => t.toLowerCase()))].sort(), tags: tagsOf(p.Tags) });
  }
  for (const p of parsed.data[SAML_PROVIDER_LIST] ?? []) {
    out.set(p.Arn, { kind: 'samlProvider', arn: p.Arn, name: p.Arn.replace(/^.*:saml-provider\//, ''), metadataDocument: p.SAMLMetadataDocument.trim(), tags: tagsOf(p.Tags) });
  }
  return out;
}

function tagsOf(tags: readonly { Key: string; Value: string }[] | null | undefined): Tags {
  return Object.fromEntries([...(tags ?? [])].sort((a, b) => a.Key.localeCompare(b.Key)).map((t) => [t.Key, t.Value]));
}
