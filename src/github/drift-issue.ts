/**
 * The drift issue: one open issue per manifests folder while live IAM differs from it, found again by the hidden
 * marker its body starts with (among open issues with the drift label). Opened when drift appears (which notifies
 * the repository's watchers), its body kept current on every scheduled run with a comment only when the drift
 * itself changed, as its fingerprint (kept in the body, hidden) tells (so a daily run does not notify anyone about
 * the same drift), and closed with a comment once live IAM matches again.
 */
import type { GitHubClient } from './client.js';
import { TokenIdentityError, tokenAuthor, writtenBy, type Author } from './identity.js';
import { explainGitHubError, status, type GitHubSubject } from './errors.js';

/** The label drift issues carry: what the run lists them by (GitHub creates it on first use). */
export const DRIFT_LABEL = 'iam-gitops-drift';

export interface DriftIssueRequest {
  readonly owner: string;
  readonly repo: string;
  /** The hidden marker the body starts with (`driftMarker(folder)`). */
  readonly marker: string;
  readonly title: string;
  /** The report; starts with the marker. */
  readonly body: string;
  readonly drift: boolean;
  /** `driftFingerprint(report)`: what the drift is, apart from when and where it was seen. */
  readonly fingerprint: string;
  /** Said in the comment when the drift changes: what it is now, in a line. */
  readonly changedNote: string;
  /** Said in the comment that closes the issue. */
  readonly resolvedNote: string;
}

export type DriftIssueOutcome =
  /** `refreshed`: the same drift, its report rewritten without a comment (a newer run, a newer catalog). */
  | { readonly ok: true; readonly action: 'opened' | 'updated' | 'refreshed' | 'unchanged' | 'closed' | 'none'; readonly number?: number; readonly url?: string }
  | { readonly ok: false; readonly reason: string };

interface Issue {
  readonly number: number;
  readonly body?: string | null;
  readonly html_url: string;
  readonly pull_request?: unknown;
  readonly user?: { readonly login?: string; readonly type?: string } | null;
}

export async function syncDriftIssue(client: GitHubClient, request: DriftIssueRequest): Promise<DriftIssueOutcome> {
  if (!request.body.startsWith(request.marker)) throw new Error('a drift issue body must start with its marker');
  const stamp = `<!-- iam-gitops:drift-fingerprint:${request.fingerprint.replace(/[^0-9a-f]/g, '')} -->`;
  const body = `${request.marker}\n${stamp}${request.body.slice(request.marker.length)}`;
  const repo = { owner: request.owner, repo: request.repo };
  let author: Author;
  try {
    author = await tokenAuthor(client);
  } catch (e) {
    if (e instanceof TokenIdentityError) return { ok: false, reason: `${e.message}. Without it no issue can be told apart from one someone else opened with the marker, so none was written.` };
    throw e;
  }
  let open: Issue[];
  try {
    // Only issues this token opened: anyone (a person, another bot) may open one that starts with the marker.
    open = (await openIssuesMarked(client, repo, request.marker, DRIFT_LABEL)).filter((i) => writtenBy(i.user, author));
    // GitHub drops the labels of a new issue, silently, when the token may not push: such an issue is found by its
    // marker among all open issues (a config repo has few).
    if (open.length === 0) open = (await openIssuesMarked(client, repo, request.marker)).filter((i) => writtenBy(i.user, author));
  } catch (e) {
    return { ok: false, reason: `cannot list the repository's issues: ${explainIssues(e, 'read')}` };
  }
  // Oldest first: two runs racing may each have opened one; the first is the one people follow.
  const [existing] = open.sort((a, b) => a.number - b.number);
  try {
    if (request.drift && !existing) {
      let created;
      try {
        created = await client.rest.issues.create({ ...repo, title: request.title, body, labels: [DRIFT_LABEL] });
      } catch (e) {
        // Some tokens may open issues but not create the label: GitHub answers 403 for the label, not the issue.
        if (status(e) !== 403) throw e;
        created = await client.rest.issues.create({ ...repo, title: request.title, body });
      }
      return { ok: true, action: 'opened', number: created.data.number, url: created.data.html_url };
    }
    if (request.drift && existing) {
      if (existing.body === body) return { ok: true, action: 'unchanged', number: existing.number, url: existing.html_url };
      await client.rest.issues.update({ ...repo, issue_number: existing.number, title: request.title, body });
      if (existing.body?.includes(stamp)) return { ok: true, action: 'refreshed', number: existing.number, url: existing.html_url };
      await client.rest.issues.createComment({ ...repo, issue_number: existing.number, body: request.changedNote });
      return { ok: true, action: 'updated', number: existing.number, url: existing.html_url };
    }
    if (!request.drift && existing) {
      await client.rest.issues.createComment({ ...repo, issue_number: existing.number, body: request.resolvedNote });
      await client.rest.issues.update({ ...repo, issue_number: existing.number, state: 'closed', state_reason: 'completed' });
      return { ok: true, action: 'closed', number: existing.number, url: existing.html_url };
    }
    return { ok: true, action: 'none' };
  } catch (e) {
    return { ok: false, reason: `cannot write the drift issue: ${explainIssues(e, 'write')}` };
  }
}

async function openIssuesMarked(client: GitHubClient, repo: { owner: string; repo: string }, marker: string, label?: string): Promise<Issue[]> {
  const found: Issue[] = [];
  for await (const page of client.paginate.iterator(client.rest.issues.listForRepo, { ...repo, state: 'open', ...(label ? { labels: label } : {}), per_page: 100 })) {
    // The issues API lists pull requests too.
    for (const issue of page.data as Issue[]) if (!issue.pull_request && issue.body?.startsWith(marker)) found.push(issue);
  }
  return found;
}

const ISSUES: GitHubSubject = { what: 'issues', permission: 'issues: write', container: 'the repository' };

function explainIssues(e: unknown, access: 'read' | 'write'): string {
  return explainGitHubError(e, access, ISSUES);
}
