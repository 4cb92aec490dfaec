/**
 * The GitHub Action: `plan` (a pull request's plan, its sticky comment and the job summary), `apply` (on merge),
 * `drift` (on a schedule), `audit` and `accounts`. It follows the runner's conventions only (inputs from INPUT_*,
 * the event from GITHUB_EVENT_PATH, the API at GITHUB_API_URL, outputs to GITHUB_OUTPUT, the report to
 * GITHUB_STEP_SUMMARY), so it runs on GitHub.com, GitHub Enterprise Server and anywhere the same environment is set.
 *
 * An entry point as thin as the CLI's commands: it reads the inputs, runs the command's use case (src/app), and turns
 * the result into outputs, annotations, the job summary and the step's result, through the runner's port.
 *
 * What fails the step: manifests that do not validate, live IAM that cannot be read, an apply that does not finish,
 * and findings at or above `fail-on`. What only warns: a comment that cannot be posted (a fork's read-only token),
 * a base commit that cannot be found (the plan then does not tell drift apart).
 */
import { resolve } from 'node:path';
import { SetupError } from '../app/setup-error.js';
import type { Clock } from '../core/clock.js';
import { InputError } from '../core/diagnostics.js';
import { COMMAND_RUNNERS, type ActionRun } from './commands.js';
import { readRunContext } from './event.js';
import { readInputs } from './inputs.js';
import { createLog } from './log.js';
import type { ActionsPort } from './port.js';
import { createReport } from './report.js';

export interface ActionOptions {
  /** The runner's environment (the process's; a test's own). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Where apply's waits are spent (default the system's clock; tests: a virtual one shared with the emulator). */
  readonly clock?: Clock;
}

export async function runAction(port: ActionsPort, options: ActionOptions = { env: process.env }): Promise<void> {
  const log = createLog(port);
  const report = createReport(port, log, options.env);
  try {
    const inputs = readInputs(port);
    const run = readRunContext(options.env);
    // Paths in annotations and messages are relative to the repository, as GitHub shows them.
    if (resolve(run.workspace) !== process.cwd()) process.chdir(run.workspace);
    const action: ActionRun = { port, log, report, inputs, run, env: options.env, ...(options.clock ? { clock: options.clock } : {}) };
    await COMMAND_RUNNERS[inputs.command](action);
  } catch (e) {
    if (e instanceof SetupError) {
      log.failed(`iam-gitops: ${e.message}`);
    } else if (e instanceof InputError) {
      await report.inputErrors(e.diagnostics);
    } else {
      log.failed(`iam-gitops failed unexpectedly: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    }
  }
}
