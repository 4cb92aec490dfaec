/** Import writes manifests that plan to no changes against the snapshot they came from. */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT, REAL_WORLD_SNAPSHOTS, realWorldAvailable, realWorldSnapshot } from './helpers/fixtures.js';
import { runCli } from './helpers/run-cli.js';

const workspace = mkdtempSync(join(tmpdir(), 'iam-gitops-import-'));
afterAll(() => rmSync(workspace, { recursive: true, force: true }));

async function roundTrip(snapshot: string, out: string): Promise<void> {
  const imported = await runCli(['import', '--state', snapshot, '--out', out]);
  // The only thing import may say: which fields the export does not hold (left unmanaged, never reset).
  for (const line of imported.stderr.split('\n').filter((l) => l !== '' && !l.startsWith(' '))) {
    expect(line).toMatch(/^warning: the (descriptions|maximum session durations) of \d+ roles? are not in |^warning: the tags of \d+ customer managed polic(y|ies) are not in |^warning: identity providers are not in /);
  }
  expect(imported.code).toBe(0);
  const validated = await runCli(['validate', '--manifests', out]);
  // Warnings are allowed: real accounts keep deprecated AWS managed policies attached, and validation says so.
  expect(validated.stderr).not.toContain(': error:');
  expect(validated.code).toBe(0);
  const plan = await runCli(['plan', '--manifests', out, '--state', snapshot, '--format', 'json', '--detailed-exitcode']);
  expect(plan.stderr).toBe('');
  const parsed = JSON.parse(plan.stdout) as { changes: unknown[]; unmanaged: unknown[] };
  expect(parsed.changes).toEqual([]);
  expect(parsed.unmanaged).toEqual([]);
  expect(plan.code).toBe(0);
}

describe('import round trip', () => {
  it.skipIf(!realWorldAvailable).each(REAL_WORLD_SNAPSHOTS)('%s: plan of the imported folder has no changes', async (name) => {
    await roundTrip(realWorldSnapshot(name), join(workspace, name));
  });

  it('the bundled example snapshot round-trips too', async () => {
    await roundTrip(join(PROJECT_ROOT, 'example/live-snapshot.json'), join(workspace, 'example'));
  });

  it.skipIf(!realWorldAvailable)('writes one file per entity, skips AWS-owned roles, and refers to own policies by name', async () => {
    const out = join(workspace, 'layout');
    const run = await runCli(['import', '--state', realWorldSnapshot('cloudsplaining-example-account.json'), '--out', out]);
    expect(run.stdout).toMatch(/^Imported 164 manifests into .* \(skipped 10 AWS-owned roles\), with manifest\.schema\.json for editor completion\.\n$/);
    expect(readdirSync(out).sort()).toEqual(['account.yaml', 'groups', 'manifest.schema.json', 'policies', 'roles', 'users']);
    expect(readdirSync(join(out, 'roles')).some((f) => f.startsWith('AWSServiceRoleFor'))).toBe(false);
    const user = readFileSync(join(out, 'users/fp1-allow-and-deny-user.yaml'), 'utf8');
    expect(user).toContain('managedPolicies:\n  - fp1-allow-and-deny\n');
  });

  it('refuses to write into a non-empty folder without --force, and leaves it untouched', async () => {
    const out = join(workspace, 'occupied');
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, 'mine.yaml'), 'kind: Account\nid: "111122223333"\n');
    const refused = await runCli(['import', '--state', join(PROJECT_ROOT, 'example/live-snapshot.json'), '--out', out]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('is not empty');
    expect(readdirSync(out)).toEqual(['mine.yaml']);
    const forced = await runCli(['import', '--state', join(PROJECT_ROOT, 'example/live-snapshot.json'), '--out', out, '--force']);
    expect(forced.code).toBe(0);
    expect(readdirSync(out)).toContain('mine.yaml');
  });
});
