#!/usr/bin/env node
// Entry point installed as the `iam-gitops` command. The TypeScript sources are compiled to dist/ by the
// `prepare` script, which `npm ci` and `npm install` run, so the command works right after installing.
import { main } from '../dist/cmd/cli.js';

process.exitCode = await main(process.argv.slice(2));
