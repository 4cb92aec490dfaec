/**
 * The findings law's yardstick, shared by its tests: a plan's findings must be exactly `audit` after minus `audit`
 * before (by risk identity, with severity changes), computed here from two audits alone.
 */
import { EffectiveAccess } from '../../src/analyze/effective-access.js';
import { findRisks, SEVERITY_ORDER, type Finding } from '../../src/analyze/findings.js';
import { loadActionCatalog } from '../../src/catalog/iam-data-catalog.js';
import { importLiveState } from '../../src/importer/live-to-manifests.js';
import { parseSnapshot } from '../../src/live/parse-snapshot.js';
import { manifestsFromFiles } from '../../src/manifest/files-source.js';
import { importOptions, snapshotReader } from './example.js';

type Json = Record<string, unknown>;

/** The manifests `import` writes for a snapshot: what a pull request that wants that account holds. */
export async function manifestsOf(snapshot: Json, name: string) {
  const imported = importLiveState(await snapshotReader(snapshot, name).read(), await importOptions());
  return manifestsFromFiles('m', 'm', new Map([...imported.files].map(([path, text]) => [`m/${path}`, text])));
}

/** Every finding of the account, as `audit` reports them. */
export async function audit(snapshot: Json, now: Date): Promise<Finding[]> {
  const catalog = await loadActionCatalog();
  return findRisks(new EffectiveAccess(parseSnapshot('s', JSON.stringify(snapshot)).state, now, { isWildcardOnlyAction: (a) => catalog.isWildcardOnly(a) }));
}

/** A risk's identity, as a plan compares them: its code, holder and targets (one for "can become administrator"). */
export const identity = (f: Finding): string => `${f.code} ${f.principal}${f.code === 'PRIVESC_TO_ADMIN' ? '' : ` ${[...(f.targets ?? [])].sort().join(',')}`}`;

/** What a plan should say, from the two audits alone. */
export function expected(before: readonly Finding[], after: readonly Finding[]): string[] {
  const was = new Map(before.map((f) => [identity(f), f.severity]));
  const is = new Map(after.map((f) => [identity(f), f.severity]));
  const out: string[] = [];
  for (const [key, severity] of is) {
    const old = was.get(key);
    if (old === undefined) out.push(`introduced ${severity} ${key}`);
    else if (old !== severity) out.push(SEVERITY_ORDER.indexOf(severity) < SEVERITY_ORDER.indexOf(old) ? `introduced ${severity} ${key}` : `removed ${old} ${key}`);
  }
  for (const [key, severity] of was) if (!is.has(key)) out.push(`removed ${severity} ${key}`);
  return out.sort();
}
