/**
 * Rules of particular services that hold whatever the policies say, each documented by AWS:
 * - sts:GetCallerIdentity needs no permission, and an explicit Deny does not stop it (STS API reference).
 * - AWS managed policies cannot be changed by anyone (IAM User Guide, "AWS managed policies").
 * - Roles under /aws-reserved/ (IAM Identity Center) are AWS's to change.
 * - AWS managed KMS aliases (alias/aws/...) cannot be created, changed or deleted (KMS Developer Guide).
 * KMS keys also need their key policy to allow access; this engine assumes the default key policy, which
 * delegates to IAM policies (so identity policies decide), and says so wherever it reports KMS access.
 *
 * The refusals are data (actions and a resource pattern), so that access deltas can carve exactly these requests
 * out of what a policy change grants or revokes.
 */
import { prepareContext } from './context.js';
import { compileResource, type PreparedResource } from './resources.js';
import type { Decision } from './types.js';

/** Needs no permission and cannot be denied. Lower case. */
export const ALWAYS_ALLOWED_ACTION = 'sts:getcalleridentity';

export interface ServiceRefusal {
  /** Lower-case `service:action` names the service refuses on `resources`. */
  readonly actions: ReadonlySet<string>;
  /** An IAM resource pattern (no variables). */
  readonly resources: string;
  /** What AWS documents. */
  readonly why: string;
}

export const SERVICE_REFUSALS: readonly ServiceRefusal[] = [
  {
    actions: new Set(['iam:createpolicy', 'iam:createpolicyversion', 'iam:deletepolicy', 'iam:deletepolicyversion', 'iam:setdefaultpolicyversion', 'iam:tagpolicy', 'iam:untagpolicy']),
    resources: 'arn:*:iam::aws:policy/*',
    why: 'AWS managed policies cannot be changed',
  },
  {
    actions: new Set([
      'iam:attachrolepolicy', 'iam:createrole', 'iam:createservicelinkedrole', 'iam:deleterole', 'iam:deleterolepermissionsboundary', 'iam:deleterolepolicy',
      'iam:deleteservicelinkedrole', 'iam:detachrolepolicy', 'iam:passrole', 'iam:putrolepermissionsboundary', 'iam:putrolepolicy', 'iam:tagrole',
      'iam:untagrole', 'iam:updateassumerolepolicy', 'iam:updaterole', 'iam:updateroledescription',
    ]),
    resources: 'arn:*:iam::*:role/aws-reserved/*',
    why: 'roles under /aws-reserved/ are managed by AWS',
  },
  {
    actions: new Set(['kms:createalias', 'kms:deletealias', 'kms:updatealias']),
    resources: 'arn:*:kms:*:*:alias/aws/*',
    why: 'AWS managed KMS aliases cannot be changed',
  },
];

const NO_CONTEXT = prepareContext({});
const refusals = SERVICE_REFUSALS.map((r) => ({ actions: r.actions, test: compileResource(r.resources, 'Allow', false, false) }));

/**
 * A decision imposed by the service, given the one the policies reached; undefined when none applies. `action` is
 * lower case. A refusal turns Allowed into ImplicitlyDenied and leaves an explicit Deny as it is.
 */
export function serviceDecision(action: string, resource: PreparedResource, fromPolicies: Decision): Decision | undefined {
  if (action === ALWAYS_ALLOWED_ACTION) return 'Allowed';
  if (resource.isAll || fromPolicies === 'ExplicitlyDenied' || (!action.startsWith('iam:') && !action.startsWith('kms:'))) return undefined;
  for (const refusal of refusals) if (refusal.actions.has(action) && refusal.test(resource, NO_CONTEXT, false) === 'match') return 'ImplicitlyDenied';
  return undefined;
}
