/**
 * The AWS managed policies every account can attach, read straight from the data file the project ships
 * (data/aws-managed-policies.json.gz: AWS's published documents). Data, not the product's reading of it: the path
 * comes from the ARN as IAM forms it (`arn:aws:iam::aws:policy/service-role/NAME` has path `/service-role/`).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

export interface AwsManagedPolicyData {
  readonly arn: string;
  readonly name: string;
  readonly path: string;
  readonly version: string;
  /** The default version's document, as JSON text. */
  readonly document: string;
}

let cached: readonly AwsManagedPolicyData[] | undefined;

export function readAwsManagedPolicies(): readonly AwsManagedPolicyData[] {
  cached ??= read();
  return cached;
}

function read(): AwsManagedPolicyData[] {
  // tools/iam-emulator/ in the sources, build/tools/iam-emulator/ once compiled: the data folder is at the root.
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, '../../data/aws-managed-policies.json.gz'), join(here, '../../../data/aws-managed-policies.json.gz')];
  const file = candidates.find((candidate) => existsSync(candidate));
  if (!file) throw new Error(`iam-emulator: data/aws-managed-policies.json.gz not found (looked in ${candidates.join(', ')})`);
  const extract = JSON.parse(gunzipSync(readFileSync(file)).toString('utf8')) as { policies: Record<string, { name: string; version: string; document: unknown }> };
  return Object.entries(extract.policies).map(([arn, p]) => {
    const resource = arn.slice(arn.indexOf(':policy/') + ':policy'.length);
    const path = resource.slice(0, resource.lastIndexOf('/') + 1);
    return { arn, name: p.name, path, version: p.version, document: JSON.stringify(p.document) };
  });
}
