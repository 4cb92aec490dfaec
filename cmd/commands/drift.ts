/** `iam-gitops drift`: how live IAM differs from the manifests, read from the manifests' side; for a schedule. */
import { Option, type Command } from 'commander';
import { detectDrift, hasDrift } from '../../src/app/drift.js';
import { loadActionCatalog } from '../../src/catalog/iam-data-catalog.js';
import { hasErrors } from '../../src/core/diagnostics.js';
import { inert, inertLines } from '../../src/core/terminal-safe.js';
import { planJson } from '../../src/app/plan-file.js';
import { readManifestFolder } from '../../src/manifest/read-manifest-folder.js';
import { awsPoliciesInUse, lockFromLive, POLICY_LOCK_FILE } from '../../src/analyze/policy-lock.js';
import { readPolicyLockFile, writePolicyLockFile } from '../../src/app/policy-lock-file.js';
import { count as plural } from '../../src/core/plural.js';
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
    .option('--update-lock', `accept the AWS managed policy versions live IAM has now: write them to ${POLICY_LOCK_FILE} in the manifests folder (commit it)`)
    .action(async (options: LiveSourceOptions & { manifests: string; format: Format; out?: string; failOn: FailOn; now?: string; lastAccessed?: boolean; updateLock?: boolean }) => {
      if (options.lastAccessed) requireAwsFor('--last-accessed', options);
      const locked = readPolicyLockFile(options.manifests);
      if (hasErrors(locked.diagnostics)) {
        ctx.printDiagnostics(locked.diagnostics);
        ctx.setExitCode(EXIT_ERROR);
        return;
      }
      const result = await detectDrift(readManifestFolder(options.manifests), liveReaderFrom(options, ctx.io), parseNow(options.now), { hygiene: true, lastAccessed: options.lastAccessed === true, ...(ctx.io.clock ? { clock: ctx.io.clock } : {}), ...(locked.lock ? { lock: locked.lock } : {}) });
      if (!result.report || hasErrors(result.diagnostics)) {
        ctx.printDiagnostics(result.diagnostics);
        ctx.setExitCode(EXIT_ERROR);
        return;
      }
      let report = result.report;
      if (options.updateLock && result.planned?.context) {
        const context = result.planned.context;
        const { lock, unknown } = lockFromLive(awsPoliciesInUse(context.desired.state), context.live.state, locked.lock);
        const written = writePolicyLockFile(locked.path, lock);
        ctx.io.stderr(`${written ? `Wrote ${inert(locked.path)}: ${plural(Object.keys(lock.policies).length, 'AWS managed policy', 'AWS managed policies')} at the versions live IAM has now; commit it.` : `${inert(locked.path)} already records the versions live IAM has.`}${unknown.length ? ` Not recorded (live IAM shows no version): ${unknown.map(inert).join(', ')}.` : ''}\n`);
        // Accepted: what was reported as new is the lock's now.
        const { awsManagedPolicyUpdates: _accepted, ...rest } = report;
        report = rest;
      }
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
