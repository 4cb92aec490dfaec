/** Identity provider changes (the plan's `providerChanges`) in words, for the terminal and the comment. Pure. */
import type { ProviderChange, ProviderDetail } from '../plan/provider-diff.js';
import type { Palette } from './palette.js';
import { ORIGIN_WORDS } from './describe-change.js';

const SIGN = { create: '+', update: '~', delete: '-' } as const;
const KIND_WORDS = { oidcProvider: 'OIDC provider', samlProvider: 'SAML provider' } as const;

export function providerChangeHeadline(change: ProviderChange): string {
  return `${SIGN[change.action]} ${KIND_WORDS[change.kind]} ${change.name}`;
}

export function providerDetailLine(detail: ProviderDetail): string {
  switch (detail.field) {
    case 'clientId':
      return `${detail.op === 'add' ? '+' : '-'} client id ${detail.value}`;
    case 'thumbprints':
      return `~ thumbprints ${detail.before === null ? '' : `[${detail.before.join(', ')}] -> `}[${detail.after.join(', ')}]`;
    case 'metadataDocument':
      return `~ SAML metadata document (${detail.before === null ? '' : `${detail.before.length} -> `}${detail.after.length} characters, ${entityIdOf(detail.after) ?? 'no entityID'})`;
    case 'tag':
      return detail.after === null ? `- tag ${detail.key}` : `${detail.before === null ? '+' : '~'} tag ${detail.key} = ${detail.after}`;
    case 'trustedBy':
      return `- trusted by role ${detail.role} (deleted by this plan too)`;
  }
}

export function renderProviderChangesText(changes: readonly ProviderChange[], colors: Palette): string[] {
  if (changes.length === 0) return [];
  const out = [colors.bold('Identity providers')];
  for (const change of changes) {
    const paint = change.action === 'create' ? colors.create : change.action === 'delete' ? colors.delete : colors.update;
    out.push(paint(`  ${providerChangeHeadline(change)}`) + colors.dim(`  (${change.reason})`));
    for (const detail of change.details) out.push(`      ${providerDetailLine(detail)}`);
    if (change.origin) out.push(colors.dim(`      # ${ORIGIN_WORDS[change.origin]}${change.files?.length ? `: ${change.files.join(', ')}` : ''}`));
  }
  out.push('');
  return out;
}

/** The identity provider's entityID, which tells one metadata document's issuer from another's. */
function entityIdOf(metadata: string): string | undefined {
  const id = /<(?:\w+:)?EntityDescriptor\b[^>]*\bentityID="([^"]*)"/.exec(metadata)?.[1];
  return id === undefined ? undefined : `entityID ${id}`;
}
