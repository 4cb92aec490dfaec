#!/usr/bin/env node
// Entry point installed as the `iam-gitops` command. The TypeScript sources are compiled to build/ by the
// `prepare` script, which `npm ci` and `npm install` run, so the command works right after installing.
import { main } from '../build/cmd/cli.js';

// A reader that stops early (`iam-gitops plan --format json | head`) is not an error worth a stack trace.
process.stdout.on('error', (error) => {
  if (error.code !== 'EPIPE') throw error;
  process.exit(process.exitCode ?? 0);
});

process.exitCode = await main(process.argv.slice(2));
