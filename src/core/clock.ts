/**
 * Time as the shell reads and spends it. What the application waits for (IAM to show what a run created, pauses
 * between readings) is waited on one clock, passed in: the system's in a run, a virtual one in tests, on which the
 * same waits take no real time. Pure stages take no clock; they are given `now`.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Resolves once `ms` of this clock's time have passed. */
  sleep(ms: number): Promise<void>;
}

export const SYSTEM_CLOCK: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};
