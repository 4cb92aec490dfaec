/** GitHub's refusals, in words a workflow author can act on. */

/** The HTTP status of an Octokit error, if it has one. */
export function status(e: unknown): number | undefined {
  return typeof e === 'object' && e !== null && 'status' in e && typeof (e as { status: unknown }).status === 'number' ? (e as { status: number }).status : undefined;
}

/** What a request was about, for the explanation: what the token may not touch, and the permission that grants it. */
export interface GitHubSubject {
  /** "pull request comments", "issues". */
  readonly what: string;
  /** The `permissions:` entry to give the job: "pull-requests: write". */
  readonly permission: string;
  /** "the pull request", "the repository": what a 404 on reading means is missing. */
  readonly container: string;
}

const PULL_REQUEST_COMMENTS: GitHubSubject = { what: 'pull request comments', permission: 'pull-requests: write', container: 'the pull request' };

/** GitHub's answer in words a workflow author can act on. */
export function explainGitHubError(e: unknown, access: 'read' | 'write', subject: GitHubSubject = PULL_REQUEST_COMMENTS): string {
  const code = status(e);
  const message = (e instanceof Error ? e.message : String(e)).split('\n')[0]!.replace(/ - https:\/\/docs\.github\.com\S*$/, '');
  if (code === 401) return `GitHub refused the token (401: ${message}). Pass a valid github-token.`;
  if (code === 403 && /rate limit/i.test(message)) return `GitHub's rate limit (403: ${message}). The next run will post it.`;
  if (code === 403 || (code === 404 && access === 'write')) {
    const fork = subject === PULL_REQUEST_COMMENTS ? 'Pull requests from forks get a read-only token; otherwise give' : 'Give';
    return `the token may not ${access} ${subject.what} (${code}: ${message}). ${fork} the job \`permissions: ${subject.permission}\`${/locked/i.test(message) ? ' (or unlock the conversation)' : ''}.`;
  }
  if (code === 404) return `${subject.container} was not found (404: ${message}). Check that the token can see this repository.`;
  if (code !== undefined && code >= 500) return `GitHub failed (${code}: ${message}) and kept failing after retries.`;
  return code === undefined ? message : `${code}: ${message}`;
}
