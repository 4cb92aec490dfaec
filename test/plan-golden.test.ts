/**
 * Golden plan folders: each holds manifests/ and snapshot.json (or a case.json naming others), and the expected
 * text, markdown and JSON of `iam-gitops plan`, with its exit code under --detailed-exitcode.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from './helpers/fixtures.js';
import { expectGolden } from './helpers/golden.js';
import { runCli } from './helpers/run-cli.js';

const GOLDEN = join(PROJECT_ROOT, 'test/golden/plan');
/** Findings judge time conditions at `now`; goldens fix it. */
const NOW = '2026-11-24T12:00:00Z';

function caseInputs(dir: string): { manifests: string; state: string } {
  const rel = (p: string): string => relative(process.cwd(), p);
  const casefile = join(dir, 'case.json');
  if (existsSync(casefile)) {
    const c = JSON.parse(readFileSync(casefile, 'utf8')) as { manifests: string; state: string };
    return { manifests: rel(join(PROJECT_ROOT, c.manifests)), state: rel(join(PROJECT_ROOT, c.state)) };
  }
  return { manifests: rel(join(dir, 'manifests')), state: rel(join(dir, 'snapshot.json')) };
}

describe('plan: golden folders', () => {
  for (const name of readdirSync(GOLDEN).sort()) {
    const dir = join(GOLDEN, name);
    const { manifests, state } = caseInputs(dir);

    it(`${name}: text`, async () => {
      const run = await runCli(['plan', '--manifests', manifests, '--state', state, '--detailed-exitcode', '--now', NOW]);
      expectGolden(join(dir, 'expected.txt'), `exit ${run.code}\n--- stdout\n${run.stdout}--- stderr\n${run.stderr}`);
    });

    it(`${name}: markdown (the pull-request comment)`, async () => {
      const run = await runCli(['plan', '--manifests', manifests, '--state', state, '--format', 'markdown', '--now', NOW]);
      expectGolden(join(dir, 'expected.md'), `exit ${run.code}\n--- stdout\n${run.stdout}--- stderr\n${run.stderr}`);
    });

    it(`${name}: json`, async () => {
      const run = await runCli(['plan', '--manifests', manifests, '--state', state, '--format', 'json', '--now', NOW]);
      if (run.code !== 0) {
        expect(run.stdout).toBe('');
        return;
      }
      const plan = JSON.parse(run.stdout) as Record<string, unknown>;
      // The published contract: these keys always exist with these types.
      expect(plan).toMatchObject({ formatVersion: 1, account: expect.any(String), changes: expect.any(Array), unmanaged: expect.any(Array), access: expect.any(Array), trust: expect.any(Array), findings: expect.any(Array) });
      expectGolden(join(dir, 'expected.json'), run.stdout);
    });
  }
});
