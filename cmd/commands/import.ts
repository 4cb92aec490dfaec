/** `iam-gitops import`: manifests for everything live, to adopt an existing account. */
import type { Command } from 'commander';
import { importToFolder } from '../../src/app/use-cases.js';
import { inert } from '../../src/core/terminal-safe.js';
import { SCHEMA_FILE } from '../../src/importer/live-to-manifests.js';
import { addLiveSourceOptions, count, liveReaderFrom, type CliContext, type LiveSourceOptions } from '../context.js';

export function registerImport(program: Command, ctx: CliContext): void {
  addLiveSourceOptions(program.command('import').description('write manifests for everything live (except AWS-owned roles), to adopt an existing account'))
    .requiredOption('--out <dir>', 'folder to write the manifests to (new or empty)')
    .option('--force', 'write into a non-empty folder, replacing files of the same names')
    .action(async (options: LiveSourceOptions & { out: string; force?: boolean }) => {
      const result = await importToFolder(liveReaderFrom(options, ctx.io), options.out, options.force === true);
      ctx.printDiagnostics(result.diagnostics);
      const manifests = result.written.filter((f) => f.endsWith('.yaml')).length;
      ctx.io.stdout(`Imported ${count(manifests, 'manifest')} into ${inert(options.out)}${skippedWords(result.skipped)}, with ${SCHEMA_FILE} for editor completion.\n`);
    });
}

/** ` (skipped 2 AWS-owned roles and 1 AWS-owned identity provider)`, or nothing. */
function skippedWords(skipped: readonly string[]): string {
  const providers = skipped.filter((arn) => /:(saml|oidc)-provider\//.test(arn)).length;
  const roles = skipped.length - providers;
  const parts = [...(roles ? [count(roles, 'AWS-owned role')] : []), ...(providers ? [count(providers, 'AWS-owned identity provider')] : [])];
  return parts.length ? ` (skipped ${parts.join(' and ')})` : '';
}
