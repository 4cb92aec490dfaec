/**
 * Identity providers read from AWS: ListOpenIDConnectProviders and one GetOpenIDConnectProvider per provider,
 * ListSAMLProviders and one GetSAMLProvider per provider (no bulk API returns their details; an account has few:
 * IAM allows 100 OIDC and 100 SAML providers). The result is the snapshot's provider lists (snapshot-providers.ts).
 * A caller denied the listings gets no lists (providers then unknown, and not compared) and a note saying so.
 */
import { GetOpenIDConnectProviderCommand, GetSAMLProviderCommand, ListOpenIDConnectProvidersCommand, ListSAMLProvidersCommand, type IAMClient } from '@aws-sdk/client-iam';
import pLimit from 'p-limit';
import { OIDC_PROVIDER_LIST, SAML_PROVIDER_LIST } from '../snapshot-providers.js';
import { awsErrorCode } from './errors.js';

type Json = Record<string, unknown>;

/** Concurrent Get calls: few providers, and IAM's read quota is shared with the rest of the read. */
const CONCURRENCY = 4;

export async function readProviders(iam: IAMClient): Promise<{ lists: Json } | { denied: string }> {
  const limit = pLimit(CONCURRENCY);
  try {
    const [oidc, saml] = await Promise.all([iam.send(new ListOpenIDConnectProvidersCommand({})), iam.send(new ListSAMLProvidersCommand({}))]);
    const oidcArns = (oidc.OpenIDConnectProviderList ?? []).flatMap((p) => (p.Arn ? [p.Arn] : []));
    const samlArns = (saml.SAMLProviderList ?? []).flatMap((p) => (p.Arn ? [p.Arn] : []));
    const [oidcList, samlList] = await Promise.all([
      Promise.all(
        oidcArns.map((arn) =>
          limit(async () => {
            const p = await iam.send(new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn }));
            return { Arn: arn, Url: p.Url ?? '', ClientIDList: p.ClientIDList ?? [], ThumbprintList: p.ThumbprintList ?? [], ...(p.CreateDate ? { CreateDate: p.CreateDate.toISOString() } : {}), Tags: (p.Tags ?? []).map((t) => ({ Key: t.Key ?? '', Value: t.Value ?? '' })) };
          }),
        ),
      ),
      Promise.all(
        samlArns.map((arn) =>
          limit(async () => {
            const p = await iam.send(new GetSAMLProviderCommand({ SAMLProviderArn: arn }));
            return { Arn: arn, SAMLMetadataDocument: p.SAMLMetadataDocument ?? '', ...(p.CreateDate ? { CreateDate: p.CreateDate.toISOString() } : {}), ...(p.ValidUntil ? { ValidUntil: p.ValidUntil.toISOString() } : {}), Tags: (p.Tags ?? []).map((t) => ({ Key: t.Key ?? '', Value: t.Value ?? '' })) };
          }),
        ),
      ),
    ]);
    return { lists: { [OIDC_PROVIDER_LIST]: oidcList.sort((a, b) => a.Arn.localeCompare(b.Arn)), [SAML_PROVIDER_LIST]: samlList.sort((a, b) => a.Arn.localeCompare(b.Arn)) } };
  } catch (e) {
    if (awsErrorCode(e) !== 'AccessDenied') throw e;
    return { denied: 'identity providers were not read (iam:ListOpenIDConnectProviders, iam:ListSAMLProviders, iam:GetOpenIDConnectProvider or iam:GetSAMLProvider is denied to the caller)' };
  }
}
