/** `iam-gitops snapshot --aws --out FILE`: live IAM as a snapshot file that `--state` reads back to the same plan. */
import type { Command } from 'commander';
import { snapshotLive } from '../../src/app/snapshot.js';
import { inert } from '../../src/core/terminal-safe.js';
import { readManifestFolder } from '../../src/manifest/read-manifest-folder.js';
import { addLiveSourceOptions, awsConnectionFrom, count, runEnvironmentOf, writeOutput, type CliContext, type LiveSourceOptions } from '../context.js';

export function registerSnapshot(program: Command, ctx: CliContext): void {
  addLiveSourceOptions(program.command('snapshot').description('write live IAM to a snapshot file (get-account-authorization-details JSON, with role descriptions and session durations)'), true)
    .requiredOption('--out <file>', 'the snapshot file to write')
    .option('--manifests <dir>', 'also read the tags of the policies whose manifests set tags (no bulk API returns policy tags)')
    .action(async (options: LiveSourceOptions & { out: string; manifests?: string }) => {
      const aws = awsConnectionFrom(options);
      const { snapshot, account, taggedPolicies, credentialUsers } = await snapshotLive(aws, runEnvironmentOf(ctx.io), options.manifests === undefined ? undefined : () => readManifestFolder(options.manifests!));
      writeOutput(options.out, `${JSON.stringify(snapshot, null, 2)}\n`);
      const n = (key: string): number => (snapshot[key] as unknown[]).length;
      ctx.io.stdout(`Snapshot of account ${inert(account)} written to ${inert(options.out)}: ${count(n('UserDetailList'), 'user')}, ${count(n('GroupDetailList'), 'group')}, ${count(n('RoleDetailList'), 'role')}, ${count(n('Policies'), 'policy', 'policies')}${readOneByOne(taggedPolicies, credentialUsers)}.\n`);
    });
}

/** What was read one entity at a time, in words: ` (tags read for 1 policy; credentials read for 3 users)`. */
function readOneByOne(taggedPolicies: number, credentialUsers: number): string {
  const parts = [...(taggedPolicies ? [`tags read for ${count(taggedPolicies, 'policy', 'policies')}`] : []), ...(credentialUsers ? [`credentials read for ${count(credentialUsers, 'user')}`] : [])];
  return parts.length ? ` (${parts.join('; ')})` : '';
}
