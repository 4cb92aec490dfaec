/**
 * IAM identity providers (OIDC and SAML): the federation a role's trust policy names as a `Federated` principal.
 * A provider is not a principal and holds no policies; it matters because a trust policy naming a provider of this
 * account admits nobody until the provider exists (STS refuses tokens of an unknown provider).
 *
 * Keys: providers are keyed by their ARN (IAM derives it from the URL without `https://`, or from the SAML name).
 */
import { makePolicy, type Policy, type PolicyJson } from './policy.js';
import type { IamState, RoleState, Tags } from './state.js';

export type ProviderKind = 'oidcProvider' | 'samlProvider';

export interface OidcProviderState {
  readonly kind: 'oidcProvider';
  readonly arn: string;
  /** As IAM keeps it: without the scheme, e.g. `token.actions.githubusercontent.com`. */
  readonly url: string;
  /** Audiences (sorted, unique). */
  readonly clientIds: readonly string[];
  /**
   * Certificate thumbprints (lower-case hex, sorted). Desired: absent when the manifest leaves them to IAM (IAM
   * fetches them itself for well-known issuers), and then never compared.
   */
  readonly thumbprints?: readonly string[];
  readonly tags: Tags;
}

export interface SamlProviderState {
  readonly kind: 'samlProvider';
  readonly arn: string;
  readonly name: string;
  /** The SAML metadata document (XML), compared as text with surrounding whitespace trimmed. */
  readonly metadataDocument: string;
  readonly tags: Tags;
}

export type ProviderState = OidcProviderState | SamlProviderState;

export function oidcProviderArn(account: string, url: string): string {
  return `arn:aws:iam::${account}:oidc-provider/${bareOidcUrl(url)}`;
}

export function samlProviderArn(account: string, name: string): string {
  return `arn:aws:iam::${account}:saml-provider/${name}`;
}

/** IAM keeps an OIDC provider's URL without `https://` and without a trailing slash. */
export function bareOidcUrl(url: string): string {
  return url.replace(/^https:\/\//i, '').replace(/\/+$/, '');
}

/** The name shown for a provider: its URL or SAML name. */
export function providerName(provider: Pick<ProviderState, 'arn'>): string {
  return provider.arn.replace(/^arn:[^:]+:iam::\d*:(oidc|saml)-provider\//, '');
}

/**
 * IAM Identity Center's own SAML provider (`AWSSSO_<id>_DO_NOT_DELETE`), which the roles under /aws-reserved/ trust:
 * owned by AWS like those roles, so never imported, listed as unmanaged or changed.
 */
export function isAwsOwnedProvider(arn: string): boolean {
  return /:saml-provider\/AWSSSO_[0-9a-fA-F]+_DO_NOT_DELETE$/.test(arn);
}

/** Whether `arn` is an identity provider ARN of `account`. */
export function isProviderArnOf(arn: string, account: string): boolean {
  return new RegExp(`^arn:[^:]+:iam::${account}:(oidc|saml)-provider/.+`).test(arn);
}

/** Federated principals a trust policy names, as written (any account). */
export function federatedPrincipals(trust: PolicyJson): string[] {
  const out: string[] = [];
  const statements = Array.isArray(trust['Statement']) ? trust['Statement'] : [trust['Statement']];
  for (const s of statements) {
    if (!s || typeof s !== 'object') continue;
    const principal = (s as Record<string, unknown>)['Principal'];
    if (!principal || typeof principal !== 'object') continue;
    const federated = (principal as Record<string, unknown>)['Federated'];
    for (const value of Array.isArray(federated) ? federated : [federated]) if (typeof value === 'string') out.push(value);
  }
  return out;
}

/**
 * The state as STS sees trust: a `Federated` principal naming a provider of this account that the state does not
 * hold admits nobody, so it is taken out of every trust policy (a statement left with no principal goes). A state
 * whose providers are unknown (a get-account-authorization-details snapshot) is returned as it is: nothing can be
 * said of them.
 */
export function withoutMissingProviders(state: IamState): IamState {
  const providers = state.providers;
  if (!providers || state.account === '') return state;
  let changed = false;
  const roles = new Map<string, RoleState>();
  for (const [key, role] of state.roles) {
    const trust = trustWithout(role.trustPolicy, (arn) => isProviderArnOf(arn, state.account) && !providers.has(arn));
    if (trust) changed = true;
    roles.set(key, trust ? { ...role, trustPolicy: trust } : role);
  }
  return changed ? { ...state, roles } : state;
}

/** The trust policy without the Federated principals `drop` selects; undefined when it names none. */
function trustWithout(trust: Policy, drop: (arn: string) => boolean): Policy | undefined {
  if (!federatedPrincipals(trust.document).some(drop)) return undefined;
  const statements = Array.isArray(trust.document['Statement']) ? trust.document['Statement'] : [trust.document['Statement']];
  const kept: unknown[] = [];
  for (const s of statements) {
    if (!s || typeof s !== 'object') {
      kept.push(s);
      continue;
    }
    const statement = s as Record<string, unknown>;
    const principal = statement['Principal'];
    if (!principal || typeof principal !== 'object' || !('Federated' in principal)) {
      kept.push(statement);
      continue;
    }
    const { Federated: federated, ...others } = principal as Record<string, unknown>;
    const left = (Array.isArray(federated) ? federated : [federated]).filter((v) => !(typeof v === 'string' && drop(v)));
    const next = left.length ? { ...others, Federated: left.length === 1 ? left[0] : left } : others;
    if (Object.keys(next).length) kept.push({ ...statement, Principal: next });
  }
  return makePolicy({ ...trust.document, Statement: kept });
}
