/**
 * Who the token writes as, to tell our own comments and issues from anyone else's: anyone may post a comment or open
 * an issue that starts with our hidden marker, and a report written into it would show under their name, for them to
 * edit. Ours are exactly those whose author is the token's own account:
 * - a person's token (a PAT, an OAuth or user-to-server token): `GET /user` answers with its login;
 * - an installation token (GITHUB_TOKEN, or a GitHub App's): `GET /user` is refused ("Resource not accessible by
 *   integration") and `GET /app` needs the app's JWT, but GraphQL's `viewer` answers with the app's bot account:
 *   `github-actions[bot]` for GITHUB_TOKEN, `SLUG[bot]` for an app. Another bot (renovate[bot], dependabot[bot]) is
 *   someone else.
 * Anything else (a refused token, GitHub down after retries) means we cannot tell: an error, never a guess.
 */
import type { GitHubClient } from './client.js';
import { explainGitHubError, status } from './errors.js';

export interface Author {
  /** The login the token's comments and issues carry, e.g. `octo-admin` or `github-actions[bot]`. */
  readonly login: string;
}

/** Why the token's account could not be learned; the message says what to do. */
export class TokenIdentityError extends Error {}

interface User {
  readonly login?: string;
  readonly type?: string;
}

/** Reading who the token is needs no permission of its own: a failure is about the token, or GitHub. */
const IDENTITY = { what: 'who it is', permission: 'contents: read', container: "the token's account" } as const;

export async function tokenAuthor(client: GitHubClient): Promise<Author> {
  try {
    const me = await client.rest.users.getAuthenticated();
    return { login: me.data.login };
  } catch (e) {
    if (!(status(e) === 403 && /not accessible by integration/i.test(e instanceof Error ? e.message : ''))) {
      throw new TokenIdentityError(`cannot tell which account the token writes as: GET /user: ${explainGitHubError(e, 'read', IDENTITY)}`);
    }
  }
  try {
    const answer = await client.graphql<{ viewer?: { login?: unknown } }>('query { viewer { login } }');
    const login = answer.viewer?.login;
    if (typeof login !== 'string' || login === '') throw new Error('GraphQL answered without a viewer login');
    return { login };
  } catch (e) {
    throw new TokenIdentityError(`cannot tell which bot account this installation token writes as: GraphQL viewer: ${explainGitHubError(e, 'read', IDENTITY)}`);
  }
}

/** Whether `user` is the token's own account (logins compare without case, as GitHub's do). */
export function writtenBy(user: User | null | undefined, author: Author): boolean {
  return typeof user?.login === 'string' && user.login.toLowerCase() === author.login.toLowerCase();
}
