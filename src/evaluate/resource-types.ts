/**
 * Which resource types of an action a resource pattern can name, per the catalog's ARN formats: the requests AWS
 * can receive. A pattern names type T of the action when it shares an ARN with T's format (each `${Placeholder}`
 * read as `*`), and that ARN is not of a more specific type of the service that extends T's format by a `/` path: an
 * object's ARN is its bucket's followed by `/key`, so `arn:aws:s3:::acme/*` names objects, never buckets. Formats
 * that extend another by `:` (a Lambda alias after its function) do not take the ARN away: AWS authorizes
 * `lambda:InvokeFunction` on qualified function ARNs though the catalog lists only the function type.
 *
 * Sound in one direction only: a type is ruled out only when the pattern provably cannot name it. Where the
 * catalog has no resource types for an action (unknown actions), or a pattern holds policy variables, nothing is
 * ruled out.
 */
import type { ActionCatalog, CatalogAction, CatalogResourceType } from '../catalog/action-catalog.js';
import { arnFields } from '../core/arn.js';
import { intersectResourcePatterns, resourcePatternCovers } from './resource-patterns.js';

export interface ResourceTypeMatch {
  /** The action's resource types the pattern can name (keys, as the catalog spells them). */
  readonly types: readonly string[];
  /** The action takes no resource: only `*` names it, and `types` is empty. */
  readonly wildcardOnly: boolean;
}

/** One index per catalog, shared by the analyzer and the renderers (its answers are cached). */
const indexes = new WeakMap<ActionCatalog, ResourceTypeIndex>();

export function resourceTypeIndex(catalog: ActionCatalog): ResourceTypeIndex {
  let index = indexes.get(catalog);
  if (!index) indexes.set(catalog, (index = new ResourceTypeIndex(catalog)));
  return index;
}

export class ResourceTypeIndex {
  private readonly formats = new Map<string, { pattern: string; extenders: readonly string[] }>();
  private readonly answers = new Map<string, ResourceTypeMatch | undefined>();
  /** Per service (lower case): its actions by lower-case name. */
  private readonly actionsByName = new Map<string, ReadonlyMap<string, CatalogAction>>();

  constructor(private readonly catalog: ActionCatalog) {}

  /** By the action as asked (callers mostly pass the catalog's own spelling): no splitting or lower-casing. */
  private readonly actionsAsAsked = new Map<string, CatalogAction | null>();

  private actionOf(action: string): CatalogAction | undefined {
    let found = this.actionsAsAsked.get(action);
    if (found === undefined) {
      const [service, name] = splitAction(action);
      found = this.action(service, name) ?? null;
      this.actionsAsAsked.set(action, found);
    }
    return found ?? undefined;
  }

  private action(service: string, name: string): CatalogAction | undefined {
    const key = service.toLowerCase();
    let byName = this.actionsByName.get(key);
    if (!byName) this.actionsByName.set(key, (byName = new Map((this.catalog.actionsOf(service) ?? []).map((a) => [a.name.toLowerCase(), a]))));
    return byName.get(name.toLowerCase());
  }

  /**
   * The resource types of `action` (`service:Name`, catalog spelling or any case) that `pattern` can name; undefined
   * when the catalog cannot tell (an action it does not list). For a wildcard-only action: `*` names it, nothing else.
   */
  typesNamed(action: string, pattern: string): ResourceTypeMatch | undefined {
    const key = `${action.toLowerCase()}\u0000${pattern}`;
    if (this.answers.has(key)) return this.answers.get(key);
    const answer = this.compute(action, pattern);
    if (this.answers.size > 100_000) this.answers.clear();
    this.answers.set(key, answer);
    return answer;
  }

  /** Whether `pattern` can name any resource `action` acts on (true where the catalog cannot tell). */
  canName(action: string, pattern: string): boolean {
    if (pattern === '*') return true;
    // A policy variable stands for some string: with "*" in its place the pattern matches at least as much, so a
    // type that pattern cannot name, the variable's cannot either.
    if (pattern.includes('${')) pattern = pattern.replace(/\$\{[^}]*\}/g, '*');
    const found = this.actionOf(action);
    if (!found) return true;
    if (found.wildcardOnly) return false;
    // (Not a shortcut on the pattern's service: types may live in another service's ARNs, as sts:AssumeRole's roles
    // are IAM's.)
    const service = action.slice(0, action.indexOf(':'));
    return (found.resourceTypes ?? []).some((type) => this.names(service, type, pattern));
  }

  /**
   * Whether AWS can receive a request for `action` on `resource` (a concrete ARN, or `*`): an action that takes no
   * resource is requested on `*` only; one that does, on an ARN of one of its types (the most specific format
   * deciding). True where the catalog cannot tell.
   */
  receivable(action: string, resource: string): boolean {
    const found = this.actionOf(action);
    if (!found) return true;
    if (resource === '*') return found.wildcardOnly;
    return !found.wildcardOnly && this.canName(action, resource);
  }

  /** An action's resource types with their ARN formats, for messages. */
  typesOf(action: string): readonly CatalogResourceType[] {
    const [service, name] = splitAction(action);
    const types = this.catalog.resourceTypesOf(service);
    return (this.action(service, name)?.resourceTypes ?? []).flatMap((t) => (types.has(t) ? [types.get(t)!] : []));
  }

  private compute(action: string, pattern: string): ResourceTypeMatch | undefined {
    const [service, name] = splitAction(action);
    const found = this.action(service, name);
    if (!found) return undefined;
    if (found.wildcardOnly) return { types: [], wildcardOnly: true };
    const types = (found.resourceTypes ?? []).filter((type) => this.names(service, type, pattern));
    return { types, wildcardOnly: false };
  }

  /** Whether some ARN `pattern` matches is of `type`; asked once per type, whichever action asks. */
  private names(service: string, type: string, pattern: string): boolean {
    if (pattern === '*') return true;
    const key = `${service.toLowerCase()}:${type}\u0000${pattern}`;
    let answer = this.named.get(key);
    if (answer === undefined) {
      answer = this.namesUncached(service, type, pattern);
      if (this.named.size > 100_000) this.named.clear();
      this.named.set(key, answer);
    }
    return answer;
  }

  private readonly named = new Map<string, boolean>();

  private namesUncached(service: string, type: string, pattern: string): boolean {
    const format = this.format(service, type);
    if (!format) return true;
    const shared = intersectResourcePatterns(pattern, format.pattern);
    if (shared === undefined) return true;
    if (shared.length === 0) return false;
    // ARNs of a type that extends this one by a path belong to that type.
    return !shared.every((piece) => format.extenders.some((more) => resourcePatternCovers(more, piece)));
  }

  private format(service: string, type: string): { pattern: string; extenders: readonly string[] } | undefined {
    const key = `${service.toLowerCase()}:${type}`;
    let found = this.formats.get(key);
    if (!found) {
      const types = this.catalog.resourceTypesOf(service);
      const own = types.get(type);
      if (!own) return undefined;
      const extenders = [...types.values()].filter((t) => t.arn.startsWith(`${own.arn}/`)).map((t) => formatPattern(t.arn));
      found = { pattern: formatPattern(own.arn), extenders };
      this.formats.set(key, found);
    }
    return found;
  }
}

/**
 * An ARN format as a resource pattern. A placeholder in the partition, region or account is never empty (`?*`: an
 * access point's ARN always names its region), so `arn:aws:s3:::*` names no access point; one in the resource part
 * may be anything (`*`), so that nothing is ruled out on a guess about names.
 */
export function formatPattern(arnFormat: string): string {
  const parts = arnFields(arnFormat);
  const header = parts.slice(0, 5).map((p) => p.replace(/\$\{[^}]*\}/g, '?*'));
  const resource = (parts[5] ?? '').replace(/\$\{[^}]*\}/g, '*');
  return [...header, resource].join(':');
}

function splitAction(action: string): [string, string] {
  const colon = action.indexOf(':');
  return [action.slice(0, colon), action.slice(colon + 1)];
}
