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
import { CREDENTIALS_ENV, emulatorsClosedAfterEachTest } from './helpers/emulator.js';
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

interface Adopted {
  readonly source: string;
  readonly importOutput: string;
  readonly folder: string;
}

async function planChanges(folder: string, live: readonly string[], env: Record<string, string>): Promise<string[]> {
  const run = await runCli(['plan', '--manifests', folder, ...live, '--format', 'json'], env);
  expect(run.code, `plan ${live.join(' ')}: ${run.stderr}`).toBe(0);
  const plan = JSON.parse(run.stdout) as Plan;
  return plan.changes.map((c) => `${c.action} ${c.kind} ${c.name}: ${c.details.map((d) => JSON.stringify(d)).join(', ')}`);
}

describe('adopting never changes anything', () => {
  it(`import from every documented source, then plan against the same account: no changes (${RUNS} random accounts)`, async () => {
    for (let seed = 1; seed <= RUNS; seed++) {
      const emulator = await startEmulator(randomAdoptableAccount(seededRandom(seed)));
      const env = emulator.env;
      const dir = join(workspace, `seed-${seed}`);
      const adopted: Adopted[] = [];
      const importFrom = async (source: string, live: readonly string[]): Promise<void> => {
        const folder = join(dir, source);
        const run = await runCli(['import', ...live, '--out', folder], env);
        expect(run.code, `seed ${seed}, import from ${source}: ${run.stderr}`).toBe(0);
        adopted.push({ source, importOutput: run.stdout + run.stderr, folder });
      };

      await importFrom('aws', emulator.awsArgs);
      const gaad = join(dir, 'gaad.json');
      writeFileSync(gaad, JSON.stringify(await cliExport(emulator.url), null, 2));
      await importFrom('cli-export', ['--state', gaad]);
      const snapshot = join(dir, 'snapshot.json');
      const snap = await runCli(['snapshot', ...emulator.awsArgs, '--out', snapshot], env);
      expect(snap.code, snap.stderr).toBe(0);
      await importFrom('snapshot', ['--state', snapshot]);

      for (const { source, folder } of adopted) {
        expect(await planChanges(folder, emulator.awsArgs, env), `seed ${seed}: import from ${source}, plan --aws`).toEqual([]);
      }
      expect(await planChanges(join(dir, 'cli-export'), ['--state', gaad], env), `seed ${seed}: import from the CLI export, plan against it`).toEqual([]);
      expect(await planChanges(join(dir, 'snapshot'), ['--state', snapshot], env), `seed ${seed}: import from snapshot --aws, plan against it`).toEqual([]);
    }
  });
});
