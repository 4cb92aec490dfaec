/**
 * What every command shares: where output goes, exit codes, diagnostics printing, colour, and the live-IAM source
 * options (`--state FILE` or `--aws` with its connection flags).
 */
import { count } from '../src/core/plural.js';
import { Option, type Command } from 'commander';
import { FAIL_ON, judgeFailOn, nameFailing, type FailOn } from '../src/app/fail-on.js';
import { connectAws, openLiveReader, type AwsConnection, type LiveSource, type RunEnvironment } from '../src/app/live-source.js';
import type { PlanFinding } from '../src/analyze/plan-findings.js';
import type { Clock } from '../src/core/clock.js';
import { error, formatDiagnostic, InputError, sortDiagnostics, type Diagnostic } from '../src/core/diagnostics.js';
import { inert } from '../src/core/terminal-safe.js';
import { writeOutputFile } from '../src/io/files.js';
import { DEFAULT_REGION, type AwsClients } from '../src/live/aws/connection.js';
import type { LiveReader } from '../src/live/live-state.js';

export { FAIL_ON, type FailOn };

export const EXIT_OK = 0;
export const EXIT_ERROR = 1;
export const EXIT_CHANGES = 2;
/** plan --fail-on: the change introduces (or raises) a finding at or above the threshold. */
export const EXIT_FINDINGS = 3;

export type Format = 'text' | 'json' | 'markdown';

/** Where output goes; tests pass their own. */
export interface Io {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly stdoutIsTty: boolean;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** A yes/no question on the terminal; absent where there is none (CI, pipes). */
  readonly ask?: (question: string) => Promise<string>;
  /** Called with a function to run when the user interrupts (Ctrl-C); returns a function that stops listening. */
  readonly onInterrupt?: (handler: () => void) => () => void;
  /** Where the run's waits are measured and spent: the system's clock, or a test's virtual one. */
  readonly clock?: Clock;
}

export interface CliContext {
  readonly io: Io;
  setExitCode(code: number): void;
  printDiagnostics(diagnostics: readonly Diagnostic[]): void;
  /** Colour on? `--no-color`, NO_COLOR (non-empty, as no-color.org says), a pipe or an output file turn it off. */
  useColor(toFile?: boolean): boolean;
}

export function createContext(io: Io, program: Command, setExitCode: (code: number) => void): CliContext {
  return {
    io,
    setExitCode,
    printDiagnostics: (diagnostics) => {
      for (const d of sortDiagnostics(diagnostics)) io.stderr(`${formatDiagnostic(d)}\n`);
    },
    useColor: (toFile = false) => {
      if (program.opts()['color'] === false || toFile) return false;
      const force = io.env['FORCE_COLOR'];
      if (force !== undefined && force !== '0' && force !== 'false') return true;
      return io.stdoutIsTty && !io.env['NO_COLOR'];
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Live IAM: a snapshot file, or AWS

export interface LiveSourceOptions {
  state?: string;
  aws?: boolean;
  profile?: string;
  region?: string;
  endpoint?: string;
  assumeRole?: string;
  externalId?: string;
  sessionName?: string;
}

/** `--state FILE` or `--aws` (with its connection flags); `required` false when the command has neither by default. */
export function addLiveSourceOptions(command: Command, awsOnly = false): Command {
  if (!awsOnly) command.option('--state <file>', 'live IAM from a snapshot: the JSON of `aws iam get-account-authorization-details`');
  return command
    .option('--aws', 'read live IAM from AWS (credentials from the SDK\'s default chain)')
    .option('--profile <name>', 'with --aws: the AWS profile to use')
    .option('--region <region>', `with --aws: the region for STS (default ${DEFAULT_REGION}; IAM is global)`)
    .option('--endpoint <url>', 'with --aws: send IAM and STS requests to this URL (e.g. the loopback emulator)')
    .option('--assume-role <arn>', 'with --aws: assume this role first (cross-account)')
    .option('--external-id <id>', 'with --assume-role: the sts:ExternalId the role requires')
    .option('--session-name <name>', 'with --assume-role: the role session name (default iam-gitops-TIME)');
}


/** The run's environment as the use cases take it: tuning and credentials from `io.env`, the clock, retries said. */
export function runEnvironmentOf(io: Io): RunEnvironment {
  return {
    env: io.env,
    ...(io.clock ? { clock: io.clock } : {}),
    // Waiting is said as it starts: a throttled run is slow, not stuck. Short retries of passing failures are not.
    onRetry: (said, event) => {
      if (event.kind === 'throttling' || event.delayMs >= 1000) io.stderr(`    ${said}\n`);
    },
  };
}

/** The AWS connection the flags ask for (`--aws` and its connection flags). */
export function awsConnectionFrom(options: LiveSourceOptions): AwsConnection {
  const awsFlags = (['profile', 'region', 'endpoint', 'assumeRole', 'externalId', 'sessionName'] as const).filter((k) => options[k] !== undefined);
  if (!options.aws) throw usage(`--${kebab(awsFlags[0]!)} needs --aws`);
  if ((options.externalId || options.sessionName) && !options.assumeRole) throw usage(`--${options.externalId ? 'external-id' : 'session-name'} needs --assume-role`);
  return {
    ...(options.region ? { region: options.region } : {}),
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.profile ? { profile: options.profile } : {}),
    ...(options.assumeRole ? { assumeRole: { arn: options.assumeRole, ...(options.externalId ? { externalId: options.externalId } : {}), ...(options.sessionName ? { sessionName: options.sessionName } : {}) } } : {}),
  };
}

export function awsClientsFrom(options: LiveSourceOptions, io: Io): AwsClients {
  return connectAws(awsConnectionFrom(options), runEnvironmentOf(io));
}

/** Where the flags say live IAM is: exactly one of --state and --aws. */
export function liveSourceFrom(options: LiveSourceOptions): LiveSource {
  const awsFlags = (['profile', 'region', 'endpoint', 'assumeRole', 'externalId', 'sessionName'] as const).filter((k) => options[k] !== undefined);
  if (options.state !== undefined && (options.aws || awsFlags.length)) throw usage('give --state FILE or --aws, not both');
  if (options.state !== undefined) return { from: 'snapshot', file: options.state };
  if (!options.aws && awsFlags.length === 0) throw usage('say where live IAM is: --state FILE (a snapshot) or --aws');
  return { from: 'aws', aws: awsConnectionFrom(options) };
}

/** The live reader the flags ask for. */
export function liveReaderFrom(options: LiveSourceOptions, io: Io): LiveReader {
  return openLiveReader(liveSourceFrom(options), runEnvironmentOf(io));
}

/** A flag that only AWS can answer (IAM's jobs and reports): refused with a snapshot, before anything is read. */
export function requireAwsFor(flag: string, options: LiveSourceOptions): void {
  if (!options.aws) throw new InputError([error(`${flag} needs --aws`, `A snapshot holds no last-accessed data: IAM computes it on request. Run with --aws, or leave ${flag} out.`)]);
}

function usage(summary: string): InputError {
  return new InputError([error(summary, 'Live IAM comes from a snapshot (--state FILE, the JSON of aws iam get-account-authorization-details) or from AWS (--aws [--profile NAME] [--region R] [--endpoint URL] [--assume-role ARN]).')]);
}

function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

// ---------------------------------------------------------------------------------------------------------------
// Small shared helpers

export const formatOption = (choices: readonly Format[]): Option => new Option('--format <format>', 'output format').choices(choices).default('text');

/** `--now`, or the current time: the clock is read here, at the edge, and passed in. */
export function parseNow(value: string | undefined): Date {
  if (value === undefined) return new Date();
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new InputError([error(`--now "${value}" is not a date`, 'Give an ISO 8601 time, e.g. --now 2026-11-24T12:00:00Z.')]);
  return date;
}

// The one plural rule (src/core/plural.ts), re-exported for the commands.
export { count };

/** `--fail-on`: exit 3, naming the first few, when what `who` did introduces findings at or above the threshold. */
export function failOnIntroducedFindings(ctx: CliContext, findings: readonly PlanFinding[], failOn: FailOn, who: string): void {
  const verdict = judgeFailOn(findings, failOn);
  if (!verdict) return;
  ctx.io.stderr(`iam-gitops: ${who} introduces ${count(verdict.failing.length, 'finding')} at or above ${failOn} (--fail-on ${failOn}): ${nameFailing(verdict.failing, inert)}\n`);
  ctx.setExitCode(EXIT_FINDINGS);
}

export function writeOutput(file: string, text: string): void {
  writeOutputFile(file, text, { what: 'output file', flag: '--out', hint: 'Pass --out with the path of a file to write (its folder is created if needed).' });
}
