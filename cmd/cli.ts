/**
 * The `iam-gitops` command line: parse flags, call a use case, print, map to an exit code.
 * Exit codes (the README's table): 0 success; 1 error; 2 changes present (plan --detailed-exitcode) or findings at or
 * above --fail-on (audit); 3 findings the change introduces or raises at or above --fail-on (plan).
 */
import { readInputFile, writeOutputFile } from '../src/io/files.js';
import { TOOL_VERSION } from '../src/version.js';
import { Command, CommanderError, Option } from 'commander';
import { error, formatDiagnostic, hasErrors, InputError, sortDiagnostics, type Diagnostic } from '../src/core/diagnostics.js';
import { checkRequest, parseContextFlags, parseRequestLines, type NumberedRequest } from '../src/evaluate/request-lines.js';
import { FROM_FLAGS, simulate } from '../src/app/simulate.js';
import { renderSimulationJsonLines, renderSimulationText } from '../src/render/simulation-results.js';
import { SnapshotFileReader } from '../src/live/snapshot-file-reader.js';
import { manifestJsonSchema } from '../src/manifest/schema.js';
import { auditAccount, importToFolder, planChanges, validateManifests } from '../src/app/use-cases.js';
import { readManifestFolder } from '../src/manifest/read-manifest-folder.js';
import { SCHEMA_FILE } from '../src/importer/live-to-manifests.js';
import { renderAuditMarkdown, renderAuditText } from '../src/render/findings.js';
import { renderPlanMarkdown } from '../src/render/markdown-plan.js';
import { palette } from '../src/render/palette.js';
import { renderPlanText, summaryLine } from '../src/render/text-plan.js';
import type { Plan } from '../src/plan/plan.js';
import { failingFindings } from '../src/analyze/findings.js';
import type { PlanFinding } from '../src/analyze/plan-findings.js';
import type { ActionCatalog } from '../src/catalog/action-catalog.js';
import { loadActionCatalog } from '../src/catalog/iam-data-catalog.js';

export const EXIT_OK = 0;
export const EXIT_ERROR = 1;
export const EXIT_CHANGES = 2;
/** plan --fail-on: the change introduces (or raises) a finding at or above the threshold. */
export const EXIT_FINDINGS = 3;

const FAIL_ON = ['critical', 'high', 'medium', 'low', 'never'] as const;
type FailOn = (typeof FAIL_ON)[number];

/** Where output goes; tests pass their own. */
export interface Io {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly stdoutIsTty: boolean;
  readonly env: Readonly<Record<string, string | undefined>>;
}

const processIo: Io = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  stdoutIsTty: process.stdout.isTTY === true,
  env: process.env,
};

type Format = 'text' | 'json' | 'markdown';

export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  let exitCode = EXIT_OK;
  const debug = argv.includes('--debug');
  const useColor = (noColorFlag: boolean): boolean =>
    // no-color.org: NO_COLOR disables colour when set to a non-empty value; an empty NO_COLOR= does not.
    !noColorFlag && (io.env['FORCE_COLOR'] !== undefined && io.env['FORCE_COLOR'] !== '0' && io.env['FORCE_COLOR'] !== 'false' ? true : io.stdoutIsTty && !io.env['NO_COLOR']);
  const printDiagnostics = (diagnostics: readonly Diagnostic[]): void => {
    for (const d of sortDiagnostics(diagnostics)) io.stderr(`${formatDiagnostic(d)}\n`);
  };

  const program = new Command('iam-gitops')
    .description('Manage AWS IAM as code: validate manifests, plan changes against live IAM, import an account.')
    .version(TOOL_VERSION, '--version', 'print the version')
    .option('--debug', 'print stack traces of internal errors')
    .option('--no-color', 'no colours, even on a terminal (NO_COLOR=1 does the same)')
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .showHelpAfterError('(run iam-gitops --help for usage)');

  program
    .command('validate')
    .description('check the manifests: schema, references, policy grammar, known actions and IAM limits')
    .option('--manifests <dir>', 'folder of *.yaml manifests', 'manifests')
    .action(async (options: { manifests: string }) => {
      const result = await validateManifests(readManifestFolder(options.manifests));
      printDiagnostics(result.diagnostics);
      const errors = result.diagnostics.filter((d) => d.severity === 'error').length;
      const warnings = result.diagnostics.length - errors;
      if (errors > 0 || !result.desired) {
        io.stderr(`${options.manifests}: ${count(errors, 'error')}, ${count(warnings, 'warning')}\n`);
        exitCode = EXIT_ERROR;
        return;
      }
      const s = result.desired.state;
      const deleted = result.desired.deleted.length;
      io.stdout(`${options.manifests} is valid: account ${s.account}, ${count(s.users.size, 'user')}, ${count(s.groups.size, 'group')}, ${count(s.roles.size, 'role')}, ${count(s.policies.size, 'policy', 'policies')}${deleted ? `, ${deleted} marked deleted` : ''}${warnings ? ` (${count(warnings, 'warning')})` : ''}.\n`);
    });

  program
    .command('plan')
    .description('show what would change to make live IAM match the manifests')
    .option('--manifests <dir>', 'folder of *.yaml manifests', 'manifests')
    .requiredOption('--state <file>', 'live IAM: the JSON of `aws iam get-account-authorization-details`')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json', 'markdown']).default('text'))
    .option('--out <file>', 'write the plan to this file instead of standard output')
    .option('--detailed-exitcode', 'exit 2 when there are changes (0: none, 1: error)')
    .addOption(new Option('--fail-on <severity>', 'exit 3 when the change introduces or raises a finding this severe or worse (accepted risks never count)').choices(FAIL_ON).default('never'))
    .option('--now <time>', 'the time at which conditions on dates are judged (ISO 8601; default: now)')
    .action(async (options: { manifests: string; state: string; format: Format; out?: string; detailedExitcode?: boolean; failOn: FailOn; now?: string }) => {
      const result = await planChanges(readManifestFolder(options.manifests), new SnapshotFileReader(options.state), parseNow(options.now));
      if (!result.plan || hasErrors(result.diagnostics)) {
        printDiagnostics(result.diagnostics);
        exitCode = EXIT_ERROR;
        return;
      }
      const plan = result.plan;
      const rendered = renderPlan(plan, options.format, useColor(program.opts()['color'] === false || options.out !== undefined), await loadActionCatalog());
      if (options.out) {
        writeOutput(options.out, rendered);
        io.stdout(`Plan written to ${options.out}: ${summaryLine(plan).replace(/^Plan: /, '')}\n`);
      } else {
        io.stdout(rendered);
      }
      if (options.detailedExitcode && plan.changes.length > 0) exitCode = EXIT_CHANGES;
      const failing = failingFindings(plan.findings as PlanFinding[], options.failOn);
      if (failing.length > 0) {
        io.stderr(`iam-gitops: the change introduces ${count(failing.length, 'finding')} at or above ${options.failOn} (--fail-on ${options.failOn}): ${failing.slice(0, 3).map((f) => `${f.code} on ${f.principal}`).join(', ')}${failing.length > 3 ? ', ...' : ''}\n`);
        exitCode = EXIT_FINDINGS;
      }
    });

  program
    .command('import')
    .description('write manifests for everything in a live snapshot (except AWS-owned roles), to adopt an existing account')
    .requiredOption('--state <file>', 'live IAM: the JSON of `aws iam get-account-authorization-details`')
    .requiredOption('--out <dir>', 'folder to write the manifests to (new or empty)')
    .option('--force', 'write into a non-empty folder, replacing files of the same names')
    .action(async (options: { state: string; out: string; force?: boolean }) => {
      const result = await importToFolder(new SnapshotFileReader(options.state), options.out, options.force === true);
      const manifests = result.written.filter((f) => f.endsWith('.yaml')).length;
      io.stdout(`Imported ${count(manifests, 'manifest')} into ${options.out}${result.skipped.length ? ` (skipped ${count(result.skipped.length, 'AWS-owned role')})` : ''}, with ${SCHEMA_FILE} for editor completion.\n`);
    });

  program
    .command('simulate')
    .description('evaluate requests (who may do what on which resource) against live IAM, or against it with the manifests applied')
    .requiredOption('--state <file>', 'live IAM: the JSON of `aws iam get-account-authorization-details`')
    .option('--manifests <dir>', 'evaluate the state after applying these manifests instead of the live state')
    .option('--requests <file>', 'JSON lines, one request each: {"principal", "action", "resource", "context"}')
    .option('--principal <arn>', 'one request: the user or role ARN')
    .option('--action <action>', 'one request: the action, e.g. s3:GetObject')
    .option('--resource <arn>', 'one request: the resource ARN (required when the action takes one; "*" asks "on some resource?")')
    .option('--context <key=value>', 'one request: a condition key (repeat a key for a multi-valued key)', (value: string, previous: string[]) => [...previous, value], [] as string[])
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (options: { state: string; manifests?: string; requests?: string; principal?: string; action?: string; resource?: string; context: string[]; format: 'text' | 'json' }) => {
      const input = readSimulationRequests(options);
      if (input.diagnostics.length) {
        printDiagnostics(input.diagnostics);
        exitCode = EXIT_ERROR;
        return;
      }
      const outcome = await simulate(new SnapshotFileReader(options.state), options.manifests === undefined ? undefined : readManifestFolder(options.manifests), input.requests, input.source);
      printDiagnostics(outcome.diagnostics);
      if (!outcome.results || hasErrors(outcome.diagnostics)) {
        exitCode = EXIT_ERROR;
        return;
      }
      io.stdout(options.format === 'json' ? renderSimulationJsonLines(outcome.results) : renderSimulationText(outcome.results, outcome.against, palette(useColor(program.opts()['color'] === false))));
    });

  program
    .command('audit')
    .description('find privilege escalation paths, administrators and risky trust in an account, judged on effective permissions')
    .requiredOption('--state <file>', 'live IAM: the JSON of `aws iam get-account-authorization-details`')
    .option('--manifests <dir>', 'audit the state after applying these manifests instead of the live state')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json', 'markdown']).default('text'))
    .addOption(new Option('--fail-on <severity>', 'exit 2 when a finding is this severe or worse (accepted risks never count)').choices(FAIL_ON).default('high'))
    .option('--now <time>', 'the time at which conditions on dates are judged (ISO 8601; default: now)')
    .action(async (options: { state: string; manifests?: string; format: Format; failOn: FailOn; now?: string }) => {
      const result = await auditAccount(new SnapshotFileReader(options.state), options.manifests === undefined ? undefined : readManifestFolder(options.manifests), parseNow(options.now));
      printDiagnostics(result.diagnostics);
      if (!result.findings || hasErrors(result.diagnostics)) {
        exitCode = EXIT_ERROR;
        return;
      }
      const findings = result.findings;
      if (options.format === 'json') io.stdout(`${JSON.stringify({ formatVersion: 1, findings }, null, 2)}\n`);
      else if (options.format === 'markdown') io.stdout(renderAuditMarkdown(findings, result.against));
      else io.stdout(renderAuditText(findings, result.against, palette(useColor(program.opts()['color'] === false))));
      if (failingFindings(findings, options.failOn).length > 0) exitCode = EXIT_CHANGES;
    });

  program
    .command('schema')
    .description('print the JSON Schema of the manifest format (for yaml-language-server)')
    .option('--out <file>', 'write it to this file')
    .action((options: { out?: string }) => {
      const text = `${JSON.stringify(manifestJsonSchema(), null, 2)}\n`;
      if (options.out) writeOutput(options.out, text);
      else io.stdout(text);
    });

  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version exit 0; usage mistakes were already printed by commander.
      return e.exitCode === 0 || e.code === 'commander.helpDisplayed' || e.code === 'commander.help' ? EXIT_OK : EXIT_ERROR;
    }
    if (e instanceof InputError) {
      printDiagnostics(e.diagnostics);
      return EXIT_ERROR;
    }
    const err = e as Error;
    io.stderr(`iam-gitops: internal error: ${err.message}\n${debug ? `${err.stack}\n` : 'Run again with --debug for the stack trace, and please report it.\n'}`);
    return EXIT_ERROR;
  }
}

function renderPlan(plan: Plan, format: Format, color: boolean, catalog: ActionCatalog): string {
  switch (format) {
    case 'json':
      return `${JSON.stringify(plan, null, 2)}\n`;
    case 'markdown':
      return renderPlanMarkdown(plan, 'proposal', catalog);
    case 'text':
      return renderPlanText(plan, palette(color), 'proposal', catalog);
  }
}

/** The requests of `simulate`: a JSON lines file, or one request from flags (not both). */
function readSimulationRequests(options: { requests?: string; principal?: string; action?: string; resource?: string; context: string[] }): { requests: NumberedRequest[]; diagnostics: Diagnostic[]; source: string } {
  const single = options.principal !== undefined || options.action !== undefined;
  const usage = (summary: string): { requests: NumberedRequest[]; diagnostics: Diagnostic[]; source: string } => ({
    requests: [],
    diagnostics: [error(summary, 'Pass --requests FILE.jsonl, or --principal ARN --action ACTION [--resource ARN] [--context key=value ...].')],
    source: '',
  });
  if (options.requests !== undefined && single) return usage('give --requests or --principal/--action, not both');
  if (options.requests !== undefined) {
    const text = readInputFile(options.requests, { what: 'requests file', flag: '--requests', hint: 'Pass --requests FILE.jsonl: JSON lines, one request each.' });
    return { ...parseRequestLines(options.requests, text), source: options.requests };
  }
  if (!options.principal || !options.action) return usage('simulate needs requests');
  const context = parseContextFlags(options.context);
  if (typeof context === 'string') return usage(context);
  const checked = checkRequest({ principal: options.principal, action: options.action, ...(options.resource !== undefined ? { resource: options.resource } : {}), context });
  if (typeof checked === 'string') return usage(checked);
  return { requests: [{ line: 1, request: checked }], diagnostics: [], source: FROM_FLAGS };
}

/** `--now`, or the current time: the clock is read here, at the edge, and passed in. */
function parseNow(value: string | undefined): Date {
  if (value === undefined) return new Date();
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new InputError([error(`--now "${value}" is not a date`, 'Give an ISO 8601 time, e.g. --now 2026-11-24T12:00:00Z.')]);
  return date;
}

function count(n: number, singular: string, plural = `${singular}s`): string {
  return `${n} ${n === 1 ? singular : plural}`;
}

function writeOutput(file: string, text: string): void {
  writeOutputFile(file, text, { what: 'output file', flag: '--out', hint: 'Pass --out with the path of a file to write (its folder is created if needed).' });
}
