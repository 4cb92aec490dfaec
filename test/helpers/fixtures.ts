/**
 * Test inputs kept outside the project: `../shared/fixtures/real-world/` holds IAM snapshots of a public lab
 * account (BSD-3, not ours to copy). CI has it; a user's clone does not, and the tests that need it skip, saying so.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const REAL_WORLD_DIR = resolve(PROJECT_ROOT, '../shared/fixtures/real-world');
export const REAL_WORLD_SNAPSHOTS = ['cloudsplaining-small-account.json', 'cloudsplaining-example-account.json'] as const;

export const realWorldAvailable = existsSync(REAL_WORLD_DIR);
if (!realWorldAvailable) {
  console.warn(`Skipping real-world snapshot tests: ${REAL_WORLD_DIR} is absent (it exists in CI, beside the project clone).`);
}

export function realWorldSnapshot(name: (typeof REAL_WORLD_SNAPSHOTS)[number]): string {
  return join(REAL_WORLD_DIR, name);
}
