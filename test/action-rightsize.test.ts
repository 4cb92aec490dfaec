/**
 * The Action's `command: rightsize` (issue 19 item 3): on a schedule, the manifests edited to remove what nobody used,
 * proposed as one pull request per folder on its own branch through the Git Data API (no clone, no push), its body
 * the plan's review comment; the next run updates that pull request rather than opening another.
 */
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rightsizeMarker } from '../src/render/comment.js';
import { runActionInProcess } from './helpers/action-port.js';
import { virtualClock } from './helpers/clock.js';
import { GenerateServiceLastAccessedDetailsCommand, GetServiceLastAccessedDetailsCommand } from '@aws-sdk/client-iam';
import { CREDENTIALS_ENV, exampleSnapshotJson, iamClientFor, startTestEmulator, type TestEmulator } from './helpers/emulator.js';
import { serviceCatalog } from '../tools/iam-emulator/usage.js';
import { PROJECT_ROOT } from './helpers/fixtures.js';
import { READ_TOKEN, startGitHubFake, WRITE_TOKEN, type GitHubFake } from './helpers/github-fake.js';

const REPO = 'acme/iam-config';
const NOW = Date.parse('2026-12-01T00:00:00Z');
let fake: GitHubFake;
let emulator: TestEmulator;
const clock = virtualClock(NOW);
const temps: string[] = [];

function filesUnder(root: string, dir = root): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) Object.assign(out, filesUnder(root, full));
    else out[relative(root, full)] = readFileSync(full, 'utf8');
  }
  return out;
}

beforeAll(async () => {
  fake = await startGitHubFake([]);
  // The config repository on GitHub: main holds the example manifests.
  const base = mkdtempSync(join(tmpdir(), 'iam-gitops-rightsize-base-'));
  temps.push(base);
  cpSync(join(PROJECT_ROOT, 'manifests'), join(base, 'manifests'), { recursive: true });
  fake.seedBranch(REPO, 'main', filesUnder(base));
  emulator = await startTestEmulator(exampleSnapshotJson(), { clock });
  // The CI role deployed Lambda code last week; nobody read logs or uploaded packages.
  await fetch(`${emulator.url}/_emulator/usage`, { method: 'POST', body: JSON.stringify({ principal: 'arn:aws:iam::123456789012:role/ci/github-deploy', action: 'lambda:UpdateFunctionCode', at: '2026-11-24T00:00:00Z' }) });
});

afterAll(async () => {
  await fake?.close();
  await emulator?.close();
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

function workspace(): string {
  const dir = mkdtempSync(join(tmpdir(), 'iam-gitops-rightsize-ws-'));
  temps.push(dir);
  cpSync(join(PROJECT_ROOT, 'manifests'), join(dir, 'manifests'), { recursive: true });
  return dir;
}

async function rightsize(dir: string, token: string): Promise<Awaited<ReturnType<typeof runActionInProcess>>> {
  const runner = mkdtempSync(join(tmpdir(), 'iam-gitops-runner-'));
  temps.push(runner);
  return runActionInProcess(
    {
      GITHUB_ACTIONS: 'true',
      GITHUB_EVENT_NAME: 'schedule',
      GITHUB_REPOSITORY: REPO,
      GITHUB_REF_NAME: 'main',
      GITHUB_API_URL: fake.url,
      GITHUB_SERVER_URL: 'https://github.example.com',
      GITHUB_WORKSPACE: dir,
      GITHUB_RUN_ID: '77',
      RUNNER_TEMP: runner,
      GITHUB_STEP_SUMMARY: join(runner, 'summary.md'),
      IAM_GITOPS_GITHUB_RETRY_UNIT_MS: '5',
      ...CREDENTIALS_ENV,
      AWS_ENDPOINT_URL_IAM: emulator.url,
      AWS_ENDPOINT_URL_STS: emulator.url,
      INPUT_COMMAND: 'rightsize',
      INPUT_MANIFESTS: 'manifests',
      'INPUT_GITHUB-TOKEN': token,
    },
    { clock },
  );
}

describe('the Action proposes right-sizing as a pull request', () => {
  it('a token that may not push leaves the proposal in the job summary, with a warning saying which permission', async () => {
    const run = await rightsize(workspace(), READ_TOKEN);
    expect(run.code, run.stdout).toBe(0);
    expect(run.stdout).toMatch(/::warning::iam-gitops: cannot write the proposal's commit: .*contents: write/);
    expect(run.summary).toContain('Least privilege');
  });

  it('opens one pull request on its own branch with exactly the edited files, updates it on the next run, and closes it when nothing is unused any more', async () => {
    const first = await rightsize(workspace(), WRITE_TOKEN);
    expect(first.code, first.stdout).toBe(0);
    const pulls = fake.pulls(REPO);
    expect(pulls).toHaveLength(1);
    const pull = pulls[0]!;
    expect([pull.head, pull.base, pull.title]).toEqual(['iam-gitops/rightsize/manifests', 'main', 'IAM least privilege: remove unused access from manifests']);
    expect(pull.body.startsWith(rightsizeMarker('manifests'))).toBe(true);
    expect(pull.body).toContain('Access changes');
    // The edit's own effect only: the example folder's pending changes (a new administrator carol, a deleted role)
    // are not the proposal's, and its plan has no other change than removals.
    expect(pull.body).not.toContain('FULL\\_ADMIN');
    expect(pull.body).not.toMatch(/gains? \d+ action/);
    expect(first.outputs['rightsize-pull-request']).toBe(String(pull.number));
    // The branch: the base's files, with the edited ones replaced and nothing else touched.
    const proposed = fake.branchFiles(REPO, 'iam-gitops/rightsize/manifests')!;
    const baseFiles = fake.branchFiles(REPO, 'main')!;
    const changed = [...proposed].filter(([p, t]) => baseFiles.get(p) !== t).map(([p]) => p).sort();
    expect(changed.length).toBeGreaterThan(0);
    expect(changed.every((p) => p.startsWith('manifests/'))).toBe(true);
    expect([...proposed.keys()].sort()).toEqual([...baseFiles.keys()].sort());
    // The deploy role keeps the Lambda code it used.
    expect(proposed.get('manifests/policies/deploy-lambda.yaml')).toContain('lambda:UpdateFunctionCode');

    const second = await rightsize(workspace(), WRITE_TOKEN);
    expect(second.code, second.stdout).toBe(0);
    expect(second.stdout).toContain(`pull request updated: #${pull.number}`);
    expect(fake.pulls(REPO)).toHaveLength(1);

    // Everything is used now (each service and tracked action IAM lists for each principal): the proposal is stale,
    // and the next run closes it with a comment.
    const iam = iamClientFor(emulator.url);
    await serviceCatalog();
    const usage: string[] = [];
    for (const principal of [...emulator.model.users.values(), ...emulator.model.roles.values()]) {
      const { JobId } = await iam.send(new GenerateServiceLastAccessedDetailsCommand({ Arn: principal.arn, Granularity: 'ACTION_LEVEL' }));
      const report = await iam.send(new GetServiceLastAccessedDetailsCommand({ JobId, MaxItems: 1000 }));
      for (const service of report.ServicesLastAccessed ?? []) {
        const actions = service.TrackedActionsLastAccessed?.map((t) => t.ActionName!) ?? ['Anything'];
        for (const action of actions) usage.push(JSON.stringify({ principal: principal.arn, action: `${service.ServiceNamespace}:${action}`, at: '2026-11-30T00:00:00Z' }));
      }
    }
    await fetch(`${emulator.url}/_emulator/usage`, { method: 'POST', body: usage.join('\n') });
    const third = await rightsize(workspace(), WRITE_TOKEN);
    expect(third.code, third.stdout).toBe(0);
    expect(third.stdout).toContain(`pull request closed: #${pull.number}`);
    expect(fake.pulls(REPO)[0]!.state).toBe('closed');
    expect(fake.comments(`${REPO}#${pull.number}`).map((c) => c.body)).toEqual([expect.stringMatching(/^Nothing unused to remove any more/)]);
  }, 120_000);

  it('a large proposal stays within GitHub\'s body limit: the first edits are listed and the rest counted', async () => {
    const many = 320;
    const snapshot = {
      UserDetailList: Array.from({ length: many }, (_, i) => ({ UserName: `user-with-a-longer-name-${i}`, Path: '/', Arn: `arn:aws:iam::123456789012:user/user-with-a-longer-name-${i}`, GroupList: [], UserPolicyList: [{ PolicyName: 'unused-queue-access', PolicyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['sqs:SendMessage', 'sns:Publish'], Resource: '*' }] } }], AttachedManagedPolicies: [] })),
      GroupDetailList: [],
      RoleDetailList: [],
      Policies: [],
    };
    const big = await startTestEmulator(snapshot, { clock });
    try {
      const dir = mkdtempSync(join(tmpdir(), 'iam-gitops-rightsize-big-'));
      temps.push(dir);
      const { main } = await import('../cmd/cli.js');
      const code = await main(['import', '--aws', '--endpoint', big.url, '--out', join(dir, 'manifests')], { stdout: () => {}, stderr: () => {}, stdoutIsTty: false, env: { ...CREDENTIALS_ENV } });
      expect(code).toBe(0);
      fake.seedBranch('acme/big', 'main', filesUnder(dir));
      const runner = mkdtempSync(join(tmpdir(), 'iam-gitops-runner-'));
      temps.push(runner);
      const run = await runActionInProcess({ GITHUB_ACTIONS: 'true', GITHUB_EVENT_NAME: 'schedule', GITHUB_REPOSITORY: 'acme/big', GITHUB_REF_NAME: 'main', GITHUB_API_URL: fake.url, GITHUB_SERVER_URL: 'https://github.example.com', GITHUB_WORKSPACE: dir, RUNNER_TEMP: runner, IAM_GITOPS_GITHUB_RETRY_UNIT_MS: '5', ...CREDENTIALS_ENV, AWS_ENDPOINT_URL_IAM: big.url, AWS_ENDPOINT_URL_STS: big.url, INPUT_COMMAND: 'rightsize', INPUT_MANIFESTS: 'manifests', 'INPUT_GITHUB-TOKEN': WRITE_TOKEN }, { clock });
      expect(run.code, run.stdout).toBe(0);
      const pull = fake.pulls('acme/big')[0]!;
      expect([...pull.body].length).toBeLessThanOrEqual(65_536);
      expect(pull.body).toMatch(/- … and \d+ more edits \(the pull request's files show every one\)/);
      expect([...fake.branchFiles('acme/big', 'iam-gitops/rightsize/manifests')!].filter(([p, t]) => fake.branchFiles('acme/big', 'main')!.get(p) !== t)).toHaveLength(many);
    } finally {
      await big.close();
    }
  });
});
