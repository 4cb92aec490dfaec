/** `iam-gitops schema`: the manifests' JSON Schema, for editors. */
import type { Command } from 'commander';
import { manifestJsonSchema } from '../../src/manifest/schema.js';
import { writeOutput, type CliContext } from '../context.js';

export function registerSchema(program: Command, ctx: CliContext): void {
  program
    .command('schema')
    .description('print the JSON Schema of the manifest format (for yaml-language-server)')
    .option('--out <file>', 'write it to this file')
    .action((options: { out?: string }) => {
      const text = `${JSON.stringify(manifestJsonSchema(), null, 2)}\n`;
      if (options.out) writeOutput(options.out, text);
      else ctx.io.stdout(text);
    });
}
