/** `iam-gitops audit`: risk findings for the account as it is, or as the manifests would make it. */
import { Option, type Command } from 'commander';
import { judgeFailOn } from '../../src/app/fail-on.js';
import { auditAccount } from '../../src/app/use-cases.js';
import { hasErrors } from '../../src/core/diagnostics.js';
import { inertJson, inertLines } from '../../src/core/terminal-safe.js';
import { readManifestFolder } from '../../src/manifest/read-manifest-folder.js';
import { renderAuditMarkdown, renderAuditText } from '../../src/render/findings.js';
import { palette } from '../../src/render/palette.js';
import { addLiveSourceOptions, EXIT_CHANGES, EXIT_ERROR, FAIL_ON, formatOption, liveReaderFrom, parseNow, requireAwsFor, type CliContext, type FailOn, type Format, type LiveSourceOptions } from '../context.js';

export function registerAudit(program: Command, ctx: CliContext): void {
  addLiveSourceOptions(program.command('audit').description('find privilege escalation paths, administrators and risky trust in an account, judged on effective permissions'))
    .option('--manifests <dir>', 'audit the state after applying these manifests instead of the live state')
    .addOption(formatOption(['text', 'json', 'markdown']))
    .addOption(new Option('--fail-on <severity>', 'exit 2 when a finding is this severe or worse (accepted risks never count)').choices(FAIL_ON).default('high'))
    .option('--now <time>', 'the time at which conditions on dates are judged (ISO 8601; default: now)')
    .option('--last-accessed', "with --aws: also read IAM's last-accessed report of every user and role (one job each) and report services they may use but have not used")
    .action(async (options: LiveSourceOptions & { manifests?: string; format: Format; failOn: FailOn; now?: string; lastAccessed?: boolean }) => {
      if (options.lastAccessed) requireAwsFor('--last-accessed', options);
      const result = await auditAccount(liveReaderFrom(options, ctx.io), options.manifests === undefined ? undefined : readManifestFolder(options.manifests), parseNow(options.now), ctx.io.clock, { lastAccessed: options.lastAccessed === true });
      ctx.printDiagnostics(result.diagnostics);
      if (!result.findings || hasErrors(result.diagnostics)) {
        ctx.setExitCode(EXIT_ERROR);
        return;
      }
      const findings = result.findings;
      if (options.format === 'json') ctx.io.stdout(`${inertJson({ formatVersion: 1, findings }, 2)}\n`);
      else if (options.format === 'markdown') ctx.io.stdout(inertLines(renderAuditMarkdown(findings, result.against)));
      else ctx.io.stdout(renderAuditText(findings, result.against, palette(ctx.useColor())));
      if (judgeFailOn(findings, options.failOn)) ctx.setExitCode(EXIT_CHANGES);
    });
}
