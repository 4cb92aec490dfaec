/**
 * Risk findings, judged on effective permissions (the evaluation engine), never on names or on single
 * statements: a path blocked by a Deny, by the permissions boundary, by a condition that cannot hold at `now`, or
 * by resources that match nothing exploitable is not reported.
 *
 * Severity: critical where the principal can make itself an administrator with nothing else; high where the
 * path needs nothing the snapshot does not show; medium where it depends on resources a snapshot cannot see
 * (existing functions, stacks, instances) or only reaches other principals; low for hygiene.
 */
import { isAwsOwnedPath } from '../core/arn.js';
import type { AcceptedRisk } from '../core/finding-codes.js';
import { isPlainObject, statementsOf } from '../core/policy.js';
import type { RoleState } from '../core/state.js';
import { isPatternStringOperator } from '../core/condition-operators.js';
import type { EffectiveAccess, Principal } from './effective-access.js';
import type { RequestContext } from '../evaluate/types.js';
import { accountOf, admitsSomeRequest, ANYONE, compiledTrust, outsiders, principalEntries, sideFor, type CompiledTrust } from './trust-principals.js';

export type FindingSeverity = 'critical' | 'high' | 'medium' | 'low';

export interface Finding {
  /** Stable identifier of the kind of risk, e.g. `PRIVESC_CREATE_POLICY_VERSION`. */
  readonly code: string;
  readonly severity: FindingSeverity;
  /** ARN of the principal that holds the risk (for trust findings, the role). */
  readonly principal: string;
  readonly summary: string;
  readonly detail: string;
  /** The resources the path uses, when it names some (policies, roles, users). */
  readonly targets?: readonly string[];
  /** Added field: the reason the Account manifest gives for accepting this risk; accepted risks never fail a run. */
  readonly accepted?: string;
}

/** Findings with the Account manifest's accepted risks marked (by principal ARN and code). */
export function withAcceptedRisks<F extends Finding>(findings: readonly F[], accepted: readonly AcceptedRisk[]): F[] {
  if (accepted.length === 0) return [...findings];
  const reasons = new Map(accepted.map((r) => [`${r.principal}|${r.code}`, r.reason]));
  return findings.map((f) => {
    const reason = reasons.get(`${f.principal}|${f.code}`);
    return reason === undefined ? f : { ...f, accepted: reason };
  });
}

/**
 * The findings that fail a run at `threshold`: not accepted, at or above it, and (in a plan) introduced or raised
 * by the change. `never` fails nothing.
 */
export function failingFindings<F extends Finding & { readonly change?: 'introduced' | 'removed' }>(findings: readonly F[], threshold: FindingSeverity | 'never'): F[] {
  if (threshold === 'never') return [];
  const limit = SEVERITY_ORDER.indexOf(threshold);
  return findings.filter((f) => f.accepted === undefined && f.change !== 'removed' && SEVERITY_ORDER.indexOf(f.severity) <= limit);
}

export const SEVERITY_ORDER: readonly FindingSeverity[] = ['critical', 'high', 'medium', 'low'];

/** Actions that together mean "everything": a principal allowed all of them on every resource is an administrator. */
const ADMIN_PROBES = ['iam:CreateUser', 'iam:AttachRolePolicy', 'iam:PutUserPolicy', 'ec2:RunInstances', 's3:DeleteBucket', 'lambda:CreateFunction', 'kms:ScheduleKeyDeletion', 'dynamodb:DeleteTable', 'cloudtrail:StopLogging', 'organizations:LeaveOrganization', 'sts:AssumeRole', 'secretsmanager:GetSecretValue'];

/** Services that run code with a role passed to them, and what it takes to start that code. */
const COMPUTE_SERVICES: readonly { service: string; name: string; ways: readonly (readonly string[])[] }[] = [
  { service: 'ec2.amazonaws.com', name: 'EC2 instances', ways: [['ec2:RunInstances']] },
  { service: 'lambda.amazonaws.com', name: 'Lambda functions', ways: [['lambda:CreateFunction', 'lambda:InvokeFunction'], ['lambda:CreateFunction', 'lambda:CreateEventSourceMapping'], ['lambda:CreateFunction', 'lambda:AddPermission']] },
  { service: 'cloudformation.amazonaws.com', name: 'CloudFormation stacks', ways: [['cloudformation:CreateStack'], ['cloudformation:CreateStackSet']] },
  { service: 'glue.amazonaws.com', name: 'Glue development endpoints and jobs', ways: [['glue:CreateDevEndpoint'], ['glue:CreateJob', 'glue:StartJobRun']] },
  { service: 'datapipeline.amazonaws.com', name: 'Data Pipeline pipelines', ways: [['datapipeline:CreatePipeline', 'datapipeline:PutPipelineDefinition']] },
  { service: 'sagemaker.amazonaws.com', name: 'SageMaker notebooks and jobs', ways: [['sagemaker:CreateNotebookInstance', 'sagemaker:CreatePresignedNotebookInstanceUrl'], ['sagemaker:CreateTrainingJob'], ['sagemaker:CreateProcessingJob']] },
  { service: 'codebuild.amazonaws.com', name: 'CodeBuild projects', ways: [['codebuild:CreateProject', 'codebuild:StartBuild'], ['codebuild:CreateProject', 'codebuild:StartBuildBatch']] },
  { service: 'ecs-tasks.amazonaws.com', name: 'ECS tasks', ways: [['ecs:RegisterTaskDefinition', 'ecs:RunTask']] },
];

/** Code execution through resources that already exist, which a snapshot cannot list. */
const EXISTING_RESOURCE_PATHS: readonly { actions: readonly string[]; code: string; what: string }[] = [
  { actions: ['lambda:UpdateFunctionCode'], code: 'PRIVESC_UPDATE_FUNCTION_CODE', what: 'replace the code of existing Lambda functions, which then run with their roles' },
  { actions: ['cloudformation:UpdateStack'], code: 'PRIVESC_UPDATE_STACK', what: 'update existing CloudFormation stacks, which act with their service roles' },
  { actions: ['glue:UpdateDevEndpoint'], code: 'PRIVESC_UPDATE_GLUE_ENDPOINT', what: 'put its SSH key on existing Glue development endpoints and use their roles' },
  { actions: ['ssm:SendCommand'], code: 'PRIVESC_SSM_SEND_COMMAND', what: 'run commands on existing managed instances, with their instance roles' },
  { actions: ['ssm:StartSession'], code: 'PRIVESC_SSM_START_SESSION', what: 'open shells on existing managed instances, with their instance roles' },
  { actions: ['ec2-instance-connect:SendSSHPublicKey'], code: 'PRIVESC_EC2_INSTANCE_CONNECT', what: 'log in to existing EC2 instances through Instance Connect, with their instance roles' },
  { actions: ['ec2-instance-connect:SendSerialConsoleSSHPublicKey'], code: 'PRIVESC_EC2_SERIAL_CONSOLE', what: 'reach existing EC2 instances through the serial console, with their instance roles' },
  { actions: ['sagemaker:CreatePresignedNotebookInstanceUrl'], code: 'PRIVESC_SAGEMAKER_NOTEBOOK_URL', what: 'open existing SageMaker notebooks, which run with their roles' },
];

/**
 * Findings for the account, or only for the principals in `only` (and the trust of roles in it): a plan asks only
 * about the principals its changes can affect.
 */
export function findRisks(access: EffectiveAccess, only?: ReadonlySet<string>): Finding[] {
  const findings: Finding[] = [];
  const own = new Map<string, Finding[]>();
  const ownRisks = (principal: Principal): Finding[] => {
    let found = own.get(principal.arn);
    if (!found) {
      found = principalRisks(access, principal);
      own.set(principal.arn, found);
    }
    return found;
  };
  const principals = access.principals().filter((p) => !only || only.has(p.arn));
  for (const principal of principals) findings.push(...ownRisks(principal));
  // Reaching a role that holds a serious risk of its own is that risk, one step removed.
  for (const principal of principals) {
    // An administrator gains nothing from another role.
    if (ownRisks(principal).some((f) => f.code === 'FULL_ADMIN')) continue;
    for (const role of access.reachableRoles(principal)) {
      const worst = worstOf(ownRisks(role));
      if (!worst || SEVERITY_ORDER.indexOf(worst.severity) > SEVERITY_ORDER.indexOf('high')) continue;
      findings.push({
        code: 'PRIVESC_ASSUME_STRONGER_ROLE',
        severity: worst.severity,
        principal: principal.arn,
        summary: `can assume role ${role.name}, which ${worst.code === 'FULL_ADMIN' ? 'is an administrator' : `holds ${worst.code}`}`,
        detail: `The role's trust policy lets this principal (or a role it reaches) assume it, and the role ${worst.summary}.`,
        targets: [role.arn],
      });
    }
  }
  for (const role of access.state.roles.values()) {
    if (!isAwsOwnedPath(role.path) && (!only || only.has(role.arn))) findings.push(...trustRisks(role, access.state.account, access.now, access.trustStatements(role)));
  }
  return sortFindings(findings);
}

export function sortFindings(findings: readonly Finding[]): Finding[] {
  return [...findings].sort(
    (a, b) => SEVERITY_ORDER.indexOf(a.severity) - SEVERITY_ORDER.indexOf(b.severity) || a.principal.localeCompare(b.principal) || a.code.localeCompare(b.code),
  );
}

function worstOf(findings: readonly Finding[]): Finding | undefined {
  return sortFindings(findings)[0];
}

function principalRisks(access: EffectiveAccess, p: Principal): Finding[] {
  const state = access.state;
  const out: Finding[] = [];
  const add = (code: string, severity: FindingSeverity, summary: string, detail: string, targets?: readonly string[]): void => {
    out.push({ code, severity, principal: p.arn, summary, detail, ...(targets && targets.length ? { targets: targets.slice(0, 10) } : {}) });
  };

  if (ADMIN_PROBES.every((action) => access.can(p, action, '*'))) {
    add('FULL_ADMIN', 'critical', 'is an administrator: allowed every action on every resource', 'Its policies allow everything (as AdministratorAccess does). Grant only the services it needs.');
    return out; // every escalation below is implied
  }

  const lists = access.lists;
  const groups = p.kind === 'user' ? p.groups.map((g) => state.groups.get(g.toLowerCase())).filter((g) => g !== undefined) : [];
  const groupArns = groups.map((g) => g.arn);
  const ownPolicies = [...new Set([...p.managedPolicies, ...groups.flatMap((g) => g.managedPolicies), ...(p.permissionsBoundary ? [p.permissionsBoundary] : [])])].filter((arn) => lists.customerPolicies.has(arn));
  const reachable = access.reachableRoles(p);
  const reachableArns = new Set(reachable.map((r) => r.arn));
  // Target lists are built only when the principal can perform the action on some resource at all.
  const otherUsers = (): string[] => lists.users.filter((arn) => arn !== p.arn);
  const otherGroups = (): string[] => lists.groups.map((g) => g.arn).filter((arn) => !groupArns.includes(arn));
  const allRoleArns = (): string[] => lists.roles.map((r) => r.arn);
  const unreachableRoles = (): string[] => lists.roles.filter((r) => r.arn !== p.arn && !reachableArns.has(r.arn)).map((r) => r.arn);

  const onOwnPolicy = access.allowedOn(p, 'iam:CreatePolicyVersion', ownPolicies);
  if (onOwnPolicy.length) add('PRIVESC_CREATE_POLICY_VERSION', 'critical', 'can rewrite a policy that applies to itself (iam:CreatePolicyVersion)', 'A new default version of its own managed policy can grant it anything.', onOwnPolicy);
  const setDefault = access.allowedOn(p, 'iam:SetDefaultPolicyVersion', ownPolicies);
  if (setDefault.length) add('PRIVESC_SET_DEFAULT_POLICY_VERSION', 'medium', 'can switch a policy that applies to itself to another version (iam:SetDefaultPolicyVersion)', 'Any older version of its policy can become the one in force; the snapshot holds only the default version, so what older versions grant is unseen.', setDefault);

  const self = p.arn;
  if (p.kind === 'user') {
    const onSelf = ['iam:AttachUserPolicy', 'iam:PutUserPolicy'].filter((a) => access.can(p, a, self));
    if (onSelf.length) add('PRIVESC_POLICY_ON_SELF', 'critical', `can give itself any permission (${onSelf.join(', ')})`, 'It may attach or write a policy on its own user, such as AdministratorAccess.', [self]);
    const onGroup = ['iam:AttachGroupPolicy', 'iam:PutGroupPolicy'].flatMap((a) => access.allowedOn(p, a, groupArns));
    if (onGroup.length) add('PRIVESC_POLICY_ON_OWN_GROUP', 'critical', 'can give its own group any permission (iam:AttachGroupPolicy / iam:PutGroupPolicy)', 'It may attach or write a policy on a group it belongs to.', [...new Set(onGroup)]);
    const withPolicies = (): string[] => lists.groups.filter((g) => !groupArns.includes(g.arn) && (g.managedPolicies.length > 0 || Object.keys(g.inlinePolicies).length > 0)).map((g) => g.arn);
    const strongerGroups = access.allowedOn(p, 'iam:AddUserToGroup', withPolicies);
    if (strongerGroups.length) add('PRIVESC_ADD_USER_TO_GROUP', 'critical', 'can add itself to groups with more permissions (iam:AddUserToGroup)', 'Joining a group gives it the group\'s policies.', strongerGroups);
  } else {
    const onSelf = ['iam:AttachRolePolicy', 'iam:PutRolePolicy'].filter((a) => access.can(p, a, self));
    if (onSelf.length) add('PRIVESC_POLICY_ON_SELF', 'critical', `can give itself any permission (${onSelf.join(', ')})`, 'It may attach or write a policy on its own role, such as AdministratorAccess.', [self]);
  }
  const onReachable = ['iam:AttachRolePolicy', 'iam:PutRolePolicy'].flatMap((a) => access.allowedOn(p, a, reachable.map((r) => r.arn)));
  if (onReachable.length) add('PRIVESC_POLICY_ON_ASSUMABLE_ROLE', 'critical', 'can give any permission to a role it can assume (iam:AttachRolePolicy / iam:PutRolePolicy)', 'It may attach a policy to the role and then assume it.', [...new Set(onReachable)]);

  const trustEdit = access.allowedOn(p, 'iam:UpdateAssumeRolePolicy', allRoleArns);
  if (trustEdit.length) add('PRIVESC_UPDATE_ASSUME_ROLE_POLICY', 'critical', 'can make roles trust it (iam:UpdateAssumeRolePolicy)', 'A trust policy naming its ARN lets it assume the role without any other permission in this account.', trustEdit);

  for (const [action, code, what] of [
    ['iam:CreateAccessKey', 'PRIVESC_CREATE_ACCESS_KEY', 'create access keys for'],
    ['iam:CreateLoginProfile', 'PRIVESC_CREATE_LOGIN_PROFILE', 'set console passwords of'],
    ['iam:UpdateLoginProfile', 'PRIVESC_UPDATE_LOGIN_PROFILE', 'change console passwords of'],
  ] as const) {
    const users = access.allowedOn(p, action, otherUsers);
    if (users.length) add(code, 'high', `can ${what} ${users.length} other user${users.length === 1 ? '' : 's'} (${action})`, 'It can sign in as those users and act with their permissions.', users);
  }

  const others = [
    ...(['iam:AttachUserPolicy', 'iam:PutUserPolicy'] as const).flatMap((a) => access.allowedOn(p, a, otherUsers)),
    ...(['iam:AttachGroupPolicy', 'iam:PutGroupPolicy', ...(p.kind === 'role' ? ['iam:AddUserToGroup'] : [])] as const).flatMap((a) => access.allowedOn(p, a, otherGroups)),
    ...(['iam:AttachRolePolicy', 'iam:PutRolePolicy'] as const).flatMap((a) => access.allowedOn(p, a, unreachableRoles)),
  ];
  if (others.length && !out.some((f) => f.severity === 'critical')) {
    add('PERMISSIONS_OF_OTHERS', 'medium', 'can change the permissions of other users, groups or roles', 'It cannot use them directly, but whoever holds those principals gains what it grants.', [...new Set(others)]);
  }

  const viaCompute: { name: string; way: readonly string[]; roles: string[] }[] = [];
  for (const compute of COMPUTE_SERVICES) {
    const way = compute.ways.find((actions) => actions.every((a) => access.can(p, a, '*')));
    if (!way) continue;
    const trusting = (): string[] => lists.roles.filter((r) => r.arn !== p.arn && trustsService(access, r, compute.service)).map((r) => r.arn);
    const roles = access.allowedOn(p, 'iam:PassRole', trusting, { 'iam:PassedToService': compute.service });
    if (roles.length) viaCompute.push({ name: compute.name, way, roles });
  }
  if (viaCompute.length) {
    add(
      'PRIVESC_PASS_ROLE_TO_COMPUTE',
      'high',
      `can run its own code as other roles through ${viaCompute.map((v) => v.name).join(', ')} (iam:PassRole)`,
      viaCompute.map((v) => `${v.name}: ${v.way.join(' + ')} with iam:PassRole on ${v.roles.length} role${v.roles.length === 1 ? '' : 's'}`).join('; '),
      [...new Set(viaCompute.flatMap((v) => v.roles))],
    );
  }
  for (const path of EXISTING_RESOURCE_PATHS) {
    if (path.actions.every((a) => access.can(p, a, '*'))) add(path.code, 'medium', `can ${path.what}`, 'Whether such resources exist is not in an IAM snapshot; if they do, this is an escalation path.');
  }
  if (access.can(p, 'iam:PassRole', `arn:aws:iam::${state.account}:role/iam-gitops-any-role`, { 'iam:PassedToService': 'iam-gitops-any-service.amazonaws.com' })) {
    add('PASS_ROLE_WILDCARD', 'medium', 'can pass any role to any service (iam:PassRole on *)', 'Restrict iam:PassRole to the roles it must pass, and iam:PassedToService to their services.');
  }
  return out;
}

/** Whether the service can assume the role (its trust admits it for sts:AssumeRole in some request). */
function trustsService(access: EffectiveAccess, role: RoleState, service: string): boolean {
  const trust = access.trustStatements(role);
  const named = trust.some((t) => principalEntries(t.statement['Principal']).some(([type, id]) => type === 'Service' && id.toLowerCase() === service));
  if (!named) return false;
  const [serviceWho] = outsiders([role], access.state.account).filter((o) => o.type === 'Service' && o.shown.toLowerCase() === service);
  return serviceWho !== undefined && admitsSomeRequest(trust, serviceWho, {}, [], access.now) !== undefined;
}

/** Keys that say who a caller is: a stranger has its own values for them (or none), never the ones a policy names. */
const STRANGER: RequestContext = {
  'aws:PrincipalAccount': '999999999990',
  'aws:PrincipalArn': 'arn:aws:iam::999999999990:role/iam-gitops-stranger',
  'aws:PrincipalOrgID': 'o-iamgitopsstranger',
  'aws:PrincipalOrgPaths': 'o-iamgitopsstranger/r-none/',
  'aws:userid': 'AROAIAMGITOPSSTRANGER:session',
};
const STRANGER_LACKS = ['aws:SourceAccount', 'aws:SourceArn', 'aws:SourceOrgID', 'aws:SourceOrgPaths', 'aws:PrincipalTag', 'aws:username'];
const UNKNOWN_EXTERNAL_ID = 'iam-gitops-unknown-external-id';

/**
 * Web identity providers that are not an IAM OIDC provider (no client id list for STS to check the token's audience
 * against), with the claim that names the application a token was issued to.
 */
const AUDIENCE_CLAIMS: Readonly<Record<string, string>> = {
  'accounts.google.com': 'accounts.google.com:aud',
  'cognito-identity.amazonaws.com': 'cognito-identity.amazonaws.com:aud',
  'graph.facebook.com': 'graph.facebook.com:app_id',
  'www.amazon.com': 'www.amazon.com:app_id',
};

/**
 * Risks in who may assume a role, judged over every request a would-be assumer can make (a condition any caller
 * meets protects nothing): anyone; all of another account without an external id; every identity of an OIDC
 * provider (no subject pinned) or of a web identity provider (no audience pinned); a wildcard OIDC subject.
 */
export function trustRisks(role: RoleState, account: string, now: Date, trust: readonly CompiledTrust[] = compiledTrust(role)): Finding[] {
  const out: Finding[] = [];
  const add = (code: string, severity: FindingSeverity, summary: string, detail: string): void => {
    out.push({ code, severity, principal: role.arn, summary, detail });
  };
  const who = outsiders([role], account);
  const guarded = (statement: CompiledTrust): string => (statement.compiled.conditions.length ? `; its conditions (${statement.compiled.conditions.map((e) => e.written).join(', ')}) are met by any caller` : '');

  const anyone = who.find((o) => o.type === 'AWS' && o.shown === ANYONE && trust.some((t) => principalEntries(t.statement['Principal']).some(([type, id]) => type === 'AWS' && id === '*')));
  if (anyone) {
    const stranger = { ...STRANGER };
    const blind = admitsSomeRequest(trust, anyone, { ...stranger, 'sts:ExternalId': UNKNOWN_EXTERNAL_ID }, STRANGER_LACKS, now) ?? admitsSomeRequest(trust, anyone, stranger, [...STRANGER_LACKS, 'sts:ExternalId'], now);
    if (blind) {
      add('TRUST_ANYONE', 'critical', `role ${role.name} trusts every AWS principal ("*")${guarded(blind.statement)}`, 'Anyone with an AWS account can assume it. Name the accounts or roles that need it.');
    } else if (admitsSomeRequest(trust, anyone, stranger, STRANGER_LACKS, now)) {
      add('TRUST_ANYONE', 'high', `role ${role.name} trusts every AWS principal ("*"), limited only by an sts:ExternalId`, 'Anyone with an AWS account who learns the external id can assume it. Name the accounts or roles that need it.');
    }
  }
  const external = who.filter((o) => o.type === 'AWS' && o.shown !== ANYONE && o.shown.endsWith(':root') && accountOf(o.shown) !== account);
  const withoutId = external.filter((o) => admitsSomeRequest(trust, o, { 'sts:ExternalId': UNKNOWN_EXTERNAL_ID }, [], now) ?? admitsSomeRequest(trust, o, {}, ['sts:ExternalId'], now));
  if (withoutId.length) {
    add('TRUST_EXTERNAL_ACCOUNT_WITHOUT_EXTERNAL_ID', 'high', `role ${role.name} trusts all of account ${withoutId.map((o) => accountOf(o.shown)).join(', ')} without an sts:ExternalId condition`, 'Any principal of that account that its own policies allow can assume this role (the confused-deputy problem). Require sts:ExternalId, or name a role instead of the account.');
  }
  for (const provider of who.filter((o) => o.type === 'Federated' && o.shown !== ANYONE)) {
    const id = provider.shown;
    if (id.includes(':oidc-provider/')) {
      const host = id.split(':oidc-provider/')[1]!;
      const subKey = `${host}:sub`;
      const anySubject = admitsSomeRequest(trust, provider, { [subKey]: 'iam-gitops-any-subject' }, [], now) ?? admitsSomeRequest(trust, provider, {}, [subKey], now);
      if (anySubject) {
        add('TRUST_OIDC_WITHOUT_SUBJECT', 'critical', `role ${role.name} trusts ${host} without a condition on its subject (sub)${guarded(anySubject.statement)}`, `Every identity of ${host} (for GitHub: every repository of every owner) can assume it. Add a StringEquals condition on ${host}:sub.`);
        continue;
      }
      const patterns = wildcardSubjects(sideFor(trust, provider).allows, subKey.toLowerCase());
      if (patterns.length > 0) {
        // A wildcard before the repository is pinned admits other repositories or owners; after it, other branches.
        const broad = patterns.some((v) => v.startsWith('*') || v.startsWith('?') || /^repo:[^/]*[*?]/.test(v) || /^repo:[^/]+\/[^:]*[*?]/.test(v));
        add('TRUST_OIDC_WILDCARD_SUBJECT', broad ? 'high' : 'medium', `role ${role.name} trusts ${host} with a wildcard subject (${patterns.join(', ')})`, broad ? 'The pattern admits other repositories or owners. Pin the repository and, for deploy roles, the branch or environment.' : 'The pattern admits every branch, tag, pull request and environment of the repository. Pin the branch or environment that deploys.');
      }
    } else if (!id.startsWith('arn:')) {
      const audienceKey = AUDIENCE_CLAIMS[id.toLowerCase()] ?? `${id}:aud`;
      const anyApp = admitsSomeRequest(trust, provider, { [audienceKey]: 'iam-gitops-any-application' }, [], now) ?? admitsSomeRequest(trust, provider, {}, [audienceKey], now);
      if (anyApp) {
        add('TRUST_WEB_IDENTITY_WITHOUT_AUDIENCE', 'critical', `role ${role.name} trusts ${id} without a condition on the token's audience (${audienceKey})${guarded(anyApp.statement)}`, `A token ${id} issued to any application, anyone's, can assume it: STS does not check the audience of this provider. Add a StringEquals condition on ${audienceKey} with your application's id.`);
      }
    }
  }
  return out;
}

/** The wildcard subjects of the statements admitting an OIDC provider: patterns under StringLike (and its forms). */
function wildcardSubjects(allows: readonly CompiledTrust[], subKey: string): string[] {
  // Only positive pattern operators read * and ? as wildcards: under StringEquals, "repo:acme/*" is the literal text.
  return [...new Set(allows.flatMap((t) => t.compiled.conditions.filter((e) => e.key === subKey && isPatternStringOperator(e.operator) && !/Not/i.test(e.operator)).flatMap((e) => e.values.filter((v) => /[*?]/.test(v)))))];
}



