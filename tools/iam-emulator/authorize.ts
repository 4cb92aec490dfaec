/**
 * Who may do what in the emulated account (its `--enforce` mode and STS), read from the model's own records with the
 * emulator's own policy language: a user's inline, attached and group policies, a role's, their boundaries, and
 * role trust policies. The product's analyzer is not used: the emulator is the independent oracle it is tested
 * against.
 */
import type { IamModel } from './model.js';
import { decide, decideForPrincipal, statementsOf, type Decision, type Request } from './policy-language.js';

type Json = Record<string, unknown>;

const parse = (document: string): Json => JSON.parse(document) as Json;

/** The principal (a user or role ARN) with its identity statements and boundary, or undefined if it is neither. */
function principalPolicies(model: IamModel, principalArn: string): { identity: Json[]; boundary?: Json[] } | undefined {
  const defaultDocument = (arn: string): Json[] => {
    const version = model.policies.get(arn)?.versions.find((v) => v.isDefault);
    return version ? statementsOf(parse(version.document)) : [];
  };
  const own = (p: { inline: ReadonlyMap<string, string>; attached: readonly string[] }): Json[] => [...[...p.inline.values()].flatMap((d) => statementsOf(parse(d))), ...p.attached.flatMap(defaultDocument)];
  const user = [...model.users.values()].find((u) => u.arn === principalArn);
  if (user) {
    const groups = user.groups.flatMap((key) => (model.groups.get(key) ? [model.groups.get(key)!] : []));
    return { identity: [...own(user), ...groups.flatMap(own)], ...(user.boundary ? { boundary: defaultDocument(user.boundary) } : {}) };
  }
  const role = [...model.roles.values()].find((r) => r.arn === principalArn);
  if (role) return { identity: own(role), ...(role.boundary ? { boundary: defaultDocument(role.boundary) } : {}) };
  return undefined;
}

/** What the principal's identity policies (and boundary) decide for the request. */
export function identityDecision(model: IamModel, principalArn: string, request: Request): Decision {
  const policies = principalPolicies(model, principalArn);
  return policies ? decideForPrincipal(policies.identity, policies.boundary, request) : 'ImplicitlyDenied';
}

/** Whether a trust statement's Principal names `principalArn` (or its account, or everyone). */
function namesPrincipal(statement: Json, principalArn: string, account: string): 'itself' | 'account' | undefined {
  const principal = statement['Principal'];
  if (principal === '*') return 'itself';
  if (typeof principal !== 'object' || principal === null) return undefined;
  const aws = (principal as Json)['AWS'];
  const ids = (Array.isArray(aws) ? aws : aws === undefined ? [] : [aws]).map(String);
  if (ids.includes('*') || ids.includes(principalArn)) return 'itself';
  if (ids.includes(`arn:aws:iam::${account}:root`) || ids.includes(account)) return 'account';
  return undefined;
}

/**
 * sts:AssumeRole in one account (IAM User Guide, "Policy evaluation logic" and "Cross-account policy evaluation"): the
 * trust policy must allow the caller; when it names the caller itself that suffices, when it names the account the
 * caller's identity policies must allow sts:AssumeRole on the role too; an explicit Deny anywhere denies.
 */
export function mayAssumeRole(model: IamModel, principalArn: string, roleArn: string, context: Request['context']): boolean {
  const role = [...model.roles.values()].find((r) => r.arn === roleArn);
  if (!role) return false;
  const request: Request = { action: 'sts:AssumeRole', resource: roleArn, context };
  const trust = statementsOf(parse(role.trust));
  const naming = trust.map((s) => ({ s, by: namesPrincipal(s, principalArn, model.account) })).filter((x) => x.by !== undefined);
  if (decide(naming.map((x) => x.s), request) === 'ExplicitlyDenied') return false;
  const identity = identityDecision(model, principalArn, request);
  if (identity === 'ExplicitlyDenied') return false;
  const trustedItself = decide(naming.filter((x) => x.by === 'itself').map((x) => x.s), request) === 'Allowed';
  const trustedAccount = decide(naming.filter((x) => x.by === 'account').map((x) => x.s), request) === 'Allowed';
  return trustedItself || (trustedAccount && identity === 'Allowed');
}

/** sts:AssumeRoleWithWebIdentity: a trust statement naming the provider as Federated principal must allow it. */
export function mayAssumeRoleWithWebIdentity(trustDocument: string, provider: string, roleArn: string, context: Request['context']): boolean {
  const statements = statementsOf(parse(trustDocument)).filter((statement) => {
    const federated = (statement['Principal'] as Json | undefined)?.['Federated'];
    return (Array.isArray(federated) ? federated : [federated]).includes(provider);
  });
  return decide(statements, { action: 'sts:AssumeRoleWithWebIdentity', resource: roleArn, context }) === 'Allowed';
}
