/**
 * Measures how access deltas read: entries (granted + revoked, over all access items), the share marked
 * approximate, the characters of the text plan and of its access section, and plan time, on the bundled example,
 * the sample policy of issue 11 and the quota benchmark's account. Run by `npm run bench` for this build; given
 * other builds' roots (`node dist-bench/bench/access-entries.js /path/to/other/checkout ...`), it compares them.
 * Writes bench/results/access-entries.json.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseSnapshot } from '../src/live/parse-snapshot.js';
import { importLiveState } from '../src/importer/live-to-manifests.js';
import { loadActionCatalog } from '../src/catalog/iam-data-catalog.js';
import { loadAwsManagedPolicies } from '../src/catalog/aws-managed-policies.js';
import { QUOTA_SIZE, syntheticSnapshot } from './synthetic-account.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
const builds = [ROOT, ...process.argv.slice(2)];
const work = mkdtempSync(join(tmpdir(), 'iam-gitops-entries-'));

/** The quota benchmark's account and change (see plan-at-quota.ts). */
async function quotaScenario(): Promise<{ manifests: string; state: string }> {
  const state = join(work, 'snapshot.json');
  const text = JSON.stringify(syntheticSnapshot(QUOTA_SIZE));
  writeFileSync(state, text);
  const manifests = join(work, 'manifests');
  for (const [path, file] of importLiveState(parseSnapshot(state, text), { catalog: await loadActionCatalog(), awsManagedPolicies: loadAwsManagedPolicies() }).files) {
    mkdirSync(dirname(join(manifests, path)), { recursive: true });
    writeFileSync(join(manifests, path), file);
  }
  const group = join(manifests, 'groups/g-0.yaml');
  writeFileSync(group, readFileSync(group, 'utf8').replace(/Effect: (Allow|Deny)/, (_m, e: string) => `Effect: ${e === 'Allow' ? 'Deny' : 'Allow'}`));
  const policy = join(manifests, 'policies/p-1.yaml');
  writeFileSync(policy, readFileSync(policy, 'utf8').replace(/Action:\n/, 'Action:\n        - iam:PassRole\n'));
  writeFileSync(join(manifests, 'users/new-joiner.yaml'), 'kind: User\nname: new-joiner\ngroups: [g-0]\n');
  return { manifests, state };
}

interface Measure {
  entries: number;
  approximate: number;
  textChars: number;
  accessChars: number;
  planMs: number;
}

function measure(build: string, scenario: { manifests: string; state: string }, runs: number): Measure {
  const run = (format: string): { out: string; ms: number } => {
    const started = performance.now();
    const out = execFileSync(process.execPath, [join(build, 'bin/iam-gitops.js'), 'plan', '--manifests', scenario.manifests, '--state', scenario.state, '--format', format, '--now', '2026-11-24T12:00:00Z'], { encoding: 'utf8', maxBuffer: 1 << 28, env: { ...process.env, NO_COLOR: '1' } });
    return { out, ms: performance.now() - started };
  };
  const times: number[] = [];
  let json = '';
  for (let i = 0; i < runs; i++) {
    const r = run('json');
    times.push(r.ms);
    json = r.out;
  }
  const plan = JSON.parse(json) as { access: { granted: { approximate?: boolean }[]; revoked: { approximate?: boolean }[] }[] };
  const all = plan.access.flatMap((d) => [...d.granted, ...d.revoked]);
  const text = run('text').out;
  const access = text.slice(Math.max(0, text.indexOf('Access changes')), text.indexOf('Trust changes') > 0 ? text.indexOf('Trust changes') : text.indexOf('Risk findings') > 0 ? text.indexOf('Risk findings') : undefined);
  return { entries: all.length, approximate: all.filter((e) => e.approximate).length, textChars: text.length, accessChars: access.length, planMs: Math.round([...times].sort((a, b) => a - b)[Math.floor(times.length / 2)]!) };
}

try {
  const scenarios = {
    'bundled example': { manifests: join(ROOT, 'manifests'), state: join(ROOT, 'example/live-snapshot.json'), runs: 3 },
    'issue 11 sample policy': { manifests: join(ROOT, 'test/golden/plan/reviewer-sample/manifests'), state: join(ROOT, 'test/golden/plan/reviewer-sample/snapshot.json'), runs: 3 },
    'quota account': { ...(await quotaScenario()), runs: Number(process.env['BENCH_RUNS'] ?? 3) },
  };
  const results: Record<string, Record<string, Measure>> = {};
  for (const [name, scenario] of Object.entries(scenarios)) {
    results[name] = {};
    for (const build of builds) {
      if (!existsSync(join(build, 'build/cmd/cli.js'))) throw new Error(`${build} has no build/: run npm run build there`);
      results[name]![build === ROOT ? 'this build' : build] = measure(build, scenario, scenario.runs);
    }
  }
  console.table(Object.entries(results).flatMap(([name, byBuild]) => Object.entries(byBuild).map(([build, m]) => ({ scenario: name, build, ...m, approximateRate: m.entries ? `${((m.approximate / m.entries) * 100).toFixed(1)}%` : '-' }))));
  mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
  const previous = existsSync(join(ROOT, 'bench/results/access-entries.json')) ? (JSON.parse(readFileSync(join(ROOT, 'bench/results/access-entries.json'), 'utf8')) as Record<string, unknown>) : {};
  writeFileSync(join(ROOT, 'bench/results/access-entries.json'), `${JSON.stringify({ ...previous, [new Date().toISOString().slice(0, 10)]: results, node: process.version }, null, 2)}\n`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
