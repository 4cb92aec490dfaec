/** `iam-gitops plan`: what would change to make live IAM match the manifests, and what it does to access. */
import { Option, type Command } from 'commander';
import { findingsToGate } from '../../src/analyze/plan-findings.js';
import { planJson } from '../../src/app/plan-file.js';
import { planPullRequest } from '../../src/app/plan-pull-request.js';
import { planChanges } from '../../src/app/use-cases.js';
import type { ActionCatalog } from '../../src/catalog/action-catalog.js';
import { loadActionCatalog } from '../../src/catalog/iam-data-catalog.js';
import { error, hasErrors, InputError } from '../../src/core/diagnostics.js';
import { inert, inertLines } from '../../src/core/terminal-safe.js';
import { hasChanges, type Plan } from '../../src/plan/plan.js';
import { renderComment } from '../../src/render/comment.js';
import { palette } from '../../src/render/palette.js';
import { renderPlanText, summaryLine } from '../../src/render/text-plan.js';
import { addLiveSourceOptions, EXIT_CHANGES, EXIT_ERROR, FAIL_ON, failOnIntroducedFindings, formatOption, liveReaderFrom, parseNow, writeOutput, type CliContext, type FailOn, type Format, type LiveSourceOptions } from '../context.js';

export function registerPlan(program: Command, ctx: CliContext): void {
  addLiveSourceOptions(
    program
      .command('plan')
      .description('show what would change to make live IAM match the manifests')
      .option('--manifests <dir>', 'folder of *.yaml manifests', 'manifests'),
  )
    .addOption(formatOption(['text', 'json', 'markdown']))
    .option('--out <file>', 'write the plan to this file instead of standard output')
    .option('--detailed-exitcode', 'exit 2 when there are changes (0: none, 1: error)')
    .addOption(new Option('--fail-on <severity>', 'exit 3 when the change introduces or raises a finding this severe or worse (accepted risks never count)').choices(FAIL_ON).default('never'))
    .option('--now <time>', 'the time at which conditions on dates are judged (ISO 8601; default: now)')
    .option('--base <ref>', "a pull request's base (branch, tag or commit): mark each change as caused by the pull request or as drift already there; a --state snapshot in the repository is read at the base")
    .option('--head <ref>', 'with --base: plan the manifests at this commit instead of the working tree')
    .action(async (options: LiveSourceOptions & { manifests: string; format: Format; out?: string; detailedExitcode?: boolean; failOn: FailOn; now?: string; base?: string; head?: string }) => {
      if (options.head !== undefined && options.base === undefined) throw new InputError([error('--head needs --base', 'Give the pull request\'s base too: --base origin/main --head HEAD.')]);
      const reader = liveReaderFrom(options, ctx.io);
      const result = await planPullRequest({
        manifests: options.manifests,
        live: () => reader,
        ...(options.state === undefined ? {} : { snapshot: options.state }),
        now: parseNow(options.now),
        ...(options.base === undefined ? {} : { pullRequest: { base: options.base, ...(options.head === undefined ? {} : { head: options.head }), ifBaseUnreadable: 'refuse' as const } }),
      });
      if (!result.plan || hasErrors(result.diagnostics)) {
        ctx.printDiagnostics(result.diagnostics);
        ctx.setExitCode(EXIT_ERROR);
        return;
      }
      const plan = result.plan;
      const rendered = renderPlan(plan, options.format, ctx.useColor(options.out !== undefined), await loadActionCatalog(), options.manifests);
      if (options.out) {
        writeOutput(options.out, rendered);
        ctx.io.stdout(`Plan written to ${inert(options.out)}: ${summaryLine(plan).replace(/^Plan: /, '')}\n`);
      } else {
        ctx.io.stdout(options.format === 'markdown' ? inertLines(rendered) : rendered);
      }
      if (options.detailedExitcode && hasChanges(plan)) ctx.setExitCode(EXIT_CHANGES);
      failOnIntroducedFindings(ctx, findingsToGate(plan), options.failOn, 'the change');
    });
}

export function renderPlan(plan: Plan, format: Format, color: boolean, catalog: ActionCatalog, commentFolder?: string): string {
  switch (format) {
    case 'json':
      return planJson(plan);
    case 'markdown':
      return renderComment(plan, catalog, { folder: commentFolder ?? 'manifests' });
    case 'text':
      return renderPlanText(plan, palette(color), 'proposal', catalog);
  }
}
