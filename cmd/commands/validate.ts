/** `iam-gitops validate`: check the manifests and print every problem found. */
import type { Command } from 'commander';
import { validateManifests } from '../../src/app/use-cases.js';
import { inert } from '../../src/core/terminal-safe.js';
import { readManifestFolder } from '../../src/manifest/read-manifest-folder.js';
import { count, EXIT_ERROR, type CliContext } from '../context.js';

export function registerValidate(program: Command, ctx: CliContext): void {
  program
    .command('validate')
    .description('check the manifests: schema, references, policy grammar, known actions and IAM limits')
    .option('--manifests <dir>', 'folder of *.yaml manifests', 'manifests')
    .action(async (options: { manifests: string }) => {
      const result = await validateManifests(readManifestFolder(options.manifests));
      ctx.printDiagnostics(result.diagnostics);
      const errors = result.diagnostics.filter((d) => d.severity === 'error').length;
      const warnings = result.diagnostics.length - errors;
      if (errors > 0 || !result.desired) {
        ctx.io.stderr(`${inert(options.manifests)}: ${count(errors, 'error')}, ${count(warnings, 'warning')}\n`);
        ctx.setExitCode(EXIT_ERROR);
        return;
      }
      const s = result.desired.state;
      const deleted = result.desired.deleted.length;
      ctx.io.stdout(`${inert(options.manifests)} is valid: account ${inert(s.account)}, ${count(s.users.size, 'user')}, ${count(s.groups.size, 'group')}, ${count(s.roles.size, 'role')}, ${count(s.policies.size, 'policy', 'policies')}${deleted ? `, ${deleted} marked deleted` : ''}${warnings ? ` (${count(warnings, 'warning')})` : ''}.\n`);
    });
}
