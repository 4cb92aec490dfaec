/**
 * The GitHub Action: `plan` (a pull request's plan, its sticky comment and the job summary), `apply` (on merge) and
 * `audit`. It follows the runner's conventions only (inputs from INPUT_*, the event from GITHUB_EVENT_PATH, the
 * API at GITHUB_API_URL, outputs to GITHUB_OUTPUT, the report to GITHUB_STEP_SUMMARY), so it runs on GitHub.com,
 * GitHub Enterprise Server and anywhere the same environment is set.
 *
 * What fails the step: manifests that do not validate, live IAM that cannot be read, an apply that does not finish,
 * and findings at or above `fail-on`. What only warns: a comment that cannot be posted (a fork's read-only token),
 * a base commit that cannot be found (the plan then does not tell drift apart).
 */
import * as core from '@actions/core';
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { failingFindings, type Finding } from '../analyze/findings.js';
import { findingsToGate } from '../analyze/plan-findings.js';
import { FAIL_ON, SEVERITY_ORDER, type FindingSeverity } from '../core/severity.js';
import { applyManifests, type ApplyOutcome } from '../app/apply.js';
import { selectAccounts } from '../app/accounts.js';
import { detectDrift, driftFingerprint, hasDrift } from '../app/drift.js';
import { withPullRequest } from '../app/pull-request.js';
import { auditAccount, planChanges } from '../app/use-cases.js';
import { loadActionCatalog } from '../catalog/iam-data-catalog.js';
import { error, formatDiagnostic, hasErrors, InputError, type Diagnostic } from '../core/diagnostics.js';
import { readPullRequest, type PullRequestGit } from '../git/pull-request-git.js';
import { inertJson } from '../core/terminal-safe.js';
import { gitHubClient } from '../github/client.js';
import { syncDriftIssue } from '../github/drift-issue.js';
import { environmentGaps, readEnvironmentProtection } from '../github/environment.js';
import { pullRequestsMergedAs } from '../github/merged-pull-requests.js';
import { upsertStickyComment, type CommentOutcome } from '../github/sticky-comment.js';
import { awsTuningFromEnv, createAwsClients, DEFAULT_REQUEST_TIMEOUT_MS, type AwsClients } from '../live/aws/connection.js';
import { describeRetry, type RetryEvent } from '../live/aws/retry.js';
import { AwsLiveReader } from '../live/aws/aws-live-reader.js';
import type { LiveReader } from '../live/live-state.js';
import { SnapshotFileReader } from '../live/snapshot-file-reader.js';
import { SnapshotTextReader } from '../live/snapshot-text-reader.js';
import { readManifestFolder } from '../manifest/read-manifest-folder.js';
import { hasChanges, type Plan } from '../plan/plan.js';
import { COMMENT_LIMIT, commentMarker, driftMarker, maxSeverity, renderComment, SUMMARY_LIMIT, verdictOf } from '../render/comment.js';
import { driftSummaryLine } from '../render/text-plan.js';
import { code, text } from '../render/markdown-safe.js';
import { APPLIED_HEADING, applyCommentMarker, applyHeadline, renderApplyComment, renderApplyReport } from '../render/apply-report.js';
import { renderAuditMarkdown } from '../render/findings.js';
import { readRunContext, type RunContext } from './event.js';
import { log } from './log.js';

export const COMMANDS = ['plan', 'apply', 'audit', 'drift', 'accounts'] as const;
export { FAIL_ON };

export interface ActionInputs {
  readonly command: (typeof COMMANDS)[number];
  readonly manifests: string;
  readonly state?: string;
  readonly githubToken?: string;
  readonly awsRegion?: string;
  readonly roleToAssume?: string;
  readonly failOn: (typeof FAIL_ON)[number];
  readonly comment: boolean;
  /** accounts: a commit, `all`, or unset (the event decides). */
  readonly changedSince?: string;
  /** accounts: `arn:aws:iam::{account}:role/...`. */
  readonly roleTemplate?: string;
}

/** A problem with the Action's inputs or environment: the message says what to change in the workflow. */
class ActionInputError extends Error {}

export function readInputs(): ActionInputs {
  const choice = <T extends string>(name: string, choices: readonly T[], fallback: T): T => {
    const value = core.getInput(name).trim().toLowerCase() || fallback;
    if (!(choices as readonly string[]).includes(value)) throw new ActionInputError(`input ${name} is "${core.getInput(name)}"; give one of: ${choices.join(', ')}`);
    return value as T;
  };
  const comment = core.getInput('comment').trim().toLowerCase() || 'true';
  if (comment !== 'true' && comment !== 'false') throw new ActionInputError(`input comment is "${core.getInput('comment')}"; give true or false`);
  const optional = (name: string): string | undefined => core.getInput(name).trim() || undefined;
  const state = optional('state');
  const token = optional('github-token');
  const region = optional('aws-region');
  const role = optional('role-to-assume');
  const changedSince = optional('changed-since');
  const roleTemplate = optional('role-template');
  if (role !== undefined && !/^arn:aws[a-z-]*:iam::\d{12}:role\/.+/.test(role)) throw new ActionInputError(`input role-to-assume "${role}" is not a role ARN; give arn:aws:iam::ACCOUNT:role/NAME`);
  return {
    command: choice('command', COMMANDS, 'plan'),
    manifests: optional('manifests') ?? 'manifests',
    ...(state ? { state } : {}),
    ...(token ? { githubToken: token } : {}),
    ...(region ? { awsRegion: region } : {}),
    ...(role ? { roleToAssume: role } : {}),
    failOn: choice('fail-on', FAIL_ON, 'high'),
    comment: comment === 'true',
    ...(changedSince ? { changedSince } : {}),
    ...(roleTemplate ? { roleTemplate } : {}),
  };
}

export async function runAction(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  try {
    const inputs = readInputs();
    const run = readRunContext(env);
    // Paths in annotations and messages are relative to the repository, as GitHub shows them.
    if (resolve(run.workspace) !== process.cwd()) process.chdir(run.workspace);
    if (inputs.command === 'plan') await planCommand(inputs, run, env);
    else if (inputs.command === 'apply') await applyCommand(inputs, run, env);
    else if (inputs.command === 'drift') await driftCommand(inputs, run, env);
    else if (inputs.command === 'accounts') await accountsCommand(inputs, run);
    else await auditCommand(inputs, run, env);
  } catch (e) {
    if (e instanceof ActionInputError) {
      log.failed(`iam-gitops: ${e.message}`);
    } else if (e instanceof InputError) {
      annotate(e.diagnostics);
      await writeSummary(`### iam-gitops\n\n${e.diagnostics.map((d) => `- **${d.severity}:** ${text(formatDiagnostic(d))}`).join('\n')}\n`);
      log.failed(`iam-gitops: ${e.diagnostics.filter((d) => d.severity === 'error').map((d) => d.summary).join('; ')}`);
    } else {
      log.failed(`iam-gitops failed unexpectedly: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    }
  }
}

async function planCommand(inputs: ActionInputs, run: RunContext, env: NodeJS.ProcessEnv): Promise<void> {
  const pr = run.pullRequest;
  if (run.eventProblem) log.warning(`iam-gitops: ${run.eventProblem}. Planning without a pull request: no comment, and no telling drift apart.`);
  const notes: string[] = run.eventProblem ? [run.eventProblem] : [];

  let git: PullRequestGit | undefined;
  if (pr) {
    git = await core.group('Comparing with the pull request base', async () => {
      try {
        // A snapshot in the repository is read at the base: a pull request (a fork's) cannot say what live IAM is.
        const found = await readPullRequest({ manifests: inputs.manifests, base: pr.baseSha, fetchFrom: 'origin', ...(inputs.state ? { snapshot: inputs.state } : {}) });
        log.info(`merge base ${found.context.mergeBase}; ${found.context.files.length} manifest files changed`);
        if (found.snapshot?.change) log.warning(`iam-gitops: this pull request ${found.snapshot.change === 'modified' ? 'changes' : found.snapshot.change === 'deleted' ? 'deletes' : 'replaces'} ${found.snapshot.path}, the snapshot of live IAM it is planned against. The plan uses the base's copy (${found.snapshot.base.slice(0, 7)}).`);
        return found;
      } catch (e) {
        if (!(e instanceof InputError)) throw e;
        // Without the base, the snapshot could only be the pull request's own copy: no plan rather than a forged one.
        if (inputs.state) {
          const about = e.diagnostics.some((d) => d.summary.startsWith('the snapshot'));
          throw about ? e : new InputError([error(`cannot read the snapshot ${inputs.state} at the pull request's base ${pr.baseRef} (${pr.baseSha.slice(0, 7)}), and a pull request's own copy cannot be trusted: no plan`, 'Check out enough history for the base (actions/checkout with fetch-depth: 0), or plan with AWS credentials.'), ...e.diagnostics]);
        }
        const why = e.diagnostics.map((d) => `${d.summary}. ${d.detail ?? ''}`).join(' ');
        log.warning(`iam-gitops: cannot compare with the pull request's base ${pr.baseRef} (${pr.baseSha.slice(0, 7)}): ${why} The plan is complete; it only cannot tell this pull request's changes from drift.`);
        notes.push(`Cannot compare with the base ${pr.baseRef} (${pr.baseSha.slice(0, 7)}): ${why}`);
        return undefined;
      }
    });
  }

  const result = await core.group('Planning', async () => {
    const manifests = readManifestFolder(inputs.manifests);
    const now = new Date();
    const planned = await planChanges(manifests, git?.snapshot ? new SnapshotTextReader(git.snapshot.source, git.snapshot.text) : await liveReader(inputs, env), now);
    return git ? withPullRequest(planned, manifests, git, now) : planned;
  });
  const folder = folderName(inputs.manifests);
  const marker = commentMarker(folder);

  if (!result.plan || hasErrors(result.diagnostics)) {
    annotate(result.diagnostics);
    const body = failureReport(marker, folder, result.diagnostics);
    await writeSummary(body);
    if (pr && inputs.comment) await postComment(inputs, run, pr.number, marker, body);
    setPlanOutputs(undefined);
    log.failed(`iam-gitops: the plan failed: ${result.diagnostics.filter((d) => d.severity === 'error').length} errors (annotated on the manifests; see the job summary)`);
    return;
  }
  const plan = result.plan;
  annotate(plan.diagnostics);
  const catalog = await loadActionCatalog();
  const planPath = writePlan(plan, folder, env);
  const snapshotAt = git?.snapshot ? ` as the base has it (${git.snapshot.base.slice(0, 7)})` : '';
  const liveNote = inputs.state ? `Live IAM was not read from AWS: this plan is against the snapshot ${inputs.state} committed in the repository${snapshotAt}${pr?.fromFork ? ' (a pull request from a fork gets no AWS credentials)' : ''}. The apply on merge plans again against AWS.` : undefined;
  const options = { folder, ...(liveNote ? { liveNote } : {}) };
  await writeSummary(withinBytes((limit) => renderComment(plan, catalog, { ...options, limit, fullReport: `the plan JSON (${planPath} on the runner)` }) + notesMarkdown(notes), SUMMARY_BUDGET));

  setPlanOutputs(plan, planPath);

  if (pr && inputs.comment) {
    const full = run.runUrl ? `the job summary of [this run](${run.runUrl})` : 'the job summary of this run';
    await postComment(inputs, run, pr.number, marker, renderComment(plan, catalog, { ...options, fullReport: full }) + notesMarkdown(notes));
  }
  failOnFindings(findingsToGate(plan), inputs.failOn, 'the change introduces');
}

async function applyCommand(inputs: ActionInputs, run: RunContext, env: NodeJS.ProcessEnv): Promise<void> {
  if (inputs.state) throw new ActionInputError('apply changes live IAM, so it reads AWS: remove the state input (a snapshot cannot be applied to)');
  // GitHub's OIDC token says which environment the job runs in (and assumes the role): fetched once.
  let idToken: string | undefined;
  if (env['ACTIONS_ID_TOKEN_REQUEST_URL']) {
    try {
      idToken = await idTokenWithin(awsTuningFromEnv(env).requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS);
    } catch {
      /* awsClients says why, if the role needs it */
    }
  }
  await checkApplyEnvironment(inputs, run, idToken);
  const clients = await awsClients(inputs, env, idToken);
  const catalog = await loadActionCatalog();
  const outcome = await core.group('Applying', () =>
    applyManifests({
      manifests: readManifestFolder(inputs.manifests),
      clients,
      // The same gate as the pull request's plan (fail-on defaults to high for every command): a merge that bypassed
      // a failing check, or drift since, does not apply a finding the check would have stopped.
      failOn: inputs.failOn,
      allowLockout: false,
      concurrency: 8,
      now: new Date(),
      // The workflow is the approval: a protected environment and a reviewed merge.
      confirm: async () => true,
      onEvent: (e) => {
        if (e.type === 'done') log.info(`[${e.step.id}/${e.total}] ${e.step.title} ok (${e.ms} ms)`);
        else if (e.type === 'failed') log.error(`[${e.step.id}/${e.total}] ${e.step.title} failed: ${e.error.summary}`);
      },
      onWait: (message) => log.info(message),
    }),
  );
  if (clients.throttling.throttledRetries > 0) log.info(`IAM throttled ${clients.throttling.throttledRetries} requests; ${(clients.throttling.throttledMs / 1000).toFixed(1)} s in all went to waiting on throttling (not eventual consistency)`);
  const folder = folderName(inputs.manifests);
  const planPath = outcome.plan ? writePlan(outcome.plan, folder, env) : undefined;
  setPlanOutputs(outcome.plan, planPath);
  const report = renderApplyReport(outcome, { ...(run.sha ? { sha: run.sha } : {}), folder, maxItemsPerSection: 5000 });
  const plan = outcome.plan;
  const planMarkdown = plan ? withinBytes((limit) => renderComment(plan, catalog, { folder, limit, nextSteps: 'This is the plan the run applied.', fullReport: `the plan JSON (${planPath} on the runner)` }), SUMMARY_BUDGET - Buffer.byteLength(report)) : '';
  await writeSummary(`${report}\n${planMarkdown}`);
  // A refusal by fail-on is said once, by failOnFindings below, as for plan.
  if (outcome.status === 'refused' && !outcome.failing) annotate(outcome.diagnostics);
  if (inputs.comment) await commentOnMergedPullRequests(inputs, run, outcome, folder);
  if (outcome.status === 'refused' && outcome.failing) failOnFindings(outcome.failing, inputs.failOn, 'the plan introduces');
  else if (outcome.status !== 'converged') log.failed(`iam-gitops: ${applyHeadline(outcome)}`);
}

/**
 * The apply's result on the pull request it merged, next to the plan its reviewers approved. Whatever GitHub
 * answers, the apply's result stands: a comment that cannot be posted is a warning, never a failed step.
 */
async function commentOnMergedPullRequests(inputs: ActionInputs, run: RunContext, outcome: ApplyOutcome, folder: string): Promise<void> {
  if (!run.sha) return;
  if (!inputs.githubToken) {
    log.info('iam-gitops: no github-token, so the merged pull request gets no apply comment');
    return;
  }
  const client = gitHubClient({ token: inputs.githubToken, baseUrl: run.apiUrl, log: (m) => log.info(m) });
  const merged = await pullRequestsMergedAs(client, { owner: run.owner, repo: run.repo, sha: run.sha });
  if (!merged.found) {
    log.warning(`iam-gitops: ${merged.reason} The apply's report is in the job summary.`);
    return;
  }
  if (merged.numbers.length === 0) {
    log.info(`iam-gitops: ${run.sha.slice(0, 7)} is not the merge of a pull request (a direct push?): no comment`);
    return;
  }
  const body = renderApplyComment(outcome, { sha: run.sha, ...(run.runUrl ? { runUrl: run.runUrl } : {}), folder });
  // A re-run that finds nothing left to do keeps the comment that says what an earlier run applied; one that said the
  // apply stopped is replaced: live IAM matches now.
  const keepExisting = outcome.status === 'converged' && !outcome.execution ? (existing: string) => existing.includes(APPLIED_HEADING) : undefined;
  for (const number of merged.numbers.slice(0, 10)) {
    const posted = await upsertStickyComment(client, { owner: run.owner, repo: run.repo, issueNumber: number, marker: applyCommentMarker(folder), body, ...(keepExisting ? { keepExisting } : {}) });
    if (posted.posted) log.info(`apply comment ${posted.action} on pull request #${number}: ${posted.url}`);
    else log.warning(`iam-gitops: ${posted.reason} The apply's report is in the job summary.`);
  }
}

/**
 * Drift, on a schedule: the report in the job summary, and one issue per manifests folder while there is drift
 * (opened, kept current, closed when it is gone). The step fails only when the drift introduces a finding at or
 * above fail-on: the issue is the notice, a red run every day would only teach people to ignore it.
 */
async function driftCommand(inputs: ActionInputs, run: RunContext, env: NodeJS.ProcessEnv): Promise<void> {
  const result = await core.group('Detecting drift', async () => detectDrift(readManifestFolder(inputs.manifests), await liveReader(inputs, env), new Date()));
  const folder = folderName(inputs.manifests);
  if (!result.report || hasErrors(result.diagnostics)) {
    annotate(result.diagnostics);
    await writeSummary(failureReport('', folder, result.diagnostics, 'drift detection failed', 'Fix the manifests: the next run checks again.'));
    core.setOutput('has-drift', 'false');
    log.failed(`iam-gitops: drift detection failed: ${result.diagnostics.filter((d) => d.severity === 'error').length} errors (annotated on the manifests; see the job summary)`);
    return;
  }
  const report = result.report;
  annotate(report.diagnostics);
  const catalog = await loadActionCatalog();
  const reportPath = writePlan(report, `drift-${folder}`, env);
  const drift = hasDrift(report);
  const options = { folder, perspective: 'drift' as const };
  await writeSummary(withinBytes((limit) => renderComment(report, catalog, { ...options, limit, fullReport: `the drift report JSON (${reportPath} on the runner)` }), SUMMARY_BUDGET));
  core.setOutput('has-drift', String(drift));
  setPlanOutputs(report, reportPath);
  log.info(drift ? driftSummaryLine(report) : 'No drift: live IAM matches the manifests.');

  if (inputs.comment) {
    if (!inputs.githubToken) {
      log.warning('iam-gitops: no github-token, so no drift issue. Pass `github-token: ${{ github.token }}` (the default) with `permissions: issues: write`.');
    } else {
      const client = gitHubClient({ token: inputs.githubToken, baseUrl: run.apiUrl, log: (m) => log.info(m) });
      const where = run.runUrl ? ` ([run](${run.runUrl}))` : '';
      const outcome = await syncDriftIssue(client, {
        owner: run.owner,
        repo: run.repo,
        marker: driftMarker(folder),
        title: `IAM drift: account ${report.account} differs from ${folder}`,
        // The issue's body holds the report and a hidden fingerprint line: both within GitHub's 65,536 characters.
        body: renderComment(report, catalog, { ...options, limit: COMMENT_LIMIT - DRIFT_STAMP_ROOM, fullReport: run.runUrl ? `the job summary of [the latest run](${run.runUrl})` : 'the job summary of the latest run' }),
        drift,
        fingerprint: driftFingerprint(report),
        changedNote: `The drift changed${where}: ${text(driftSummaryLine(report))} The description above is the report as it is now.`,
        resolvedNote: `No drift any more${where}: live IAM matches ${text(folder)} again. Closing.`,
      });
      if (outcome.ok) log.info(`drift issue ${outcome.action}${outcome.number ? `: #${outcome.number} ${outcome.url ?? ''}` : ''}`);
      else log.warning(`iam-gitops: ${outcome.reason} The drift report is in the job summary.`);
      if (outcome.ok && outcome.number !== undefined && outcome.action !== 'closed') core.setOutput('drift-issue', String(outcome.number));
    }
  }
  failOnFindings(report.findings, inputs.failOn, 'the drift introduces');
}

/** Room in a drift issue's body for the fingerprint line `syncDriftIssue` adds after the marker. */
const DRIFT_STAMP_ROOM = 128;

/** GitHub Actions runs at most this many jobs from one matrix. */
const MATRIX_LIMIT = 256;

/**
 * The account folders for a matrix: on a pull request those it changes (since its base), on a push those the push
 * changes (since `before`), otherwise (schedule, by hand, a new branch) all of them. Outputs `matrix` for
 * `fromJSON` and `count`, so that the matrix job can be skipped when nothing changed (an empty matrix fails).
 */
async function accountsCommand(inputs: ActionInputs, run: RunContext): Promise<void> {
  const ZERO = /^0+$/;
  const since =
    inputs.changedSince === 'all'
      ? undefined
      : (inputs.changedSince ?? run.pullRequest?.baseSha ?? (run.pushBefore && !ZERO.test(run.pushBefore) ? run.pushBefore : undefined));
  const why = since === undefined ? (inputs.changedSince === 'all' ? 'changed-since: all' : `a ${run.eventName || 'run'} without a base to compare with`) : `changed since ${since.slice(0, 7)}`;
  const roleTemplate = inputs.roleTemplate ? { roleTemplate: inputs.roleTemplate } : {};
  let reason = why;
  const selection = await core.group('Finding the account folders', async () => {
    try {
      return await selectAccounts(inputs.manifests, { ...(since ? { changedSince: since, fetchFrom: 'origin' } : {}), ...roleTemplate });
    } catch (e) {
      // A base the event named but git cannot find (a force push rewrote it away): every account is the safe answer,
      // since plan, apply and drift do nothing where nothing differs. A base the workflow named is its mistake.
      if (!(e instanceof InputError) || since === undefined || inputs.changedSince !== undefined || !e.diagnostics.some((d) => d.summary.startsWith('--changed-since'))) throw e;
      log.warning(`iam-gitops: cannot compare with ${since.slice(0, 7)} (${e.diagnostics[0]!.summary}); selecting every account folder`);
      reason = `every folder: the event's base ${since.slice(0, 7)} is not in the repository`;
      return selectAccounts(inputs.manifests, roleTemplate);
    }
  });
  annotate(selection.diagnostics);
  if (selection.accounts.length > MATRIX_LIMIT) {
    throw new ActionInputError(`${selection.accounts.length} account folders selected, and a GitHub Actions matrix runs at most ${MATRIX_LIMIT} jobs: split them over several workflows, each with its own manifests root (accounts/a-m, accounts/n-z)`);
  }
  core.setOutput('matrix', inertJson({ include: selection.accounts }));
  core.setOutput('count', String(selection.accounts.length));
  log.info(`${selection.accounts.length} of ${selection.total} account folders (${reason}): ${selection.accounts.map((a) => a.folder).join(', ') || 'none'}`);
  const rows = selection.accounts.map((a) => `| ${code(a.folder)} | ${code(a.account)} | ${text(a.managedPaths.join(', '))} | ${a.role ? code(a.role) : '—'} |`);
  await writeSummary([`### iam-gitops: ${selection.accounts.length} of ${selection.total} account folders`, '', text(`Selected: ${reason}.`), '', ...(rows.length ? ['| Folder | Account | Managed paths | Role |', '|---|---|---|---|', ...rows] : ['No account folder to run.']), ''].join('\n'));
}

async function auditCommand(inputs: ActionInputs, _run: RunContext, env: NodeJS.ProcessEnv): Promise<void> {
  const result = await core.group('Auditing', async () => auditAccount(await liveReader(inputs, env), undefined, new Date()));
  annotate(result.diagnostics);
  if (!result.findings || hasErrors(result.diagnostics)) {
    await writeSummary(failureReport('', folderName(inputs.manifests), result.diagnostics));
    log.failed('iam-gitops: the audit failed (see the job summary)');
    return;
  }
  await writeSummary(renderAuditMarkdown(result.findings, result.against));
  const worst = SEVERITY_ORDER.find((s) => result.findings!.some((f) => f.severity === s && f.accepted === undefined));
  core.setOutput('has-changes', 'false');
  core.setOutput('verdict', '');
  core.setOutput('max-severity', worst ?? 'none');
  failOnFindings(result.findings, inputs.failOn, 'the account has');
}

async function liveReader(inputs: ActionInputs, env: NodeJS.ProcessEnv): Promise<LiveReader> {
  if (inputs.state) return new SnapshotFileReader(inputs.state);
  return new AwsLiveReader(await awsClients(inputs, env));
}

/**
 * AWS clients: with role-to-assume and an OIDC token available (`permissions: id-token: write`), the role is
 * assumed with GitHub's token, no secret stored; with role-to-assume and credentials in the environment, through
 * STS AssumeRole; otherwise the environment's credentials (aws-actions/configure-aws-credentials).
 */
async function awsClients(inputs: ActionInputs, env: NodeJS.ProcessEnv, idToken?: string): Promise<AwsClients> {
  const tuning = awsTuningFromEnv(env);
  const common = { ...(inputs.awsRegion ? { region: inputs.awsRegion } : {}), env, ...tuning, onRetry: (event: RetryEvent) => log.info(describeRetry(event)) };
  const role = inputs.roleToAssume;
  const hasEnvCredentials = Boolean(env['AWS_ACCESS_KEY_ID'] && env['AWS_SECRET_ACCESS_KEY']);
  if (role && env['ACTIONS_ID_TOKEN_REQUEST_URL']) {
    let token: string;
    try {
      token = idToken ?? (await idTokenWithin(tuning.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS));
    } catch (e) {
      throw new ActionInputError(`cannot get GitHub's OIDC token to assume ${role}: ${e instanceof Error ? e.message : String(e)}. Give the job \`permissions: id-token: write\`.`);
    }
    const clients = createAwsClients({ ...common, webIdentity: { roleArn: role, token, sessionName: sessionName(env) } });
    try {
      // Assume now: a refusal here is about the role's trust policy, and the message should say so.
      await clients.iam.config.credentials();
    } catch (e) {
      const sub = claimOf(token, 'sub');
      throw new ActionInputError(`cannot assume ${role} with GitHub's OIDC token (sub: ${sub ?? 'unknown'}): ${e instanceof Error ? e.message : String(e)}. The role's trust policy must allow sts:AssumeRoleWithWebIdentity for the token.actions.githubusercontent.com provider with aud sts.amazonaws.com and this sub (examples/workflows/iam-roles.yaml shows both roles).`);
    }
    return clients;
  }
  if (role && hasEnvCredentials) return createAwsClients({ ...common, assumeRole: { arn: role, sessionName: sessionName(env) } });
  if (role) throw new ActionInputError(`cannot assume ${role}: no OIDC token (give the job \`permissions: id-token: write\`) and no AWS credentials in the environment`);
  if (!hasEnvCredentials && !env['AWS_PROFILE'] && !env['AWS_WEB_IDENTITY_TOKEN_FILE'] && !env['AWS_CONTAINER_CREDENTIALS_FULL_URI'] && !env['AWS_CONTAINER_CREDENTIALS_RELATIVE_URI']) {
    log.warning('iam-gitops: no role-to-assume and no AWS credentials in the environment; trying the SDK default chain (instance metadata). Give role-to-assume, or state for a plan without AWS.');
  }
  return createAwsClients(common);
}

/** The `sub` claim of a JWT (not verified: only to say which subject a trust policy refused). */
function claimOf(token: string, claim: 'sub' | 'environment'): string | undefined {
  try {
    const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
    return typeof claims[claim] === 'string' ? claims[claim] : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Before an apply: is its environment protected? The job names one (the OIDC token's `environment` claim), and
 * GitHub creates an environment a job names, unprotected, the first time it runs: then the apply role is anyone's
 * who can run the workflow. Warns when it can see no required reviewers or no deployment branch rule; says when it
 * cannot see (no OIDC token, no github-token, no `actions: read`).
 */
async function checkApplyEnvironment(inputs: ActionInputs, run: RunContext, idToken: string | undefined): Promise<void> {
  const how = 'Protect it before the first apply: Settings > Environments, required reviewers, and deployment branches "main" only (README, "The apply environment").';
  if (!idToken) {
    log.info('iam-gitops: no OIDC token (permissions: id-token: write), so the environment this apply runs in is not checked');
    return;
  }
  const name = claimOf(idToken, 'environment');
  if (!name) {
    log.warning(`iam-gitops: this apply job runs in no environment, so nothing holds it for review before it changes IAM. Give the job \`environment:\` with required reviewers and deployment branches "main" (README, "The apply environment").`);
    return;
  }
  if (!inputs.githubToken) {
    log.info(`iam-gitops: no github-token, so how environment "${name}" is protected is not checked`);
    return;
  }
  const client = gitHubClient({ token: inputs.githubToken, baseUrl: run.apiUrl, log: (m) => log.info(m) });
  const check = await readEnvironmentProtection(client, { owner: run.owner, repo: run.repo, name });
  if (!check.ok) {
    log.warning(`iam-gitops: ${check.reason} An unprotected environment lets anyone who can run this workflow apply, unreviewed.`);
    return;
  }
  const gaps = environmentGaps(check.protection);
  if (gaps.length) log.warning(`iam-gitops: this apply runs in environment "${name}", which has ${gaps.join(' and ')}. ${how}`);
  else log.info(`environment "${name}": ${check.protection.reviewers} required reviewers, deployments from ${check.protection.branches} only`);
}

/** GitHub's OIDC token, or a failure after this long: `core.getIDToken` itself has no timeout. */
async function idTokenWithin(ms: number): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer from GitHub's OIDC token endpoint within ${ms / 1000} s`)), ms);
  });
  try {
    return await Promise.race([core.getIDToken('sts.amazonaws.com'), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** CloudTrail shows who did what: the session is named after the run. */
function sessionName(env: NodeJS.ProcessEnv): string {
  return `iam-gitops-${env['GITHUB_RUN_ID'] ?? Date.now()}-${env['GITHUB_RUN_ATTEMPT'] ?? '1'}`.slice(0, 64);
}

async function postComment(inputs: ActionInputs, run: RunContext, number: number, marker: string, body: string): Promise<CommentOutcome> {
  const token = inputs.githubToken;
  if (!token) {
    const reason = 'no github-token: the comment was not posted. Pass `github-token: ${{ github.token }}` (the default) with `permissions: pull-requests: write`.';
    log.warning(`iam-gitops: ${reason}`);
    await writeSummary(`> [!WARNING]\n> ${reason}\n`);
    return { posted: false, reason };
  }
  const client = gitHubClient({ token, baseUrl: run.apiUrl, log: (m) => log.info(m) });
  const outcome = await upsertStickyComment(client, { owner: run.owner, repo: run.repo, issueNumber: number, marker, body });
  if (outcome.posted) {
    log.info(`comment ${outcome.action}: ${outcome.url}${outcome.removedDuplicates ? ` (${outcome.removedDuplicates} duplicates removed)` : ''}`);
  } else {
    log.warning(`iam-gitops: ${outcome.reason} The report is in the job summary.`);
    await writeSummary(`> [!WARNING]\n> The pull request comment was not posted: ${text(outcome.reason)}\n`);
  }
  return outcome;
}

/** The outputs a plan (or a drift report, or the plan an apply ran) sets; without one, what says there is none. */
function setPlanOutputs(plan: Plan | undefined, path?: string): void {
  core.setOutput('has-changes', String(plan ? hasChanges(plan) : false));
  core.setOutput('verdict', plan ? verdictOf(plan) : '');
  core.setOutput('max-severity', plan ? maxSeverity(plan) : 'none');
  if (path) core.setOutput('plan-path', path);
}

function failOnFindings(findings: readonly (Finding & { readonly change?: 'introduced' | 'removed' })[], failOn: ActionInputs['failOn'], says: string): void {
  const failing = failingFindings(findings, failOn);
  if (failing.length === 0) return;
  const worst: FindingSeverity = SEVERITY_ORDER.find((s) => failing.some((f) => f.severity === s))!;
  log.failed(`iam-gitops: ${says} ${failing.length === 1 ? 'a finding' : `${failing.length} findings`} at or above ${failOn} (worst: ${worst}; fail-on: ${failOn}): ${failing.slice(0, 3).map((f) => `${f.code} on ${f.principal}`).join(', ')}${failing.length > 3 ? ', ...' : ''}`);
}

/** Diagnostics as annotations on the manifest lines (paths relative to the repository). */
function annotate(diagnostics: readonly Diagnostic[]): void {
  for (const d of diagnostics) {
    const message = d.detail ? `${d.summary}\n${d.detail}` : d.summary;
    const where = d.at ? { title: `iam-gitops ${d.severity}`, file: relative(process.cwd(), resolve(d.at.file)), startLine: d.at.line, startColumn: d.at.col } : { title: `iam-gitops ${d.severity}` };
    if (d.severity === 'error') log.error(message, where);
    else log.warning(message, where);
  }
}

function failureReport(marker: string, folder: string, diagnostics: readonly Diagnostic[], what = 'the plan failed', next = 'Fix the manifests and push: this comment is updated on every push.'): string {
  const errors = diagnostics.filter((d) => d.severity === 'error');
  const lines = [marker, `### ⛔ iam-gitops: ${what} · ${text(folder)}`, '', `**${errors.length === 1 ? '1 error' : `${errors.length} errors`}** (annotated on the files in this run):`, ''];
  for (const d of errors.slice(0, 100)) lines.push(`- ${d.at ? `${code(`${d.at.file}:${d.at.line}:${d.at.col}`)} ` : ''}${text(d.summary)}${d.detail ? `<br><sub>${text(d.detail)}</sub>` : ''}`);
  if (errors.length > 100) lines.push(`- …and ${errors.length - 100} more`);
  lines.push('', '---', `<sub>${next}</sub>`);
  return `${lines.filter((l, i) => i > 0 || l !== '').join('\n')}\n`;
}

function notesMarkdown(notes: readonly string[]): string {
  return notes.length ? `\n> [!WARNING]\n${notes.map((n) => `> ${text(n)}`).join('\n>\n')}\n` : '';
}

/** GitHub's job summary limit is in bytes (1 MiB per step); a few kilobytes stay free for warnings after the report. */
const SUMMARY_BUDGET = SUMMARY_LIMIT - 8192;

/** Renders within `bytes` UTF-8 bytes: renderers count characters, and names may be multi-byte. */
function withinBytes(render: (limit: number) => string, bytes: number): string {
  let limit = bytes;
  let out = render(limit);
  for (let i = 0; i < 5 && Buffer.byteLength(out) > bytes; i++) {
    limit = Math.floor((limit * bytes) / Buffer.byteLength(out) * 0.95);
    out = render(limit);
  }
  return out;
}

function writePlan(plan: Plan, folder: string, env: NodeJS.ProcessEnv): string {
  const dir = env['RUNNER_TEMP'] || tmpdir();
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `iam-gitops-plan-${folder.replace(/[^A-Za-z0-9._-]/g, '_')}.json`);
  writeFileSync(path, `${inertJson(plan, 2)}\n`);
  return path;
}

/** The manifests folder as the marker and headings name it: relative to the repository, with forward slashes. */
function folderName(manifests: string): string {
  return relative(process.cwd(), resolve(manifests)).split('\\').join('/') || '.';
}

async function writeSummary(markdown: string): Promise<void> {
  if (!process.env['GITHUB_STEP_SUMMARY']) {
    log.info('GITHUB_STEP_SUMMARY is not set: the report goes to the log only');
    log.info(markdown);
    return;
  }
  try {
    await core.summary.addRaw(markdown, true).write();
  } catch (e) {
    log.warning(`iam-gitops: cannot write the job summary: ${e instanceof Error ? e.message : String(e)}`);
  } finally {
    core.summary.emptyBuffer();
  }
}
