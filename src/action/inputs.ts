/** The Action's inputs (action.yml), read and checked: a wrong value fails the step saying what to give instead. */
import { FAIL_ON, type FailOn } from '../app/fail-on.js';
import { SetupError } from '../app/setup-error.js';
import type { ActionsPort } from './port.js';

export const COMMANDS = ['plan', 'apply', 'audit', 'drift', 'rightsize', 'accounts'] as const;
export type ActionCommand = (typeof COMMANDS)[number];

export interface ActionInputs {
  readonly command: ActionCommand;
  readonly manifests: string;
  readonly state?: string;
  readonly githubToken?: string;
  readonly awsRegion?: string;
  readonly roleToAssume?: string;
  readonly failOn: FailOn;
  readonly comment: boolean;
  /** accounts: a commit, `all`, or unset (the event decides). */
  readonly changedSince?: string;
  /** accounts: `arn:aws:iam::{account}:role/...`. */
  readonly roleTemplate?: string;
}

export function readInputs(port: Pick<ActionsPort, 'getInput'>): ActionInputs {
  const choice = <T extends string>(name: string, choices: readonly T[], fallback: T): T => {
    const value = port.getInput(name).trim().toLowerCase() || fallback;
    if (!(choices as readonly string[]).includes(value)) throw new SetupError(`input ${name} is "${port.getInput(name)}"; give one of: ${choices.join(', ')}`);
    return value as T;
  };
  const comment = port.getInput('comment').trim().toLowerCase() || 'true';
  if (comment !== 'true' && comment !== 'false') throw new SetupError(`input comment is "${port.getInput('comment')}"; give true or false`);
  const optional = (name: string): string | undefined => port.getInput(name).trim() || undefined;
  const state = optional('state');
  const token = optional('github-token');
  const region = optional('aws-region');
  const role = optional('role-to-assume');
  const changedSince = optional('changed-since');
  const roleTemplate = optional('role-template');
  if (role !== undefined && !/^arn:aws[a-z-]*:iam::\d{12}:role\/.+/.test(role)) throw new SetupError(`input role-to-assume "${role}" is not a role ARN; give arn:aws:iam::ACCOUNT:role/NAME`);
  return {
    command: choice('command', COMMANDS, 'plan'),
    manifests: optional('manifests') ?? 'manifests',
    ...(state ? { state } : {}),
    ...(token ? { githubToken: token } : {}),
    ...(region ? { awsRegion: region } : {}),
    ...(role ? { roleToAssume: role } : {}),
    failOn: choice('fail-on', FAIL_ON, 'high'),
    comment: comment === 'true',
    ...(changedSince ? { changedSince } : {}),
    ...(roleTemplate ? { roleTemplate } : {}),
  };
}
