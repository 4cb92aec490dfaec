/**
 * A loopback fake of the slice of GitHub's REST API the Action uses, strict where GitHub is: tokens are checked
 * (401 for unknown ones; 403 "Resource not accessible by integration" for a read-only token that writes, as a
 * fork's GITHUB_TOKEN gets), pages follow GitHub's rules (`per_page` up to 100, a `Link` header with `next` and
 * `last`), bodies over 65,536 characters are refused with GitHub's 422, locked conversations refuse comments, and
 * faults can be injected (for every request, or one path): 5xx, secondary rate limits with `Retry-After`, primary
 * ones with `x-ratelimit-*`. Who a token is: `GET /user` answers a person's token and refuses an installation token
 * ("Resource not accessible by integration"), whose bot GraphQL's `viewer` names (`POST /graphql`). Environments
 * answer with their protection rules, 403 without `actions` permission and 404 when missing. It also serves the
 * Actions OIDC token endpoint (`ACTIONS_ID_TOKEN_REQUEST_URL`).
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeComment {
  id: number;
  body: string;
  user: { login: string; type: 'Bot' | 'User' };
  created_at: string;
  updated_at: string;
}

export interface FakeIssue {
  number: number;
  title: string;
  body: string;
  state: 'open' | 'closed';
  state_reason: string | null;
  labels: string[];
  user: { login: string; type: 'Bot' | 'User' };
}

export interface FakePull {
  number: number;
  title: string;
  body: string;
  state: 'open' | 'closed';
  head: string;
  base: string;
  user: { login: string; type: 'Bot' | 'User' };
}

interface FakeGit {
  refs: Map<string, string>;
  commits: Map<string, { tree: string; parents: string[]; message: string }>;
  trees: Map<string, Map<string, string>>;
  pulls: FakePull[];
}

/** A deployment environment, as its settings page makes it: reviewers (logins), the branches that may deploy. */
export interface FakeEnvironment {
  readonly reviewers: readonly string[];
  /** `protected`: protected branches only; a list: those branches; `any`: no rule. */
  readonly branches: 'protected' | readonly string[] | 'any';
  readonly waitTimer?: number;
}

export interface FakeRequest {
  readonly method: string;
  readonly path: string;
  readonly status: number;
}

/** A failure to serve instead of the answer; with `path`, only to requests for that path (`/user`, `/graphql`). */
type Fault = ({ readonly kind: 'status'; readonly status: number } | { readonly kind: 'secondary-rate-limit' } | { readonly kind: 'primary-rate-limit' }) & { readonly path?: string };

export interface GitHubFake {
  readonly url: string;
  /** Token → what it may do, and whose name its comments carry. */
  /**
   * `push: false`: the token may write issues and comments but not push, so GitHub drops the labels of new issues.
   * `actions: false`: no `actions` permission (a job whose `permissions:` leaves it out): environments are refused.
   */
  readonly tokens: Map<string, FakeToken>;
  /** Deployment environments by `owner/repo/name`: what `GET /repos/{owner}/{repo}/environments/{name}` answers. */
  readonly environments: Map<string, FakeEnvironment>;
  /**
   * Commits GitHub knows, by SHA (`owner/repo@sha`), with the pull requests associated with each: what
   * `GET /repos/{owner}/{repo}/commits/{sha}/pulls` answers. A SHA not listed is GitHub's 422 "No commit found".
   */
  readonly commits: Map<string, { number: number; merged_at: string | null; merge_commit_sha: string | null }[]>;
  /** Issues opened through the API, by `owner/repo#number` (their comments are in `comments`). */
  issues(repo: string): FakeIssue[];
  /** Comments by `owner/repo#number`. */
  comments(issue: string): FakeComment[];
  /** Comments someone posted (`octocat` by default; a `[bot]` login is a bot, as `renovate[bot]`). */
  addComments(issue: string, count: number, login?: string, body?: (i: number) => string): void;
  /** An issue someone opened on GitHub (a person, unless `user` says otherwise: a `[bot]` login is a bot); returns its number. */
  addIssue(repo: string, issue: Pick<FakeIssue, 'title' | 'body'> & Partial<FakeIssue>): number;
  lock(issue: string): void;
  /** A branch whose head commit holds these files (path -> text); returns the commit's SHA. */
  seedBranch(repo: string, branch: string, files: Record<string, string>): string;
  /** The files at a branch's head, or undefined when there is no such branch. */
  branchFiles(repo: string, branch: string): ReadonlyMap<string, string> | undefined;
  /** Pull requests opened through the API (or seeded), by `owner/repo`. */
  pulls(repo: string): FakePull[];
  /** The next `count` API requests fail this way. */
  failNext(count: number, fault: Fault): void;
  /** Drops the faults not yet served. */
  clearFaults(): void;
  readonly requests: FakeRequest[];
  /** The OIDC token the Actions token endpoint hands out, and the audience it was asked for. */
  oidc: { token: string; requestToken: string; audiences: string[] };
  close(): Promise<void>;
}

export interface FakeToken {
  readonly write: boolean;
  readonly login: string;
  readonly push?: boolean;
  readonly actions?: boolean;
}

export const WRITE_TOKEN = 'ghs_write_token_for_tests';
export const READ_TOKEN = 'ghs_read_only_token_for_tests';
export const ISSUES_ONLY_TOKEN = 'ghs_issues_but_no_push_token_for_tests';
/** A person's token (a PAT): writes as that person, who may be asked for. */
export const PERSONAL_TOKEN = 'ghp_personal_token_for_tests';
export const PERSONAL_LOGIN = 'octo-admin';
/** GITHUB_TOKEN's account: the GitHub Actions app's bot. */
export const BOT_LOGIN = 'github-actions[bot]';
/** A GitHub App's installation token (actions/create-github-app-token): it writes as the app's bot. */
export const APP_TOKEN = 'ghs_app_installation_token_for_tests';
export const APP_LOGIN = 'iam-gitops-app[bot]';

const BODY_LIMIT = 65_536;

export async function startGitHubFake(issues: readonly string[]): Promise<GitHubFake> {
  const store = new Map<string, FakeComment[]>(issues.map((i) => [i, []]));
  const locked = new Set<string>();
  const commits: GitHubFake['commits'] = new Map();
  const issueStore = new Map<string, FakeIssue[]>();
  let nextIssue = 500;
  const faults: Fault[] = [];
  const requests: FakeRequest[] = [];
  const environments: GitHubFake['environments'] = new Map();
  const tokens = new Map<string, FakeToken>([
    [WRITE_TOKEN, { write: true, login: BOT_LOGIN }],
    [READ_TOKEN, { write: false, login: BOT_LOGIN }],
    [ISSUES_ONLY_TOKEN, { write: true, login: BOT_LOGIN, push: false }],
    [PERSONAL_TOKEN, { write: true, login: PERSONAL_LOGIN }],
    [APP_TOKEN, { write: true, login: APP_LOGIN }],
  ]);
  /** Installation tokens (GITHUB_TOKEN, apps) write as bots and may not ask who they are; a person's token may. */
  const isBot = (login: string): boolean => login.endsWith('[bot]');
  let nextId = 1000;
  let clock = Date.parse('2026-11-29T10:00:00Z');
  const now = (): string => new Date((clock += 1000)).toISOString();
  const oidc = { token: '', requestToken: 'oidc-request-token', audiences: [] as string[] };
  let base = '';

  const shape = (issue: string, c: FakeComment): Record<string, unknown> => {
    const [repo] = issue.split('#');
    return { id: c.id, node_id: `IC_${c.id}`, url: `${base}/repos/${repo}/issues/comments/${c.id}`, html_url: `https://github.com/${repo}/pull/${issue.split('#')[1]}#issuecomment-${c.id}`, body: c.body, user: { login: c.user.login, type: c.user.type, id: 41898282 }, created_at: c.created_at, updated_at: c.updated_at, author_association: 'NONE' };
  };
  const findComment = (owner: string, repo: string, id: number): [string, FakeComment] | undefined => {
    for (const [issue, list] of store) {
      if (!issue.startsWith(`${owner}/${repo}#`)) continue;
      const c = list.find((x) => x.id === id);
      if (c) return [issue, c];
    }
    return undefined;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', base);
    const send = (status: number, body?: unknown, headers: Record<string, string> = {}): void => {
      requests.push({ method: req.method ?? '', path: url.pathname, status });
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'x-github-request-id': `FAKE:${requests.length}`, ...headers });
      res.end(body === undefined ? undefined : JSON.stringify(body));
    };
    const text = await new Promise<string>((resolve) => {
      let data = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => (data += chunk));
      req.on('end', () => resolve(data));
    });

    // The Actions runtime's OIDC endpoint: a bearer request token, an audience, a JWT back.
    if (url.pathname === '/_oidc/token') {
      if (req.headers.authorization !== `Bearer ${oidc.requestToken}`) return send(401, { message: 'Unauthorized' });
      oidc.audiences.push(url.searchParams.get('audience') ?? '');
      return send(200, { value: oidc.token });
    }

    const pending = faults.findIndex((f) => f.path === undefined || f.path === url.pathname);
    const fault = pending < 0 ? undefined : faults.splice(pending, 1)[0];
    if (fault?.kind === 'status') return send(fault.status, { message: fault.status >= 500 ? 'Server Error' : 'Fault' });
    if (fault?.kind === 'secondary-rate-limit') return send(403, { message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.', documentation_url: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api' }, { 'retry-after': '1' });
    if (fault?.kind === 'primary-rate-limit') return send(403, { message: 'API rate limit exceeded for installation ID 1.' }, { 'x-ratelimit-limit': '5000', 'x-ratelimit-remaining': '0', 'x-ratelimit-used': '5000', 'x-ratelimit-reset': String(Math.ceil(Date.now() / 1000) + 1) });

    const auth = /^(?:token|bearer) (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const identity = auth ? tokens.get(auth) : undefined;
    if (!identity) return send(401, { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' });
    const readOnly = (): void => send(403, { message: 'Resource not accessible by integration', documentation_url: 'https://docs.github.com/rest/issues/comments#create-an-issue-comment', status: '403' });
    let payload: Record<string, unknown> = {};
    if (text) {
      try {
        payload = JSON.parse(text) as Record<string, unknown>;
      } catch {
        return send(400, { message: 'Problems parsing JSON' });
      }
    }
    const invalidBody = (): boolean => {
      const body = payload['body'];
      if (typeof body !== 'string' || body.length === 0) {
        send(422, { message: 'Validation Failed', errors: [{ resource: 'IssueComment', code: 'missing_field', field: 'body' }] });
        return true;
      }
      if ([...body].length > BODY_LIMIT) {
        send(422, { message: 'Validation Failed', errors: [{ resource: 'IssueComment', code: 'custom', field: 'body', message: `body is too long (maximum is ${BODY_LIMIT} characters)` }] });
        return true;
      }
      return false;
    };

    let m = /^\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)\/comments$/.exec(url.pathname);
    if (m) {
      const issue = `${m[1]}/${m[2]}#${m[3]}`;
      const list = store.get(issue);
      if (!list) return send(404, { message: 'Not Found' });
      if (req.method === 'GET') {
        const perPage = Math.min(100, Math.max(1, Number(url.searchParams.get('per_page') ?? 30) || 30));
        const page = Math.max(1, Number(url.searchParams.get('page') ?? 1) || 1);
        const last = Math.max(1, Math.ceil(list.length / perPage));
        const link = (p: number): string => `<${base}${url.pathname}?per_page=${perPage}&page=${p}>`;
        const links = [...(page < last ? [`${link(page + 1)}; rel="next"`, `${link(last)}; rel="last"`] : []), ...(page > 1 ? [`${link(1)}; rel="first"`, `${link(page - 1)}; rel="prev"`] : [])];
        return send(200, list.slice((page - 1) * perPage, page * perPage).map((c) => shape(issue, c)), links.length ? { link: links.join(', ') } : {});
      }
      if (req.method === 'POST') {
        if (!identity.write) return readOnly();
        if (locked.has(issue)) return send(403, { message: 'Unable to create comment because issue is locked.' });
        if (invalidBody()) return;
        const at = now();
        const comment: FakeComment = { id: nextId++, body: payload['body'] as string, user: { login: identity.login, type: isBot(identity.login) ? 'Bot' : 'User' }, created_at: at, updated_at: at };
        list.push(comment);
        return send(201, shape(issue, comment));
      }
      return send(404, { message: 'Not Found' });
    }
    if (url.pathname === '/user' && req.method === 'GET') {
      if (isBot(identity.login)) return send(403, { message: 'Resource not accessible by integration', documentation_url: 'https://docs.github.com/rest/users/users#get-the-authenticated-user', status: '403' });
      return send(200, { login: identity.login, type: 'User' });
    }
    // GraphQL (POST /graphql): the `viewer` query, which any token may ask, installation tokens included (they get
    // their app's bot). GitHub answers other queries too; a query the fake does not know is a GraphQL error (200).
    if (url.pathname === '/graphql' && req.method === 'POST') {
      const query = typeof payload['query'] === 'string' ? payload['query'] : '';
      if (/^\s*(query\s*)?\{\s*viewer\s*\{\s*login\s*\}\s*\}\s*$/.test(query)) return send(200, { data: { viewer: { login: identity.login } } });
      return send(200, { errors: [{ type: 'NOT_SUPPORTED', message: `the GitHub fake does not answer this query: ${query.slice(0, 80)}` }] });
    }
    // Issues: listed (open/closed/all, by label; paginated), created (title required, body within the limit;
    // labels need write access and are created on first use), updated (title, body, state with its reason).
    m = /^\/repos\/([^/]+)\/([^/]+)\/issues$/.exec(url.pathname);
    if (m) {
      const repo = `${m[1]}/${m[2]}`;
      const list = issueStore.get(repo) ?? [];
      const shapeIssue = (i: FakeIssue): Record<string, unknown> => ({ number: i.number, title: i.title, body: i.body, state: i.state, state_reason: i.state_reason, labels: i.labels.map((name) => ({ name })), user: i.user, html_url: `https://github.com/${repo}/issues/${i.number}` });
      if (req.method === 'GET') {
        const state = url.searchParams.get('state') ?? 'open';
        const labels = (url.searchParams.get('labels') ?? '').split(',').filter(Boolean);
        const matching = list.filter((i) => (state === 'all' || i.state === state) && labels.every((l) => i.labels.includes(l)));
        const perPage = Math.min(100, Math.max(1, Number(url.searchParams.get('per_page') ?? 30) || 30));
        const page = Math.max(1, Number(url.searchParams.get('page') ?? 1) || 1);
        const last = Math.max(1, Math.ceil(matching.length / perPage));
        const link = (p: number): string => `<${base}${url.pathname}?${new URLSearchParams({ ...Object.fromEntries(url.searchParams), page: String(p) })}>`;
        const links: Record<string, string> = page < last ? { link: `${link(page + 1)}; rel="next", ${link(last)}; rel="last"` } : {};
        return send(200, matching.slice((page - 1) * perPage, page * perPage).map(shapeIssue), links);
      }
      if (req.method === 'POST') {
        if (!identity.write) return readOnly();
        if (typeof payload['title'] !== 'string' || payload['title'] === '') return send(422, { message: 'Validation Failed', errors: [{ resource: 'Issue', code: 'missing_field', field: 'title' }] });
        if (typeof payload['body'] === 'string' && [...payload['body']].length > BODY_LIMIT) return send(422, { message: 'Validation Failed', errors: [{ resource: 'Issue', code: 'custom', field: 'body', message: `body is too long (maximum is ${BODY_LIMIT} characters)` }] });
        const issue: FakeIssue = { number: nextIssue++, title: payload['title'], body: (payload['body'] as string | undefined) ?? '', state: 'open', state_reason: null, labels: identity.push === false ? [] : ((payload['labels'] as string[] | undefined) ?? []).map(String), user: { login: identity.login, type: identity.login.endsWith('[bot]') ? 'Bot' : 'User' } };
        issueStore.set(repo, [...list, issue]);
        store.set(`${repo}#${issue.number}`, []);
        return send(201, shapeIssue(issue));
      }
      return send(404, { message: 'Not Found' });
    }
    m = /^\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)$/.exec(url.pathname);
    if (m && req.method === 'PATCH') {
      const issue = (issueStore.get(`${m[1]}/${m[2]}`) ?? []).find((i) => i.number === Number(m![3]));
      if (!issue) return send(404, { message: 'Not Found' });
      if (!identity.write) return readOnly();
      if (typeof payload['body'] === 'string' && [...payload['body']].length > BODY_LIMIT) return send(422, { message: 'Validation Failed', errors: [{ resource: 'Issue', code: 'custom', field: 'body', message: `body is too long (maximum is ${BODY_LIMIT} characters)` }] });
      if (payload['state'] !== undefined && payload['state'] !== 'open' && payload['state'] !== 'closed') return send(422, { message: 'Validation Failed', errors: [{ resource: 'Issue', code: 'invalid', field: 'state' }] });
      if (typeof payload['title'] === 'string') issue.title = payload['title'];
      if (typeof payload['body'] === 'string') issue.body = payload['body'];
      if (payload['state'] === 'closed' || payload['state'] === 'open') {
        issue.state = payload['state'];
        issue.state_reason = payload['state'] === 'closed' ? ((payload['state_reason'] as string | undefined) ?? 'completed') : 'reopened';
      }
      return send(200, { number: issue.number, title: issue.title, body: issue.body, state: issue.state, state_reason: issue.state_reason, html_url: `https://github.com/${m[1]}/${m[2]}/issues/${issue.number}` });
    }
    // An environment and what protects it, shaped as GitHub answers (protection_rules, deployment_branch_policy).
    m = /^\/repos\/([^/]+)\/([^/]+)\/environments\/([^/]+)$/.exec(url.pathname);
    if (m && req.method === 'GET') {
      if (identity.actions === false) return send(403, { message: 'Resource not accessible by integration', documentation_url: 'https://docs.github.com/rest/deployments/environments#get-an-environment', status: '403' });
      const name = decodeURIComponent(m[3]!);
      const env = environments.get(`${m[1]}/${m[2]}/${name}`);
      if (!env) return send(404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest/deployments/environments#get-an-environment', status: '404' });
      const rules: Record<string, unknown>[] = [];
      let id = 3736;
      if (env.waitTimer) rules.push({ id: id++, node_id: `GA_${id}`, type: 'wait_timer', wait_timer: env.waitTimer });
      if (env.reviewers.length) rules.push({ id: id++, node_id: `GA_${id}`, type: 'required_reviewers', prevent_self_review: false, reviewers: env.reviewers.map((login, i) => ({ type: 'User', reviewer: { login, id: 1000 + i, type: 'User' } })) });
      if (env.branches !== 'any') rules.push({ id: id++, node_id: `GA_${id}`, type: 'branch_policy' });
      return send(200, {
        id: 161088068, node_id: 'MDExOkVudmlyb25tZW50MTYxMDg4MDY4', name,
        url: `${base}/repos/${m[1]}/${m[2]}/environments/${encodeURIComponent(name)}`,
        html_url: `https://github.com/${m[1]}/${m[2]}/deployments/activity_log?environments_filter=${encodeURIComponent(name)}`,
        created_at: '2026-11-23T22:00:40Z', updated_at: '2026-11-23T22:00:40Z',
        protection_rules: rules,
        deployment_branch_policy: env.branches === 'any' ? null : { protected_branches: env.branches === 'protected', custom_branch_policies: env.branches !== 'protected' },
      });
    }
    m = /^\/repos\/([^/]+)\/([^/]+)\/commits\/([^/]+)\/pulls$/.exec(url.pathname);
    if (m && req.method === 'GET') {
      const pulls = commits.get(`${m[1]}/${m[2]}@${m[3]}`);
      if (!pulls) return send(422, { message: `No commit found for SHA: ${m[3]}`, documentation_url: 'https://docs.github.com/rest/commits/commits#list-pull-requests-associated-with-a-commit' });
      return send(200, pulls.map((p) => ({ number: p.number, state: p.merged_at ? 'closed' : 'open', merged_at: p.merged_at, merge_commit_sha: p.merge_commit_sha, html_url: `https://github.com/${m![1]}/${m![2]}/pull/${p.number}` })));
    }
    m = /^\/repos\/([^/]+)\/([^/]+)\/issues\/comments\/(\d+)$/.exec(url.pathname);
    if (m) {
      const found = findComment(m[1]!, m[2]!, Number(m[3]));
      if (!found) return send(404, { message: 'Not Found' });
      const [issue, comment] = found;
      if (req.method === 'GET') return send(200, shape(issue, comment));
      if (!identity.write) return readOnly();
      if (req.method === 'PATCH') {
        if (invalidBody()) return;
        comment.body = payload['body'] as string;
        comment.updated_at = now();
        return send(200, shape(issue, comment));
      }
      if (req.method === 'DELETE') {
        store.set(issue, store.get(issue)!.filter((c) => c !== comment));
        return send(204);
      }
    }
    // Git data (refs, commits, trees) and pull requests: what a bot needs to propose a change without a clone.
    // Writing needs `contents: write` (a token with `push: false` is refused, as a read-only GITHUB_TOKEN is).
    m = /^\/repos\/([^/]+)\/([^/]+)\/(git\/.+|pulls(?:\/\d+)?)$/.exec(url.pathname);
    if (m) {
      const repoKey = `${m[1]}/${m[2]}`;
      const git = gitOf(repoKey);
      // Octokit sends a ref's slashes encoded (`heads%2Fmain`), as GitHub accepts them.
      const rest = decodeURIComponent(m[3]!);
      const writes = req.method !== 'GET';
      if (writes && (!identity.write || identity.push === false)) return readOnly();
      let g = /^git\/ref\/heads\/(.+)$/.exec(rest);
      if (g && req.method === 'GET') {
        const sha = git.refs.get(g[1]!);
        return sha ? send(200, { ref: `refs/heads/${g[1]}`, object: { sha, type: 'commit' } }) : send(404, { message: 'Not Found' });
      }
      g = /^git\/commits\/([0-9a-f]+)$/.exec(rest);
      if (g && req.method === 'GET') {
        const commit = git.commits.get(g[1]!);
        return commit ? send(200, { sha: g[1], tree: { sha: commit.tree }, parents: commit.parents.map((sha) => ({ sha })), message: commit.message }) : send(404, { message: 'Not Found' });
      }
      if (rest === 'git/trees' && req.method === 'POST') {
        const baseTree = typeof payload['base_tree'] === 'string' ? git.trees.get(payload['base_tree']) : new Map<string, string>();
        if (!baseTree) return send(422, { message: 'Invalid tree info' });
        const entries = Array.isArray(payload['tree']) ? (payload['tree'] as { path?: unknown; content?: unknown; mode?: unknown; type?: unknown }[]) : [];
        if (entries.some((e) => typeof e.path !== 'string' || typeof e.content !== 'string' || e.mode !== '100644' || e.type !== 'blob')) return send(422, { message: 'Invalid tree info' });
        const tree = new Map(baseTree);
        for (const e of entries) tree.set(e.path as string, e.content as string);
        const sha = fakeSha(`tree ${[...tree].map(([p, c]) => `${p}\u0000${c}`).join('\u0001')}`);
        git.trees.set(sha, tree);
        return send(201, { sha });
      }
      if (rest === 'git/commits' && req.method === 'POST') {
        const tree = payload['tree'];
        const parents = Array.isArray(payload['parents']) ? (payload['parents'] as unknown[]).map(String) : [];
        if (typeof tree !== 'string' || !git.trees.has(tree) || parents.some((p) => !git.commits.has(p))) return send(422, { message: 'Invalid commit info' });
        const sha = fakeSha(`commit ${tree} ${parents.join(' ')} ${String(payload['message'])} ${nextId++}`);
        git.commits.set(sha, { tree, parents, message: String(payload['message'] ?? '') });
        return send(201, { sha });
      }
      if (rest === 'git/refs' && req.method === 'POST') {
        const ref = String(payload['ref'] ?? '');
        const sha = String(payload['sha'] ?? '');
        if (!ref.startsWith('refs/heads/') || !git.commits.has(sha)) return send(422, { message: 'Invalid request' });
        if (git.refs.has(ref.slice('refs/heads/'.length))) return send(422, { message: 'Reference already exists' });
        git.refs.set(ref.slice('refs/heads/'.length), sha);
        return send(201, { ref, object: { sha, type: 'commit' } });
      }
      g = /^git\/refs\/heads\/(.+)$/.exec(rest);
      if (g && req.method === 'PATCH') {
        const sha = String(payload['sha'] ?? '');
        if (!git.refs.has(g[1]!)) return send(422, { message: 'Reference does not exist' });
        if (!git.commits.has(sha)) return send(422, { message: 'Object does not exist' });
        git.refs.set(g[1]!, sha);
        return send(200, { ref: `refs/heads/${g[1]}`, object: { sha, type: 'commit' } });
      }
      const shapePull = (p: FakePull): Record<string, unknown> => ({ number: p.number, title: p.title, body: p.body, state: p.state, head: { ref: p.head, label: `${m![1]}:${p.head}` }, base: { ref: p.base }, user: p.user, html_url: `https://github.com/${repoKey}/pull/${p.number}` });
      if (rest === 'pulls' && req.method === 'GET') {
        const state = url.searchParams.get('state') ?? 'open';
        const head = url.searchParams.get('head');
        const baseRef = url.searchParams.get('base');
        return send(200, git.pulls.filter((p) => (state === 'all' || p.state === state) && (!head || `${m![1]}:${p.head}` === head) && (!baseRef || p.base === baseRef)).map(shapePull));
      }
      if (rest === 'pulls' && req.method === 'POST') {
        const head = String(payload['head'] ?? '');
        const baseRef = String(payload['base'] ?? '');
        if (!git.refs.has(head) || !git.refs.has(baseRef)) return send(422, { message: 'Validation Failed', errors: [{ resource: 'PullRequest', field: 'head', code: 'invalid' }] });
        if (git.pulls.some((p) => p.state === 'open' && p.head === head && p.base === baseRef)) return send(422, { message: 'Validation Failed', errors: [{ resource: 'PullRequest', code: 'custom', message: `A pull request already exists for ${m![1]}:${head}.` }] });
        if (typeof payload['body'] === 'string' && [...payload['body']].length > BODY_LIMIT) return send(422, { message: 'Validation Failed', errors: [{ resource: 'PullRequest', code: 'custom', field: 'body', message: `body is too long (maximum is ${BODY_LIMIT} characters)` }] });
        const pull: FakePull = { number: nextIssue++, title: String(payload['title'] ?? ''), body: String(payload['body'] ?? ''), state: 'open', head, base: baseRef, user: { login: identity.login, type: isBot(identity.login) ? 'Bot' : 'User' } };
        git.pulls.push(pull);
        // A pull request is an issue too: its conversation takes comments.
        store.set(`${repoKey}#${pull.number}`, []);
        return send(201, shapePull(pull));
      }
      g = /^pulls\/(\d+)$/.exec(rest);
      if (g && req.method === 'PATCH') {
        const pull = git.pulls.find((p) => p.number === Number(g![1]));
        if (!pull) return send(404, { message: 'Not Found' });
        if (typeof payload['body'] === 'string' && [...payload['body']].length > BODY_LIMIT) return send(422, { message: 'Validation Failed', errors: [{ resource: 'PullRequest', code: 'custom', field: 'body', message: `body is too long (maximum is ${BODY_LIMIT} characters)` }] });
        if (payload['state'] === 'closed' || payload['state'] === 'open') pull.state = payload['state'];
        if (typeof payload['title'] === 'string') pull.title = payload['title'];
        if (typeof payload['body'] === 'string') pull.body = payload['body'];
        return send(200, shapePull(pull));
      }
      return send(404, { message: 'Not Found' });
    }
    return send(404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' });
  };

  // Git repositories by `owner/repo`: branches, commits, trees (path -> text) and pull requests.
  const gitRepos = new Map<string, FakeGit>();
  const gitOf = (repo: string): FakeGit => {
    let git = gitRepos.get(repo);
    if (!git) gitRepos.set(repo, (git = { refs: new Map(), commits: new Map(), trees: new Map(), pulls: [] }));
    return git;
  };
  const fakeSha = (text: string): string => createHash('sha1').update(text).digest('hex');
  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      res.writeHead(500);
      res.end(String(e));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: base,
    tokens,
    environments,
    commits,
    comments: (issue) => store.get(issue) ?? [],
    issues: (repo) => issueStore.get(repo) ?? [],
    addIssue(repo, issue) {
      const number = nextIssue++;
      issueStore.set(repo, [...(issueStore.get(repo) ?? []), { number, state: 'open', state_reason: null, labels: [], user: { login: 'octocat', type: 'User' }, ...issue, ...(issue.user ? { user: { login: issue.user.login, type: isBot(issue.user.login) ? 'Bot' : 'User' } } : {}) }]);
      store.set(`${repo}#${number}`, []);
      return number;
    },
    addComments(issue, count, login = 'octocat', body = (i) => `comment ${i}`) {
      const list = store.get(issue)!;
      for (let i = 0; i < count; i++) {
        const at = now();
        list.push({ id: nextId++, body: body(i), user: { login, type: isBot(login) ? 'Bot' : 'User' }, created_at: at, updated_at: at });
      }
    },
    lock: (issue) => locked.add(issue),
    seedBranch(repo, branch, files) {
      const git = gitOf(repo);
      const tree = new Map(Object.entries(files));
      const treeSha = fakeSha(`tree ${[...tree].map(([p, c]) => `${p}\u0000${c}`).join('\u0001')}`);
      git.trees.set(treeSha, tree);
      const sha = fakeSha(`commit ${treeSha} seed ${branch}`);
      git.commits.set(sha, { tree: treeSha, parents: [], message: 'seed' });
      git.refs.set(branch, sha);
      return sha;
    },
    branchFiles(repo, branch) {
      const git = gitOf(repo);
      const sha = git.refs.get(branch);
      return sha ? git.trees.get(git.commits.get(sha)!.tree) : undefined;
    },
    pulls: (repo) => gitOf(repo).pulls,
    clearFaults: () => {
      faults.length = 0;
    },
    failNext(count, fault) {
      for (let i = 0; i < count; i++) faults.push(fault);
    },
    requests,
    oidc,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
