/**
 * Who the token writes as, to tell our own comments and issues from anyone else's: anyone may post a comment or open
 * an issue that starts with our hidden marker, and a report written into it would show under their name, for them to
 * edit. A person's token (a PAT) knows its login (`GET /user`); an installation token (GITHUB_TOKEN, a GitHub App)
 * may not ask, and writes as a bot.
 */
import type { GitHubClient } from './client.js';

export type Author = { readonly login: string } | { readonly bot: true };

interface User {
  readonly login?: string;
  readonly type?: string;
}

export async function tokenAuthor(client: GitHubClient): Promise<Author> {
  try {
    const me = await client.rest.users.getAuthenticated();
    return { login: me.data.login };
  } catch {
    // 403 "Resource not accessible by integration": an installation token, whose comments a bot account signs.
    return { bot: true };
  }
}

/** Whether `user` wrote as `author`: the same login, or (for an installation token) any bot account. */
export function writtenBy(user: User | null | undefined, author: Author): boolean {
  if (!user) return false;
  return 'login' in author ? user.login?.toLowerCase() === author.login.toLowerCase() : user.type === 'Bot';
}
