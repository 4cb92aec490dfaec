/** Runs the CLI in-process with captured output, as a user at a terminal would see it (no colour: not a TTY). */
import { main } from '../../cmd/cli.js';
import type { Clock } from '../../src/core/clock.js';

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CliOptions {
  /** Answers apply's question, as a user at a terminal would; without it there is no terminal. */
  readonly ask?: (question: string) => Promise<string>;
  /** The run's clock (a virtual one: helpers/clock.ts); default the system's. */
  readonly clock?: Clock;
}

export async function runCli(args: readonly string[], env: Record<string, string> = {}, options: CliOptions = {}): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
    stdoutIsTty: false,
    env,
    ...(options.ask ? { ask: options.ask } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
  });
  return { code, stdout, stderr };
}
