/**
 * A proposal pull request (rightsize's): one open pull request per manifests folder, on a branch of its own, found
 * again by its branch and the hidden marker its body starts with, and only when the token's own account opened it
 * (anyone may open one on that branch with the marker). Each run writes the proposal as one commit on the base
 * branch's head through the Git Data API (no clone, no push credentials: the token's `contents: write`), moves the
 * branch to it, and opens the pull request or updates its body. Nothing is merged: people review and merge.
 */
import type { GitHubClient } from './client.js';
import { explainGitHubError, status, type GitHubSubject } from './errors.js';
import { TokenIdentityError, tokenAuthor, writtenBy } from './identity.js';

export interface ProposalRequest {
  readonly owner: string;
  readonly repo: string;
  /** The branch the proposal is made against (the repository's default branch, in a scheduled run). */
  readonly base: string;
  /** The proposal's own branch, e.g. `iam-gitops/rightsize/accounts-prod`. */
  readonly branch: string;
  /** Files to write (path from the repository root -> text); other files stay as on the base. */
  readonly files: ReadonlyMap<string, string>;
  readonly commitMessage: string;
  readonly title: string;
  /** Starts with `marker`. */
  readonly body: string;
  readonly marker: string;
}

export type ProposalOutcome = { readonly ok: true; readonly action: 'opened' | 'updated' | 'closed'; readonly number: number; readonly url: string } | { readonly ok: false; readonly reason: string };

const CONTENTS: GitHubSubject = { what: 'the proposal branch', permission: 'contents: write', container: 'the repository' };
const PULLS: GitHubSubject = { what: 'the proposal pull request', permission: 'pull-requests: write', container: 'the repository' };

export async function proposePullRequest(client: GitHubClient, request: ProposalRequest): Promise<ProposalOutcome> {
  if (!request.body.startsWith(request.marker)) throw new Error('a proposal body must start with its marker');
  const repo = { owner: request.owner, repo: request.repo };
  let login: string;
  try {
    login = (await tokenAuthor(client)).login;
  } catch (e) {
    if (e instanceof TokenIdentityError) return { ok: false, reason: `${e.message}. Without it no pull request can be told apart from one someone else opened, so none was written.` };
    throw e;
  }
  // The commit: the base's head with the files replaced.
  let commitSha: string;
  try {
    const baseRef = await client.rest.git.getRef({ ...repo, ref: `heads/${request.base}` });
    const baseCommit = await client.rest.git.getCommit({ ...repo, commit_sha: baseRef.data.object.sha });
    const tree = await client.rest.git.createTree({ ...repo, base_tree: baseCommit.data.tree.sha, tree: [...request.files].map(([path, content]) => ({ path, mode: '100644' as const, type: 'blob' as const, content })) });
    const commit = await client.rest.git.createCommit({ ...repo, message: request.commitMessage, tree: tree.data.sha, parents: [baseRef.data.object.sha] });
    commitSha = commit.data.sha;
  } catch (e) {
    return { ok: false, reason: `cannot write the proposal's commit: ${explainGitHubError(e, 'write', CONTENTS)}` };
  }
  // The branch: moved to the new commit (the proposal is always the base's head plus this run's edits).
  try {
    try {
      await client.rest.git.updateRef({ ...repo, ref: `heads/${request.branch}`, sha: commitSha, force: true });
    } catch (e) {
      if (status(e) !== 422 && status(e) !== 404) throw e;
      await client.rest.git.createRef({ ...repo, ref: `refs/heads/${request.branch}`, sha: commitSha });
    }
  } catch (e) {
    return { ok: false, reason: `cannot move the branch ${request.branch}: ${explainGitHubError(e, 'write', CONTENTS)}` };
  }
  try {
    const open = await client.paginate(client.rest.pulls.list, { ...repo, state: 'open', head: `${request.owner}:${request.branch}`, base: request.base, per_page: 100 });
    const ours = open.find((p) => (p.body ?? '').startsWith(request.marker) && writtenBy(p.user, { login }));
    if (ours) {
      await client.rest.pulls.update({ ...repo, pull_number: ours.number, title: request.title, body: request.body });
      return { ok: true, action: 'updated', number: ours.number, url: ours.html_url };
    }
    const created = await client.rest.pulls.create({ ...repo, head: request.branch, base: request.base, title: request.title, body: request.body });
    return { ok: true, action: 'opened', number: created.data.number, url: created.data.html_url };
  } catch (e) {
    return { ok: false, reason: `cannot open or update the pull request: ${explainGitHubError(e, 'write', PULLS)}` };
  }
}

/**
 * When a later run has nothing to propose: the open proposal pull request of this folder (the token's own, with the
 * marker) is closed with a comment saying why, so a stale proposal is not merged. Undefined when there is none.
 */
export async function closeProposal(client: GitHubClient, request: Pick<ProposalRequest, 'owner' | 'repo' | 'base' | 'branch' | 'marker'> & { readonly note: string }): Promise<ProposalOutcome | undefined> {
  const repo = { owner: request.owner, repo: request.repo };
  let login: string;
  try {
    login = (await tokenAuthor(client)).login;
  } catch (e) {
    if (e instanceof TokenIdentityError) return { ok: false, reason: `${e.message}. Without it no pull request can be told apart from one someone else opened, so none was closed.` };
    throw e;
  }
  try {
    const open = await client.paginate(client.rest.pulls.list, { ...repo, state: 'open', head: `${request.owner}:${request.branch}`, base: request.base, per_page: 100 });
    const ours = open.find((p) => (p.body ?? '').startsWith(request.marker) && writtenBy(p.user, { login }));
    if (!ours) return undefined;
    await client.rest.issues.createComment({ ...repo, issue_number: ours.number, body: request.note });
    await client.rest.pulls.update({ ...repo, pull_number: ours.number, state: 'closed' });
    return { ok: true, action: 'closed', number: ours.number, url: ours.html_url };
  } catch (e) {
    return { ok: false, reason: `cannot close the stale proposal: ${explainGitHubError(e, 'write', PULLS)}` };
  }
}
