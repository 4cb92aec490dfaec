/**
 * Use cases that report on GitHub: the plan's sticky comment, the apply's comment on the pull request it merged,
 * the drift issue, and the check of the environment an apply runs in. Whatever GitHub answers, the run's result
 * stands: a report that cannot be written is a warning that says why (and where the report is instead), never a
 * failure.
 */
import { gitHubClient, type GitHubClient } from '../github/client.js';
import { syncDriftIssue, type DriftIssueRequest } from '../github/drift-issue.js';
import { environmentGaps, readEnvironmentProtection } from '../github/environment.js';
import { pullRequestsMergedAs } from '../github/merged-pull-requests.js';
import { closeProposal, proposePullRequest, type ProposalRequest } from '../github/proposal-pull-request.js';
import { upsertStickyComment, type CommentOutcome } from '../github/sticky-comment.js';
import { text } from '../render/markdown-safe.js';
import { readTuning, type RunEnvironment } from './live-source.js';
import { claimOf } from './workflow-aws.js';

/** The repository a run reports to, and the token it may use (none: nothing is posted, and the run says so). */
export interface GitHubRepository {
  readonly token?: string;
  /** The REST API root (`GITHUB_API_URL`). */
  readonly apiUrl: string;
  readonly owner: string;
  readonly repo: string;
}

/** Where a report use case says what happened: the entry's log, and the job summary. */
export interface ReportLog {
  info(message: string): void;
  warning(message: string): void;
  /** Appends to the report the run leaves (the job summary). */
  summary(markdown: string): Promise<void>;
}

function client(where: GitHubRepository & { readonly token: string }, run: RunEnvironment, log: ReportLog): GitHubClient {
  const { retryUnitMs, timeoutMs } = readTuning(run.env).gitHub;
  return gitHubClient({ token: where.token, baseUrl: where.apiUrl, log: (m) => log.info(m), ...(retryUnitMs !== undefined ? { retryUnitMs } : {}), ...(timeoutMs !== undefined ? { timeoutMs } : {}) });
}

const hasToken = (where: GitHubRepository): where is GitHubRepository & { readonly token: string } => Boolean(where.token);

/** The plan's sticky comment on its pull request (created, or updated in place). */
export async function postPlanComment(where: GitHubRepository, comment: { readonly number: number; readonly marker: string; readonly body: string }, run: RunEnvironment, log: ReportLog): Promise<CommentOutcome> {
  if (!hasToken(where)) {
    const reason = 'no github-token: the comment was not posted. Pass `github-token: ${{ github.token }}` (the default) with `permissions: pull-requests: write`.';
    log.warning(`iam-gitops: ${reason}`);
    await log.summary(`> [!WARNING]\n> ${reason}\n`);
    return { posted: false, reason };
  }
  const outcome = await upsertStickyComment(client(where, run, log), { owner: where.owner, repo: where.repo, issueNumber: comment.number, marker: comment.marker, body: comment.body });
  if (outcome.posted) {
    log.info(`comment ${outcome.action}: ${outcome.url}${outcome.removedDuplicates ? ` (${outcome.removedDuplicates} duplicates removed)` : ''}`);
  } else {
    log.warning(`iam-gitops: ${outcome.reason} The report is in the job summary.`);
    await log.summary(`> [!WARNING]\n> The pull request comment was not posted: ${text(outcome.reason)}\n`);
  }
  return outcome;
}

/**
 * The apply's result on the pull request(s) merged as `sha`, next to the plan their reviewers approved. `keepExisting`
 * leaves a comment as it is when it says so (a re-run with nothing to do keeps what an earlier run applied).
 */
export async function commentOnMergedPullRequests(where: GitHubRepository, comment: { readonly sha: string; readonly marker: string; readonly body: string; readonly keepExisting?: (existing: string) => boolean }, run: RunEnvironment, log: ReportLog): Promise<void> {
  if (!hasToken(where)) {
    log.info('iam-gitops: no github-token, so the merged pull request gets no apply comment');
    return;
  }
  const github = client(where, run, log);
  const merged = await pullRequestsMergedAs(github, { owner: where.owner, repo: where.repo, sha: comment.sha });
  if (!merged.found) {
    log.warning(`iam-gitops: ${merged.reason} The apply's report is in the job summary.`);
    return;
  }
  if (merged.numbers.length === 0) {
    log.info(`iam-gitops: ${comment.sha.slice(0, 7)} is not the merge of a pull request (a direct push?): no comment`);
    return;
  }
  for (const number of merged.numbers.slice(0, 10)) {
    const posted = await upsertStickyComment(github, { owner: where.owner, repo: where.repo, issueNumber: number, marker: comment.marker, body: comment.body, ...(comment.keepExisting ? { keepExisting: comment.keepExisting } : {}) });
    if (posted.posted) log.info(`apply comment ${posted.action} on pull request #${number}: ${posted.url}`);
    else log.warning(`iam-gitops: ${posted.reason} The apply's report is in the job summary.`);
  }
}

/** The drift issue kept in step with the report; returns the open issue's number, if there is one. */
export async function reportDriftIssue(where: GitHubRepository, issue: Omit<DriftIssueRequest, 'owner' | 'repo'>, run: RunEnvironment, log: ReportLog): Promise<number | undefined> {
  if (!hasToken(where)) {
    log.warning('iam-gitops: no github-token, so no drift issue. Pass `github-token: ${{ github.token }}` (the default) with `permissions: issues: write`.');
    return undefined;
  }
  const outcome = await syncDriftIssue(client(where, run, log), { owner: where.owner, repo: where.repo, ...issue });
  if (!outcome.ok) {
    log.warning(`iam-gitops: ${outcome.reason} The drift report is in the job summary.`);
    return undefined;
  }
  log.info(`drift issue ${outcome.action}${outcome.number ? `: #${outcome.number} ${outcome.url ?? ''}` : ''}`);
  return outcome.number !== undefined && outcome.action !== 'closed' ? outcome.number : undefined;
}

/**
 * Before an apply: is its environment protected? The job names one (the OIDC token's `environment` claim), and
 * GitHub creates an environment a job names, unprotected, the first time it runs: then the apply role is anyone's
 * who can run the workflow. Warns when it can see no required reviewers or no deployment branch rule; says when it
 * cannot see (no OIDC token, no github-token, no `actions: read`).
 */
export async function checkApplyEnvironment(where: GitHubRepository, idToken: string | undefined, run: RunEnvironment, log: ReportLog): Promise<void> {
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
  if (!hasToken(where)) {
    log.info(`iam-gitops: no github-token, so how environment "${name}" is protected is not checked`);
    return;
  }
  const check = await readEnvironmentProtection(client(where, run, log), { owner: where.owner, repo: where.repo, name });
  if (!check.ok) {
    log.warning(`iam-gitops: ${check.reason} An unprotected environment lets anyone who can run this workflow apply, unreviewed.`);
    return;
  }
  const gaps = environmentGaps(check.protection);
  if (gaps.length) log.warning(`iam-gitops: this apply runs in environment "${name}", which has ${gaps.join(' and ')}. ${how}`);
  else log.info(`environment "${name}": ${check.protection.reviewers} required reviewers, deployments from ${check.protection.branches} only`);
}

/** A proposal on its own branch, as one pull request (opened, or its body updated); its number, or undefined. */
export async function reportProposal(where: GitHubRepository, proposal: Omit<ProposalRequest, 'owner' | 'repo'>, run: RunEnvironment, log: ReportLog): Promise<number | undefined> {
  if (!hasToken(where)) {
    log.warning('iam-gitops: no github-token, so no pull request. Pass `github-token: ${{ github.token }}` (the default) with `permissions: contents: write, pull-requests: write`.');
    return undefined;
  }
  const outcome = await proposePullRequest(client(where, run, log), { owner: where.owner, repo: where.repo, ...proposal });
  if (!outcome.ok) {
    log.warning(`iam-gitops: ${outcome.reason} The proposal is in the job summary.`);
    return undefined;
  }
  log.info(`pull request ${outcome.action}: #${outcome.number} ${outcome.url}`);
  return outcome.number;
}

/** Closes this folder's open proposal pull request, if any, with a note; its number, or undefined. */
export async function closeStaleProposal(where: GitHubRepository, proposal: Pick<ProposalRequest, 'base' | 'branch' | 'marker'> & { readonly note: string }, run: RunEnvironment, log: ReportLog): Promise<number | undefined> {
  if (!hasToken(where)) return undefined;
  const outcome = await closeProposal(client(where, run, log), { owner: where.owner, repo: where.repo, ...proposal });
  if (!outcome) return undefined;
  if (!outcome.ok) {
    log.warning(`iam-gitops: ${outcome.reason}`);
    return undefined;
  }
  log.info(`pull request closed: #${outcome.number} ${outcome.url}`);
  return outcome.number;
}
