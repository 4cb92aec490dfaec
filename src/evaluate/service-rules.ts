/**
 * Rules of particular services that hold whatever the policies say, each documented by AWS:
 * - sts:GetCallerIdentity needs no permission, and an explicit Deny does not stop it (STS API reference).
 * - AWS managed policies cannot be changed by anyone (IAM User Guide, "AWS managed policies").
 * - Roles under /aws-reserved/ (IAM Identity Center) are AWS's to change.
 * - AWS managed KMS aliases (alias/aws/...) cannot be created, changed or deleted (KMS Developer Guide).
 * KMS keys also need their key policy to allow access; this engine assumes the default key policy, which
 * delegates to IAM policies (so identity policies decide), and says so wherever it reports KMS access.
 */
import type { Decision } from './types.js';

const MANAGED_POLICY_CHANGES = new Set(['iam:createpolicy', 'iam:createpolicyversion', 'iam:deletepolicy', 'iam:deletepolicyversion', 'iam:setdefaultpolicyversion', 'iam:tagpolicy', 'iam:untagpolicy']);
const RESERVED_ROLE_CHANGES = new Set([
  'iam:attachrolepolicy', 'iam:createrole', 'iam:createservicelinkedrole', 'iam:deleterole', 'iam:deleterolepermissionsboundary', 'iam:deleterolepolicy',
  'iam:deleteservicelinkedrole', 'iam:detachrolepolicy', 'iam:passrole', 'iam:putrolepermissionsboundary', 'iam:putrolepolicy', 'iam:tagrole',
  'iam:untagrole', 'iam:updateassumerolepolicy', 'iam:updaterole', 'iam:updateroledescription',
]);
const MANAGED_ALIAS_CHANGES = new Set(['kms:createalias', 'kms:deletealias', 'kms:updatealias']);

/** A decision imposed by the service, given the one the policies reached; undefined when none applies. */
export function serviceDecision(action: string, resource: string, fromPolicies: Decision): Decision | undefined {
  if (action === 'sts:getcalleridentity') return 'Allowed';
  if (!action.startsWith('iam:') && !action.startsWith('kms:')) return undefined;
  const parts = resource.split(':');
  const account = parts[4];
  const resourcePart = parts.slice(5).join(':').toLowerCase();
  if (MANAGED_POLICY_CHANGES.has(action) && account === 'aws' && resourcePart.startsWith('policy/')) return 'ImplicitlyDenied';
  if (RESERVED_ROLE_CHANGES.has(action) && resourcePart.startsWith('role/aws-reserved/')) return 'ImplicitlyDenied';
  if (MANAGED_ALIAS_CHANGES.has(action) && resourcePart.startsWith('alias/aws/') && fromPolicies !== 'ExplicitlyDenied') return 'ImplicitlyDenied';
  return undefined;
}
