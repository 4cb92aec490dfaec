/**
 * The deployment environment an apply job runs in, as GitHub protects it. A job that names an environment that does
 * not exist yet makes GitHub create it, unprotected: then anyone who can run the workflow (a push to main, a manual
 * dispatch) applies with the apply role, unreviewed. `GET /repos/{owner}/{repo}/environments/{name}` says what
 * protects it (any repository reader may ask; a fine-grained or GitHub Actions token needs `actions: read`).
 */
import type { GitHubClient } from './client.js';
import { explainGitHubError } from './errors.js';

export interface EnvironmentProtection {
  readonly name: string;
  /** People or teams who must approve each job in it (a `required_reviewers` rule with someone in it). */
  readonly reviewers: number;
  /** Which branches may deploy to it: protected ones, a named list, or any (null). */
  readonly branches: 'protected branches' | 'selected branches' | 'any';
  readonly waitTimerMinutes?: number;
}

export type EnvironmentCheck = { readonly ok: true; readonly protection: EnvironmentProtection } | { readonly ok: false; readonly reason: string };

interface EnvironmentAnswer {
  readonly protection_rules?: readonly { readonly type?: string; readonly reviewers?: readonly unknown[]; readonly wait_timer?: number }[];
  readonly deployment_branch_policy?: { readonly protected_branches?: boolean; readonly custom_branch_policies?: boolean } | null;
}

export async function readEnvironmentProtection(client: GitHubClient, where: { readonly owner: string; readonly repo: string; readonly name: string }): Promise<EnvironmentCheck> {
  let answer: EnvironmentAnswer;
  try {
    answer = (await client.rest.repos.getEnvironment({ owner: where.owner, repo: where.repo, environment_name: where.name })).data as EnvironmentAnswer;
  } catch (e) {
    return { ok: false, reason: `cannot read how environment "${where.name}" is protected: ${explainGitHubError(e, 'read', { what: 'environments', permission: 'actions: read', container: `environment "${where.name}"` })}` };
  }
  const rules = answer.protection_rules ?? [];
  const reviewers = rules.filter((r) => r.type === 'required_reviewers').reduce((n, r) => n + (r.reviewers?.length ?? 0), 0);
  const policy = answer.deployment_branch_policy;
  const waitTimer = rules.find((r) => r.type === 'wait_timer')?.wait_timer;
  return {
    ok: true,
    protection: {
      name: where.name,
      reviewers,
      branches: !policy ? 'any' : policy.protected_branches ? 'protected branches' : policy.custom_branch_policies ? 'selected branches' : 'any',
      ...(waitTimer ? { waitTimerMinutes: waitTimer } : {}),
    },
  };
}

/** What is missing from an apply environment's protection, in words; empty when it has reviewers and branches. */
export function environmentGaps(protection: EnvironmentProtection): string[] {
  const gaps: string[] = [];
  if (protection.reviewers === 0) gaps.push('no required reviewers (nobody approves an apply before it changes IAM)');
  if (protection.branches === 'any') gaps.push('no deployment branch rule (a workflow run from any branch may apply)');
  return gaps;
}
