/**
 * Identity provider changes as steps. A provider must exist before a role's trust names it (IAM refuses a trust
 * policy naming a missing provider), and may go only after the roles that trust it: creates run with the policies
 * (before roles), client ids, thumbprints, metadata and tags with the grants and revokes, deletes with the last
 * deletions. Pure.
 */
import { assertNever } from '../core/diagnostics.js';
import type { ProviderKind } from '../core/providers.js';
import type { ProviderChange, ProviderDetail } from '../plan/provider-diff.js';
import type { Phase, Tag } from './steps.js';

export type ProviderStepOp =
  | { readonly op: 'createOidcProvider'; readonly url: string; readonly clientIds: readonly string[]; readonly thumbprints: readonly string[]; readonly tags: readonly Tag[] }
  | { readonly op: 'createSamlProvider'; readonly name: string; readonly metadata: string; readonly tags: readonly Tag[] }
  | { readonly op: 'addProviderClientId'; readonly arn: string; readonly clientId: string }
  | { readonly op: 'removeProviderClientId'; readonly arn: string; readonly clientId: string }
  | { readonly op: 'setProviderThumbprints'; readonly arn: string; readonly thumbprints: readonly string[] }
  | { readonly op: 'updateSamlMetadata'; readonly arn: string; readonly metadata: string }
  | { readonly op: 'tagProvider'; readonly providerKind: ProviderKind; readonly arn: string; readonly tags: readonly Tag[] }
  | { readonly op: 'untagProvider'; readonly providerKind: ProviderKind; readonly arn: string; readonly keys: readonly string[] }
  | { readonly op: 'deleteProvider'; readonly providerKind: ProviderKind; readonly arn: string };

export interface ProviderDraft {
  readonly phase: Phase;
  readonly title: string;
  readonly target: string;
  readonly alsoTouches: readonly string[];
  readonly op: ProviderStepOp;
}

const WORDS: Record<ProviderKind, string> = { oidcProvider: 'OIDC provider', samlProvider: 'SAML provider' };

export function providerSteps(change: ProviderChange): ProviderDraft[] {
  const label = `${WORDS[change.kind]} ${change.name}`;
  const step = (phase: Phase, title: string, op: ProviderStepOp): ProviderDraft => ({ phase, title, target: change.arn, alsoTouches: [], op });
  const tags = (details: readonly ProviderDetail[]): Tag[] => details.flatMap((d) => (d.field === 'tag' && d.after !== null ? [{ key: d.key, value: d.after }] : []));
  switch (change.action) {
    case 'delete':
      return [step('delete-policies', `delete ${label}`, { op: 'deleteProvider', providerKind: change.kind, arn: change.arn })];
    case 'create': {
      if (change.kind === 'oidcProvider') {
        const clientIds = change.details.flatMap((d) => (d.field === 'clientId' && d.op === 'add' ? [d.value] : []));
        const thumbprints = change.details.flatMap((d) => (d.field === 'thumbprints' ? d.after : []));
        return [step('policies', `create ${label}`, { op: 'createOidcProvider', url: `https://${change.name}`, clientIds, thumbprints, tags: tags(change.details) })];
      }
      const metadata = change.details.find((d) => d.field === 'metadataDocument');
      if (!metadata || metadata.field !== 'metadataDocument') throw new Error(`the plan's create of ${label} carries no metadata document`);
      return [step('policies', `create ${label}`, { op: 'createSamlProvider', name: change.name, metadata: metadata.after, tags: tags(change.details) })];
    }
    case 'update': {
      const out: ProviderDraft[] = [];
      for (const d of change.details) {
        switch (d.field) {
          case 'clientId':
            if (d.op === 'add') out.push(step('grants', `add client id ${d.value} to ${label}`, { op: 'addProviderClientId', arn: change.arn, clientId: d.value }));
            else out.push(step('revokes', `remove client id ${d.value} from ${label}`, { op: 'removeProviderClientId', arn: change.arn, clientId: d.value }));
            break;
          case 'thumbprints':
            out.push(step('grants', `set the thumbprints of ${label}`, { op: 'setProviderThumbprints', arn: change.arn, thumbprints: d.after }));
            break;
          case 'metadataDocument':
            out.push(step('grants', `update the SAML metadata of ${label}`, { op: 'updateSamlMetadata', arn: change.arn, metadata: d.after }));
            break;
          case 'tag':
          case 'trustedBy':
            break;
          default:
            assertNever(d, 'provider detail');
        }
      }
      const added = tags(change.details);
      const removed = change.details.flatMap((d) => (d.field === 'tag' && d.after === null ? [d.key] : []));
      if (added.length) out.push(step('grants', `tag ${label} (${added.map((t) => t.key).join(', ')})`, { op: 'tagProvider', providerKind: change.kind, arn: change.arn, tags: added }));
      if (removed.length) out.push(step('revokes', `untag ${label} (${removed.join(', ')})`, { op: 'untagProvider', providerKind: change.kind, arn: change.arn, keys: removed }));
      return out;
    }
    default:
      return assertNever(change.action, 'change action');
  }
}

/** The IAM actions a provider step calls, on the provider's ARN. */
export function providerStepActions(op: ProviderStepOp): string[] {
  switch (op.op) {
    case 'createOidcProvider':
      return ['iam:CreateOpenIDConnectProvider', ...(op.tags.length ? ['iam:TagOpenIDConnectProvider'] : [])];
    case 'createSamlProvider':
      return ['iam:CreateSAMLProvider', ...(op.tags.length ? ['iam:TagSAMLProvider'] : [])];
    case 'addProviderClientId':
      return ['iam:AddClientIDToOpenIDConnectProvider'];
    case 'removeProviderClientId':
      return ['iam:RemoveClientIDFromOpenIDConnectProvider'];
    case 'setProviderThumbprints':
      return ['iam:UpdateOpenIDConnectProviderThumbprint'];
    case 'updateSamlMetadata':
      return ['iam:UpdateSAMLProvider'];
    case 'tagProvider':
      return [op.providerKind === 'oidcProvider' ? 'iam:TagOpenIDConnectProvider' : 'iam:TagSAMLProvider'];
    case 'untagProvider':
      return [op.providerKind === 'oidcProvider' ? 'iam:UntagOpenIDConnectProvider' : 'iam:UntagSAMLProvider'];
    case 'deleteProvider':
      return [op.providerKind === 'oidcProvider' ? 'iam:DeleteOpenIDConnectProvider' : 'iam:DeleteSAMLProvider'];
  }
}
