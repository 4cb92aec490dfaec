/**
 * The sticky pull-request comment: one per config repo folder, found again by the hidden marker it starts with
 * among all of the pull request's comments (paginated: pull requests collect hundreds), updated in place on
 * every push, never posted twice.
 */
import type { GitHubClient } from './client.js';
import { explainGitHubError, status } from './errors.js';
import { TokenIdentityError, tokenAuthor, writtenBy, type Author } from './identity.js';

export interface StickyComment {
  readonly owner: string;
  readonly repo: string;
  /** The pull request's number (its comments are the issue's). */
  readonly issueNumber: number;
  /** The hidden marker the body starts with (`commentMarker(folder)`). */
  readonly marker: string;
  readonly body: string;
  /**
   * Leave a comment already there as it is when this says so of its body (a re-run with nothing new to say must not
   * erase what an earlier run reported).
   */
  readonly keepExisting?: (existingBody: string) => boolean;
}

export type CommentOutcome =
  | { readonly posted: true; readonly action: 'created' | 'updated' | 'unchanged'; readonly id: number; readonly url: string; readonly removedDuplicates: number }
  | { readonly posted: false; readonly reason: string };

interface IssueComment {
  readonly id: number;
  readonly body?: string | null;
  readonly html_url: string;
  readonly user?: { readonly login: string; readonly type?: string } | null;
}

export async function upsertStickyComment(client: GitHubClient, comment: StickyComment): Promise<CommentOutcome> {
  if (!comment.body.startsWith(comment.marker)) throw new Error('a sticky comment body must start with its marker');
  const where = { owner: comment.owner, repo: comment.repo, issue_number: comment.issueNumber };
  let author: Author;
  try {
    author = await tokenAuthor(client);
  } catch (e) {
    if (e instanceof TokenIdentityError) return { posted: false, reason: `${e.message}. Without it no comment can be told apart from one someone else started with the marker, so none was written.` };
    throw e;
  }
  let ours: IssueComment[];
  try {
    // Only comments this token wrote: one that someone else (a person, another bot) starts with the marker is theirs.
    ours = [];
    for await (const page of client.paginate.iterator(client.rest.issues.listComments, { ...where, per_page: 100 })) {
      for (const c of page.data as IssueComment[]) if (c.body?.startsWith(comment.marker) && writtenBy(c.user, author)) ours.push(c);
    }
  } catch (e) {
    return { posted: false, reason: `cannot read the comments of pull request #${comment.issueNumber}: ${explainGitHubError(e, 'read')}` };
  }
  const [existing, ...duplicates] = ours;
  try {
    if (existing) {
      let removed = 0;
      // Two runs racing can each post one; keep the oldest and remove the others that the same account wrote.
      for (const extra of duplicates.filter((d) => d.user?.login === existing.user?.login)) {
        try {
          await client.rest.issues.deleteComment({ owner: comment.owner, repo: comment.repo, comment_id: extra.id });
          removed++;
        } catch {
          /* left: the next run tries again */
        }
      }
      if (existing.body === comment.body || comment.keepExisting?.(existing.body ?? '')) return { posted: true, action: 'unchanged', id: existing.id, url: existing.html_url, removedDuplicates: removed };
      try {
        const updated = await client.rest.issues.updateComment({ owner: comment.owner, repo: comment.repo, comment_id: existing.id, body: comment.body });
        return { posted: true, action: 'updated', id: updated.data.id, url: updated.data.html_url, removedDuplicates: removed };
      } catch (e) {
        // Deleted since it was listed: post it again. Anything else is the answer.
        if (status(e) !== 404) throw e;
      }
    }
    const created = await client.rest.issues.createComment({ ...where, body: comment.body });
    return { posted: true, action: 'created', id: created.data.id, url: created.data.html_url, removedDuplicates: 0 };
  } catch (e) {
    return { posted: false, reason: `cannot write the comment on pull request #${comment.issueNumber}: ${explainGitHubError(e, 'write')}` };
  }
}

export { explainGitHubError, status, type GitHubSubject } from './errors.js';
