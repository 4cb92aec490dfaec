/**
 * Use case: plan a pull request (or a working tree). Git (the base, the head, a snapshot in the repository read as
 * the base has it) -> manifests -> plan against live IAM -> each change's origin (the pull request's own, or drift).
 * `plan --base` and the Action's `plan` on a pull request both run this.
 */
import { error, InputError } from '../core/diagnostics.js';
import { readPullRequest, type PullRequestGit } from '../git/pull-request-git.js';
import type { LiveReader } from '../live/live-state.js';
import { SnapshotTextReader } from '../live/snapshot-text-reader.js';
import { readManifestFolder } from '../manifest/read-manifest-folder.js';
import { withPullRequest } from './pull-request.js';
import { planChanges, type PlanResult } from './use-cases.js';

export interface PullRequestPlanRequest {
  /** The manifests folder (relative to the working directory, or absolute). */
  readonly manifests: string;
  /**
   * Live IAM, opened only when needed: a snapshot in the repository is read as the pull request's base has it (a
   * pull request cannot say what live IAM is), so on a pull request this reader may never be opened.
   */
  readonly live: () => LiveReader | Promise<LiveReader>;
  /** The snapshot file live IAM is read from, when it is one (`--state`, the Action's `state`). */
  readonly snapshot?: string;
  readonly now: Date;
  /** Without it: the working tree planned alone, nothing told apart as drift. */
  readonly pullRequest?: PullRequestRefs;
  /** Runs each phase (an entry may group its log by phase); default: runs it. */
  readonly phase?: <T>(phase: 'compare' | 'plan', run: () => Promise<T>) => Promise<T>;
}

export interface PullRequestRefs {
  /** A branch, tag or commit. */
  readonly base: string;
  /** How messages name the base (`main (1a2b3c4)`); default `base`. */
  readonly baseName?: string;
  /** The head commit; default the working tree. */
  readonly head?: string;
  /** A remote to fetch missing commits from (a shallow clone's). */
  readonly fetchFrom?: string;
  /**
   * When the base cannot be read: `refuse` (the error stands: the user named the base), or `plan-without` (the
   * event named it; plan without telling drift apart, unless live IAM is a snapshot in the repository, whose base
   * copy is then unknown: a pull request's own copy cannot be trusted, so no plan).
   */
  readonly ifBaseUnreadable: 'refuse' | 'plan-without';
}

export interface PullRequestPlan extends PlanResult {
  /** What git says of the pull request, when the base was read. */
  readonly git?: PullRequestGit;
  /** Why the base could not be read (`plan-without`): the plan is complete, only not told apart from drift. */
  readonly baseUnreadable?: string;
}

/** Said as the base is read (inside the `compare` phase): what git found, or why the base cannot be read. */
export interface PullRequestObserver {
  readonly onBase?: (git: PullRequestGit) => void;
  readonly onBaseUnreadable?: (why: string) => void;
}

export async function planPullRequest(request: PullRequestPlanRequest, observe: PullRequestObserver = {}): Promise<PullRequestPlan> {
  const phase = request.phase ?? ((_, run) => run());
  const refs = request.pullRequest;
  let baseUnreadable: string | undefined;
  const git = refs === undefined ? undefined : await phase('compare', async () => {
    try {
      const found = await readPullRequest({ manifests: request.manifests, base: refs.base, ...(refs.head !== undefined ? { head: refs.head } : {}), ...(refs.fetchFrom !== undefined ? { fetchFrom: refs.fetchFrom } : {}), ...(request.snapshot !== undefined ? { snapshot: request.snapshot } : {}) });
      observe.onBase?.(found);
      return found;
    } catch (e) {
      if (!(e instanceof InputError) || refs.ifBaseUnreadable === 'refuse') throw e;
      // Without the base, the snapshot could only be the pull request's own copy: no plan rather than a forged one.
      if (request.snapshot !== undefined) {
        const about = e.diagnostics.some((d) => d.summary.startsWith('the snapshot'));
        throw about ? e : new InputError([error(`cannot read the snapshot ${request.snapshot} at the pull request's base ${refs.baseName ?? refs.base}, and a pull request's own copy cannot be trusted: no plan`, 'Check out enough history for the base (actions/checkout with fetch-depth: 0), or plan with AWS credentials.'), ...e.diagnostics]);
      }
      baseUnreadable = e.diagnostics.map((d) => `${d.summary}. ${d.detail ?? ''}`).join(' ');
      observe.onBaseUnreadable?.(baseUnreadable);
      return undefined;
    }
  });
  const result = await phase('plan', async () => {
    const manifests = git?.headManifests ?? readManifestFolder(request.manifests);
    const live = git?.snapshot ? new SnapshotTextReader(git.snapshot.source, git.snapshot.text) : await request.live();
    const planned = await planChanges(manifests, live, request.now);
    return git ? withPullRequest(planned, manifests, git, request.now) : planned;
  });
  return { ...result, ...(git ? { git } : {}), ...(baseUnreadable !== undefined ? { baseUnreadable } : {}) };
}
