/**
 * Adapter: a GitHub REST client (Octokit) that behaves under GitHub's limits: the throttling plugin waits out
 * primary and secondary rate limits (twice, then gives up with the reason), the retry plugin retries 5xx and
 * network failures, and every request has a deadline (an unresponsive server fails it instead of hanging the run).
 * `baseUrl` is `GITHUB_API_URL` (GitHub Enterprise Server, or a test's loopback fake).
 */
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { Octokit } from '@octokit/rest';
import Bottleneck from 'bottleneck';

export type GitHubClient = InstanceType<typeof Octokit>;

export interface GitHubClientOptions {
  readonly token: string;
  /** The REST API root: `GITHUB_API_URL` (default https://api.github.com). */
  readonly baseUrl?: string;
  /** Where to say that a request waits for a rate limit (the Action's log). */
  readonly log?: (message: string) => void;
  /**
   * The unit of waiting, in milliseconds: a `Retry-After: 2` waits 2 units, 5xx retries back off by it. 1000 for
   * GitHub; tests shorten it (the env var IAM_GITOPS_GITHUB_RETRY_UNIT_MS does the same for a run).
   */
  readonly retryUnitMs?: number;
  /**
   * How long one request may take, answer included, in ms (default 30 s; IAM_GITOPS_REQUEST_TIMEOUT_MS for a run):
   * a server that accepts and never answers fails the request (retried by the retry plugin), it does not hang.
   */
  readonly timeoutMs?: number;
}

export const DEFAULT_GITHUB_TIMEOUT_MS = 30_000;

/**
 * `fetch` with a deadline for each request, Octokit's own hook for its transport (`request.fetch`): the signal
 * covers connecting, the headers and the body.
 */
function fetchWithin(ms: number): typeof fetch {
  return async (url, init) => {
    const deadline = AbortSignal.timeout(ms);
    const signal = init?.signal ? AbortSignal.any([init.signal, deadline]) : deadline;
    try {
      return await fetch(url, { ...init, signal });
    } catch (e) {
      if (deadline.aborted && !init?.signal?.aborted) {
        const { host, pathname } = new URL(typeof url === 'string' || url instanceof URL ? url : url.url);
        throw new Error(`no answer from ${host} within ${ms / 1000} s (${init?.method ?? 'GET'} ${pathname})`, { cause: e });
      }
      throw e;
    }
  };
}

/** How many times a rate-limited request is tried again before the run gives up on GitHub. */
const RATE_LIMIT_RETRIES = 2;

const ThrottledOctokit = Octokit.plugin(throttling, retry);

export function gitHubClient(options: GitHubClientOptions): GitHubClient {
  const unit = options.retryUnitMs ?? (Number(process.env.IAM_GITOPS_GITHUB_RETRY_UNIT_MS) || 1000);
  const log = options.log ?? (() => undefined);
  const timeoutMs = options.timeoutMs ?? (Number(process.env.IAM_GITOPS_REQUEST_TIMEOUT_MS) || DEFAULT_GITHUB_TIMEOUT_MS);
  const onLimit = (kind: string) => (retryAfter: number, request: { method: string; url: string }, _octokit: unknown, retryCount: number): boolean => {
    if (retryCount >= RATE_LIMIT_RETRIES) {
      log(`GitHub ${kind} rate limit on ${request.method} ${request.url}: giving up after ${RATE_LIMIT_RETRIES} waits`);
      return false;
    }
    log(`GitHub ${kind} rate limit on ${request.method} ${request.url}: waiting ${retryAfter} s, then trying again`);
    return true;
  };
  return new ThrottledOctokit({
    auth: options.token,
    ...(options.baseUrl ? { baseUrl: options.baseUrl.replace(/\/+$/, '') } : {}),
    userAgent: 'iam-gitops',
    throttle: {
      onRateLimit: onLimit('primary'),
      onSecondaryRateLimit: onLimit('secondary'),
      retryAfterBaseValue: unit,
      fallbackSecondaryRateRetryAfter: 60,
      // The plugin's pacing, in units: GitHub asks for a second between writes, and comments (which notify people)
      // are spaced three.
      write: new Bottleneck.Group({ maxConcurrent: 1, minTime: unit }),
      notifications: new Bottleneck.Group({ maxConcurrent: 1, minTime: 3 * unit }),
    },
    retry: { retryAfterBaseValue: unit, retries: 3 },
    request: { fetch: fetchWithin(timeoutMs) },
    // Octokit logs every 4xx as a warning itself; the Action reports what matters in its own words.
    log: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined },
  }) as GitHubClient;
}
