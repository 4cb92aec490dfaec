/**
 * `rightsize` at 1,000 principals (500 users, 500 roles) against the IAM emulator throttled at 20 requests a second
 * (its token bucket, as a busy account's IAM would be): the API calls by operation and the wall time, with some usage
 * recorded so that part of the access stays. Results go to bench/results/rightsize.json.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../cmd/cli.js';
import { CREDENTIALS_ENV, startTestEmulator } from '../test/helpers/emulator.js';
import { syntheticSnapshot } from './synthetic-account.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
const RATE = 20;
const size = { users: 500, roles: 500, groups: 20, policies: 100 };
const env = { AWS_ACCESS_KEY_ID: CREDENTIALS_ENV.AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: CREDENTIALS_ENV.AWS_SECRET_ACCESS_KEY, IAM_GITOPS_MAX_ATTEMPTS: '20' };
const snapshot = syntheticSnapshot(size);
const e = await startTestEmulator(snapshot, { rateLimit: RATE });
const work = mkdtempSync(join(tmpdir(), 'iam-gitops-bench-rightsize-'));
try {
  const run = async (args: string[]): Promise<{ code: number; out: string; err: string }> => {
    let out = '';
    let err = '';
    const code = await main(args, { stdout: (t) => (out += t), stderr: (t) => (err += t), stdoutIsTty: false, env });
    return { code, out, err };
  };
  const dir = join(work, 'manifests');
  const imported = await run(['import', ...e.awsArgs, '--out', dir]);
  if (imported.code !== 0) throw new Error(imported.err);
  // A third of the users used s3 last week.
  const lines = (snapshot['UserDetailList'] as { Arn: string }[]).filter((_, i) => i % 3 === 0).map((u) => JSON.stringify({ principal: u.Arn, action: 's3:GetObject', at: new Date(Date.now() - 7 * 86400_000).toISOString() }));
  await fetch(`${e.url}/_emulator/usage`, { method: 'POST', body: lines.join('\n') });
  await e.resetCalls();
  const started = performance.now();
  const result = await run(['rightsize', ...e.awsArgs, '--manifests', dir, '--format', 'json']);
  const ms = performance.now() - started;
  const calls = (await (await fetch(`${e.url}/_emulator/calls`)).json()) as { total: number; byAction: Record<string, number>; throttled: number };
  const parsed = result.code === 0 ? (JSON.parse(result.out) as { edits: unknown[]; left: unknown[] }) : undefined;
  const report = {
    benchmark: 'rightsize at 1,000 principals, emulator at --rate-limit 20',
    principals: size.users + size.roles,
    exitCode: result.code,
    wallMs: Math.round(ms),
    calls: calls.total,
    throttled: calls.throttled,
    byAction: calls.byAction,
    callsPerPrincipal: +(calls.total / (size.users + size.roles)).toFixed(2),
    editedFiles: parsed?.edits.length,
    left: parsed?.left.length,
  };
  mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
  writeFileSync(join(ROOT, 'bench/results/rightsize.json'), `${JSON.stringify(report, null, 2)}\n`);
  console.table([{ metric: 'wall time', value: `${report.wallMs} ms` }, { metric: 'calls (answered and throttled)', value: String(report.calls) }, { metric: 'throttled', value: String(report.throttled) }, { metric: 'calls per principal', value: String(report.callsPerPrincipal) }, { metric: 'edited files', value: String(report.editedFiles) }]);
  if (result.code !== 0) console.error(result.err.slice(0, 2000));
} finally {
  await e.close();
  rmSync(work, { recursive: true, force: true });
}
