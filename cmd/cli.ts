/**
 * The `iam-gitops` command line: each command (cmd/commands/) parses its flags, calls one use case, prints, and maps
 * the result to an exit code. Exit codes (the README's table): 0 success; 1 error; 2 changes present (plan
 * --detailed-exitcode) or findings at or above --fail-on (audit); 3 findings the change introduces or raises at or
 * above --fail-on (plan). User mistakes are located messages; anything else is an internal error (a bug).
 */
import { createInterface } from 'node:readline/promises';
import { Command, CommanderError } from 'commander';
import { InputError } from '../src/core/diagnostics.js';
import { defuseWorkflowCommands, inertLines } from '../src/core/terminal-safe.js';
import { TOOL_VERSION } from '../src/version.js';
import { registerApply } from './commands/apply.js';
import { registerAccounts } from './commands/accounts.js';
import { registerAudit } from './commands/audit.js';
import { registerDrift } from './commands/drift.js';
import { registerRightsize } from './commands/rightsize.js';
import { registerImport } from './commands/import.js';
import { registerPlan } from './commands/plan.js';
import { registerSchema } from './commands/schema.js';
import { registerSimulate } from './commands/simulate.js';
import { registerSnapshot } from './commands/snapshot.js';
import { registerValidate } from './commands/validate.js';
import { createContext, EXIT_ERROR, EXIT_OK, type Io } from './context.js';

export { EXIT_CHANGES, EXIT_ERROR, EXIT_FINDINGS, EXIT_OK, type Io } from './context.js';

const processIo: Io = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  stdoutIsTty: process.stdout.isTTY === true,
  env: process.env,
  ...(process.stdin.isTTY
    ? {
        ask: async (question: string) => {
          const rl = createInterface({ input: process.stdin, output: process.stderr });
          try {
            return await rl.question(question);
          } finally {
            rl.close();
          }
        },
      }
    : {}),
  onInterrupt: (handler) => {
    process.on('SIGINT', handler);
    process.on('SIGTERM', handler);
    return () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    };
  },
};

export async function main(argv: readonly string[], terminal: Io = processIo): Promise<number> {
  // The last guard before the terminal and the Actions runner: whatever a command prints (values in it are made
  // inert where they are rendered), no line of it is read as a workflow command.
  const io: Io = { ...terminal, stdout: (text) => terminal.stdout(defuseWorkflowCommands(text)), stderr: (text) => terminal.stderr(defuseWorkflowCommands(text)) };
  let exitCode = EXIT_OK;
  const debug = argv.includes('--debug');
  const program = new Command('iam-gitops')
    .description('Manage AWS IAM as code: validate manifests, plan changes against live IAM, apply them, import an account.')
    .version(TOOL_VERSION, '--version', 'print the version')
    .option('--debug', 'print stack traces of internal errors')
    .option('--no-color', 'no colours, even on a terminal (NO_COLOR=1 does the same)')
    .exitOverride()
    // commander repeats arguments in its messages ("unknown option '...'"): made inert like any other value.
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr, outputError: (text, write) => write(inertLines(text)) })
    .showHelpAfterError('(run iam-gitops --help for usage)');
  // A command's exit code is the worst it sets (3 for findings wins over 2 for changes).
  const ctx = createContext(io, program, (code) => {
    exitCode = Math.max(exitCode, code);
  });
  for (const register of [registerValidate, registerPlan, registerDrift, registerApply, registerImport, registerSnapshot, registerSimulate, registerAudit, registerRightsize, registerAccounts, registerSchema]) register(program, ctx);

  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version exit 0; usage mistakes were already printed by commander.
      return e.exitCode === 0 || e.code === 'commander.helpDisplayed' || e.code === 'commander.help' ? EXIT_OK : EXIT_ERROR;
    }
    if (e instanceof InputError) {
      ctx.printDiagnostics(e.diagnostics);
      return EXIT_ERROR;
    }
    const err = e as Error;
    io.stderr(inertLines(`iam-gitops: internal error: ${err.message}\n${debug ? `${err.stack}\n` : 'Run again with --debug for the stack trace, and please report it.\n'}`));
    return EXIT_ERROR;
  }
}
