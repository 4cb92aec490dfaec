/**
 * Resource and NotResource matching (IAM User Guide, "IAM JSON policy elements: Resource" and "ARN format"):
 * - `*` matches every resource;
 * - otherwise the ARN is compared part by part: partition, service, region and account case-insensitively with
 *   wildcards confined to their part; then the resource part, case-sensitively, whose resource-type prefix (up to
 *   the first "/" or ":") is literal and whose rest takes wildcards and policy variables;
 * - an ARN with fewer than six parts is completed with `*` parts;
 * - an unresolvable variable matches nothing, and is not turned into a match by NotResource either.
 * A request for `*` (an action that takes no resource) is matched only by `*` when the action is wildcard-only;
 * for other actions it asks "on any resource", which an Allow on a specific ARN answers yes and a Deny no.
 */
import { arnFields, splitArn } from '../core/arn.js';
import type { PreparedContext } from './context.js';
import { compileIamString, type IamPattern } from './iam-string.js';

/** `match`; `mismatch` (NotResource turns it into a match); `invalid` (no match either way). */
export type ResourceOutcome = 'match' | 'mismatch' | 'invalid';

export interface PreparedResource {
  readonly value: string;
  readonly isAll: boolean;
  /** `[partition, service, region, account, resource]` for ARNs, split on first use. */
  readonly parts: readonly string[] | undefined;
}

export function prepareResource(resource: string): PreparedResource {
  if (resource === '*') return { value: resource, isAll: true, parts: undefined };
  let parts: readonly string[] | undefined | null = null;
  return {
    value: resource,
    isAll: false,
    get parts() {
      if (parts === null) {
        const arn = splitArn(resource);
        parts = arn ? [arn.partition, arn.service, arn.region, arn.account, arn.resource] : undefined;
      }
      return parts;
    },
  };
}

export type ResourceTest = (resource: PreparedResource, context: PreparedContext, wildcardOnlyAction: boolean) => ResourceOutcome;

export function compileResource(pattern: string, effect: 'Allow' | 'Deny', notResource: boolean, variables: boolean): ResourceTest {
  if (pattern === '*') return () => 'match';
  // A variable's name has colons and slashes of its own (${aws:PrincipalTag/team}): they separate nothing.
  const raw = variables ? splitOutsideVariables(pattern, ':') : arnFields(pattern);
  const short = raw.length < 6;
  while (raw.length < 6) raw.push('*');
  const [, partition, service, region, account] = raw as [string, string, string, string, string];
  const resourcePart = raw.slice(5).join(':');
  const prefixes = [partition, service, region, account].map((p) => compileIamString(p, { wildcards: true, ignoreCase: true, variables: false }));
  const [product, id] = splitResourcePart(service, region, account, resourcePart);
  const idPattern: IamPattern = compileIamString(id, { wildcards: true, ignoreCase: false, variables });
  const failed: ResourceOutcome = short ? 'invalid' : 'mismatch';

  return (request, context, wildcardOnlyAction) => {
    if (request.isAll) {
      if (wildcardOnlyAction) return failed;
      // "On any resource?": an Allow of a specific ARN grants some of it, and so matches; a Deny of a specific ARN
      // does not deny all of it, and so does not. NotResource reverses both (the caller inverts the outcome).
      const matches = effect === 'Allow' ? !notResource : notResource;
      return matches ? 'match' : failed;
    }
    const parts = request.parts;
    if (!parts) return failed;
    for (let i = 0; i < 4; i++) if (!prefixes[i]!.test(parts[i]!, context)) return failed;
    const requestResource = parts[4]!;
    if (!requestResource.startsWith(product)) return failed;
    const matched = idPattern.test(requestResource.slice(product.length), context);
    if (matched === undefined) return 'invalid';
    return matched ? 'match' : failed;
  };
}

/** The literal resource-type prefix and the rest. S3 bucket and object ARNs have no type prefix. */
export function splitResourcePart(service: string, region: string, account: string, resource: string): [string, string] {
  if (service === 's3' && region === '' && account === '') return ['', resource];
  const cut = firstOutsideVariables(resource, (c) => c === '/' || c === ':');
  // A variable before any separator: the prefix is not literal text, so none is taken.
  if (cut >= 0 && resource.slice(0, cut).includes('${')) return ['', resource];
  return cut < 0 ? ['', resource] : [resource.slice(0, cut + 1), resource.slice(cut + 1)];
}

/** The index of the first character `at` accepts outside `${...}`, or -1. */
function firstOutsideVariables(text: string, at: (c: string) => boolean): number {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '$' && text[i + 1] === '{') depth++;
    else if (text[i] === '}' && depth > 0) depth--;
    else if (depth === 0 && at(text[i]!)) return i;
  }
  return -1;
}

/** `text` split at `separator` where it is not inside a `${...}` variable. */
export function splitOutsideVariables(text: string, separator: string): string[] {
  const parts: string[] = [];
  let rest = text;
  for (let cut = firstOutsideVariables(rest, (c) => c === separator); cut >= 0; cut = firstOutsideVariables(rest, (c) => c === separator)) {
    parts.push(rest.slice(0, cut));
    rest = rest.slice(cut + 1);
  }
  parts.push(rest);
  return parts;
}
