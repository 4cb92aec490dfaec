/**
 * `iam-gitops apply --aws --manifests DIR [--plan FILE] [--fail-on SEVERITY] [--auto-approve] [--allow-lockout] [--concurrency N]`:
 * make live IAM match the manifests. One line per step as it ends (a progress line on a terminal), then a summary
 * with counts and time; on failure or interruption, exactly which steps were applied and which were not.
 */
import { parseEntityArn } from '../../src/core/arn.js';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { applyManifests, type ApplyOutcome } from '../../src/app/apply.js';
import { applyTuning } from '../../src/app/live-source.js';
import type { ApplyEvent, ExecutionResult } from '../../src/apply/execute.js';
import type { LockoutRisk } from '../../src/apply/lockout.js';
import type { Step } from '../../src/apply/steps.js';
import { loadActionCatalog } from '../../src/catalog/iam-data-catalog.js';
import { error, formatDiagnostic, hasErrors, InputError } from '../../src/core/diagnostics.js';
import type { LockedVersions } from '../../src/analyze/policy-lock.js';
import { recordAppliedPolicyVersions } from '../../src/app/policy-lock-file.js';
import { inert } from '../../src/core/terminal-safe.js';
import { readInputFile } from '../../src/io/files.js';
import { readManifestFolder } from '../../src/manifest/read-manifest-folder.js';
import { palette } from '../../src/render/palette.js';
import { renderPlanText } from '../../src/render/text-plan.js';
import type { PlanFinding } from '../../src/analyze/plan-findings.js';
import type { AwsClients } from '../../src/live/aws/connection.js';
import { addLiveSourceOptions, awsClientsFrom, count, EXIT_ERROR, FAIL_ON, failOnIntroducedFindings, runEnvironmentOf, type CliContext, type FailOn, type LiveSourceOptions } from '../context.js';

interface ApplyOptions extends LiveSourceOptions {
  manifests: string;
  plan?: string;
  autoApprove?: boolean;
  allowLockout?: boolean;
  concurrency: number;
  failOn: FailOn;
}

const DEFAULT_CONCURRENCY = 8;

export function registerApply(program: Command, ctx: CliContext): void {
  addLiveSourceOptions(program.command('apply').description('make live IAM match the manifests: plan, check for lockout, ask, apply, verify'), true)
    .option('--manifests <dir>', 'folder of *.yaml manifests', 'manifests')
    .option('--plan <file>', 'a saved plan (plan --aws --format json --out FILE) or drift report (drift ... --out FILE) to approve: apply plans again and runs only a plan equal to it')
    .addOption(new Option('--fail-on <severity>', 'refuse, before any write (exit 3), a plan that introduces a finding this severe or worse (accepted risks never count)').choices(FAIL_ON).default('never'))
    .option('--auto-approve', 'apply without asking (CI); without it, apply asks on the terminal and refuses where there is none')
    .option('--allow-lockout', 'apply a plan the lockout guard refuses, running the steps that cause it last')
    .option('--concurrency <n>', `steps run at once within a phase (default ${DEFAULT_CONCURRENCY})`, positive, DEFAULT_CONCURRENCY)
    .action(async (options: ApplyOptions) => {
      if (!options.aws) throw new InputError([error('apply needs --aws', 'apply changes live IAM: pass --aws (with --profile, --region, --endpoint or --assume-role as needed).')]);
      const io = ctx.io;
      const colors = palette(ctx.useColor());
      const manifests = readManifestFolder(options.manifests);
      const savedPlan = options.plan === undefined ? undefined : { path: options.plan, text: readInputFile(options.plan, { what: 'plan file', flag: '--plan', hint: 'Pass --plan FILE with a plan saved by: iam-gitops plan --aws --format json --out FILE' }) };
      const clients = awsClientsFrom(options, io);
      const catalog = await loadActionCatalog();
      let interrupted = false;
      const stopListening = io.onInterrupt?.(() => {
        if (!interrupted) io.stderr('\ninterrupted: letting the steps in flight finish, starting no more\n');
        interrupted = true;
      });
      const progress = progressPrinter(ctx);
      try {
        const outcome = await applyManifests({
          manifests,
          clients,
          ...(savedPlan ? { savedPlan } : {}),
          failOn: options.failOn,
          allowLockout: options.allowLockout === true,
          concurrency: options.concurrency,
          now: new Date(),
          confirm: async (plan, steps, risks) => {
            io.stdout(renderPlanText(plan, colors, 'proposal', catalog));
            if (risks.length) {
              io.stderr(`${colors.warn('warning: --allow-lockout lets these through; their steps run last:')}\n`);
              for (const r of risks) io.stderr(`    ${inert(r.summary)}\n`);
            }
            if (options.autoApprove) return true;
            if (!io.ask) {
              throw new InputError([error('apply asks before it changes IAM, and there is no terminal to ask on', 'Review the plan above, then run apply with --auto-approve (as CI does).')]);
            }
            const answer = await io.ask(`\nApply ${count(steps.length, 'step')} to account ${inert(plan.account)}? Only "yes" is accepted: `);
            return answer.trim() === 'yes';
          },
          onEvent: (event) => progress.event(event),
          onWait: (message) => progress.say(colors.dim(`    ${inert(message)}`)),
          interrupted: () => interrupted,
          throttlingAdvice: `lower --concurrency (this run: ${options.concurrency})`,
          ...applyTuning(runEnvironmentOf(io)),
        });
        progress.clear();
        report(outcome, ctx, options.failOn);
        if (outcome.status === 'converged' && outcome.awsPolicyVersions) recordPolicyVersions(options.manifests, outcome.awsPolicyVersions, ctx);
        reportThrottling(clients.throttling, ctx);
      } finally {
        progress.clear();
        stopListening?.();
      }
    });
}

function positive(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new InvalidArgumentError('a whole number from 1 to 64');
  return n;
}

/** Step lines as steps end; on a terminal, a line below them that says what is running. */
function progressPrinter(ctx: CliContext): { event(e: ApplyEvent): void; say(line: string): void; clear(): void } {
  const io = ctx.io;
  const colors = palette(ctx.useColor());
  const running = new Map<number, Step>();
  let done = 0;
  let shown = false;
  const clear = (): void => {
    if (shown) io.stdout('\x1b[2K\r');
    shown = false;
  };
  const status = (total: number): void => {
    if (!io.stdoutIsTty) return;
    const first = [...running.values()][0];
    clear();
    io.stdout(colors.dim(`${done}/${total} done${first ? `; running: ${inert(first.title)}${running.size > 1 ? ` and ${running.size - 1} more` : ''}` : ''}`));
    shown = true;
  };
  return {
    event(e) {
      const n = `[${e.step.id}/${e.total}]`;
      if (e.type === 'start') {
        running.set(e.step.id, e.step);
        status(e.total);
        return;
      }
      running.delete(e.step.id);
      done++;
      clear();
      if (e.type === 'done') {
        const extra = inert([...(e.outcome.retries ? [`${count(e.outcome.retries, 'retry', 'retries')}`] : []), ...e.outcome.notes].join('; '));
        io.stdout(`${n} ${inert(e.step.title)} ${colors.create('ok')}${extra ? colors.dim(` (${extra})`) : ''} ${colors.dim(`${e.ms} ms`)}\n`);
      } else {
        io.stdout(`${n} ${inert(e.step.title)} ${colors.delete('failed')}\n`);
        io.stderr(`${formatDiagnostic(e.error).replace(/^/gm, '    ')}\n`);
      }
      status(e.total);
    },
    say(line) {
      clear();
      io.stdout(`${line}\n`);
    },
    clear,
  };
}

/**
 * The lock file of AWS managed policy versions, as live IAM shows them after apply (src/analyze/policy-lock.ts):
 * written when it says something new, for the user to commit; a policy live IAM did not show keeps its entry.
 */
function recordPolicyVersions(manifests: string, versions: LockedVersions, ctx: CliContext): void {
  const recorded = recordAppliedPolicyVersions(manifests, versions);
  if (recorded.unreadable) ctx.io.stderr(`warning: ${inert(recorded.path)} was left as it is: it cannot be read (${inert(recorded.unreadable.summary)})\n`);
  else if (recorded.written) ctx.io.stderr(`Recorded the AWS managed policy versions applied in ${inert(recorded.path)}: commit it (drift reports newer versions against it).\n`);
}

function report(outcome: ApplyOutcome, ctx: CliContext, failOn: FailOn): void {
  const io = ctx.io;
  const colors = palette(ctx.useColor());
  switch (outcome.status) {
    case 'refused':
      ctx.printDiagnostics(outcome.diagnostics);
      for (const r of outcome.risks ?? []) printRisk(r, ctx);
      ctx.setExitCode(EXIT_ERROR);
      // The same line and exit code (3) as plan --fail-on.
      if (outcome.failing) failOnIntroducedFindings(ctx, outcome.failing, failOn, 'the plan');
      return;
    case 'declined':
      io.stderr('Apply cancelled: nothing was changed.\n');
      ctx.setExitCode(EXIT_ERROR);
      return;
    case 'converged': {
      const remaining = outcome.remainingRisks ?? [];
      // With risks left, "live IAM matches the manifests" would read as "no drift": say what matches, and what not.
      const matches = remaining.length ? 'every managed entity matches its manifest' : 'live IAM matches the manifests';
      if (!outcome.execution) io.stdout(`No changes. ${matches[0]!.toUpperCase()}${matches.slice(1)}.\n`);
      else io.stdout(`${colors.bold(`Apply complete: ${summary(outcome.execution)}.`)} Verified: ${matches}${outcome.verifiedAfterMs && outcome.verifiedAfterMs > 1000 ? ` (after ${(outcome.verifiedAfterMs / 1000).toFixed(1)} s of eventual consistency)` : ''}.\n`);
      if (remaining.length) printRemainingRisks(remaining, ctx);
      return;
    }
    case 'not-converged':
      io.stdout(`${colors.bold(`Applied every step: ${summary(outcome.execution)}.`)}\n`);
      io.stderr(`error: live IAM still differs from the manifests after the steps (${count(outcome.remaining.changes.length, 'change')} left): ${outcome.remaining.changes.slice(0, 5).map((c) => `${c.action} ${c.kind} ${inert(c.name)}`).join(', ')}${outcome.remaining.changes.length > 5 ? ', ...' : ''}\n    Something else changed IAM meanwhile, or IAM is slower than usual to show changes: run plan to see, and apply again.\n`);
      ctx.setExitCode(EXIT_ERROR);
      return;
    case 'incomplete': {
      const ex = outcome.execution;
      io.stdout(`${colors.bold(`Apply ${ex.interrupted ? 'interrupted' : 'stopped'}: ${summary(ex)}.`)}\n`);
      if (ex.applied.length) io.stdout(`Applied (${ex.applied.length}):\n${ex.applied.map((a) => `    [${a.step.id}] ${inert(a.step.title)}\n`).join('')}`);
      if (ex.failed.length) io.stdout(`Failed (${ex.failed.length}):\n${ex.failed.map((f) => `    [${f.step.id}] ${inert(f.step.title)}: ${inert(f.error.summary)}\n`).join('')}`);
      if (ex.notRun.length) io.stdout(`Not run (${ex.notRun.length}):\n${ex.notRun.map((s) => `    [${s.id}] ${inert(s.title)}\n`).join('')}`);
      io.stderr('error: apply did not finish. Every step is safe to repeat: fix what failed (above), then run apply again to converge.\n');
      ctx.setExitCode(EXIT_ERROR);
      return;
    }
  }
}

/** After a drift report: the risks of principals no manifest declares, which apply leaves alone, and how to end them. */
function printRemainingRisks(risks: readonly PlanFinding[], ctx: CliContext): void {
  const colors = palette(ctx.useColor());
  const principals = [...new Set(risks.map((f) => f.principal))];
  const lines = principals.slice(0, 10).map((arn) => {
    const own = risks.filter((f) => f.principal === arn);
    const entity = parseEntityArn(arn);
    const kind = entity?.kind === 'user' || entity?.kind === 'role' ? entity.kind : 'principal';
    const name = entity?.name ?? arn.split('/').pop();
    return `    ${arn}: ${own.map((f) => `${f.severity} ${f.code}`).join(', ')}\n        remove it: a manifest with kind: ${kind === 'user' ? 'User' : 'Role'}, name: ${name}, deleted: true (or prune: true in the Account manifest)\n`;
  });
  ctx.io.stderr(`${colors.warn(`warning: live IAM still holds ${count(risks.length, 'risk')} of ${count(principals.length, 'principal')} no manifest declares; apply leaves unmanaged principals alone:`)}\n${lines.join('')}${principals.length > 10 ? `    ... and ${principals.length - 10} more (see drift)\n` : ''}    Or declare the principal as it should be, or accept the risk in acceptedRisks (with a reason).\n`);
}

/** Time waited on IAM throttling, said apart from eventual consistency (which the result line reports). */
function reportThrottling(throttling: AwsClients['throttling'], ctx: CliContext): void {
  if (throttling.throttledRetries === 0 && throttling.throttledMs < 1000) return;
  ctx.io.stderr(`note: IAM throttled ${count(throttling.throttledRetries, 'request')}; ${(throttling.throttledMs / 1000).toFixed(1)} s in all went to waiting on throttling (not eventual consistency).\n`);
}

function printRisk(risk: LockoutRisk, ctx: CliContext): void {
  ctx.io.stderr(`    ${inert(risk.summary)}\n${risk.statements.map((s) => `        ${inert(s)}\n`).join('')}`);
}

function summary(ex: ExecutionResult): string {
  return `${count(ex.applied.length, 'step')} applied, ${ex.failed.length} failed, ${ex.notRun.length} not run, in ${(ex.ms / 1000).toFixed(1)} s (${count(ex.retries, 'retry', 'retries')})`;
}
