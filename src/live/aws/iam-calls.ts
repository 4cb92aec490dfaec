/**
 * How one step's IAM calls are made: sent through the SDK (whose adaptive retry strategy handles throttling and 5xx),
 * with the attempts beyond the first counted; listings read to their last page; clean-ups run a few calls at once;
 * codes that mean "already done" taken as done; and calls IAM refuses for a while after this run created what they
 * need polled (eventual consistency), and said so.
 */
import type { IAMClient } from '@aws-sdk/client-iam';
import pLimit from 'p-limit';
import type { Clock } from '../../core/clock.js';
import { pollWithBackoff } from '../../core/poll.js';
import { isAwsError } from './errors.js';

/** Any IAM command: the SDK's own types do not unify over the union of commands. */
export type Sendable = object;

/** What a listing command is given to read one page: the page size and where to go on from. */
export interface PageRequest {
  readonly MaxItems: number;
  readonly Marker?: string;
}

/** What a step's calls came to, for the apply report. */
export interface Progress {
  /** Attempts beyond the first, across the step's calls (throttling, 5xx, eventual consistency). */
  retries: number;
  readonly notes: string[];
}

/**
 * Calls of one clean-up in flight at once: a policy attached to 1,000 principals is detached in a fraction of the
 * time one by one would take, and IAM's throttling, if it comes, is the SDK's adaptive retry's to pace.
 */
const CLEANUP_CONCURRENCY = 8;

/** IAM's largest page: fewer round trips for big listings. */
const PAGE_SIZE = 1000;

/** The pauses of a wait for IAM to show what this run created: 250 ms, growing by 1.6, at most 5 s. */
const CONSISTENCY_PAUSES = { firstPauseMs: 250, growth: 1.6, maxPauseMs: 5000 } as const;

export interface StepCallsOptions {
  readonly clock: Clock;
  /** How long to wait for IAM to show what this run created, in ms. */
  readonly consistencyTimeoutMs: number;
  /** Said once when a call starts waiting for IAM (eventual consistency), for the log. */
  readonly onWait?: (message: string) => void;
}

/** The calls of one step, counted into its `progress`. */
export class StepCalls {
  constructor(
    private readonly iam: IAMClient,
    readonly progress: Progress,
    private readonly options: StepCallsOptions,
  ) {}

  async send<T>(command: Sendable): Promise<T> {
    try {
      const out = (await this.iam.send(command as never)) as { $metadata?: { attempts?: number } };
      this.progress.retries += Math.max(0, (out.$metadata?.attempts ?? 1) - 1);
      return out as T;
    } catch (e) {
      this.progress.retries += Math.max(0, ((e as { $metadata?: { attempts?: number } }).$metadata?.attempts ?? 1) - 1);
      throw e;
    }
  }

  /**
   * Every item of a paginated listing: IAM returns at most MaxItems per page (default 100; asked for 1,000 here) and
   * may return fewer, and says `IsTruncated` with a `Marker` to go on from. A clean-up that read one page would leave
   * the rest (a policy attached to 130 principals stays attached to 30, and its deletion fails).
   */
  async listAll<T>(command: (page: PageRequest) => Sendable, items: (page: Record<string, unknown>) => readonly T[] | undefined): Promise<T[]> {
    const out: T[] = [];
    let marker: string | undefined;
    for (;;) {
      const page = await this.send<Record<string, unknown> & { IsTruncated?: boolean; Marker?: string }>(command({ MaxItems: PAGE_SIZE, ...(marker !== undefined ? { Marker: marker } : {}) }));
      out.push(...(items(page) ?? []));
      if (!page.IsTruncated) return out;
      if (!page.Marker || page.Marker === marker) throw new Error(`IAM said a listing goes on (IsTruncated) without a new Marker: ${command({ MaxItems: PAGE_SIZE }).constructor.name}`);
      marker = page.Marker;
    }
  }

  /**
   * `call` for every item, CLEANUP_CONCURRENCY at a time. After a failure no new call starts; the step fails with it
   * once the calls in flight have ended (so that nothing still runs when the step is reported).
   */
  async forEach<T>(items: readonly T[], call: (item: T) => Promise<void>): Promise<void> {
    const limit = pLimit(CLEANUP_CONCURRENCY);
    let failed = false;
    const results = await Promise.allSettled(
      items.map((item) =>
        limit(async () => {
          if (failed) return;
          try {
            await call(item);
          } catch (e) {
            failed = true;
            throw e;
          }
        }),
      ),
    );
    const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failure) throw failure.reason;
  }

  /** A call whose `codes` mean "already done" (a retry met its earlier attempt, or the state is already so). */
  async idempotent(command: Sendable, codes: readonly string[], note?: string): Promise<void> {
    try {
      await this.send(command);
    } catch (e) {
      if (!isAwsError(e, ...codes)) throw e;
      if (note) this.progress.notes.push(note);
    }
  }

  /**
   * A call that IAM may refuse for a while after this run created something it needs (eventual consistency): polled
   * with growing pauses, up to the timeout, and said so. `transient` says which refusals are worth waiting out; the
   * last one is thrown once the timeout has passed. `idempotentCodes` mean "already done".
   */
  async eventually(command: () => Sendable, transient: (e: unknown) => boolean, waitingFor: string, idempotentCodes: readonly string[] = []): Promise<void> {
    const timeout = this.options.consistencyTimeoutMs;
    const outcome = await pollWithBackoff<'sent' | 'already done', unknown>(
      this.options.clock,
      { timeoutMs: timeout, ...CONSISTENCY_PAUSES },
      async () => {
        try {
          await this.send(command());
          return { done: true, value: 'sent' };
        } catch (e) {
          if (isAwsError(e, ...idempotentCodes)) return { done: true, value: 'already done' };
          if (!transient(e)) throw e;
          return { done: false, pending: e };
        }
      },
      (_error, _pause, pausesBefore) => {
        if (pausesBefore === 0) this.options.onWait?.(`IAM does not show ${waitingFor} yet; waiting (up to ${Math.round(timeout / 1000)} s)`);
        this.progress.retries++;
      },
    );
    if (!outcome.done) throw outcome.pending;
    // Only the pauses between tries are waiting for consistency: time the SDK spent on a throttled call is
    // throttling, and is reported as such (AwsClients.throttling), never as this.
    if (outcome.value === 'sent' && outcome.pauses > 0) this.progress.notes.push(`waited ${(outcome.waitedMs / 1000).toFixed(1)} s for IAM to show ${waitingFor}`);
  }
}
