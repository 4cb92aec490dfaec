/**
 * Benchmark: the pipeline at AWS's default quotas. Builds a synthetic account, imports it as manifests,
 * edits a group's inline policy (2,000 members) and a managed policy (attached to 1,000 roles), adds a user,
 * then times the built CLI's `plan --format json` end to end in a fresh process, and records its peak RSS.
 * Prints a table and writes bench/results/plan-at-quota.json.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseSnapshot } from '../src/live/parse-snapshot.js';
import { importLiveState } from '../src/importer/live-to-manifests.js';
import { loadActionCatalog } from '../src/catalog/iam-data-catalog.js';
import { loadAwsManagedPolicies } from '../src/catalog/aws-managed-policies.js';
import { QUOTA_SIZE, syntheticSnapshot } from './synthetic-account.js';

// Compiled to dist-bench/bench/ by npm run bench; the project root is two folders up.
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
const RUNS = Number(process.env['BENCH_RUNS'] ?? 5);

const work = mkdtempSync(join(tmpdir(), 'iam-gitops-bench-'));
try {
  const snapshotPath = join(work, 'snapshot.json');
  const snapshotText = JSON.stringify(syntheticSnapshot(QUOTA_SIZE));
  writeFileSync(snapshotPath, snapshotText);
  const manifests = join(work, 'manifests');
  const importOptions = { catalog: await loadActionCatalog(), awsManagedPolicies: loadAwsManagedPolicies() };
  for (const [path, text] of importLiveState(parseSnapshot(snapshotPath, snapshotText), importOptions).files) {
    mkdirSync(dirname(join(manifests, path)), { recursive: true });
    writeFileSync(join(manifests, path), text);
  }
  // The change under review.
  const groupFile = join(manifests, 'groups/g-0.yaml');
  writeFileSync(groupFile, readFileSync(groupFile, 'utf8').replace(/Effect: (Allow|Deny)/, (_m, e: string) => `Effect: ${e === 'Allow' ? 'Deny' : 'Allow'}`));
  const policyFile = join(manifests, 'policies/p-1.yaml');
  writeFileSync(policyFile, `${readFileSync(policyFile, 'utf8')}`.replace(/Action:\n/, 'Action:\n        - iam:PassRole\n'));
  writeFileSync(join(manifests, 'users/new-joiner.yaml'), 'kind: User\nname: new-joiner\ngroups: [g-0]\n');

  const probe = `
    const { main } = await import(${JSON.stringify(join(ROOT, 'build/cmd/cli.js'))});
    const started = performance.now();
    let out = '';
    const code = await main(JSON.parse(process.argv[1]), { stdout: (t) => { out += t; }, stderr: (t) => process.stderr.write(t), stdoutIsTty: false, env: {} });
    const ms = performance.now() - started;
    const plan = JSON.parse(out);
    const changes = plan.changes.map((c) => c.action + ' ' + c.kind + ' ' + c.name);
    console.log(JSON.stringify({ code, ms, bytes: out.length, changes, maxRssKiB: process.resourceUsage().maxRSS }));
  `;
  type Run = { wallMs: number; inProcessMs: number; maxRssMiB: number; code: number; bytes: number; changes: string[] };
  const measureOnce = (args: string[]): Run => {
    const started = performance.now();
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', probe, JSON.stringify(args)], { encoding: 'utf8', maxBuffer: 1 << 26 });
    const wallMs = performance.now() - started;
    const r = JSON.parse(out.trim().split('\n').pop()!) as { code: number; ms: number; bytes: number; changes: string[]; maxRssKiB: number };
    return { wallMs, inProcessMs: r.ms, maxRssMiB: r.maxRssKiB / 1024, code: r.code, bytes: r.bytes, changes: r.changes };
  };
  const measure = (args: string[]): Run[] => Array.from({ length: RUNS }, () => measureOnce(args));
  const planArgs = ['plan', '--manifests', manifests, '--state', snapshotPath, '--format', 'json', '--detailed-exitcode'];
  // The budget's yardstick: a bare process that parses the same inputs (every manifest with yaml, the snapshot with
  // JSON.parse) and does nothing else; and validate, which reads the manifests alone.
  const bareProbe = `
    const { readdirSync, readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { parseAllDocuments } = await import(${JSON.stringify(join(ROOT, 'node_modules/yaml/dist/index.js'))});
    const walk = (d) => readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(d, e.name)) : e.name.endsWith('.yaml') ? [join(d, e.name)] : []));
    for (const f of walk(${JSON.stringify(manifests)})) for (const doc of parseAllDocuments(readFileSync(f, 'utf8'))) doc.toJS();
    JSON.parse(readFileSync(${JSON.stringify(snapshotPath)}, 'utf8'));
  `;
  const wall = (args: string[]): number => {
    const started = performance.now();
    execFileSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 26, stdio: ['ignore', 'pipe', 'ignore'] });
    return performance.now() - started;
  };
  // Plan, bare parse and validate take turns, round after round, so that a machine that slows down or speeds up
  // during the benchmark weighs on all three alike; each ratio is the median of the rounds' own ratios.
  const runs: Run[] = [];
  const bareRuns: number[] = [];
  const validateRuns: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    runs.push(measureOnce(planArgs));
    bareRuns.push(wall(['--input-type=module', '-e', bareProbe]));
    validateRuns.push(wall([join(ROOT, 'bin/iam-gitops.js'), 'validate', '--manifests', manifests]));
  }
  // The scheduled drift check on the same account: the plan read from the manifests' side, plus the risks of the
  // roles whose trust drifted and of unmanaged principals.
  const driftRuns = measure(['drift', '--manifests', manifests, '--state', snapshotPath, '--format', 'json']);
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const result = {
    benchmark: 'plan --format json at AWS default quotas',
    size: QUOTA_SIZE,
    snapshotMiB: +(snapshotText.length / 1048576).toFixed(1),
    runs: RUNS,
    exitCode: runs[0]!.code,
    changes: runs[0]!.changes,
    planJsonKiB: Math.round(runs[0]!.bytes / 1024),
    medianWallMs: Math.round(median(runs.map((r) => r.wallMs))),
    medianInProcessMs: Math.round(median(runs.map((r) => r.inProcessMs))),
    peakRssMiB: Math.round(Math.max(...runs.map((r) => r.maxRssMiB))),
    budget: {
      bareParseMedianWallMs: Math.round(median(bareRuns)),
      validateMedianWallMs: Math.round(median(validateRuns)),
      planToParse: +median(runs.map((r, i) => r.wallMs / bareRuns[i]!)).toFixed(2),
      validateToParse: +median(validateRuns.map((v, i) => v / bareRuns[i]!)).toFixed(2),
      limits: { planToParse: 2, validateToParse: 1.5 },
    },
    drift: {
      exitCode: driftRuns[0]!.code,
      changes: driftRuns[0]!.changes,
      medianWallMs: Math.round(median(driftRuns.map((r) => r.wallMs))),
      peakRssMiB: Math.round(Math.max(...driftRuns.map((r) => r.maxRssMiB))),
    },
    node: process.version,
    date: new Date().toISOString().slice(0, 10),
  };
  console.table([{ metric: 'median wall time (process start to exit)', value: `${result.medianWallMs} ms` }, { metric: 'median in-process time', value: `${result.medianInProcessMs} ms` }, { metric: 'peak RSS', value: `${result.peakRssMiB} MiB` }, { metric: 'snapshot size', value: `${result.snapshotMiB} MiB` }, { metric: 'plan JSON size', value: `${result.planJsonKiB} KiB` }, { metric: 'exit code (2 = changes)', value: String(result.exitCode) }, { metric: 'bare parse of the inputs: median wall time', value: `${result.budget.bareParseMedianWallMs} ms` }, { metric: 'validate: median wall time', value: `${result.budget.validateMedianWallMs} ms` }, { metric: 'plan / bare parse (budget 2)', value: String(result.budget.planToParse) }, { metric: 'validate / bare parse (budget 1.5)', value: String(result.budget.validateToParse) }, { metric: 'drift: median wall time', value: `${result.drift.medianWallMs} ms` }, { metric: 'drift: peak RSS', value: `${result.drift.peakRssMiB} MiB` }]);
  mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
  writeFileSync(join(ROOT, 'bench/results/plan-at-quota.json'), `${JSON.stringify(result, null, 2)}\n`);
  const expected = ['update policy p-1', 'update group g-0', 'create user new-joiner'];
  if (result.exitCode !== 2 || JSON.stringify(result.changes) !== JSON.stringify(expected)) {
    throw new Error(`expected the plan to find ${expected.join(', ')} (exit 2), got exit ${result.exitCode}: ${result.changes.join(', ')}`);
  }
  if (result.drift.exitCode !== 2 || JSON.stringify(result.drift.changes) !== JSON.stringify(expected)) {
    throw new Error(`expected drift to find ${expected.join(', ')} (exit 2), got exit ${result.drift.exitCode}: ${result.drift.changes.join(', ')}`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
