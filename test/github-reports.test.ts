/**
 * What the Action writes on GitHub besides the plan comment. The drift issue: opened, refreshed without a comment
 * while the drift is the same, updated with one when it changes, closed when it is gone. The apply's answer on the
 * merged pull request: GitHub's commit → pull request lookup through real Octokit against
 * the loopback fake, the comment kept within GitHub's limit whatever the run did, and a re-run with nothing left to
 * do keeping what the first run reported.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ApplyOutcome } from '../src/app/apply.js';
import type { Step } from '../src/apply/steps.js';
import type { ExecutionResult } from '../src/apply/execute.js';
import { gitHubClient } from '../src/github/client.js';
import { DRIFT_LABEL, syncDriftIssue } from '../src/github/drift-issue.js';
import { environmentGaps, readEnvironmentProtection } from '../src/github/environment.js';
import { pullRequestsMergedAs } from '../src/github/merged-pull-requests.js';
import { upsertStickyComment } from '../src/github/sticky-comment.js';
import type { Plan } from '../src/plan/plan.js';
import { applyCommentMarker, renderApplyComment } from '../src/render/apply-report.js';
import { commentMarker, driftMarker } from '../src/render/comment.js';
import { APP_LOGIN, APP_TOKEN, ISSUES_ONLY_TOKEN, PERSONAL_TOKEN, READ_TOKEN, startGitHubFake, WRITE_TOKEN, type GitHubFake } from './helpers/github-fake.js';

const MERGE = 'a'.repeat(40);
const BRANCH_COMMIT = 'b'.repeat(40);
let fake: GitHubFake;
const client = (token = WRITE_TOKEN) => gitHubClient({ token, baseUrl: fake.url, retryUnitMs: 5 });
const where = (sha: string) => ({ owner: 'acme', repo: 'iam-config', sha });

beforeAll(async () => {
  fake = await startGitHubFake(['acme/iam-config#7', 'acme/iam-config#8']);
});
afterAll(() => fake.close());
beforeEach(() => {
  fake.commits.clear();
  fake.comments('acme/iam-config#7').length = 0;
});

function step(id: number, title: string): Step {
  return { id, phase: 'grants', title, target: `arn:aws:iam::123456789012:user/u${id}`, alsoTouches: [], op: { op: 'tagUser' } } as unknown as Step;
}

/** An apply that stopped: `applied` steps done, one failed, `notRun` never started. */
function stopped(applied: number, notRun: number, title = (i: number) => `attach arn:aws:iam::aws:policy/ReadOnlyAccess to user person-${i}`): ApplyOutcome {
  const steps = Array.from({ length: applied + 1 + notRun }, (_, i) => step(i + 1, title(i)));
  const execution: ExecutionResult = {
    applied: steps.slice(0, applied).map((s) => ({ step: s, outcome: 'applied' as never })),
    failed: [{ step: steps[applied]!, error: { severity: 'error', summary: 'AccessDenied: not authorized to perform iam:AttachUserPolicy' } }],
    notRun: steps.slice(applied + 1),
    interrupted: false,
    retries: 0,
    ms: 1000,
  };
  // The renderer reads the status and the execution; the plan is the run's, not looked at here.
  return { status: 'incomplete', plan: {} as Plan, steps, execution };
}

describe('the merged pull request of a push', () => {
  it('is the one whose merge commit the push is; a commit that only sits in another pull request comes second', async () => {
    fake.commits.set(`acme/iam-config@${MERGE}`, [
      { number: 8, merged_at: '2026-11-28T10:00:00Z', merge_commit_sha: 'c'.repeat(40) },
      { number: 7, merged_at: '2026-11-29T10:00:00Z', merge_commit_sha: MERGE },
      { number: 9, merged_at: null, merge_commit_sha: null },
    ]);
    expect(await pullRequestsMergedAs(client(), where(MERGE))).toEqual({ found: true, numbers: [7] });
    fake.commits.set(`acme/iam-config@${BRANCH_COMMIT}`, [{ number: 8, merged_at: '2026-11-28T10:00:00Z', merge_commit_sha: 'c'.repeat(40) }]);
    expect(await pullRequestsMergedAs(client(), where(BRANCH_COMMIT))).toEqual({ found: true, numbers: [8] });
  });

  it('a direct push has none; an open pull request is not a merge', async () => {
    fake.commits.set(`acme/iam-config@${MERGE}`, [{ number: 9, merged_at: null, merge_commit_sha: null }]);
    expect(await pullRequestsMergedAs(client(), where(MERGE))).toEqual({ found: true, numbers: [] });
  });

  it('an unknown commit or a refused token is a reason, not an exception; a read-only token may look', async () => {
    const unknown = await pullRequestsMergedAs(client(), where(MERGE));
    expect(unknown).toMatchObject({ found: false, reason: expect.stringContaining('422: No commit found for SHA') });
    const refused = await pullRequestsMergedAs(client('ghs_not_a_token'), where(MERGE));
    expect(refused).toMatchObject({ found: false, reason: expect.stringContaining('GitHub refused the token (401') });
    fake.commits.set(`acme/iam-config@${MERGE}`, [{ number: 7, merged_at: '2026-11-29T10:00:00Z', merge_commit_sha: MERGE }]);
    expect(await pullRequestsMergedAs(client(READ_TOKEN), where(MERGE))).toEqual({ found: true, numbers: [7] });
  });
});

describe('the apply comment', () => {
  it('says what ran, failed and did not run, failures first and open, with its own marker beside the plan\'s', () => {
    const body = renderApplyComment(stopped(3, 2), { folder: 'accounts/prod', sha: MERGE, runUrl: 'https://github.com/acme/iam-config/actions/runs/1' });
    expect(body.startsWith(applyCommentMarker('accounts/prod'))).toBe(true);
    expect(applyCommentMarker('accounts/prod')).not.toBe(commentMarker('accounts/prod'));
    expect(body).toContain('### ⛔ iam-gitops apply at <code>aaaaaaa</code> · accounts/prod');
    expect(body).toContain('apply stopped\\: 3 steps applied, 1 failed, 2 not run');
    expect(body.indexOf('<details open><summary>Failed (1)</summary>')).toBeLessThan(body.indexOf('<summary>Applied (3)</summary>'));
    expect(body).toContain('<summary>Not run (2)</summary>');
    expect(body).toContain('AccessDenied\\: not authorized to perform iam\\:AttachUserPolicy');
    expect(body).toContain('[The apply run](https://github.com/acme/iam-config/actions/runs/1)');
  });

  it('stays under GitHub\'s 65,536 characters for any number of steps, and counts what it leaves out', () => {
    for (const [applied, notRun] of [[0, 0], [150, 150], [5_000, 20_000]] as const) {
      const body = renderApplyComment(stopped(applied, notRun, (i) => `put inline policy ${'p'.repeat(100)}${i} on role ${'r'.repeat(60)}`), { folder: 'manifests', sha: MERGE, runUrl: 'https://github.com/acme/iam-config/actions/runs/1' });
      expect(body.length).toBeLessThanOrEqual(65_536);
      expect(body).toContain(`<summary>Failed (1)</summary>`);
      if (applied > 200) expect(body).toMatch(/…and \d[\d,]* more \(the \[run's summary\]/);
      if (applied) expect(body).toContain(`<summary>Applied (${applied})</summary>`);
    }
  });

  it('a re-run with nothing left to do keeps the comment that says what the first run applied, not one that says it stopped', async () => {
    const marker = applyCommentMarker('manifests');
    const at = { owner: 'acme', repo: 'iam-config', issueNumber: 7, marker };
    await upsertStickyComment(client(), { ...at, body: `${marker}\napplied 5 steps` });
    const kept = await upsertStickyComment(client(), { ...at, body: `${marker}\nno changes`, keepExisting: (body) => body.includes('applied') });
    expect(kept).toMatchObject({ posted: true, action: 'unchanged' });
    expect(fake.comments('acme/iam-config#7').map((c) => c.body)).toEqual([`${marker}\napplied 5 steps`]);
    // With no comment yet, it is posted.
    fake.comments('acme/iam-config#7').length = 0;
    expect(await upsertStickyComment(client(), { ...at, body: `${marker}\nno changes`, keepExisting: () => true })).toMatchObject({ posted: true, action: 'created' });
    // A comment that said the apply stopped is not worth keeping once a re-run finds live IAM converged.
    await upsertStickyComment(client(), { ...at, body: `${marker}\napply stopped`, keepExisting: (body) => body.includes('applied') });
    expect(fake.comments('acme/iam-config#7').map((c) => c.body)).toEqual([`${marker}\napply stopped`]);
    await upsertStickyComment(client(), { ...at, body: `${marker}\nno changes`, keepExisting: (body) => body.includes('applied') });
    expect(fake.comments('acme/iam-config#7').map((c) => c.body)).toEqual([`${marker}\nno changes`]);
  });
});

describe('the drift issue', () => {
  const REPO = 'acme/iam-config';
  const marker = driftMarker('accounts/prod');
  const request = (drift: boolean, fingerprint: string, report: string) => ({
    owner: 'acme',
    repo: 'iam-config',
    marker,
    title: 'IAM drift: account 123456789012 differs from accounts/prod',
    body: `${marker}\n${report}`,
    drift,
    fingerprint,
    changedNote: `changed to ${fingerprint}`,
    resolvedNote: 'gone',
  });
  const ours = () => fake.issues(REPO).filter((i) => i.body.startsWith(marker));

  it('lives from the first drift to the end of it, and notifies only when the drift changes', async () => {
    expect(await syncDriftIssue(client(), request(false, '0', 'none'))).toEqual({ ok: true, action: 'none' });
    const opened = await syncDriftIssue(client(), request(true, 'aaaa', 'report 1'));
    expect(opened).toMatchObject({ ok: true, action: 'opened' });
    const issue = ours()[0]!;
    expect(issue.labels).toEqual([DRIFT_LABEL]);
    expect(issue.body).toBe(`${marker}\n<!-- iam-gitops:drift-fingerprint:aaaa -->\nreport 1`);
    const comments = () => fake.comments(`${REPO}#${issue.number}`).map((c) => c.body);
    // A newer run writes the same drift in other words (a newer catalog, say): rewritten, nobody notified.
    expect(await syncDriftIssue(client(), request(true, 'aaaa', 'report 1, in newer words'))).toMatchObject({ action: 'refreshed', number: issue.number });
    expect(await syncDriftIssue(client(), request(true, 'aaaa', 'report 1, in newer words'))).toMatchObject({ action: 'unchanged' });
    expect(comments()).toEqual([]);
    expect(await syncDriftIssue(client(), request(true, 'bbbb', 'report 2'))).toMatchObject({ action: 'updated', number: issue.number });
    expect(comments()).toEqual(['changed to bbbb']);
    expect(await syncDriftIssue(client(), request(false, '0', 'none'))).toMatchObject({ action: 'closed', number: issue.number });
    expect(comments()).toEqual(['changed to bbbb', 'gone']);
    expect(ours()[0]).toMatchObject({ state: 'closed', state_reason: 'completed' });
    // Drift again later: a new issue, the closed one stays closed.
    expect(await syncDriftIssue(client(), request(true, 'cccc', 'report 3'))).toMatchObject({ action: 'opened' });
    expect(ours().map((i) => i.state)).toEqual(['closed', 'open']);
  });

  it('is found again when GitHub dropped its label (a token that may not push): no second issue', async () => {
    const marker = driftMarker('accounts/labelless');
    const at = { ...request(true, 'ffff', 'labelless'), marker, body: `${marker}\nlabelless` };
    expect(await syncDriftIssue(client(ISSUES_ONLY_TOKEN), at)).toMatchObject({ action: 'opened' });
    const mine = () => fake.issues(REPO).filter((i) => i.body.startsWith(marker));
    expect(mine()[0]!.labels).toEqual([]);
    expect(await syncDriftIssue(client(ISSUES_ONLY_TOKEN), at)).toMatchObject({ action: 'unchanged' });
    expect(await syncDriftIssue(client(ISSUES_ONLY_TOKEN), { ...at, drift: false })).toMatchObject({ action: 'closed' });
    expect(mine().map((i) => i.state)).toEqual(['closed']);
  });

  it('an issue someone else opened with the marker (and even the label) is not taken for it', async () => {
    const marker = driftMarker('accounts/spoofed');
    const spoof = fake.addIssue(REPO, { title: 'not the drift issue', body: `${marker}\nplease paste the IAM report here`, labels: [DRIFT_LABEL] });
    const opened = await syncDriftIssue(client(), { ...request(true, 'abab', 'report'), marker, body: `${marker}\nreport` });
    expect(opened).toMatchObject({ action: 'opened' });
    expect(opened.ok && opened.number).not.toBe(spoof);
    expect(fake.issues(REPO).find((i) => i.number === spoof)!.body).toBe(`${marker}\nplease paste the IAM report here`);
  });

  it('an issue another bot opened with the marker and the label (dependabot[bot]) is not ours with GITHUB_TOKEN; an app\'s token has its own', async () => {
    const marker = driftMarker('accounts/bots');
    const at = { ...request(true, 'acac', 'report'), marker, body: `${marker}\nreport` };
    const spoof = fake.addIssue(REPO, { title: 'IAM drift', body: `${marker}\nno drift, close me`, labels: [DRIFT_LABEL], user: { login: 'dependabot[bot]', type: 'Bot' } });
    const opened = await syncDriftIssue(client(), at);
    expect(opened).toMatchObject({ ok: true, action: 'opened' });
    expect(opened.ok && opened.number).not.toBe(spoof);
    expect(await syncDriftIssue(client(), at)).toMatchObject({ action: 'unchanged', number: opened.ok ? opened.number : -1 });
    // A GitHub App's token: the GITHUB_TOKEN's issue is not the app's either.
    const app = await syncDriftIssue(client(APP_TOKEN), at);
    expect(app).toMatchObject({ ok: true, action: 'opened' });
    expect(fake.issues(REPO).filter((i) => i.body.startsWith(marker)).map((i) => `${i.user.login} ${i.state}`)).toEqual(['dependabot[bot] open', 'github-actions[bot] open', `${APP_LOGIN} open`]);
    expect(fake.issues(REPO).find((i) => i.number === spoof)!.body).toBe(`${marker}\nno drift, close me`);
  });

  it('a token whose account cannot be learned writes no issue', async () => {
    const marker = driftMarker('accounts/unknown');
    fake.failNext(10, { kind: 'status', status: 503, path: '/user' });
    const result = await syncDriftIssue(client(PERSONAL_TOKEN), { ...request(true, 'bcbc', 'report'), marker, body: `${marker}\nreport` });
    fake.clearFaults();
    expect(result).toEqual({ ok: false, reason: expect.stringContaining('cannot tell which account the token writes as') });
    expect(fake.issues(REPO).filter((i) => i.body.startsWith(marker))).toEqual([]);
  });

  it('another folder has its own issue; a read-only token is told which permission it lacks', async () => {
    const other = driftMarker('accounts/dev');
    await syncDriftIssue(client(), { ...request(true, 'dddd', 'dev'), marker: other, body: `${other}\ndev` });
    expect(fake.issues(REPO).filter((i) => i.state === 'open' && i.body.startsWith(other))).toHaveLength(1);
    const refused = await syncDriftIssue(client(READ_TOKEN), request(true, 'eeee', 'report 4'));
    expect(refused).toEqual({ ok: false, reason: expect.stringContaining('the token may not write issues (403: Resource not accessible by integration). Give the job `permissions: issues: write`.') });
  });
});

describe('the apply environment (issue 16, item 13)', () => {
  const at = (name: string) => ({ owner: 'acme', repo: 'iam-config', name });

  it('says what protects it, as GitHub answers: reviewers and deployment branches, or their absence', async () => {
    fake.environments.set('acme/iam-config/created-on-first-use', { reviewers: [], branches: 'any' });
    fake.environments.set('acme/iam-config/iam-production', { reviewers: ['octo-admin', 'sec-lead'], branches: ['main'], waitTimer: 5 });
    fake.environments.set('acme/iam-config/reviewers-only', { reviewers: ['octo-admin'], branches: 'any' });
    fake.environments.set('acme/iam-config/protected-branches', { reviewers: [], branches: 'protected' });
    const gaps = async (name: string) => {
      const check = await readEnvironmentProtection(client(), at(name));
      if (!check.ok) throw new Error(check.reason);
      return { protection: check.protection, gaps: environmentGaps(check.protection) };
    };
    expect(await gaps('created-on-first-use')).toEqual({ protection: { name: 'created-on-first-use', reviewers: 0, branches: 'any' }, gaps: ['no required reviewers (nobody approves an apply before it changes IAM)', 'no deployment branch rule (a workflow run from any branch may apply)'] });
    expect(await gaps('iam-production')).toEqual({ protection: { name: 'iam-production', reviewers: 2, branches: 'selected branches', waitTimerMinutes: 5 }, gaps: [] });
    expect((await gaps('reviewers-only')).gaps).toEqual(['no deployment branch rule (a workflow run from any branch may apply)']);
    expect((await gaps('protected-branches')).gaps).toEqual(['no required reviewers (nobody approves an apply before it changes IAM)']);
  });

  it('a missing environment or a token without actions: read is a reason, naming what to do', async () => {
    expect(await readEnvironmentProtection(client(), at('nowhere'))).toEqual({ ok: false, reason: expect.stringContaining('environment "nowhere" was not found (404: Not Found)') });
    fake.tokens.set('ghs_no_actions_permission', { write: true, login: 'github-actions[bot]', actions: false });
    expect(await readEnvironmentProtection(client('ghs_no_actions_permission'), at('iam-production'))).toEqual({ ok: false, reason: expect.stringContaining('the token may not read environments (403: Resource not accessible by integration). Give the job `permissions: actions: read`.') });
  });
});
