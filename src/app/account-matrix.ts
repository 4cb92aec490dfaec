/**
 * Use case: the account folders a workflow run concerns, for a matrix of one job per account. On a pull request
 * those it changes (since its base), on a push those the push changes (since `before`), otherwise (schedule, by
 * hand, a new branch) all of them; `changedSince` (a commit, or `all`) overrides the event.
 */
import { InputError } from '../core/diagnostics.js';
import { selectAccounts, type AccountSelection } from './accounts.js';
import { SetupError } from './setup-error.js';

/** GitHub Actions runs at most this many jobs from one matrix. */
export const MATRIX_LIMIT = 256;

export interface RunAccountsRequest {
  readonly root: string;
  /** A commit, `all`, or unset (the event decides). */
  readonly changedSince?: string;
  readonly roleTemplate?: string;
  /** What the event says changed: the pull request's base, or the push's `before` commit. */
  readonly event: { readonly name: string; readonly pullRequestBase?: string; readonly pushBefore?: string };
  /** Runs the selection (an entry may group its log). */
  readonly phase?: <T>(run: () => Promise<T>) => Promise<T>;
  /** Said when the event's base is not in the repository, so every folder is selected. */
  readonly warn?: (message: string) => void;
}

export interface RunAccounts {
  readonly selection: AccountSelection;
  /** Why these folders, in words: `changed since 1a2b3c4`, `changed-since: all`. */
  readonly reason: string;
}

const ZERO = /^0+$/;

export async function selectRunAccounts(request: RunAccountsRequest): Promise<RunAccounts> {
  const { event } = request;
  const since =
    request.changedSince === 'all' ? undefined : (request.changedSince ?? event.pullRequestBase ?? (event.pushBefore && !ZERO.test(event.pushBefore) ? event.pushBefore : undefined));
  const why = since === undefined ? (request.changedSince === 'all' ? 'changed-since: all' : `a ${event.name || 'run'} without a base to compare with`) : `changed since ${since.slice(0, 7)}`;
  const roleTemplate = request.roleTemplate ? { roleTemplate: request.roleTemplate } : {};
  const phase = request.phase ?? ((run) => run());
  const found = await phase(async (): Promise<RunAccounts> => {
    try {
      return { selection: await selectAccounts(request.root, { ...(since ? { changedSince: since, fetchFrom: 'origin' } : {}), ...roleTemplate }), reason: why };
    } catch (e) {
      // A base the event named but git cannot find (a force push rewrote it away): every account is the safe answer,
      // since plan, apply and drift do nothing where nothing differs. A base the workflow named is its mistake.
      if (!(e instanceof InputError) || since === undefined || request.changedSince !== undefined || !e.diagnostics.some((d) => d.summary.startsWith('--changed-since'))) throw e;
      request.warn?.(`iam-gitops: cannot compare with ${since.slice(0, 7)} (${e.diagnostics[0]!.summary}); selecting every account folder`);
      return { selection: await selectAccounts(request.root, roleTemplate), reason: `every folder: the event's base ${since.slice(0, 7)} is not in the repository` };
    }
  });
  if (found.selection.accounts.length > MATRIX_LIMIT) {
    throw new SetupError(`${found.selection.accounts.length} account folders selected, and a GitHub Actions matrix runs at most ${MATRIX_LIMIT} jobs: split them over several workflows, each with its own manifests root (accounts/a-m, accounts/n-z)`);
  }
  return found;
}
