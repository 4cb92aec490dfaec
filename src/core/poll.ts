/**
 * Waiting out IAM's eventual consistency: try, and while the answer is not there yet, pause (each pause longer than
 * the last, up to a ceiling) and try again, until the answer comes or a bound of the clock's time has passed. The one
 * loop behind the AWS writer's waits for what a run just created and apply's verification by reading again, on the
 * injected clock (virtual in tests, where these waits take no real time).
 */
import type { Clock } from './clock.js';

/** How long IAM is given to show what a run did, unless said otherwise: mature tools wait about two minutes. */
export const DEFAULT_CONSISTENCY_TIMEOUT_MS = 120_000;

/** The pauses between tries, and when to stop. */
export interface PollSchedule {
  /**
   * Once this much of the clock's time has passed since the first try began, a try that is still pending is the
   * last (the bound is checked after a try, so a try that started in time is never cut short).
   */
  readonly timeoutMs: number;
  readonly firstPauseMs: number;
  /** Each pause is the previous one times this (>= 1), never more than `maxPauseMs`. */
  readonly growth: number;
  readonly maxPauseMs: number;
}

/** One try: the answer, or what is still missing (kept, so that the caller can say it when the bound passes). */
export type PollAttempt<T, P> = { readonly done: true; readonly value: T } | { readonly done: false; readonly pending: P };

/**
 * The last try's outcome. `waitedMs` is the time spent in pauses only: the tries themselves (which the SDK may have
 * slowed for throttling, reported as such elsewhere) are not waiting for consistency.
 */
export type PollOutcome<T, P> = PollAttempt<T, P> & { readonly waitedMs: number; readonly pauses: number };

/**
 * Tries `attempt` until it is done or the schedule's bound passes. `beforePause` is told what is pending, how long
 * the coming pause is and how many pauses came before it (0 the first time: a caller that says "waiting" once says it
 * then). An error `attempt` throws ends the polling with that error.
 */
export async function pollWithBackoff<T, P>(clock: Clock, schedule: PollSchedule, attempt: () => Promise<PollAttempt<T, P>>, beforePause?: (pending: P, pauseMs: number, pausesBefore: number) => void): Promise<PollOutcome<T, P>> {
  const started = clock.now();
  let pause = schedule.firstPauseMs;
  let waitedMs = 0;
  let pauses = 0;
  for (;;) {
    const result = await attempt();
    if (result.done || clock.now() - started > schedule.timeoutMs) return { ...result, waitedMs, pauses };
    beforePause?.(result.pending, pause, pauses);
    await clock.sleep(pause);
    waitedMs += pause;
    pauses++;
    pause = Math.min(pause * schedule.growth, schedule.maxPauseMs);
  }
}
