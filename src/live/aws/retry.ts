/**
 * The SDK's adaptive retry strategy (backoff with jitter, and a client-side rate limiter that slows sending once IAM
 * throttles), made to say what it does: before each wait it reports the kind of failure and how long it will wait
 * ("throttled, retrying in 8 s"), and it keeps the run's account of time spent waiting on throttling, so that such
 * time is never reported as eventual consistency.
 *
 * Built from the SDK's own parts: `AdaptiveRetryStrategy` decides whether and when to retry; a backoff object of ours
 * computes the same delays (full jitter, doubling, capped at 20 s) and reports each one as it is chosen. The error
 * being retried reaches the backoff through AsyncLocalStorage, because the strategy awaits in between and several
 * requests retry at once.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { AdaptiveRetryStrategy, MAXIMUM_RETRY_DELAY, Retry, type RateLimiter } from '@smithy/core/retry';

type RetryErrorInfo = Parameters<AdaptiveRetryStrategy['refreshRetryTokenForRetry']>[1];
type RetryToken = Awaited<ReturnType<AdaptiveRetryStrategy['acquireInitialRetryToken']>>;

/** Why a request is tried again: IAM asked to slow down, or it (or the network) failed in passing. */
export type RetryKind = 'throttling' | 'failure';

export interface RetryEvent {
  readonly kind: RetryKind;
  /** The error's code (`Throttling`, `ServiceFailure`, `TimeoutError`...), when there is one. */
  readonly code?: string;
  /** How long the request waits before its next attempt. */
  readonly delayMs: number;
  /** The attempt about to be made (2 for the first retry) and the most there will be. */
  readonly attempt: number;
  readonly maxAttempts: number;
}

/**
 * Time a run spent waiting because AWS asked it to slow down: retry pauses after throttling, and the pacing the
 * client then imposes on new requests. Owned by one run (one set of clients); several requests add to it at once,
 * so it measures waiting, not elapsed time.
 */
export interface ThrottleLedger {
  throttledMs: number;
  throttledRetries: number;
}

export interface RetryOptions {
  readonly maxAttempts: number;
  /** The first retry's base delay in ms, for every kind of retry (throttling too); default the SDK's. */
  readonly baseDelayMs?: number;
  readonly onRetry?: (event: RetryEvent) => void;
  readonly ledger: ThrottleLedger;
  /** The clock, for measuring waits (tests may pass their own). */
  readonly now?: () => number;
  /** The client-side pacing after throttling; default the SDK's (tests that count rather than wait replace it). */
  readonly rateLimiter?: RateLimiter;
}

/** No client-side pacing: every request is sent at once (for runs on a clock the SDK's limiter cannot keep). */
export const UNPACED: RateLimiter = { getSendToken: async () => undefined, updateClientSendingRate: () => undefined };

export function reportingRetryStrategy(options: RetryOptions): AdaptiveRetryStrategy {
  const now = options.now ?? Date.now;
  const current = new AsyncLocalStorage<{ info: RetryErrorInfo }>();
  const backoff = {
    base: Retry.delay(),
    setDelayBase(delay: number): void {
      // The SDK sets a 1 s base for throttling and its own for the rest; a configured base (tests, slow networks)
      // counts for both, so that IAM_GITOPS_RETRY_BASE_DELAY_MS shortens every wait.
      backoff.base = options.baseDelayMs ?? delay;
    },
    computeNextBackoffDelay(retries: number): number {
      const delay = Math.floor(Math.random() * Math.min(backoff.base * 2 ** retries, MAXIMUM_RETRY_DELAY));
      const context = current.getStore();
      if (context) {
        const code = (context.info.error as { name?: string } | undefined)?.name;
        options.onRetry?.({ kind: context.info.errorType === 'THROTTLING' ? 'throttling' : 'failure', ...(code ? { code } : {}), delayMs: delay, attempt: retries + 2, maxAttempts: options.maxAttempts });
      }
      return delay;
    },
  };
  const inner = new AdaptiveRetryStrategy(options.maxAttempts, { backoff, ...(options.baseDelayMs !== undefined ? { baseDelay: options.baseDelayMs } : {}), ...(options.rateLimiter ? { rateLimiter: options.rateLimiter } : {}) });
  const strategy = Object.create(inner) as AdaptiveRetryStrategy;
  strategy.acquireInitialRetryToken = async (scope: string): Promise<RetryToken> => {
    // The adaptive rate limiter holds new requests back only after throttling: that pause is throttling's too.
    const started = now();
    const token = await inner.acquireInitialRetryToken(scope);
    options.ledger.throttledMs += now() - started;
    return token;
  };
  strategy.refreshRetryTokenForRetry = (token, info) =>
    current.run({ info }, async () => {
      const started = now();
      try {
        return await inner.refreshRetryTokenForRetry(token, info);
      } finally {
        if (info.errorType === 'THROTTLING') {
          options.ledger.throttledMs += now() - started;
          options.ledger.throttledRetries++;
        }
      }
    });
  return strategy;
}

/** "throttled by IAM (Throttling), retrying in 8 s (attempt 3 of 10)": for logs. */
export function describeRetry(event: RetryEvent, service = 'IAM'): string {
  const seconds = event.delayMs < 10_000 ? (event.delayMs / 1000).toFixed(1) : String(Math.round(event.delayMs / 1000));
  const what = event.kind === 'throttling' ? `throttled by ${service}${event.code ? ` (${event.code})` : ''}` : `${service} request failed${event.code ? ` (${event.code})` : ''}`;
  return `${what}, retrying in ${seconds} s (attempt ${event.attempt} of ${event.maxAttempts})`;
}
