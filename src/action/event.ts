/**
 * The workflow run as the runner describes it: the event's name and payload file, the repository, where the API
 * and the checkout are. Read from the environment the runner sets (GitHub.com and Enterprise Server alike), so
 * the Action runs anywhere the same variables are set.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { parseJsonWithinLimits } from '../core/input-limits.js';

export interface PullRequestEvent {
  readonly number: number;
  readonly baseSha: string;
  readonly baseRef: string;
  readonly headSha: string;
  /** A pull request from a fork: its token is read-only and it has no secrets. */
  readonly fromFork: boolean;
}

export interface RunContext {
  readonly eventName: string;
  readonly owner: string;
  readonly repo: string;
  readonly apiUrl: string;
  readonly serverUrl: string;
  readonly workspace: string;
  /** The branch or tag the run is for (`GITHUB_REF_NAME`): the default branch, in a scheduled run. */
  readonly refName?: string;
  readonly runUrl?: string;
  readonly sha?: string;
  /** Present for pull_request events whose payload holds the pull request. */
  readonly pullRequest?: PullRequestEvent;
  /** Why the pull request could not be read from the event, when the event should have one. */
  readonly eventProblem?: string;
  /** Present for push events: the commit the branch pointed at before the push (all zeros for a new branch). */
  readonly pushBefore?: string;
}

const PULL_REQUEST_EVENTS = new Set(['pull_request', 'pull_request_target', 'pull_request_review']);

const Sha = z.string().regex(/^[0-9a-f]{40}([0-9a-f]{24})?$/, 'a commit SHA');
const PullRequestPayload = z.object({
  pull_request: z.object({
    number: z.number().int().positive(),
    base: z.object({ sha: Sha, ref: z.string().min(1), repo: z.object({ full_name: z.string() }).passthrough().optional() }).passthrough(),
    head: z.object({ sha: Sha, ref: z.string().optional(), repo: z.object({ full_name: z.string() }).passthrough().nullable().optional() }).passthrough(),
  }).passthrough(),
}).passthrough();

export function readRunContext(env: Readonly<Record<string, string | undefined>>): RunContext {
  const [owner = '', repo = ''] = (env['GITHUB_REPOSITORY'] ?? '').split('/');
  const serverUrl = (env['GITHUB_SERVER_URL'] ?? 'https://github.com').replace(/\/+$/, '');
  const eventName = env['GITHUB_EVENT_NAME'] ?? '';
  const base: RunContext = {
    eventName,
    owner,
    repo,
    apiUrl: (env['GITHUB_API_URL'] ?? 'https://api.github.com').replace(/\/+$/, ''),
    serverUrl,
    workspace: env['GITHUB_WORKSPACE'] ?? process.cwd(),
    ...(env['GITHUB_REF_NAME'] ? { refName: env['GITHUB_REF_NAME'] } : {}),
    ...(env['GITHUB_RUN_ID'] && owner ? { runUrl: `${serverUrl}/${owner}/${repo}/actions/runs/${env['GITHUB_RUN_ID']}` } : {}),
    ...(env['GITHUB_SHA'] ? { sha: env['GITHUB_SHA'] } : {}),
  };
  if (eventName === 'push') {
    const before = readPushBefore(env['GITHUB_EVENT_PATH']);
    return before ? { ...base, pushBefore: before } : base;
  }
  if (!PULL_REQUEST_EVENTS.has(eventName)) return base;
  const path = env['GITHUB_EVENT_PATH'];
  if (!path) return { ...base, eventProblem: `GITHUB_EVENT_PATH is not set, so the ${eventName} event's pull request is unknown` };
  let payload: unknown;
  try {
    payload = parseJsonWithinLimits(readFileSync(path, 'utf8'));
  } catch (e) {
    return { ...base, eventProblem: `cannot read the event payload ${path}: ${e instanceof Error ? e.message : String(e)}` };
  }
  const parsed = PullRequestPayload.safeParse(payload);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return { ...base, eventProblem: `the event payload ${path} is not a ${eventName} event: ${issue.path.join('.') || '(top)'}: ${issue.message}` };
  }
  const pr = parsed.data.pull_request;
  const headRepo = pr.head.repo?.full_name;
  return {
    ...base,
    pullRequest: {
      number: pr.number,
      baseSha: pr.base.sha,
      baseRef: pr.base.ref,
      headSha: pr.head.sha,
      fromFork: headRepo !== undefined && headRepo.toLowerCase() !== `${owner}/${repo}`.toLowerCase(),
    },
  };
}

/** A push event's `before` commit, if the payload can be read (the caller falls back to every account). */
function readPushBefore(path: string | undefined): string | undefined {
  if (!path) return undefined;
  try {
    const parsed = z.object({ before: Sha }).passthrough().safeParse(parseJsonWithinLimits(readFileSync(path, 'utf8')));
    return parsed.success ? parsed.data.before : undefined;
  } catch {
    return undefined;
  }
}
