/** The bundled example (manifests/ and example/live-snapshot.json) as editable in-memory inputs for plan tests. */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { planChanges } from '../../src/app/use-cases.js';
import { parseSnapshot } from '../../src/live/parse-snapshot.js';
import type { LiveReader } from '../../src/live/live-state.js';
import { manifestsFromFiles } from '../../src/manifest/files-source.js';
import type { Plan } from '../../src/plan/plan.js';
import { PROJECT_ROOT } from './fixtures.js';
import { loadActionCatalog } from '../../src/catalog/iam-data-catalog.js';
import { loadAwsManagedPolicies } from '../../src/catalog/aws-managed-policies.js';
import type { ImportOptions } from '../../src/importer/live-to-manifests.js';

export const NOW = new Date('2026-11-29T12:00:00Z');

/** Every file under manifests/, keyed `manifests/...`. */
export function exampleManifestFiles(): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else files.set(relative(PROJECT_ROOT, full), readFileSync(full, 'utf8'));
    }
  };
  walk(join(PROJECT_ROOT, 'manifests'));
  return files;
}

export function exampleSnapshot(): Record<string, unknown> {
  return JSON.parse(readFileSync(join(PROJECT_ROOT, 'example/live-snapshot.json'), 'utf8')) as Record<string, unknown>;
}

export function snapshotReader(snapshot: unknown, name = 'snapshot.json'): LiveReader {
  const text = JSON.stringify(snapshot);
  return { read: async () => parseSnapshot(name, text) };
}

/** Plans in-memory manifests (keyed under `root/`) against a snapshot; fails the test on errors. */
export async function planFiles(files: ReadonlyMap<string, string>, snapshot: unknown = exampleSnapshot(), root = 'manifests'): Promise<Plan> {
  const result = await planChanges(manifestsFromFiles(root, root, files), snapshotReader(snapshot), NOW);
  const errors = result.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length || !result.plan) throw new Error(`plan failed: ${JSON.stringify(errors)}`);
  return result.plan;
}

/** The example with one file's text edited. */
export function editedExample(path: string, edit: (text: string) => string): Map<string, string> {
  const files = exampleManifestFiles();
  const key = `manifests/${path}`;
  const text = files.get(key);
  if (text === undefined) throw new Error(`no ${key}`);
  files.set(key, edit(text));
  return files;
}

/** What `import` reads besides the snapshot: the catalog and the AWS managed policies of today. */
export async function importOptions(): Promise<ImportOptions> {
  return { catalog: await loadActionCatalog(), awsManagedPolicies: loadAwsManagedPolicies() };
}
