/** `iam-gitops drift`: how live IAM differs from the manifests, read from the manifests' side; for a schedule. */
import { Option, type Command } from 'commander';
import { detectDrift, hasDrift } from '../../src/app/drift.js';
import { loadActionCatalog } from '../../src/catalog/iam-data-catalog.js';
import { hasErrors } from '../../src/core/diagnostics.js';
import { inert, inertLines } from '../../src/core/terminal-safe.js';
import { planJson } from '../../src/app/plan-file.js';
import { readManifestFolder } from '../../src/manifest/read-manifest-folder.js';
import { renderComment } from '../../src/render/comment.js';
import { palette } from '../../src/render/palette.js';
import { driftSummaryLine, renderPlanText } from '../../src/render/text-plan.js';
import { addLiveSourceOptions, EXIT_CHANGES, EXIT_ERROR, FAIL_ON, failOnIntroducedFindings, formatOption, liveReaderFrom, parseNow, writeOutput, requireAwsFor, type CliContext, type FailOn, type Format, type LiveSourceOptions } from '../context.js';

export function registerDrift(program: Command, ctx: CliContext): void {
  addLiveSourceOptions(
    program
      .command('drift')
      .description('show how live IAM differs from the manifests: what it grants beyond them or lacks, the risks that brings, and the changes that would restore them; exit 2 when there is drift')
      .option('--manifests <dir>', 'folder of *.yaml manifests (the default branch\'s)', 'manifests'),
  )
    .addOption(formatOption(['text', 'json', 'markdown']))
    .option('--out <file>', 'write the report to this file instead of standard output')
    .addOption(new Option('--fail-on <severity>', 'exit 3 when the drift introduces a finding this severe or worse (accepted risks never count)').choices(FAIL_ON).default('never'))
    .option('--now <time>', 'the time at which conditions on dates are judged (ISO 8601; default: now)')
    .option('--last-accessed', "with --aws: also read IAM's last-accessed report of every user and role (one job each) and report services they may use but have not used")
    .action(async (options: LiveSourceOptions & { manifests: string; format: Format; out?: string; failOn: FailOn; now?: string; lastAccessed?: boolean }) => {
      if (options.lastAccessed) requireAwsFor('--last-accessed', options);
      const result = await detectDrift(readManifestFolder(options.manifests), liveReaderFrom(options, ctx.io), parseNow(options.now), { hygiene: true, lastAccessed: options.lastAccessed === true, ...(ctx.io.clock ? { clock: ctx.io.clock } : {}) });
      if (!result.report || hasErrors(result.diagnostics)) {
        ctx.printDiagnostics(result.diagnostics);
        ctx.setExitCode(EXIT_ERROR);
        return;
      }
      const report = result.report;
      const catalog = await loadActionCatalog();
      const rendered =
        options.format === 'json'
          ? planJson(report)
          : options.format === 'markdown'
            ? renderComment(report, catalog, { folder: options.manifests, perspective: 'drift' })
            : renderPlanText(report, palette(ctx.useColor(options.out !== undefined)), 'drift', catalog);
      if (options.out) {
        writeOutput(options.out, rendered);
        ctx.io.stdout(`Drift report written to ${inert(options.out)}: ${driftSummaryLine(report)}\n`);
      } else {
        ctx.io.stdout(options.format === 'markdown' ? inertLines(rendered) : rendered);
      }
      if (hasDrift(report)) ctx.setExitCode(EXIT_CHANGES);
      failOnIntroducedFindings(ctx, report.findings, options.failOn, 'the drift');
    });
}
