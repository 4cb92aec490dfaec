/** `iam-gitops rightsize`: remove from the manifests what IAM's usage records say nobody used, then show the plan. */
import { InvalidArgumentError, type Command } from 'commander';
import { rightsizeManifests } from '../../src/app/rightsize.js';
import { planJson } from '../../src/app/plan-file.js';
import { loadActionCatalog } from '../../src/catalog/iam-data-catalog.js';
import { hasErrors } from '../../src/core/diagnostics.js';
import { inert } from '../../src/core/terminal-safe.js';
import { palette } from '../../src/render/palette.js';
import { renderPlanText } from '../../src/render/text-plan.js';
import { USAGE_LIMITS } from '../../src/analyze/rightsize.js';
import { addLiveSourceOptions, count, EXIT_ERROR, formatOption, liveReaderFrom, parseNow, requireAwsFor, type CliContext, type Format, type LiveSourceOptions } from '../context.js';

/** `90d` or `90`: whole days, 1 to 400 (IAM's tracking period). */
function days(value: string): number {
  const match = /^(\d+)d?$/.exec(value.trim());
  const n = match ? Number(match[1]) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > 400) throw new InvalidArgumentError('a number of days from 1 to 400, e.g. 90d (IAM tracks use for 400 days)');
  return n;
}

export function registerRightsize(program: Command, ctx: CliContext): void {
  addLiveSourceOptions(program.command('rightsize').description("remove from the manifests the services IAM's last-accessed data says nobody used in the window, then show the plan"))
    .option('--manifests <dir>', 'folder of *.yaml manifests to edit', 'manifests')
    .option('--unused-for <days>', "remove services unused for this long (default: the Account manifest's hygiene.unusedForDays, else 90d)", days)
    .option('--principal <arn...>', 'only the policies these users or roles hold')
    .addOption(formatOption(['text', 'json']))
    .option('--now <time>', 'the time usage is judged at (ISO 8601; default: now)')
    .action(async (options: LiveSourceOptions & { manifests: string; unusedFor?: number; principal?: string[]; format: Format; now?: string }) => {
      requireAwsFor('rightsize', options);
      const outcome = await rightsizeManifests({
        manifestsDir: options.manifests,
        live: liveReaderFrom(options, ctx.io),
        now: parseNow(options.now),
        ...(ctx.io.clock ? { clock: ctx.io.clock } : {}),
        ...(options.unusedFor !== undefined ? { unusedForDays: options.unusedFor } : {}),
        ...(options.principal ? { principals: options.principal } : {}),
      });
      ctx.printDiagnostics(outcome.diagnostics);
      if (!outcome.result || hasErrors(outcome.diagnostics)) {
        ctx.setExitCode(EXIT_ERROR);
        return;
      }
      const { edits, left } = outcome.result;
      if (options.format === 'json') {
        ctx.io.stdout(`${JSON.stringify({ edits: edits.map((e) => ({ path: e.path, removed: e.removed })), left, ...(outcome.plan?.plan ? { plan: JSON.parse(planJson(outcome.plan.plan)) as unknown } : {}) }, null, 2)}\n`);
        return;
      }
      const lines = [`Read the last-accessed reports of ${count(outcome.principalsRead ?? 0, 'principal')}.`];
      if (edits.length === 0) lines.push('Nothing to remove: every service the manifests grant was used in the window (or is left, see below).');
      for (const edit of edits) {
        lines.push(`Edited ${inert(edit.path)}:`);
        for (const r of edit.removed) lines.push(`  - ${inert(r.where.startsWith(`${edit.path}: `) ? r.where.slice(edit.path.length + 2) : r.where)}: removed ${r.actions.map(inert).join(', ')}${r.whole === 'statement' ? ' (the statement went)' : r.whole === 'policy' ? ' (the policy went)' : ''}`);
      }
      if (left.length) {
        lines.push('Left as it is:');
        for (const l of left) lines.push(`  - ${inert(l.where)}: ${inert(l.why)}`);
      }
      lines.push(USAGE_LIMITS);
      ctx.io.stdout(`${lines.join('\n')}\n`);
      if (outcome.plan?.plan) {
        const catalog = await loadActionCatalog();
        ctx.io.stdout(`\n${renderPlanText(outcome.plan.plan, palette(ctx.useColor()), 'proposal', catalog)}`);
      }
    });
}
