/**
 * Each `command:` of the Action mapped to its use case (src/app), and the use case's result to the runner: outputs,
 * annotations, the job summary, comments, and the step's result.
 */
import { tmpdir } from 'node:os';
import { relative, resolve } from 'node:path';
import { selectRunAccounts } from '../app/account-matrix.js';
import { applyManifests } from '../app/apply.js';
import { readPolicyLockFile, recordAppliedPolicyVersions } from '../app/policy-lock-file.js';
import type { LockedVersions } from '../analyze/policy-lock.js';
import { detectDrift, driftFingerprint, hasDrift } from '../app/drift.js';
import { worstUnaccepted } from '../app/fail-on.js';
import { checkApplyEnvironment, commentOnMergedPullRequests, postPlanComment, closeStaleProposal, reportDriftIssue, reportProposal, type GitHubRepository, type ReportLog } from '../app/github-reports.js';
import { rightsizeManifests } from '../app/rightsize.js';
import { USAGE_LIMITS } from '../analyze/rightsize.js';
import { applyTuning, type RunEnvironment } from '../app/live-source.js';
import { writePlanFile } from '../app/plan-file.js';
import { planPullRequest } from '../app/plan-pull-request.js';
import { SetupError } from '../app/setup-error.js';
import { auditAccount } from '../app/use-cases.js';
import { canRequestIdToken, connectWorkflowAws, idTokenWithin, openWorkflowLive } from '../app/workflow-aws.js';
import { findingsToGate } from '../analyze/plan-findings.js';
import { loadActionCatalog } from '../catalog/iam-data-catalog.js';
import type { Clock } from '../core/clock.js';
import { hasErrors } from '../core/diagnostics.js';
import { inertJson } from '../core/terminal-safe.js';
import { readManifestFolder } from '../manifest/read-manifest-folder.js';
import type { Plan } from '../plan/plan.js';
import { APPLIED_HEADING, applyCommentMarker, applyHeadline, renderApplyComment, renderApplyReport } from '../render/apply-report.js';
import { COMMENT_LIMIT, commentMarker, driftMarker, renderComment, rightsizeMarker } from '../render/comment.js';
import { renderAuditMarkdown } from '../render/findings.js';
import { renderFailureReport, renderNotes, renderWithinBytes, SUMMARY_BUDGET } from '../render/job-summary.js';
import { code, text } from '../render/markdown-safe.js';
import { driftSummaryLine } from '../render/text-plan.js';
import type { RunContext } from './event.js';
import type { ActionCommand, ActionInputs } from './inputs.js';
import type { ActionLog } from './log.js';
import type { ActionsPort } from './port.js';
import { folderName, type ActionReport } from './report.js';

/** One run of the Action: its port, inputs and the runner's context. */
export interface ActionRun {
  readonly port: ActionsPort;
  readonly log: ActionLog;
  readonly report: ActionReport;
  readonly inputs: ActionInputs;
  readonly run: RunContext;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly clock?: Clock;
}

export const COMMAND_RUNNERS: Readonly<Record<ActionCommand, (action: ActionRun) => Promise<void>>> = {
  plan: runPlan,
  apply: runApply,
  drift: runDrift,
  audit: runAudit,
  rightsize: runRightsize,
  accounts: runAccounts,
};

/** What the use cases get from the run: its environment (tuning, credentials), clock, and where AWS retries are said. */
function runEnvironment(a: ActionRun): RunEnvironment {
  return { env: a.env, ...(a.clock ? { clock: a.clock } : {}), onRetry: (said) => a.log.info(said) };
}

function repository(a: ActionRun): GitHubRepository {
  return { ...(a.inputs.githubToken ? { token: a.inputs.githubToken } : {}), apiUrl: a.run.apiUrl, owner: a.run.owner, repo: a.run.repo };
}

function reportLog(a: ActionRun): ReportLog {
  return { info: (m) => a.log.info(m), warning: (m) => a.log.warning(m), summary: (m) => a.report.summary(m) };
}

function live(a: ActionRun): ReturnType<typeof openWorkflowLive> {
  return openWorkflowLive({ ...(a.inputs.state ? { state: a.inputs.state } : {}), ...awsOf(a) });
}

function awsOf(a: ActionRun, idToken?: string): Parameters<typeof connectWorkflowAws>[0] {
  return {
    ...(a.inputs.roleToAssume ? { roleToAssume: a.inputs.roleToAssume } : {}),
    ...(a.inputs.awsRegion ? { region: a.inputs.awsRegion } : {}),
    run: runEnvironment(a),
    requestIdToken: (audience) => a.port.getIDToken(audience),
    ...(idToken ? { idToken } : {}),
    warn: (m) => a.log.warning(m),
  };
}

function savePlan(a: ActionRun, plan: Plan, name: string): string {
  return writePlanFile(plan, a.env['RUNNER_TEMP'] || tmpdir(), name);
}

async function runPlan(a: ActionRun): Promise<void> {
  const { inputs, run, log, report } = a;
  const pr = run.pullRequest;
  if (run.eventProblem) log.warning(`iam-gitops: ${run.eventProblem}. Planning without a pull request: no comment, and no telling drift apart.`);
  const notes: string[] = run.eventProblem ? [run.eventProblem] : [];
  const baseName = pr ? `${pr.baseRef} (${pr.baseSha.slice(0, 7)})` : '';
  const result = await planPullRequest(
    {
      manifests: inputs.manifests,
      live: () => live(a),
      ...(inputs.state ? { snapshot: inputs.state } : {}),
      now: new Date(),
      ...(pr ? { pullRequest: { base: pr.baseSha, baseName, fetchFrom: 'origin', ifBaseUnreadable: 'plan-without' as const } } : {}),
      phase: (phase, task) => a.port.group(phase === 'compare' ? 'Comparing with the pull request base' : 'Planning', task),
    },
    {
      onBase: (found) => {
        log.info(`merge base ${found.context.mergeBase}; ${found.context.files.length} manifest files changed`);
        if (found.snapshot?.change) log.warning(`iam-gitops: this pull request ${found.snapshot.change === 'modified' ? 'changes' : found.snapshot.change === 'deleted' ? 'deletes' : 'replaces'} ${found.snapshot.path}, the snapshot of live IAM it is planned against. The plan uses the base's copy (${found.snapshot.base.slice(0, 7)}).`);
      },
      onBaseUnreadable: (why) => {
        log.warning(`iam-gitops: cannot compare with the pull request's base ${baseName}: ${why} The plan is complete; it only cannot tell this pull request's changes from drift.`);
        notes.push(`Cannot compare with the base ${baseName}: ${why}`);
      },
    },
  );
  const folder = folderName(inputs.manifests);
  const marker = commentMarker(folder);
  const comment = async (body: string): Promise<void> => {
    if (pr && inputs.comment) await postPlanComment(repository(a), { number: pr.number, marker, body }, runEnvironment(a), reportLog(a));
  };

  if (!result.plan || hasErrors(result.diagnostics)) {
    report.annotate(result.diagnostics);
    const body = renderFailureReport(marker, folder, result.diagnostics);
    await report.summary(body);
    await comment(body);
    report.planOutputs(undefined);
    log.failed(`iam-gitops: the plan failed: ${result.diagnostics.filter((d) => d.severity === 'error').length} errors (annotated on the manifests; see the job summary)`);
    return;
  }
  const plan = result.plan;
  report.annotate(plan.diagnostics);
  const catalog = await loadActionCatalog();
  const planPath = savePlan(a, plan, folder);
  const snapshot = result.git?.snapshot;
  const snapshotAt = snapshot ? ` as the base has it (${snapshot.base.slice(0, 7)})` : '';
  const liveNote = inputs.state ? `Live IAM was not read from AWS: this plan is against the snapshot ${inputs.state} committed in the repository${snapshotAt}${pr?.fromFork ? ' (a pull request from a fork gets no AWS credentials)' : ''}. The apply on merge plans again against AWS.` : undefined;
  const options = { folder, ...(liveNote ? { liveNote } : {}) };
  await report.summary(renderWithinBytes((limit) => renderComment(plan, catalog, { ...options, limit, fullReport: `the plan JSON (${planPath} on the runner)` }) + renderNotes(notes), SUMMARY_BUDGET));
  report.planOutputs(plan, planPath);
  const full = run.runUrl ? `the job summary of [this run](${run.runUrl})` : 'the job summary of this run';
  await comment(renderComment(plan, catalog, { ...options, fullReport: full }) + renderNotes(notes));
  report.failOn(findingsToGate(plan), inputs.failOn, 'the change introduces');
}

async function runApply(a: ActionRun): Promise<void> {
  const { inputs, run, log, report } = a;
  if (inputs.state) throw new SetupError('apply changes live IAM, so it reads AWS: remove the state input (a snapshot cannot be applied to)');
  // GitHub's OIDC token says which environment the job runs in (and assumes the role): fetched once.
  let idToken: string | undefined;
  if (canRequestIdToken(a.env)) {
    try {
      idToken = await idTokenWithin((audience) => a.port.getIDToken(audience), a.env);
    } catch {
      /* connectWorkflowAws says why, if the role needs it */
    }
  }
  await checkApplyEnvironment(repository(a), idToken, runEnvironment(a), reportLog(a));
  const clients = await connectWorkflowAws(awsOf(a, idToken));
  const catalog = await loadActionCatalog();
  const outcome = await a.port.group('Applying', () =>
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
      ...applyTuning(runEnvironment(a)),
    }),
  );
  if (clients.throttling.throttledRetries > 0) log.info(`IAM throttled ${clients.throttling.throttledRetries} requests; ${(clients.throttling.throttledMs / 1000).toFixed(1)} s in all went to waiting on throttling (not eventual consistency)`);
  const folder = folderName(inputs.manifests);
  const planPath = outcome.plan ? savePlan(a, outcome.plan, folder) : undefined;
  report.planOutputs(outcome.plan, planPath);
  const applyReport = renderApplyReport(outcome, { ...(run.sha ? { sha: run.sha } : {}), folder, maxItemsPerSection: 5000 });
  const plan = outcome.plan;
  const planMarkdown = plan ? renderWithinBytes((limit) => renderComment(plan, catalog, { folder, limit, nextSteps: 'This is the plan the run applied.', fullReport: `the plan JSON (${planPath} on the runner)` }), SUMMARY_BUDGET - Buffer.byteLength(applyReport)) : '';
  await report.summary(`${applyReport}\n${planMarkdown}`);
  // A refusal by fail-on is said once, by report.failOn below, as for plan.
  if (outcome.status === 'refused' && !outcome.failing) report.annotate(outcome.diagnostics);
  if (inputs.comment && run.sha) {
    const body = renderApplyComment(outcome, { sha: run.sha, ...(run.runUrl ? { runUrl: run.runUrl } : {}), folder });
    // A re-run that finds nothing left to do keeps the comment that says what an earlier run applied; one that said
    // the apply stopped is replaced: live IAM matches now.
    const keepExisting = outcome.status === 'converged' && !outcome.execution ? (existing: string) => existing.includes(APPLIED_HEADING) : undefined;
    await commentOnMergedPullRequests(repository(a), { sha: run.sha, marker: applyCommentMarker(folder), body, ...(keepExisting ? { keepExisting } : {}) }, runEnvironment(a), reportLog(a));
  }
  if (outcome.status === 'converged' && outcome.awsPolicyVersions) recordLock(a, outcome.awsPolicyVersions);
  else a.port.setOutput('lock-file-changed', 'false');
  if (outcome.status === 'refused' && outcome.failing) report.failOn(outcome.failing, inputs.failOn, 'the plan introduces');
  else if (outcome.status !== 'converged') log.failed(`iam-gitops: ${applyHeadline(outcome)}`);
}

/**
 * The AWS managed policy versions apply ran with, in the lock file beside the manifests (as the CLI's apply writes
 * it). The runner's checkout is thrown away after the job: the outputs `lock-file-changed` and `lock-file` let the
 * workflow commit it (the example apply workflow does), and a warning says so where it does not.
 */
function recordLock(a: ActionRun, versions: LockedVersions): void {
  const recorded = recordAppliedPolicyVersions(a.inputs.manifests, versions);
  const path = relative(a.run.workspace, recorded.path).split('\\').join('/');
  a.port.setOutput('lock-file', path);
  a.port.setOutput('lock-file-changed', String(recorded.written));
  if (recorded.unreadable) a.log.warning(`${path} was left as it is: it cannot be read (${recorded.unreadable.summary})`, { title: 'iam-gitops lock file' });
  else if (recorded.written) a.log.warning(`${path} records AWS managed policy versions this apply ran with that the repository does not have yet: commit it (the example apply workflow's record-lock job does), or drift will report them as newer than the lock.`, { title: 'iam-gitops lock file' });
}

/** Room in a drift issue's body for the fingerprint line `syncDriftIssue` adds after the marker. */
const DRIFT_STAMP_ROOM = 128;

/**
 * Drift, on a schedule: the report in the job summary, and one issue per manifests folder while there is drift
 * (opened, kept current, closed when it is gone). The step fails only when the drift introduces a finding at or
 * above fail-on: the issue is the notice, a red run every day would only teach people to ignore it.
 */
async function runDrift(a: ActionRun): Promise<void> {
  const { inputs, run, log, report, port } = a;
  // The lock file of AWS managed policy versions, when the folder has one: a newer version AWS published is drift.
  const locked = readPolicyLockFile(inputs.manifests);
  const result = hasErrors(locked.diagnostics)
    ? { diagnostics: locked.diagnostics }
    : await port.group('Detecting drift', async () => detectDrift(readManifestFolder(inputs.manifests), await live(a), new Date(), { hygiene: true, ...(a.clock ? { clock: a.clock } : {}), ...(locked.lock ? { lock: locked.lock } : {}) }));
  const folder = folderName(inputs.manifests);
  if (!result.report || hasErrors(result.diagnostics)) {
    report.annotate(result.diagnostics);
    await report.summary(renderFailureReport('', folder, result.diagnostics, 'drift detection failed', 'Fix the manifests: the next run checks again.'));
    port.setOutput('has-drift', 'false');
    log.failed(`iam-gitops: drift detection failed: ${result.diagnostics.filter((d) => d.severity === 'error').length} errors (annotated on the manifests; see the job summary)`);
    return;
  }
  const drift = result.report;
  report.annotate(drift.diagnostics);
  const catalog = await loadActionCatalog();
  const reportPath = savePlan(a, drift, `drift-${folder}`);
  const drifted = hasDrift(drift);
  const options = { folder, perspective: 'drift' as const };
  await report.summary(renderWithinBytes((limit) => renderComment(drift, catalog, { ...options, limit, fullReport: `the drift report JSON (${reportPath} on the runner)` }), SUMMARY_BUDGET));
  port.setOutput('has-drift', String(drifted));
  report.planOutputs(drift, reportPath);
  log.info(drifted ? driftSummaryLine(drift) : 'No drift: live IAM matches the manifests.');

  if (inputs.comment) {
    const where = run.runUrl ? ` ([run](${run.runUrl}))` : '';
    const issue = await reportDriftIssue(
      repository(a),
      {
        marker: driftMarker(folder),
        title: `IAM drift: account ${drift.account} differs from ${folder}`,
        // The issue's body holds the report and a hidden fingerprint line: both within GitHub's 65,536 characters.
        body: renderComment(drift, catalog, { ...options, limit: COMMENT_LIMIT - DRIFT_STAMP_ROOM, fullReport: run.runUrl ? `the job summary of [the latest run](${run.runUrl})` : 'the job summary of the latest run' }),
        drift: drifted,
        fingerprint: driftFingerprint(drift),
        changedNote: `The drift changed${where}: ${text(driftSummaryLine(drift))} The description above is the report as it is now.`,
        resolvedNote: `No drift any more${where}: live IAM matches ${text(folder)} again. Closing.`,
      },
      runEnvironment(a),
      reportLog(a),
    );
    if (issue !== undefined) port.setOutput('drift-issue', String(issue));
  }
  report.failOn(drift.findings, inputs.failOn, 'the drift introduces');
}

/**
 * Right-sizing, on a schedule: the manifests edited to remove what nobody used (src/app/rightsize.ts), proposed as one
 * pull request per manifests folder on its own branch (opened, or brought up to date), whose body is the plan's review
 * comment: the reviewer sees exactly what each principal loses, and nothing is applied until it is merged.
 */
async function runRightsize(a: ActionRun): Promise<void> {
  const { inputs, run, log, report, port } = a;
  const folder = folderName(inputs.manifests);
  const outcome = await port.group('Right-sizing from IAM usage', async () => rightsizeManifests({ manifestsDir: inputs.manifests, live: await live(a), now: new Date(), ...(a.clock ? { clock: a.clock } : {}) }));
  report.annotate(outcome.diagnostics);
  if (!outcome.result || hasErrors(outcome.diagnostics)) {
    await report.summary(renderFailureReport('', folder, outcome.diagnostics, 'right-sizing failed', 'Fix what the messages say: the next run tries again.'));
    log.failed(`iam-gitops: right-sizing failed: ${outcome.diagnostics.filter((d) => d.severity === 'error').length} errors (see the job summary)`);
    return;
  }
  const { edits, left } = outcome.result;
  // The lists share half of the pull request body's room; the plan's review comment gets the rest. A large account
  // lists hundreds of edits: the first fit, and the count of the others is said (the files themselves are the diff).
  const within = (lines: string[], budget: number, what: string): string[] => {
    const out: string[] = [];
    let used = 0;
    for (const line of lines) {
      if (used + line.length + 1 > budget) return [...out, `- … and ${lines.length - out.length} more ${what} (the pull request's files show every one)`];
      out.push(line);
      used += line.length + 1;
    }
    return out;
  };
  const listed = left.map((l) => `- ${text(l.where)}: ${text(l.why)}`);
  const leftLines = left.length ? ['', '<details><summary>Left as it is</summary>', '', ...within(listed, COMMENT_LIMIT / 8, 'left as they are'), '', '</details>'] : [];
  const editLines = within(
    edits.flatMap((e) => e.removed.map((r) => `- ${code(e.path)}: ${text(r.where.startsWith(`${e.path}: `) ? r.where.slice(e.path.length + 2) : r.where)}: removed ${r.actions.map(code).join(', ')}`)),
    (COMMENT_LIMIT * 3) / 8,
    'edits',
  );
  port.setOutput('rightsize-edits', String(edits.length));
  const branch = `iam-gitops/rightsize/${folder.replace(/[^A-Za-z0-9._/-]/g, '_')}`;
  const marker = rightsizeMarker(folder);
  if (edits.length === 0 || !outcome.plan?.plan) {
    await report.summary([`## Right-sizing ${text(folder)}`, '', 'Nothing to remove: every service the manifests grant was used in the window (or is left, as listed).', ...leftLines].join('\n'));
    log.info('Nothing to remove: every service the manifests grant was used in the window.');
    // A proposal from an earlier run is stale now (its access was used since, or removed by hand): close it.
    if (inputs.comment && run.refName) {
      const where = run.runUrl ? ` ([run](${run.runUrl}))` : '';
      await closeStaleProposal(repository(a), { base: run.refName, branch, marker, note: `Nothing unused to remove any more${where}: closing this proposal.` }, runEnvironment(a), reportLog(a));
    }
    return;
  }
  const plan = outcome.plan.plan;
  const catalog = await loadActionCatalog();
  const intro = [marker, `## Least privilege: remove what ${text(folder)} grants and nobody used`, '', `IAM's last-accessed data for ${outcome.principalsRead ?? 0} principals says nobody holding these policies used these services in the window. The manifests' edits:`, '', ...editLines, ...leftLines, '', `<sub>${text(USAGE_LIMITS)}</sub>`, '', ''].join('\n');
  const body = intro + renderComment(plan, catalog, { folder, limit: COMMENT_LIMIT - intro.length - 64 });
  await report.summary(body.slice(marker.length + 1));
  if (!inputs.comment) return;
  const files = new Map(edits.map((e) => [relative(run.workspace, resolve(e.path)).split('\\').join('/'), e.text]));
  const base = run.refName;
  if (!base) {
    log.warning('iam-gitops: no GITHUB_REF_NAME, so no pull request (the base branch is unknown). The proposal is in the job summary.');
    return;
  }
  const number = await reportProposal(
    repository(a),
    { base, branch, files, commitMessage: `Remove unused access from ${folder} (iam-gitops rightsize)`, title: `IAM least privilege: remove unused access from ${folder}`, body, marker },
    runEnvironment(a),
    reportLog(a),
  );
  if (number !== undefined) port.setOutput('rightsize-pull-request', String(number));
}

async function runAudit(a: ActionRun): Promise<void> {
  const { inputs, log, report, port } = a;
  const result = await port.group('Auditing', async () => auditAccount(await live(a), undefined, new Date(), a.clock));
  report.annotate(result.diagnostics);
  if (!result.findings || hasErrors(result.diagnostics)) {
    await report.summary(renderFailureReport('', folderName(inputs.manifests), result.diagnostics));
    log.failed('iam-gitops: the audit failed (see the job summary)');
    return;
  }
  await report.summary(renderAuditMarkdown(result.findings, result.against));
  port.setOutput('has-changes', 'false');
  port.setOutput('verdict', '');
  port.setOutput('max-severity', worstUnaccepted(result.findings));
  report.failOn(result.findings, inputs.failOn, 'the account has');
}

/**
 * The account folders for a matrix. Outputs `matrix` for `fromJSON` and `count`, so that the matrix job can be
 * skipped when nothing changed (an empty matrix fails).
 */
async function runAccounts(a: ActionRun): Promise<void> {
  const { inputs, run, log, report, port } = a;
  const { selection, reason } = await selectRunAccounts({
    root: inputs.manifests,
    ...(inputs.changedSince ? { changedSince: inputs.changedSince } : {}),
    ...(inputs.roleTemplate ? { roleTemplate: inputs.roleTemplate } : {}),
    event: { name: run.eventName, ...(run.pullRequest ? { pullRequestBase: run.pullRequest.baseSha } : {}), ...(run.pushBefore ? { pushBefore: run.pushBefore } : {}) },
    phase: (task) => port.group('Finding the account folders', task),
    warn: (m) => log.warning(m),
  });
  report.annotate(selection.diagnostics);
  port.setOutput('matrix', inertJson({ include: selection.accounts }));
  port.setOutput('count', String(selection.accounts.length));
  log.info(`${selection.accounts.length} of ${selection.total} account folders (${reason}): ${selection.accounts.map((f) => f.folder).join(', ') || 'none'}`);
  const rows = selection.accounts.map((f) => `| ${code(f.folder)} | ${code(f.account)} | ${text(f.managedPaths.join(', '))} | ${f.role ? code(f.role) : '—'} |`);
  await report.summary([`### iam-gitops: ${selection.accounts.length} of ${selection.total} account folders`, '', text(`Selected: ${reason}.`), '', ...(rows.length ? ['| Folder | Account | Managed paths | Role |', '|---|---|---|---|', ...rows] : ['No account folder to run.']), ''].join('\n'));
}
