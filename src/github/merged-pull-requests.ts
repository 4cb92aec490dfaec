/**
 * The pull requests whose merge a push to the default branch is: GitHub's "pull requests associated with a commit",
 * which for a commit on the default branch lists the merged pull request that introduced it. The apply run answers
 * on them, where the plan was reviewed.
 */
import type { GitHubClient } from './client.js';
import { explainGitHubError } from './errors.js';

export type MergedPullRequests = { readonly found: true; readonly numbers: readonly number[] } | { readonly found: false; readonly reason: string };

interface AssociatedPull {
  readonly number: number;
  readonly merged_at?: string | null;
  readonly merge_commit_sha?: string | null;
}

export async function pullRequestsMergedAs(client: GitHubClient, where: { readonly owner: string; readonly repo: string; readonly sha: string }): Promise<MergedPullRequests> {
  let pulls: AssociatedPull[];
  try {
    pulls = (await client.paginate(client.rest.repos.listPullRequestsAssociatedWithCommit, { owner: where.owner, repo: where.repo, commit_sha: where.sha, per_page: 100 })) as AssociatedPull[];
  } catch (e) {
    return { found: false, reason: `cannot find the pull request merged as ${where.sha.slice(0, 7)}: ${explainGitHubError(e, 'read', { what: 'pull requests', permission: 'pull-requests: write', container: 'the commit' })}` };
  }
  const merged = pulls.filter((p) => p.merged_at);
  // Its own merge commit first: a commit can also sit in other merged pull requests (a branch merged into another).
  const exact = merged.filter((p) => p.merge_commit_sha === where.sha);
  return { found: true, numbers: (exact.length ? exact : merged).map((p) => p.number) };
}
