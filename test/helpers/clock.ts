/**
 * A virtual clock for tests: time passes only when something waits on it, and waiting takes no real time. Shared by
 * the product (the CLI's `Io.clock`) and the IAM emulator (its consistency window), so that a run that waits out
 * IAM's eventual consistency sees the emulator's entities appear exactly when it would in real time.
 */
import type { Clock } from '../../src/core/clock.js';

export interface VirtualClock extends Clock {
  /** Virtual milliseconds waited so far. */
  readonly waited: number;
}

export function virtualClock(start = Date.parse('2026-11-29T12:00:00Z')): VirtualClock {
  let now = start;
  return {
    now: () => now,
    sleep: async (ms) => {
      now += Math.max(0, ms);
      // Let other work (requests in flight, other waiters) run before this one goes on, as a real pause would.
      await new Promise((resolve) => setImmediate(resolve));
    },
    get waited() {
      return now - start;
    },
  };
}
