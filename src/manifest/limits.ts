/**
 * IAM's limits that a manifest can break. Source: "IAM and AWS STS quotas" in the IAM User Guide. Quotas marked
 * adjustable are AWS's defaults; an account with a raised quota will see these as errors it can ignore only by
 * lowering its ambitions, which is why the detail names the quota.
 */
import type { EntityKind } from '../core/arn.js';

export const NAME_PATTERN = /^[\w+=,.@-]+$/;
export const MAX_NAME_LENGTH: Record<EntityKind, number> = { user: 64, group: 128, role: 64, policy: 128 };
export const MAX_INLINE_POLICY_NAME_LENGTH = 128;
export const PATH_PATTERN = /^\/$|^\/[\u0021-\u007E]+\/$/;
export const MAX_PATH_LENGTH = 512;
export const MAX_DESCRIPTION_LENGTH = 1000;
export const MIN_SESSION_DURATION = 3600;
export const MAX_SESSION_DURATION = 43200;
export const MAX_TAGS = 50;
export const MAX_TAG_KEY_LENGTH = 128;
export const MAX_TAG_VALUE_LENGTH = 256;
export const TAG_PATTERN = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
/** Characters, white space not counted. */
export const MAX_MANAGED_POLICY_SIZE = 6144;
export const MAX_TRUST_POLICY_SIZE = 2048;
/** Aggregate size of all inline policies of one principal. */
export const MAX_INLINE_POLICIES_SIZE: Record<'user' | 'group' | 'role', number> = { user: 2048, group: 5120, role: 10240 };
/** Adjustable quota (up to 20). */
export const MAX_MANAGED_POLICIES_PER_PRINCIPAL = 10;
export const MAX_GROUPS_PER_USER = 10;
