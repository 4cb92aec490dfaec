/** `iam-gitops accounts`: the account folders of a config repo (those a change touches), as a list or a matrix. */
import { Option, type Command } from 'commander';
import { selectAccounts } from '../../src/app/accounts.js';
import { inert, inertJson } from '../../src/core/terminal-safe.js';
import { count, type CliContext } from '../context.js';

export function registerAccounts(program: Command, ctx: CliContext): void {
  program
    .command('accounts')
    .description('list the account folders under a folder (each holds an Account manifest), or those changed since a commit; --format matrix prints a GitHub Actions matrix')
    .option('--root <dir>', 'the folder that holds one manifests folder per account', 'accounts')
    .option('--changed-since <ref>', 'only the folders with files changed since the merge base of this commit and HEAD (the working tree counts)')
    .option('--role-template <arn>', 'the role each account\'s job assumes: {account} and {name} are filled in, e.g. arn:aws:iam::{account}:role/automation/iam-gitops-plan')
    .addOption(new Option('--format <format>', 'text, json, or matrix ({"include": [...]} on one line, for fromJSON)').choices(['text', 'json', 'matrix']).default('text'))
    .action(async (options: { root: string; changedSince?: string; roleTemplate?: string; format: 'text' | 'json' | 'matrix' }) => {
      const selection = await selectAccounts(options.root, { ...(options.changedSince !== undefined ? { changedSince: options.changedSince } : {}), ...(options.roleTemplate !== undefined ? { roleTemplate: options.roleTemplate } : {}) });
      ctx.printDiagnostics(selection.diagnostics);
      if (options.format === 'matrix') {
        ctx.io.stdout(`${inertJson({ include: selection.accounts })}\n`);
      } else if (options.format === 'json') {
        ctx.io.stdout(`${inertJson({ formatVersion: 1, total: selection.total, ...(selection.changedSince ? { changedSince: selection.changedSince } : {}), accounts: selection.accounts }, 2)}\n`);
      } else {
        const folders = (n: number): string => count(n, 'account folder', 'account folders', { digits: 'plain' });
        const chosen = selection.changedSince ? `${selection.accounts.length} of ${folders(selection.total)} changed since ${inert(selection.changedSince.mergeBase.slice(0, 7))}` : folders(selection.total);
        const lines = [`${chosen}:`, ...selection.accounts.map((a) => `  ${inert(a.account)}  ${inert(a.folder)}${a.managedPaths.join(',') !== '/' ? `  (paths ${inert(a.managedPaths.join(', '))})` : ''}${a.role ? `  role ${inert(a.role)}` : ''}`)];
        ctx.io.stdout(`${lines.join('\n')}\n`);
      }
    });
}
