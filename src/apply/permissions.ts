/**
 * Before the first write: steps the caller certainly may not run. Each step is the IAM actions it calls on the
 * entity it changes; the caller's policies are judged with the engine, generously, so that only a certain refusal
 * stops the run: every Allow's condition is taken as met and every conditional Deny as not applying (the request's
 * context, such as its source IP, is not known here), and a permission the caller has before the change or after it
 * counts. What is left is a step no statement could allow, or one an unconditional Deny refuses: applying the plan
 * would fail there, after the steps before it had changed IAM. Pure.
 */
import { entityArn, parseEntityArn } from '../core/arn.js';
import { statementsOf, type PolicyJson } from '../core/policy.js';
import type { IamState } from '../core/state.js';
import { compilePolicy } from '../evaluate/compile-policy.js';
import { evaluate, type EvaluateOptions, type PrincipalPolicies } from '../evaluate/engine.js';
import { PrincipalResolver, type NamedDocument } from '../evaluate/principal-policies.js';
import type { Step, StepOp } from './steps.js';
import { providerStepActions } from './provider-steps.js';

export interface ForbiddenStep {
  readonly step: Step;
  readonly action: string;
  readonly resource: string;
}

/** The IAM actions a step calls (as the AWS writer sends them) and the resource each names. */
export function stepPermissions(step: Step, account: string): { action: string; resource: string }[] {
  const op: StepOp = step.op;
  const on = (action: string, resource = step.target): { action: string; resource: string } => ({ action, resource });
  const kind = (k: string): string => k.charAt(0).toUpperCase() + k.slice(1);
  // A group's ARN ends with its name after its path (`:group/` then the path); compared as text, not as a regular
  // expression built from the name (names may hold `+` and `.`).
  const groupArn = (name: string): string => [step.target, ...step.alsoTouches].find((arn) => {
    const lower = arn.toLowerCase();
    const wanted = name.toLowerCase();
    return lower.includes(':group/') && (lower.endsWith(`:group/${wanted}`) || (lower.endsWith(`/${wanted}`) && lower.indexOf(':group/') + ':group/'.length <= lower.length - wanted.length - 1));
  }) ?? entityArn(account, 'group', '/', name);
  switch (op.op) {
    case 'createPolicy':
      return [on('iam:CreatePolicy'), ...(op.tags.length ? [on('iam:TagPolicy')] : [])];
    case 'updatePolicyDocument':
      return [on('iam:CreatePolicyVersion')];
    case 'tagPolicy':
      return [on('iam:TagPolicy')];
    case 'untagPolicy':
      return [on('iam:UntagPolicy')];
    case 'createGroup':
      return [on('iam:CreateGroup')];
    case 'createUser':
      return [on('iam:CreateUser'), ...(op.tags.length ? [on('iam:TagUser')] : []), ...(op.boundary ? [on('iam:PutUserPermissionsBoundary')] : [])];
    case 'createRole':
      return [on('iam:CreateRole'), ...(op.tags.length ? [on('iam:TagRole')] : []), ...(op.boundary ? [on('iam:PutRolePermissionsBoundary')] : [])];
    case 'movePath':
      return [on(op.kind === 'user' ? 'iam:UpdateUser' : 'iam:UpdateGroup')];
    case 'rename': {
      // IAM asks for the permission on both the old and the new name's ARN.
      const action = op.kind === 'user' ? 'iam:UpdateUser' : 'iam:UpdateGroup';
      return [on(action), on(action, step.alsoTouches[0] ?? entityArn(account, op.kind, '/', op.newName))];
    }
    case 'updateRole':
      return [on('iam:UpdateRole')];
    case 'updateTrust':
      return [on('iam:UpdateAssumeRolePolicy')];
    case 'putInline':
      return [on(`iam:Put${kind(op.kind)}Policy`)];
    case 'deleteInline':
      return [on(`iam:Delete${kind(op.kind)}Policy`)];
    case 'attach':
      return [on(`iam:Attach${kind(op.kind)}Policy`)];
    case 'detach':
      return [on(`iam:Detach${kind(op.kind)}Policy`)];
    case 'setBoundary':
      return [on(`iam:Put${kind(op.kind)}PermissionsBoundary`)];
    case 'deleteBoundary':
      return [on(`iam:Delete${kind(op.kind)}PermissionsBoundary`)];
    case 'addToGroup':
      return [on('iam:AddUserToGroup', groupArn(op.group))];
    case 'removeFromGroup':
      return [on('iam:RemoveUserFromGroup', groupArn(op.group))];
    case 'tag':
      return [on(`iam:Tag${kind(op.kind)}`)];
    case 'untag':
      return [on(`iam:Untag${kind(op.kind)}`)];
    case 'addToInstanceProfile':
      return [on('iam:AddRoleToInstanceProfile', entityArn(account, 'instance-profile', '/', op.profile))];
    case 'removeFromInstanceProfile':
      return [on('iam:RemoveRoleFromInstanceProfile', entityArn(account, 'instance-profile', '/', op.profile))];
    case 'deleteInstanceProfile':
      return [on('iam:DeleteInstanceProfile', entityArn(account, 'instance-profile', '/', op.name))];
    case 'createInstanceProfile':
      return [on('iam:CreateInstanceProfile', entityArn(account, 'instance-profile', op.path, op.name))];
    case 'deleteLoginProfile':
      return [on('iam:DeleteLoginProfile')];
    case 'deleteAccessKey':
      return [on('iam:DeleteAccessKey')];
    case 'deleteUser':
      return [on('iam:DeleteUser')];
    case 'deleteGroup':
      return [on('iam:DeleteGroup')];
    case 'deleteRole':
      return [on('iam:DeleteRole')];
    case 'deletePolicy':
      return [on('iam:DeletePolicy')];
    // Account settings name no resource: IAM authorizes them on "*".
    case 'updatePasswordPolicy':
      return [on('iam:UpdateAccountPasswordPolicy', '*')];
    case 'deletePasswordPolicy':
      return [on('iam:DeleteAccountPasswordPolicy', '*')];
    case 'setAccountAlias':
      return [...(op.previous !== null ? [on('iam:DeleteAccountAlias', '*')] : []), ...(op.alias !== null ? [on('iam:CreateAccountAlias', '*')] : [])];
    case 'createOidcProvider':
    case 'createSamlProvider':
    case 'addProviderClientId':
    case 'removeProviderClientId':
    case 'setProviderThumbprints':
    case 'updateSamlMetadata':
    case 'tagProvider':
    case 'untagProvider':
    case 'deleteProvider':
      return providerStepActions(op).map((action) => on(action));
  }
}

/**
 * Steps the caller certainly cannot run, judged on the states before and after the change; none when the caller is
 * not a principal of the account (another account's role, an SSO session the snapshot does not hold).
 */
export function forbiddenSteps(steps: readonly Step[], states: { before: IamState; after: IamState }, caller: string | undefined, options: EvaluateOptions): ForbiddenStep[] {
  if (!caller) return [];
  const sides = [states.before, states.after].flatMap((state) => {
    const documents = new PrincipalResolver(state).documents(caller);
    return documents ? [generous(documents)] : [];
  });
  if (sides.length === 0) return [];
  const entity = parseEntityArn(caller);
  const user = entity?.kind === 'user' ? entity.name : undefined;
  const context = { 'aws:PrincipalArn': caller, ...(user ? { 'aws:username': user } : {}) };
  const forbidden: ForbiddenStep[] = [];
  for (const step of steps) {
    for (const { action, resource } of stepPermissions(step, states.before.account)) {
      const request = { principal: caller, action, resource, context };
      if (!sides.some((policies) => evaluate(policies, request, options).decision === 'Allowed')) {
        forbidden.push({ step, action, resource });
        break;
      }
    }
  }
  return forbidden;
}

/** The caller's policies with every Allow's condition met and every conditional Deny dropped. */
function generous(documents: { identity: readonly NamedDocument[]; boundary?: NamedDocument }): PrincipalPolicies {
  const loosen = (d: NamedDocument) =>
    compilePolicy(d.name, {
      ...d.document,
      Statement: statementsOf(d.document)
        .filter((s) => s['Effect'] !== 'Deny' || s['Condition'] === undefined)
        .map(({ Condition: _condition, ...rest }) => rest),
    } as PolicyJson);
  return { identity: documents.identity.map(loosen), ...(documents.boundary ? { boundary: loosen(documents.boundary) } : {}) };
}
