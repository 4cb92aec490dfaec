/** `iam-gitops apply` (built next). */
import type { Command } from 'commander';
import type { CliContext } from '../context.js';

export function registerApply(_program: Command, _ctx: CliContext): void {}
