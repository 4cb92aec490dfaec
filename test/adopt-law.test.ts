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
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetAccountAuthorizationDetailsCommand, IAMClient, ListRolesCommand, paginateGetAccountAuthorizationDetails, type EntityType } from '@aws-sdk/client-iam';
import { STSClient } from '@aws-sdk/client-sts';
import { afterAll, describe, expect, it } from 'vitest';
import { planChanges, validateManifests } from '../src/app/use-cases.js';
import { importLiveState } from '../src/importer/live-to-manifests.js';
import { AwsLiveReader } from '../src/live/aws/aws-live-reader.js';
import { createAwsClients } from '../src/live/aws/connection.js';
import type { LiveReader } from '../src/live/live-state.js';
import { parseSnapshot } from '../src/live/parse-snapshot.js';
import { manifestsFromFiles } from '../src/manifest/files-source.js';
import type { Plan } from '../src/plan/plan.js';
import { CREDENTIALS_ENV, emulatorsClosedAfterEachTest, type TestEmulator } from './helpers/emulator.js';
import { importOptions } from './helpers/example.js';
import { REAL_WORLD_SNAPSHOTS, realWorldAvailable, realWorldSnapshot } from './helpers/fixtures.js';
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
  const { iam, sts } = createAwsClients({ endpoint: url, env: CREDENTIALS_ENV, retryBaseDelayMs: 0 });
  const merged: Record<string, unknown[]> = { UserDetailList: [], GroupDetailList: [], RoleDetailList: [], Policies: [] };
  const filters: EntityType[] = ['User', 'Group', 'Role', 'LocalManagedPolicy', 'AWSManagedPolicy'];
  for (const filter of filters) {
    for await (const page of paginateGetAccountAuthorizationDetails({ client: iam, pageSize: 1000 }, { Filter: [filter] })) {
      for (const key of Object.keys(merged)) merged[key]!.push(...(((page as unknown as Json)[key] as unknown[] | undefined) ?? []));
    }
  }
  iam.destroy();
  sts.destroy();
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

async function planFolder(folder: string, live: readonly string[], env: Record<string, string>): Promise<string[]> {
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
        expect(await planFolder(folder, emulator.awsArgs, emulator.env), `seed ${seed}: import from ${source}, plan --aws`).toEqual([]);
      }
      expect(await planFolder(join(workspace, `law-${seed}`, 'cli-export'), ['--state', gaad], emulator.env), `seed ${seed}: import from the CLI export, plan against it`).toEqual([]);
      expect(await planFolder(join(workspace, `law-${seed}`, 'snapshot'), ['--state', snapshot], emulator.env), `seed ${seed}: import from snapshot --aws, plan against it`).toEqual([]);
    }
  });

  it.skipIf(!realWorldAvailable).each(REAL_WORLD_SNAPSHOTS)('the real-world account %s, emulated: import from every documented source, then plan, has no changes', async (name) => {
    const emulator = await startEmulator(JSON.parse(readFileSync(realWorldSnapshot(name), 'utf8')) as Json);
    const dir = join(workspace, name);
    const { adopted, gaad, snapshot } = await adoptFromEverySource(emulator, dir, 0);
    for (const { source, folder } of adopted) expect(await planFolder(folder, emulator.awsArgs, emulator.env), `${name}: import from ${source}, plan --aws`).toEqual([]);
    expect(await planFolder(join(dir, 'cli-export'), ['--state', gaad], emulator.env)).toEqual([]);
    expect(await planFolder(join(dir, 'snapshot'), ['--state', snapshot], emulator.env)).toEqual([]);
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
        expect(await planFolder(folder, emulator.awsArgs, emulator.env), `seed ${seed}: import from ${source}, then changes by hand`).toEqual(expected);
        // Drift reads the same plan from live IAM's side: the same changes are drift (exit 2).
        expect((await runCli(['drift', '--manifests', folder, ...emulator.awsArgs], emulator.env)).code, `seed ${seed}: drift after import from ${source}`).toBe(2);
        expect(warnings.includes('descriptions of'), `seed ${seed}, ${source}: ${warnings}`).toBe(!holds.roleDescription);
        expect(warnings.includes('maximum session durations of'), `seed ${seed}, ${source}: ${warnings}`).toBe(!holds.roleMaxSessionDuration);
        expect(warnings.includes('tags of'), `seed ${seed}, ${source}: ${warnings}`).toBe(!holds.policyTags);
      }
    }
  });
});

// ---------------------------------------------------------------------------------------------------------------
// The fields left as they are, in manifests and plans

const NOW = new Date('2026-11-29T12:00:00Z');
const ACCOUNT = '210987654321';
const TRUST = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] };
const DOCUMENT = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }] };

function liveOf(snapshot: Json): LiveReader {
  const text = JSON.stringify(snapshot);
  return { read: async () => parseSnapshot('live.json', text) };
}

const liveRole = (extra: Json): Json => ({ RoleName: 'app', Path: '/', Arn: `arn:aws:iam::${ACCOUNT}:role/app`, AssumeRolePolicyDocument: TRUST, ...extra });
const livePolicy = (extra: Json): Json => ({ PolicyName: 'read', Path: '/', Arn: `arn:aws:iam::${ACCOUNT}:policy/read`, DefaultVersionId: 'v1', PolicyVersionList: [{ VersionId: 'v1', IsDefaultVersion: true, Document: DOCUMENT }], ...extra });
const snapshotOf = (entities: { roles?: Json[]; policies?: Json[] }): Json => ({ UserDetailList: [], GroupDetailList: [], RoleDetailList: entities.roles ?? [], Policies: entities.policies ?? [] });

async function planOf(manifests: Record<string, string>, live: LiveReader): Promise<{ changes: string[]; diagnostics: string[] }> {
  const files = new Map(Object.entries({ 'm/account.yaml': `kind: Account\nid: "${ACCOUNT}"\n`, ...manifests }));
  const result = await planChanges(manifestsFromFiles('m', 'm', files), live, NOW);
  return {
    changes: (result.plan?.changes ?? []).flatMap((c) => c.details.map((d) => `${c.action} ${c.kind} ${c.name} ${JSON.stringify(d)}`)),
    diagnostics: result.diagnostics.map((d) => `${d.severity}: ${d.summary}${d.at ? ` (${d.at.file}:${d.at.line})` : ''}`),
  };
}

const roleYaml = (extra: string): string => `kind: Role\nname: app\n${extra}trustPolicy:\n  Version: "2012-10-17"\n  Statement:\n    - Effect: Allow\n      Principal: {Service: lambda.amazonaws.com}\n      Action: sts:AssumeRole\n`;

describe('unmanagedFields and policy tags: left as they are, and said', () => {
  it('a role leaves the fields it lists as they are live: not compared, not changed, not reported as not compared', async () => {
    const live = liveOf(snapshotOf({ roles: [liveRole({ Description: 'by hand', MaxSessionDuration: 43200 })] }));
    expect(await planOf({ 'm/app.yaml': roleYaml('unmanagedFields: [description, maxSessionDuration]\n') }, live)).toEqual({ changes: [], diagnostics: [] });
    // Without it, absent means "none" and 3600: managed, so a live difference is a change.
    expect((await planOf({ 'm/app.yaml': roleYaml('') }, live)).changes).toEqual([
      'update role app {"field":"description","before":"by hand","after":null}',
      'update role app {"field":"maxSessionDuration","before":43200,"after":3600}',
    ]);
    // Listing one field leaves the other managed.
    expect((await planOf({ 'm/app.yaml': roleYaml('unmanagedFields: [maxSessionDuration]\n') }, live)).changes).toEqual(['update role app {"field":"description","before":"by hand","after":null}']);
  });

  it('a plan against an export that lacks a managed field says it was not compared; an unmanaged one is not mentioned', async () => {
    const live = liveOf(snapshotOf({ roles: [liveRole({})] }));
    expect((await planOf({ 'm/app.yaml': roleYaml('') }, live)).diagnostics).toEqual(['warning: description not compared for 1 entity: role app', 'warning: maxSessionDuration not compared for 1 entity: role app']);
    expect((await planOf({ 'm/app.yaml': roleYaml('unmanagedFields: [description]\n') }, live)).diagnostics).toEqual(['warning: maxSessionDuration not compared for 1 entity: role app']);
  });

  it('a role created with unmanagedFields gets IAM\'s defaults for them', async () => {
    const created = await planOf({ 'm/app.yaml': roleYaml('unmanagedFields: [description, maxSessionDuration]\n') }, liveOf(snapshotOf({})));
    expect(created.changes.filter((c) => /"field":"(description|maxSessionDuration)"/.test(c))).toEqual([]);
    expect(created.changes.length).toBeGreaterThan(0);
  });

  it('a field both set and listed, or a field that cannot be listed, is an error at its place', async () => {
    const both = await validateManifests(manifestsFromFiles('m', 'm', new Map([['m/account.yaml', `kind: Account\nid: "${ACCOUNT}"\n`], ['m/app.yaml', roleYaml('description: mine\nunmanagedFields: [maxSessionDuration, description]\n')]])));
    expect(both.diagnostics.map((d) => `${d.severity}: ${d.summary} (${d.at?.file}:${d.at?.line}:${d.at?.col})`)).toEqual(['error: description is set and listed under unmanagedFields (m/app.yaml:4:39)']);
    const unknown = await validateManifests(manifestsFromFiles('m', 'm', new Map([['m/account.yaml', `kind: Account\nid: "${ACCOUNT}"\n`], ['m/app.yaml', roleYaml('unmanagedFields: [tags]\n')]])));
    expect(unknown.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.at?.file}:${d.at?.line}`)).toEqual(['m/app.yaml:3']);
  });

  it('a policy\'s tags are managed when its manifest sets some, whatever the source holds', async () => {
    const policy = (extra: string): string => `kind: Policy\nname: read\n${extra}document:\n  Version: "2012-10-17"\n  Statement:\n    - Effect: Allow\n      Action: s3:GetObject\n      Resource: "*"\n`;
    const tagged = liveOf(snapshotOf({ policies: [livePolicy({ Tags: [{ Key: 'owner', Value: 'platform' }, { Key: 'by', Value: 'hand' }] })] }));
    expect(await planOf({ 'm/read.yaml': policy('') }, tagged)).toEqual({ changes: [], diagnostics: [] });
    expect((await planOf({ 'm/read.yaml': policy('tags:\n  owner: platform\n') }, tagged)).changes).toEqual(['update policy read {"field":"tag","key":"by","before":"hand","after":null}']);
    // Against an export without policy tags, only a manifest that sets tags leaves a question open.
    const untagged = liveOf(snapshotOf({ policies: [livePolicy({})] }));
    expect(await planOf({ 'm/read.yaml': policy('') }, untagged)).toEqual({ changes: [], diagnostics: [] });
    expect((await planOf({ 'm/read.yaml': policy('tags:\n  owner: platform\n') }, untagged)).diagnostics).toEqual(['warning: tags not compared for 1 entity: policy read']);
  });

  it('a policy description an export does not hold is not compared (IAM answers without it); one it holds draws the warning that IAM cannot change it', async () => {
    const policy = `kind: Policy\nname: read\ndescription: Reads objects\ndocument:\n  Version: "2012-10-17"\n  Statement:\n    - Effect: Allow\n      Action: s3:GetObject\n      Resource: "*"\n`;
    expect(await planOf({ 'm/read.yaml': policy }, liveOf(snapshotOf({ policies: [livePolicy({ Tags: [] })] })))).toEqual({ changes: [], diagnostics: [] });
    expect((await planOf({ 'm/read.yaml': policy }, liveOf(snapshotOf({ policies: [livePolicy({ Tags: [], Description: 'Something else' })] })))).diagnostics).toEqual(['warning: the description of policy "read" differs from live IAM, and IAM cannot change it (m/read.yaml:1)']);
  });

  it('import from an export writes unmanagedFields for what it lacks, and a comment saying why', async () => {
    const live = await liveOf(snapshotOf({ roles: [liveRole({ Tags: [{ Key: 'team', Value: 'yes' }] })], policies: [livePolicy({})] })).read();
    const imported = importLiveState(live, await importOptions());
    const role = imported.files.get('roles/app.yaml')!;
    expect(role).toContain('# description, maxSessionDuration: not in live.json; unmanagedFields leaves them as they are in IAM.\n');
    expect(role).toContain('unmanagedFields:\n  - description\n  - maxSessionDuration\n');
    expect(role).toContain('tags:\n  team: "yes"\n');
    expect(imported.files.get('policies/read.yaml')).toContain('# tags: not in live.json; without a tags field, plan leaves them as they are in IAM.\n');
    expect(imported.diagnostics.map((d) => d.summary)).toEqual([
      'the tags of 1 customer managed policy are not in live.json: read',
      'the descriptions of 1 role are not in live.json: app',
      'the maximum session durations of 1 role are not in live.json: app',
    ]);
  });
});

describe('the AWS reader claims no field it did not read', () => {
  it('a role that GetAccountAuthorizationDetails returns and ListRoles does not (created between the two reads) has an unknown description, not an empty one', async () => {
    const iam = new IAMClient({ region: 'us-east-1' });
    const sts = new STSClient({ region: 'us-east-1' });
    // Answers in place of IAM (the reads run concurrently, so either order is possible).
    (iam as unknown as { send: unknown }).send = async (command: unknown) => {
      if (command instanceof ListRolesCommand) return { Roles: [] };
      if (command instanceof GetAccountAuthorizationDetailsCommand && (command.input.Filter ?? []).includes('Role')) {
        return { RoleDetailList: [{ RoleName: 'late', Path: '/', Arn: `arn:aws:iam::${ACCOUNT}:role/late`, AssumeRolePolicyDocument: encodeURIComponent(JSON.stringify(TRUST)) }] };
      }
      return {};
    };
    (sts as unknown as { send: unknown }).send = async () => ({ Account: ACCOUNT, Arn: `arn:aws:iam::${ACCOUNT}:user/me` });
    const live = await new AwsLiveReader({ iam, sts, target: 'AWS', throttling: {} as never }).read();
    expect(live.state.roles.get('late')?.unknown).toEqual(['description', 'maxSessionDuration']);
  });
});
