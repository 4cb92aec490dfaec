/** Runs the CLI in-process with captured output, as a user at a terminal would see it (no colour: not a TTY). */
import { main } from '../../cmd/cli.js';

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export async function runCli(args: readonly string[], env: Record<string, string> = {}): Promise<CliRun> {
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
  });
  return { code, stdout, stderr };
}
