/**
 * Access deltas for people: by principal (or group of principals with the same change), then by service and access
 * level, big sets summarised, conditions said in words. Pure: the catalog supplies action counts and access levels.
 */
import type { AccessDelta, AccessEntry, Carveout } from '../analyze/access-delta.js';
import type { TrustGrant } from '../analyze/trust-delta.js';
import type { SharedSource } from '../analyze/shared-source.js';
import { arnResource } from '../core/arn.js';
import { assertNever } from '../core/diagnostics.js';
import { SERVICE_REFUSALS } from '../evaluate/service-rules.js';
import { resourceTypeIndex } from '../evaluate/resource-types.js';
import type { AccessLevel, ActionCatalog } from '../catalog/action-catalog.js';
import { NO_COLOR, type Palette } from './palette.js';
import { conditionWords } from '../core/condition-words.js';
import { captureGlob, compileGlob, type GlobPiece } from '../core/wildcard.js';
import { actionsHeadline, actionsInWords } from './action-words.js';

export { conditionWords };

/** The labels of granted and revoked entries: a plan's (`can now`), or a drift report's (against the manifests). */
export interface DeltaWords {
  readonly granted: string;
  readonly revoked: string;
  /** The headline's phrases: `gains 3 actions` in a plan, `3 actions beyond the manifests` in a drift report. */
  readonly gains: (amount: string) => string;
  readonly loses: (amount: string) => string;
}
export const PLAN_LABELS: DeltaWords = { granted: 'can now', revoked: 'can no longer', gains: (a) => `gains ${a}`, loses: (a) => `loses ${a}` };
export const DRIFT_LABELS: DeltaWords = { granted: 'can, though the manifests do not grant it', revoked: 'cannot, though the manifests grant it', gains: (a) => `${a} beyond the manifests`, loses: (a) => `${a} short of the manifests` };

export function renderAccessText(deltas: readonly AccessDelta[], catalog: ActionCatalog, colors: Palette = NO_COLOR, labels: DeltaWords = PLAN_LABELS): string[] {
  const out: string[] = [];
  for (const delta of deltas) {
    out.push(colors.bold(`  ${principalsLine(delta.principals, delta.movedFrom, delta.through)}`) + colors.dim(`: ${deltaHeadline(delta, catalog, labels)}`));
    for (const [sign, label, entries, paint] of [['+', labels.granted, delta.granted, colors.create], ['-', labels.revoked, delta.revoked, colors.delete]] as const) {
      if (entries.length === 0) continue;
      out.push(paint(`    ${sign} ${label}:`));
      for (const entry of entries) out.push(...entryLines(entry, catalog).map((l, i) => (i === 0 ? paint(`        ${l}`) : colors.dim(`          ${l}`))));
    }
  }
  return out;
}

/** How many principals a line names before it says "and N more". */
const NAMED_PRINCIPALS = 10;

/**
 * `role deploy`; `3 principals with the same change: role a, role b, user c` (the first ten and a count beyond); or,
 * for an item that is exactly a group's members (a policy's holders) reached through it, `group developers (347
 * members)`, `holders of policy deploy (12 principals)`.
 */
/**
 * How a principal under a new ARN came there: `renamed from` (a user or group renamed in place: the same principal,
 * same access) when the name differs, else `moved from` (another path).
 */
export function movedWord(arn: string, was: string): 'renamed from' | 'moved from' {
  return arn.split('/').pop()!.toLowerCase() !== was.split('/').pop()!.toLowerCase() ? 'renamed from' : 'moved from';
}

export function principalsLine(principals: readonly string[], movedFrom: Readonly<Record<string, string>> = {}, through?: SharedSource): string {
  if (through) return sharedSourceWords(through, principals.length);
  const named = principals.slice(0, NAMED_PRINCIPALS).map((arn) => {
    const was = movedFrom[arn];
    return `${principalName(arn)}${was ? ` (${movedWord(arn, was)} ${was})` : ''}`;
  });
  if (principals.length === 1) return named[0]!;
  const more = principals.length - named.length;
  return `${principals.length.toLocaleString('en-US')} principals with the same change: ${named.join(', ')}${more > 0 ? ` and ${more.toLocaleString('en-US')} more` : ''}`;
}

/** `group developers (347 members)`, `holders of policy deploy (12 principals)`: who an item stands for. */
export function sharedSourceWords(through: SharedSource, count: number): string {
  const n = count.toLocaleString('en-US');
  switch (through.kind) {
    case 'group':
      return `group ${through.name} (${n} members)`;
    case 'policy':
      return `holders of policy ${through.name} (${n} principals)`;
    default:
      return assertNever(through.kind, 'shared source');
  }
}

/** `role deploy`, `user alice`: the kind and name an ARN ends with. */
export function principalName(arn: string): string {
  const resource = arnResource(arn);
  // The account itself (its root ARN): account-wide findings (the password policy, the root user's credentials).
  if (resource === 'root') return 'the account (root)';
  const [kind, ...rest] = resource.split('/');
  return `${kind} ${rest[rest.length - 1] ?? resource}`;
}

/** One entry: what (actions by service and level), where (resources), when (condition), except what, and why. */
export function entryLines(entry: AccessEntry, catalog: ActionCatalog): string[] {
  const where = entry.resources ? `on ${resourcesInWords(entry, catalog)}` : `on everything except ${list(entry.notResources ?? [])}`;
  const when = entry.condition ? `, ${conditionWords(entry.condition)}` : '';
  // A `notActions` entry says what remains, never only what it leaves out.
  const what = actionsInWords([entry], catalog);
  const lines = [`${what} ${where}${when}${entry.approximate ? ' (approximate: a superset)' : ''}`];
  for (const carve of entry.except ?? []) lines.push(`except ${carveWords(carve)}`);
  lines.push(`because ${entry.because.join('; ')}`);
  return lines;
}

/**
 * One line per principal (or group): the services it gains or loses actions in, with counts by access level, e.g.
 * `gains 23 actions in iam (16 Write, 7 Permissions management); loses 3 in logs (2 Read, 1 List)`.
 */
export function deltaHeadline(delta: AccessDelta, catalog: ActionCatalog, words: DeltaWords = PLAN_LABELS): string {
  const side = (entries: readonly AccessEntry[], phrase: (amount: string) => string): string | undefined => {
    if (entries.length === 0) return undefined;
    const { amount, where } = actionsHeadline(entries, catalog);
    return `${phrase(amount)}${where}`;
  };
  return [side(delta.granted, words.gains), side(delta.revoked, words.loses)].filter((s): s is string => s !== undefined).join('; ');
}

/** "on X", "when outside eu-west-1", "on X when without MFA": a carve-out, after the word "except". */
function carveWords(c: Carveout): string {
  const refusal = !c.condition && c.resources?.length === 1 ? SERVICE_REFUSALS.find((r) => r.resources === c.resources![0]) : undefined;
  if (refusal) return `on ${refusal.resources} (${refusal.why})`;
  const where = c.resources ? (c.resources.includes('*') ? '' : `on ${list(c.resources)}`) : `everywhere but ${list(c.notResources ?? [])}`;
  const when = c.condition ? `when ${conditionWords(c.condition).replace(/(^|, )only (when )?/g, '$1')}` : '';
  return [where, when].filter(Boolean).join(' ') || 'everywhere';
}

/**
 * An entry's resources in words, from the catalog's ARN formats: "objects in acme-logs (arn:aws:s3:::acme-logs/*)",
 * "bucket acme-data (arn:aws:s3:::acme-data)", "any bucket" (for `*` where every action takes only buckets), "any
 * resource" only for `*` otherwise. A pattern whose type the catalog cannot tell is shown as written.
 */
export function resourcesInWords(entry: Pick<AccessEntry, 'actions' | 'resources' | 'resourceTypes'>, catalog: ActionCatalog): string {
  const resources = entry.resources ?? [];
  const index = resourceTypeIndex(catalog);
  const sample = (entry.actions ?? []).flatMap((a) => (/[*?]/.test(a) ? catalog.expand(a) : [a])).slice(0, 40);
  const words = resources.map((pattern) => {
    if (pattern === '*') {
      const only = entry.resourceTypes?.length === 1 ? typeNamed(entry.resourceTypes[0]!, catalog) : undefined;
      return only ? `any ${only.words}` : 'any resource';
    }
    const types = new Set<string>();
    for (const action of sample) {
      const match = index.typesNamed(action, pattern);
      if (!match) return pattern;
      for (const t of match.types) types.add(`${action.slice(0, action.indexOf(':')).toLowerCase()}:${t}`);
    }
    const type = types.size === 1 ? typeNamed([...types][0]!, catalog) : undefined;
    return type ? patternInWords(pattern, type) : pattern;
  });
  return list(words);
}

interface NamedType {
  /** "object", "log group". */
  readonly words: string;
  readonly plural: string;
  /** The ARN format's resource part: `${BucketName}/${ObjectName}`. */
  readonly format: string;
}

function typeNamed(serviceType: string, catalog: ActionCatalog): NamedType | undefined {
  const [service, key] = [serviceType.slice(0, serviceType.indexOf(':')), serviceType.slice(serviceType.indexOf(':') + 1)];
  const found = catalog.resourceTypesOf(service).get(key);
  if (!found) return undefined;
  const words = key.replace(/[-_]+/g, ' ').replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
  const plural = /[^aeiou]y$/.test(words) ? `${words.slice(0, -1)}ies` : /(s|x|ch|sh)$/.test(words) ? `${words}es` : `${words}s`;
  return { words, plural, format: arnResource(found.arn) };
}

/** `arn:aws:s3:::acme-logs/*` as objects: its placeholders' values read off the type's ARN format. */
function patternInWords(pattern: string, type: NamedType): string {
  const resource = arnResource(pattern);
  const pieces = type.format.split(/\$\{\w+\}/);
  const count = pieces.length - 1;
  if (count === 0) return `${type.words} (${pattern})`;
  // The placeholders are stars of one glob (the earlier ones as short as they can be, the last the rest): read
  // with the linear wildcard matcher, never a regular expression built from the pattern.
  const glob = compileGlob(pieces.flatMap((text, i): GlobPiece[] => [...(i > 0 ? [{ kind: 'star' } as const] : []), ...(text ? [{ kind: 'literal', text } as const] : [])]), false);
  const values = captureGlob(glob, resource);
  if (!values) return pattern;
  const wild = (v: string): boolean => /[*?]|\$\{/.test(v);
  const last = values[values.length - 1]!;
  let words: string;
  if (values.every((v) => v === '*')) words = `any ${type.words}`;
  else if (last === '*' && values.length > 1 && values.slice(0, -1).every((v) => !wild(v))) words = `${type.plural} in ${values.slice(0, -1).join('/')}`;
  else if (values.every((v) => !wild(v))) words = `${type.words} ${values.join('/')}`;
  else words = `${type.plural} matching ${values.join("/")}`;
  return `${words} (${pattern})`;
}

function list(items: readonly string[]): string {
  return items.length <= 3 ? items.join(', ') : `${items.slice(0, 3).join(', ')} and ${items.length - 3} more`;
}

/** Conditions in words where there is a plain phrase for them; the operator and values otherwise. */
/**
 * What a trust grant adds to its condition: where the other side admits the principal too (a lost grant still held
 * when..., a gained one already held when...), and an example request in the difference.
 */
export function grantNotes(grant: Pick<TrustGrant, 'overlap' | 'example'>, direction: 'gained' | 'lost', mood: 'proposal' | 'drift'): string[] {
  const notes: string[] = [];
  if (grant.overlap) {
    const words = Object.keys(grant.overlap).length ? conditionWords(grant.overlap as Record<string, Record<string, unknown>>).split(', ').map((part) => part.replace(/^only /, '')).join(' and ').replace(/ and when /g, ' and ') : 'unconditionally';
    if (mood === 'drift') notes.push(`live IAM and the manifests both admit it ${words === 'unconditionally' ? 'in other requests' : words}`);
    else notes.push(direction === 'lost' ? `still admitted ${words === 'unconditionally' ? 'in other requests' : words}` : `already admitted ${words === 'unconditionally' ? 'in other requests' : words}`);
  }
  const example = Object.entries(grant.example ?? {}).slice(0, 3);
  if (example.length) notes.push(`for example ${example.map(([k, v]) => `${k} = ${Array.isArray(v) ? `[${v.join(', ')}]` : String(v)}`).join(', ')}`);
  return notes;
}

