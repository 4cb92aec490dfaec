/** `iam-gitops simulate`: evaluate requests the way AWS does, against live IAM or the planned state. */
import type { Command } from 'commander';
import { FROM_FLAGS, simulate } from '../../src/app/simulate.js';
import { error, hasErrors, type Diagnostic } from '../../src/core/diagnostics.js';
import { checkRequest, parseContextFlags, parseRequestLines, type NumberedRequest } from '../../src/evaluate/request-lines.js';
import { readInputFile } from '../../src/io/files.js';
import { readManifestFolder } from '../../src/manifest/read-manifest-folder.js';
import { palette } from '../../src/render/palette.js';
import { renderSimulationJsonLines, renderSimulationText } from '../../src/render/simulation-results.js';
import { addLiveSourceOptions, EXIT_ERROR, formatOption, liveReaderFrom, type CliContext, type LiveSourceOptions } from '../context.js';

interface SimulateOptions extends LiveSourceOptions {
  manifests?: string;
  requests?: string;
  principal?: string;
  action?: string;
  resource?: string;
  context: string[];
  format: 'text' | 'json';
}

export function registerSimulate(program: Command, ctx: CliContext): void {
  addLiveSourceOptions(program.command('simulate').description('evaluate requests (who may do what on which resource) against live IAM, or against it with the manifests applied'))
    .option('--manifests <dir>', 'evaluate the state after applying these manifests instead of the live state')
    .option('--requests <file>', 'JSON lines, one request each: {"principal", "action", "resource", "context"}')
    .option('--principal <arn>', 'one request: the user or role ARN')
    .option('--action <action>', 'one request: the action, e.g. s3:GetObject')
    .option('--resource <arn>', 'one request: the resource ARN (required when the action takes one; "*" asks "on some resource?")')
    .option('--context <key=value>', 'one request: a condition key (repeat a key for a multi-valued key)', (value: string, previous: string[]) => [...previous, value], [] as string[])
    .addOption(formatOption(['text', 'json']))
    .action(async (options: SimulateOptions) => {
      const input = readSimulationRequests(options);
      if (input.diagnostics.length) {
        ctx.printDiagnostics(input.diagnostics);
        ctx.setExitCode(EXIT_ERROR);
        return;
      }
      const outcome = await simulate(liveReaderFrom(options, ctx.io), options.manifests === undefined ? undefined : readManifestFolder(options.manifests), input.requests, input.source);
      ctx.printDiagnostics(outcome.diagnostics);
      if (!outcome.results || hasErrors(outcome.diagnostics)) {
        ctx.setExitCode(EXIT_ERROR);
        return;
      }
      ctx.io.stdout(options.format === 'json' ? renderSimulationJsonLines(outcome.results) : renderSimulationText(outcome.results, outcome.against, palette(ctx.useColor())));
    });
}

/** The requests of `simulate`: a JSON lines file, or one request from flags (not both). */
function readSimulationRequests(options: SimulateOptions): { requests: NumberedRequest[]; diagnostics: Diagnostic[]; source: string } {
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
