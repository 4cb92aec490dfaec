/**
 * Runs scheduled steps through an `IamWriter` (the port to IAM): phase after phase, the steps of a phase
 * concurrently under `p-limit`. A step that fails, or an interruption, stops new steps from starting; the steps
 * already running finish; the result says exactly which steps were applied, which failed, and which never ran.
 * Since every step is idempotent and `apply` plans again from live IAM, running it again converges.
 */
import pLimit from 'p-limit';
import type { Diagnostic } from '../core/diagnostics.js';
import { PHASES, type Step } from './steps.js';

export interface StepOutcome {
  /** Attempts beyond the first, across the step's calls (throttling, 5xx, eventual consistency). */
  readonly retries: number;
  /** What else is worth saying: "already existed (an earlier attempt)", "waited 3 s for IAM to show role x". */
  readonly notes: readonly string[];
}

/** The port to IAM: performs one step, retrying what is worth retrying, or throws. */
export interface IamWriter {
  perform(step: Step): Promise<StepOutcome>;
  /** The diagnostic for an error `perform` threw. */
  describe(error: unknown, step: Step): Diagnostic;
}

export type ApplyEvent =
  | { readonly type: 'start'; readonly step: Step; readonly total: number }
  | { readonly type: 'done'; readonly step: Step; readonly total: number; readonly outcome: StepOutcome; readonly ms: number }
  | { readonly type: 'failed'; readonly step: Step; readonly total: number; readonly error: Diagnostic; readonly ms: number };

export interface ExecutionResult {
  readonly applied: readonly { readonly step: Step; readonly outcome: StepOutcome }[];
  readonly failed: readonly { readonly step: Step; readonly error: Diagnostic }[];
  /** Steps never started, because an earlier one failed or the run was interrupted. */
  readonly notRun: readonly Step[];
  readonly interrupted: boolean;
  readonly retries: number;
  readonly ms: number;
}

export interface ExecuteOptions {
  readonly concurrency: number;
  readonly onEvent?: (event: ApplyEvent) => void;
  /** True once the user asked to stop (Ctrl-C): no new step starts. */
  readonly interrupted?: () => boolean;
  readonly now?: () => number;
}

export async function executeSteps(steps: readonly Step[], writer: IamWriter, options: ExecuteOptions): Promise<ExecutionResult> {
  const now = options.now ?? Date.now;
  const started = now();
  const applied: { step: Step; outcome: StepOutcome }[] = [];
  const failed: { step: Step; error: Diagnostic }[] = [];
  const notRun: Step[] = [];
  const limit = pLimit(Math.max(1, options.concurrency));
  const stopped = (): boolean => failed.length > 0 || options.interrupted?.() === true;
  const total = steps.length;

  for (const phase of PHASES) {
    const ofPhase = steps.filter((s) => s.phase === phase);
    if (ofPhase.length === 0) continue;
    if (stopped()) {
      notRun.push(...ofPhase);
      continue;
    }
    await Promise.all(
      ofPhase.map((step) =>
        limit(async () => {
          if (stopped()) {
            notRun.push(step);
            return;
          }
          const begun = now();
          options.onEvent?.({ type: 'start', step, total });
          try {
            const outcome = await writer.perform(step);
            applied.push({ step, outcome });
            options.onEvent?.({ type: 'done', step, total, outcome, ms: now() - begun });
          } catch (e) {
            const error = writer.describe(e, step);
            failed.push({ step, error });
            options.onEvent?.({ type: 'failed', step, total, error, ms: now() - begun });
          }
        }),
      ),
    );
  }
  const byId = (a: { step: Step } | Step, b: { step: Step } | Step): number => ('step' in a ? a.step.id : a.id) - ('step' in b ? b.step.id : b.id);
  return {
    applied: applied.sort(byId),
    failed: failed.sort(byId),
    notRun: notRun.sort(byId),
    interrupted: options.interrupted?.() === true,
    retries: applied.reduce((n, a) => n + a.outcome.retries, 0),
    ms: now() - started,
  };
}
