/** The vocabulary of policy evaluation: requests in, decisions out. */

/** A request context: condition keys (any case) to one value, or a list for multi-valued keys. */
export type RequestContext = Readonly<Record<string, string | readonly string[]>>;

export interface EvaluationRequest {
  /** ARN of the calling principal. */
  readonly principal: string;
  /** `service:ActionName`, any case. */
  readonly action: string;
  /** The resource ARN, or `*` for actions that take no resource (and "all resources" questions). */
  readonly resource: string;
  readonly context: RequestContext;
}

export type Decision = 'Allowed' | 'ExplicitlyDenied' | 'ImplicitlyDenied';

/** A statement that decided a request: the Denies of a denial, the Allows of an allowance. */
export interface MatchedStatement {
  /** The policy's name as the principal holds it, e.g. `group developers / inline read-logs`. */
  readonly policy: string;
  /** Index in the policy's Statement list. */
  readonly statement: number;
  readonly sid?: string;
  readonly effect: 'Allow' | 'Deny';
  /** True for statements of the permissions boundary. */
  readonly boundary?: true;
}

export interface EvaluationResult {
  readonly decision: Decision;
  readonly matched: readonly MatchedStatement[];
  /**
   * Why an implicit deny: no identity statement allows the request (`no-allow`), or some do but the permissions
   * boundary does not (`boundary`; `matched` then holds the identity Allows it overrules), or AWS refuses the
   * request whatever the policies say (`service-rule`, e.g. changing an AWS managed policy).
   */
  readonly reason?: 'no-allow' | 'boundary' | 'service-rule';
}
