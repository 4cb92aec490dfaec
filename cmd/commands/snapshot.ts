/** `iam-gitops snapshot --aws --out FILE`: live IAM as a snapshot file that `--state` reads back to the same plan. */
import type { Command } from 'commander';
import { validateManifests } from '../../src/app/use-cases.js';
import { hasErrors, InputError } from '../../src/core/diagnostics.js';
import { inert } from '../../src/core/terminal-safe.js';
import { AwsLiveReader } from '../../src/live/aws/aws-live-reader.js';
import { readManifestFolder } from '../../src/manifest/read-manifest-folder.js';
import { addLiveSourceOptions, awsClientsFrom, count, writeOutput, type CliContext, type LiveSourceOptions } from '../context.js';

export function registerSnapshot(program: Command, ctx: CliContext): void {
  addLiveSourceOptions(program.command('snapshot').description('write live IAM to a snapshot file (get-account-authorization-details JSON, with role descriptions and session durations)'), true)
    .requiredOption('--out <file>', 'the snapshot file to write')
    .option('--manifests <dir>', 'also read the tags of the policies whose manifests set tags (no bulk API returns policy tags)')
    .action(async (options: LiveSourceOptions & { out: string; manifests?: string }) => {
      const reader = new AwsLiveReader(awsClientsFrom(options, ctx.io));
      const manifests = options.manifests === undefined ? undefined : await validateManifests(readManifestFolder(options.manifests));
      if (manifests && (!manifests.desired || hasErrors(manifests.diagnostics))) throw new InputError(manifests.diagnostics);
      const { snapshot, caller } = await reader.readSnapshot();
      const tagged = new Set([...(manifests?.desired?.state.policies.values() ?? [])].filter((p) => Object.keys(p.tags).length > 0).map((p) => p.name.toLowerCase()));
      const policies = (snapshot['Policies'] as Record<string, unknown>[]).filter((p) => tagged.has(String(p['PolicyName']).toLowerCase()) && !String(p['Arn']).includes(':iam::aws:'));
      if (policies.length > 0) {
        const tags = await reader.readPolicyTags(policies.map((p) => String(p['Arn'])));
        for (const p of policies) p['Tags'] = Object.entries(tags.get(String(p['Arn'])) ?? {}).map(([Key, Value]) => ({ Key, Value }));
      }
      writeOutput(options.out, `${JSON.stringify(snapshot, null, 2)}\n`);
      const n = (key: string): number => (snapshot[key] as unknown[]).length;
      ctx.io.stdout(`Snapshot of account ${inert(caller.account)} written to ${inert(options.out)}: ${count(n('UserDetailList'), 'user')}, ${count(n('GroupDetailList'), 'group')}, ${count(n('RoleDetailList'), 'role')}, ${count(n('Policies'), 'policy', 'policies')}${policies.length ? ` (tags read for ${count(policies.length, 'policy', 'policies')})` : ''}.\n`);
    });
}
