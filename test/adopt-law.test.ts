/**
 * Adopting never changes anything (issue 18 item 7). Law: for every source the README documents, `import` from it
 * and then `plan` against the same live account give no changes; a field the source does not hold is left as it is
 * (and the import says so), never reset to a default.
 *
 * The sources, each on random accounts in the IAM emulator, read through the real SDK:
 * - `import --aws`;
 * - a `get-account-authorization-details` export, as the AWS CLI writes it (no role descriptions or session
 *   durations, no policy tags);
 * - `snapshot --aws` (the tool's own snapshot), then `import --state`.
 * Each import is planned against AWS (`plan --aws`) and, for the file sources, against the file itself.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { paginateGetAccountAuthorizationDetails, type EntityType } from '@aws-sdk/client-iam';
import { afterAll, describe, expect, it } from 'vitest';
import { createAwsClients } from '../src/live/aws/connection.js';
import type { Plan } from '../src/plan/plan.js';
import { CREDENTIALS_ENV, emulatorsClosedAfterEachTest, type TestEmulator } from './helpers/emulator.js';
import { randomAdoptableAccount } from './helpers/random-adoptable-account.js';
import { seededRandom } from './helpers/random-account.js';
import { runCli } from './helpers/run-cli.js';

// Each run starts an emulator and makes seven CLI runs; LAW_RUNS runs it wider.
const RUNS = Number(process.env['LAW_RUNS'] ?? 4);
const startEmulator = emulatorsClosedAfterEachTest();
const workspace = mkdtempSync(join(tmpdir(), 'iam-gitops-adopt-'));
afterAll(() => rmSync(workspace, { recursive: true, force: true }));

type Json = Record<string, unknown>;

/**
 * What `aws iam get-account-authorization-details --output json > snapshot.json` writes: the API's pages merged, the
 * documents decoded into JSON objects, dates as ISO strings, and nothing else (no ListRoles, no ListPolicyTags).
 */
async function cliExport(url: string): Promise<Json> {
  const { iam } = createAwsClients({ endpoint: url, env: CREDENTIALS_ENV, retryBaseDelayMs: 0 });
  const merged: Record<string, unknown[]> = { UserDetailList: [], GroupDetailList: [], RoleDetailList: [], Policies: [] };
  const filters: EntityType[] = ['User', 'Group', 'Role', 'LocalManagedPolicy', 'AWSManagedPolicy'];
  for (const filter of filters) {
    for await (const page of paginateGetAccountAuthorizationDetails({ client: iam, pageSize: 1000 }, { Filter: [filter] })) {
      for (const key of Object.keys(merged)) merged[key]!.push(...(((page as unknown as Json)[key] as unknown[] | undefined) ?? []));
    }
  }
  iam.destroy();
  const decode = (key: string, value: unknown): unknown => (typeof value === 'string' && /Document$/.test(key) ? JSON.parse(decodeURIComponent(value)) : value);
  return JSON.parse(JSON.stringify(merged, decode)) as Json;
}

type Source = 'aws' | 'cli-export' | 'snapshot';

/**
 * What each source holds of the fields some sources lack (everything else, every source holds). The README's
 * adoption section has the same table.
 */
const HOLDS: Record<Source, { readonly roleDescription: boolean; readonly roleMaxSessionDuration: boolean; readonly policyTags: boolean }> = {
  aws: { roleDescription: true, roleMaxSessionDuration: true, policyTags: true },
  'cli-export': { roleDescription: false, roleMaxSessionDuration: false, policyTags: false },
  snapshot: { roleDescription: true, roleMaxSessionDuration: true, policyTags: false },
};

interface Adopted {
  readonly source: Source;
  readonly folder: string;
  /** What import said on stderr: the fields its source did not hold. */
  readonly warnings: string;
}

interface Adoption {
  readonly adopted: readonly Adopted[];
  readonly gaad: string;
  readonly snapshot: string;
}

/** The account imported from each documented source, each into a folder of its own. */
async function adoptFromEverySource(emulator: TestEmulator, dir: string, seed: number): Promise<Adoption> {
  const adopted: Adopted[] = [];
  const importFrom = async (source: Source, live: readonly string[]): Promise<void> => {
    const folder = join(dir, source);
    const run = await runCli(['import', ...live, '--out', folder], emulator.env);
    expect(run.code, `seed ${seed}, import from ${source}: ${run.stderr}`).toBe(0);
    adopted.push({ source, folder, warnings: run.stderr });
  };
  await importFrom('aws', emulator.awsArgs);
  const gaad = join(dir, 'gaad.json');
  writeFileSync(gaad, JSON.stringify(await cliExport(emulator.url), null, 2));
  await importFrom('cli-export', ['--state', gaad]);
  const snapshot = join(dir, 'snapshot.json');
  const snap = await runCli(['snapshot', ...emulator.awsArgs, '--out', snapshot], emulator.env);
  expect(snap.code, snap.stderr).toBe(0);
  await importFrom('snapshot', ['--state', snapshot]);
  return { adopted, gaad, snapshot };
}

async function planChanges(folder: string, live: readonly string[], env: Record<string, string>): Promise<string[]> {
  const run = await runCli(['plan', '--manifests', folder, ...live, '--format', 'json'], env);
  expect(run.code, `plan ${live.join(' ')}: ${run.stderr}`).toBe(0);
  const plan = JSON.parse(run.stdout) as Plan;
  return plan.changes.flatMap((c) => c.details.map((d) => `${c.action} ${c.kind} ${c.name} ${d.field}${d.field === 'tag' ? ` ${d.key}` : ''}`)).sort();
}

describe('adopting never changes anything', () => {
  it(`import from every documented source, then plan against the same account: no changes (${RUNS} random accounts)`, async () => {
    for (let seed = 1; seed <= RUNS; seed++) {
      const emulator = await startEmulator(randomAdoptableAccount(seededRandom(seed)));
      const { adopted, gaad, snapshot } = await adoptFromEverySource(emulator, join(workspace, `law-${seed}`), seed);
      for (const { source, folder } of adopted) {
        expect(await planChanges(folder, emulator.awsArgs, emulator.env), `seed ${seed}: import from ${source}, plan --aws`).toEqual([]);
      }
      expect(await planChanges(join(workspace, `law-${seed}`, 'cli-export'), ['--state', gaad], emulator.env), `seed ${seed}: import from the CLI export, plan against it`).toEqual([]);
      expect(await planChanges(join(workspace, `law-${seed}`, 'snapshot'), ['--state', snapshot], emulator.env), `seed ${seed}: import from snapshot --aws, plan against it`).toEqual([]);
    }
  });

  it('no hole in the review: what a source holds stays managed (a change by hand shows in the plan); what it does not hold is left as it is, and import says so', async () => {
    for (let seed = 101; seed < 101 + Math.max(2, Math.ceil(RUNS / 2)); seed++) {
      const emulator = await startEmulator(randomAdoptableAccount(seededRandom(seed)));
      const { adopted } = await adoptFromEverySource(emulator, join(workspace, `hole-${seed}`), seed);
      const model = emulator.model;
      const taggedPolicies = new Set([...model.policies.values()].filter((p) => !p.awsManaged && p.tags.length > 0).map((p) => p.name));
      const roles = [...model.roles.values()].map((r) => r.name);
      const users = [...model.users.values()].map((u) => u.name);
      const policies = [...model.policies.values()].filter((p) => !p.awsManaged);
      // By hand, outside git: every field of every kind that some source lacks, and tags every source holds.
      const byHand = { Key: 'changed', Value: 'by-hand' };
      for (const name of roles) {
        model.updateRole(name, 'changed by hand', 10800);
        model.tag(model.role(name), [byHand]);
      }
      for (const name of users) model.tag(model.user(name), [byHand]);
      for (const p of policies) model.tag(p, [byHand]);

      for (const { source, folder, warnings } of adopted) {
        const holds = HOLDS[source];
        const expected = [
          ...roles.flatMap((r) => [`update role ${r} tag changed`, ...(holds.roleDescription ? [`update role ${r} description`] : []), ...(holds.roleMaxSessionDuration ? [`update role ${r} maxSessionDuration`] : [])]),
          ...users.map((u) => `update user ${u} tag changed`),
          // A policy's tags are managed when its manifest sets some: those the source held, and had some.
          ...(holds.policyTags ? [...taggedPolicies].map((p) => `update policy ${p} tag changed`) : []),
        ].sort();
        expect(await planChanges(folder, emulator.awsArgs, emulator.env), `seed ${seed}: import from ${source}, then changes by hand`).toEqual(expected);
        expect(warnings.includes('descriptions of'), `seed ${seed}, ${source}: ${warnings}`).toBe(!holds.roleDescription);
        expect(warnings.includes('maximum session durations of'), `seed ${seed}, ${source}: ${warnings}`).toBe(!holds.roleMaxSessionDuration);
        expect(warnings.includes('tags of'), `seed ${seed}, ${source}: ${warnings}`).toBe(!holds.policyTags);
      }
    }
  });
});
