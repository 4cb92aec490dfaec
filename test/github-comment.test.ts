/**
 * The sticky comment through real Octokit (with the throttling and retry plugins) against the loopback GitHub fake:
 * found among hundreds of comments, updated in place, never posted twice, and every refusal explained.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { gitHubClient } from '../src/github/client.js';
import { upsertStickyComment } from '../src/github/sticky-comment.js';
import { commentMarker } from '../src/render/comment.js';
import { APP_LOGIN, APP_TOKEN, BOT_LOGIN, PERSONAL_LOGIN, PERSONAL_TOKEN, READ_TOKEN, startGitHubFake, WRITE_TOKEN, type GitHubFake } from './helpers/github-fake.js';

const ISSUE = 'acme/iam-config#7';
const marker = commentMarker('accounts/prod');
const where = { owner: 'acme', repo: 'iam-config', issueNumber: 7, marker };

let fake: GitHubFake;
const client = (token = WRITE_TOKEN, log?: (m: string) => void) => gitHubClient({ token, baseUrl: fake.url, retryUnitMs: 5, ...(log ? { log } : {}) });

beforeAll(async () => {
  fake = await startGitHubFake([ISSUE, 'acme/iam-config#8']);
});
afterAll(() => fake.close());
beforeEach(() => {
  fake.comments(ISSUE).length = 0;
  fake.requests.length = 0;
  fake.clearFaults();
});

describe('sticky comment', () => {
  it('is created once, then updated in place, and left alone when nothing changed', async () => {
    const first = await upsertStickyComment(client(), { ...where, body: `${marker}\nplan one` });
    expect(first).toMatchObject({ posted: true, action: 'created' });
    const second = await upsertStickyComment(client(), { ...where, body: `${marker}\nplan two` });
    expect(second).toMatchObject({ posted: true, action: 'updated', id: first.posted ? first.id : -1 });
    const third = await upsertStickyComment(client(), { ...where, body: `${marker}\nplan two` });
    expect(third).toMatchObject({ posted: true, action: 'unchanged' });
    expect(fake.comments(ISSUE).map((c) => c.body)).toEqual([`${marker}\nplan two`]);
    expect(fake.requests.filter((r) => r.method === 'PATCH')).toHaveLength(1);
  });

  it('finds its comment among 150 others (pages of 100), and another folder gets its own comment', async () => {
    fake.addComments(ISSUE, 70);
    await upsertStickyComment(client(), { ...where, body: `${marker}\nv1` });
    fake.addComments(ISSUE, 80);
    const updated = await upsertStickyComment(client(), { ...where, body: `${marker}\nv2` });
    expect(updated).toMatchObject({ posted: true, action: 'updated' });
    const lists = fake.requests.filter((r) => r.method === 'GET');
    expect(lists.length).toBeGreaterThanOrEqual(2 + 1);
    const other = commentMarker('accounts/dev');
    await upsertStickyComment(client(), { ...where, marker: other, body: `${other}\ndev plan` });
    const ours = fake.comments(ISSUE).filter((c) => c.body.startsWith('<!-- iam-gitops'));
    expect(ours.map((c) => c.body)).toEqual([`${marker}\nv2`, `${other}\ndev plan`]);
    expect(fake.comments(ISSUE)).toHaveLength(152);
  });

  it('does not mistake a comment that quotes the marker for its own', async () => {
    fake.addComments(ISSUE, 1, 'mallory', () => `Look: ${marker} was here`);
    const result = await upsertStickyComment(client(), { ...where, body: `${marker}\nplan` });
    expect(result).toMatchObject({ action: 'created' });
    expect(fake.comments(ISSUE)[0]!.body).toBe(`Look: ${marker} was here`);
  });

  it('never writes into a comment someone else started with the marker (the plan would show under their name, for them to edit)', async () => {
    fake.addComments(ISSUE, 1, 'mallory', () => `${marker}\nLGTM, nothing to see here`);
    const first = await upsertStickyComment(client(), { ...where, body: `${marker}\nplan one` });
    expect(first).toMatchObject({ action: 'created' });
    const second = await upsertStickyComment(client(), { ...where, body: `${marker}\nplan two` });
    expect(second).toMatchObject({ action: 'updated', id: first.posted ? first.id : -1 });
    expect(fake.comments(ISSUE).map((c) => `${c.user.login}: ${c.body}`)).toEqual([`mallory: ${marker}\nLGTM, nothing to see here`, `github-actions[bot]: ${marker}\nplan two`]);
  });

  it('with a person\'s token, finds the comments that person wrote, not a bot\'s', async () => {
    await client().rest.issues.createComment({ owner: 'acme', repo: 'iam-config', issue_number: 7, body: `${marker}\nby the bot` });
    const mine = await upsertStickyComment(client(PERSONAL_TOKEN), { ...where, body: `${marker}\nby a person` });
    expect(mine).toMatchObject({ action: 'created' });
    expect(await upsertStickyComment(client(PERSONAL_TOKEN), { ...where, body: `${marker}\nby a person, again` })).toMatchObject({ action: 'updated', id: mine.posted ? mine.id : -1 });
    expect(fake.comments(ISSUE).map((c) => `${c.user.login}: ${c.body}`)).toEqual([`github-actions[bot]: ${marker}\nby the bot`, `${PERSONAL_LOGIN}: ${marker}\nby a person, again`]);
  });

  it('with GITHUB_TOKEN, ours are github-actions[bot]\'s only: a comment another bot (renovate[bot]) starts with the marker is left to it', async () => {
    fake.addComments(ISSUE, 1, 'renovate[bot]', () => `${marker}\nAll checks green, nothing to review`);
    const first = await upsertStickyComment(client(), { ...where, body: `${marker}\nplan one` });
    expect(first).toMatchObject({ posted: true, action: 'created' });
    expect(await upsertStickyComment(client(), { ...where, body: `${marker}\nplan two` })).toMatchObject({ action: 'updated', id: first.posted ? first.id : -1 });
    expect(fake.comments(ISSUE).map((c) => `${c.user.login}: ${c.body}`)).toEqual([`renovate[bot]: ${marker}\nAll checks green, nothing to review`, `${BOT_LOGIN}: ${marker}\nplan two`]);
  });

  it('with a GitHub App\'s installation token, ours are that app\'s bot\'s (learned from GraphQL\'s viewer): not github-actions[bot]\'s, not renovate[bot]\'s', async () => {
    fake.addComments(ISSUE, 1, 'renovate[bot]', () => `${marker}\nrenovate`);
    await client().rest.issues.createComment({ owner: 'acme', repo: 'iam-config', issue_number: 7, body: `${marker}\nby GITHUB_TOKEN` });
    const first = await upsertStickyComment(client(APP_TOKEN), { ...where, body: `${marker}\nby the app` });
    expect(first).toMatchObject({ posted: true, action: 'created' });
    expect(await upsertStickyComment(client(APP_TOKEN), { ...where, body: `${marker}\nby the app, again` })).toMatchObject({ action: 'updated', id: first.posted ? first.id : -1 });
    expect(fake.comments(ISSUE).map((c) => `${c.user.login}: ${c.body}`)).toEqual([`renovate[bot]: ${marker}\nrenovate`, `${BOT_LOGIN}: ${marker}\nby GITHUB_TOKEN`, `${APP_LOGIN}: ${marker}\nby the app, again`]);
    expect(fake.requests.filter((r) => r.path === '/graphql').length).toBeGreaterThan(0);
  });

  it('a personal token whose GET /user fails, or an installation token whose GraphQL viewer fails, writes nothing: an error, never a guess', async () => {
    await client().rest.issues.createComment({ owner: 'acme', repo: 'iam-config', issue_number: 7, body: `${marker}\nby the bot` });
    const before = fake.comments(ISSUE).map((c) => ({ ...c }));
    fake.failNext(10, { kind: 'status', status: 503, path: '/user' });
    const person = await upsertStickyComment(client(PERSONAL_TOKEN), { ...where, body: `${marker}\nby a person` });
    expect(person).toEqual({ posted: false, reason: expect.stringMatching(/^cannot tell which account the token writes as: GET \/user: GitHub failed \(503/) });
    fake.clearFaults();
    fake.failNext(10, { kind: 'status', status: 502, path: '/graphql' });
    const bot = await upsertStickyComment(client(), { ...where, body: `${marker}\nby the bot, again` });
    expect(bot).toEqual({ posted: false, reason: expect.stringMatching(/^cannot tell which bot account this installation token writes as: GraphQL viewer: GitHub failed \(502/) });
    fake.clearFaults();
    expect(fake.comments(ISSUE)).toEqual(before);
    expect(fake.requests.filter((r) => r.method !== 'GET' && r.path !== '/graphql')).toHaveLength(1);
  });

  it('keeps the oldest of duplicates two racing runs posted and removes the others', async () => {
    await client().rest.issues.createComment({ owner: 'acme', repo: 'iam-config', issue_number: 7, body: `${marker}\nrun A` });
    await client().rest.issues.createComment({ owner: 'acme', repo: 'iam-config', issue_number: 7, body: `${marker}\nrun B` });
    const result = await upsertStickyComment(client(), { ...where, body: `${marker}\nrun C` });
    expect(result).toMatchObject({ posted: true, action: 'updated', removedDuplicates: 1 });
    expect(fake.comments(ISSUE).map((c) => c.body)).toEqual([`${marker}\nrun C`]);
  });

  it('with a read-only token (a fork), says why and posts nothing', async () => {
    const result = await upsertStickyComment(client(READ_TOKEN), { ...where, body: `${marker}\nplan` });
    expect(result.posted).toBe(false);
    if (!result.posted) {
      expect(result.reason).toContain('403: Resource not accessible by integration');
      expect(result.reason).toContain('forks get a read-only token');
      expect(result.reason).toContain('pull-requests: write');
    }
    expect(fake.comments(ISSUE)).toEqual([]);
  });

  it('with a bad token, a locked conversation, or a missing pull request, says so', async () => {
    const bad = await upsertStickyComment(client('nonsense'), { ...where, body: `${marker}\nx` });
    expect(bad).toMatchObject({ posted: false, reason: expect.stringContaining('GitHub refused the token (401') });
    fake.lock('acme/iam-config#8');
    const locked = await upsertStickyComment(client(), { ...where, issueNumber: 8, body: `${marker}\nx` });
    expect(locked).toMatchObject({ posted: false, reason: expect.stringContaining('unlock the conversation') });
    const missing = await upsertStickyComment(client(), { ...where, issueNumber: 999, body: `${marker}\nx` });
    expect(missing).toMatchObject({ posted: false, reason: expect.stringContaining('the pull request was not found (404') });
  });

  it('rides out 5xx and secondary rate limits, and gives up on endless ones with the reason', async () => {
    const said: string[] = [];
    fake.failNext(2, { kind: 'status', status: 502 });
    expect(await upsertStickyComment(client(WRITE_TOKEN, (m) => said.push(m)), { ...where, body: `${marker}\na` })).toMatchObject({ posted: true, action: 'created' });
    fake.failNext(1, { kind: 'secondary-rate-limit' });
    expect(await upsertStickyComment(client(WRITE_TOKEN, (m) => said.push(m)), { ...where, body: `${marker}\nb` })).toMatchObject({ posted: true, action: 'updated' });
    expect(said.some((m) => m.includes('secondary rate limit'))).toBe(true);
    fake.failNext(1, { kind: 'primary-rate-limit' });
    expect(await upsertStickyComment(client(WRITE_TOKEN, (m) => said.push(m)), { ...where, body: `${marker}\nc` })).toMatchObject({ posted: true, action: 'updated' });
    expect(said.some((m) => m.includes('primary rate limit'))).toBe(true);
    fake.failNext(20, { kind: 'status', status: 503 });
    const down = await upsertStickyComment(client(), { ...where, body: `${marker}\nd` });
    expect(down).toMatchObject({ posted: false, reason: expect.stringContaining('503') });
    fake.clearFaults();
    fake.failNext(20, { kind: 'secondary-rate-limit' });
    const limited = await upsertStickyComment(client(), { ...where, body: `${marker}\ne` });
    expect(limited).toMatchObject({ posted: false, reason: expect.stringContaining('rate limit') });
    fake.clearFaults();
    // What the fake still holds: the comment of the last successful run, once.
    expect(fake.comments(ISSUE).map((c) => c.body)).toEqual([`${marker}\nc`]);
  });

  it('refuses a body over GitHub\'s limit the way GitHub does (the renderer must never send one)', async () => {
    const result = await upsertStickyComment(client(), { ...where, body: `${marker}\n${'x'.repeat(70_000)}` });
    expect(result).toMatchObject({ posted: false, reason: expect.stringContaining('422') });
  });
});
