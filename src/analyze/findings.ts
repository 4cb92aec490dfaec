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
import type { AcceptedRisk, FindingCode } from '../core/finding-codes.js';
import { conditionWords } from '../core/condition-words.js';
import type { ConditionEntry } from '../evaluate/request-space.js';
import type { RoleState } from '../core/state.js';
import { isPatternStringOperator } from '../core/condition-operators.js';
import type { EffectiveAccess, Principal } from './effective-access.js';
import type { RequestContext } from '../evaluate/types.js';
import { accountOf, admitsSomeRequest, ANYONE, compiledTrust, outsiders, principalEntries, sideFor, type CompiledTrust } from './trust-principals.js';

import { SEVERITY_ORDER, type FindingSeverity } from '../core/severity.js';

// Defined with the other severity constants (core/severity.ts); re-exported for the callers that import them here.
export { SEVERITY_ORDER, type FindingSeverity };

export interface Finding {
  /** Stable identifier of the kind of risk, e.g. `PRIVESC_CREATE_POLICY_VERSION`. */
  readonly code: FindingCode;
  readonly severity: FindingSeverity;
  /** ARN of the principal that holds the risk (for trust findings, the role). */
  readonly principal: string;
  readonly summary: string;
  readonly detail: string;
  /** The resources the path uses, when it names some (policies, roles, users). */
  readonly targets?: readonly string[];
  /** Added field: the reason the Account manifest gives for accepting this risk; accepted risks never fail a run. */
  readonly accepted?: string;
  /**
   * Added field, on `PRIVESC_TO_ADMIN`: each way the principal can make itself an administrator, by the code that
   * names that kind of path (PRIVESC_POLICY_ON_SELF, PRIVESC_CREATE_ACCESS_KEY for a user who is one, ...).
   */
  readonly paths?: readonly { readonly code: FindingCode; readonly summary: string; readonly targets?: readonly string[] }[];
}

/**
 * Findings with the Account manifest's accepted risks marked (by principal ARN and code). A path to administrator
 * access is accepted as itself (PRIVESC_TO_ADMIN), or when every way it lists is (by their codes).
 */
export function withAcceptedRisks<F extends Finding>(findings: readonly F[], accepted: readonly AcceptedRisk[]): F[] {
  if (accepted.length === 0) return [...findings];
  const reasons = new Map(accepted.map((r) => [`${r.principal}|${r.code}`, r.reason]));
  return findings.map((f) => {
    const reason = reasons.get(`${f.principal}|${f.code}`) ?? acceptedPaths(f, reasons);
    return reason === undefined ? f : { ...f, accepted: reason };
  });
}

function acceptedPaths(f: Finding, reasons: ReadonlyMap<string, string>): string | undefined {
  if (!f.paths?.length) return undefined;
  const each = f.paths.map((p) => reasons.get(`${f.principal}|${p.code}`));
  return each.every((r) => r !== undefined) ? [...new Set(each)].join('; ') : undefined;
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
const EXISTING_RESOURCE_PATHS: readonly { actions: readonly string[]; code: FindingCode; what: string }[] = [
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
 * about the principals its changes can affect (see src/analyze/plan-findings.ts).
 */
export function findRisks(access: EffectiveAccess, only?: ReadonlySet<string>): Finding[] {
  const risks = riskAnalysis(access);
  const findings: Finding[] = [];
  for (const principal of access.principals()) if (!only || only.has(principal.arn)) findings.push(...risks.findings(principal));
  for (const role of access.state.roles.values()) {
    if (!isAwsOwnedPath(role.path) && (!only || only.has(role.arn))) findings.push(...trustRisks(role, access.state.account, access.now, access.trustStatements(role), () => roleWorth(access, risks, role)));
  }
  return sortFindings(findings);
}

/** What assuming the role is worth to an outsider: administrator access (it is one or can make itself one), or less. */
export type RoleWorth = 'admin' | 'can-become-admin' | 'lesser';

function roleWorth(access: EffectiveAccess, risks: RiskAnalysis, role: RoleState): RoleWorth {
  const principal = access.principalByArn(role.arn);
  if (principal === undefined || !risks.canBecomeAdmin(principal)) return 'lesser';
  return risks.factsOf(principal).admin ? 'admin' : 'can-become-admin';
}

export function sortFindings<F extends Finding>(findings: readonly F[]): F[] {
  return [...findings].sort(
    (a, b) => SEVERITY_ORDER.indexOf(a.severity) - SEVERITY_ORDER.indexOf(b.severity) || a.principal.localeCompare(b.principal) || a.code.localeCompare(b.code),
  );
}

/**
 * One way a principal can gain more than it has: it gains any permission (a policy on itself), or what other
 * principals can do (it takes them over, assumes them, passes them to code it runs, or joins a group).
 */
interface EscalationPath {
  readonly code: FindingCode;
  readonly summary: string;
  readonly detail: string;
  readonly targets: readonly string[];
  readonly gains: 'anything' | readonly Principal[];
  /** When what it gains is not administrator access. */
  readonly severity: FindingSeverity;
  /** Said after the summary when the path does not end in administrator access. */
  readonly lesser?: string;
  /** How each of `gains` is named in words, where the target ARN does not say it (a version of a policy). */
  readonly labels?: readonly string[];
}

/** What one principal can do on its own: be an administrator, escalate, or hold lesser risks. */
interface PrincipalFacts {
  /** Allowed every action on every resource; `when` says under which condition, where one is needed. */
  readonly admin?: { readonly when?: string };
  readonly paths: readonly EscalationPath[];
  readonly other: readonly Finding[];
}

/**
 * The account's risks as a graph: each principal's own facts, and whether it can make itself an administrator,
 * which holds when it is one, or has a path that gains anything, or gains a principal that can. Facts are computed
 * once per principal (value) and kept with the EffectiveAccess they judge.
 */
class RiskAnalysis {
  private readonly facts = new Map<Principal, PrincipalFacts>();
  private readonly admins = new Map<Principal, boolean>();

  constructor(private readonly access: EffectiveAccess) {}

  factsOf(p: Principal): PrincipalFacts {
    let found = this.facts.get(p);
    if (!found) this.facts.set(p, (found = principalFacts(this.access, p, this)));
    return found;
  }

  /** Whether the principal can make itself an administrator, through any chain of paths. */
  canBecomeAdmin(p: Principal): boolean {
    const known = this.admins.get(p);
    if (known !== undefined) return known;
    // Every principal reachable through paths, then the least fixed point over them (chains may loop).
    const seen = new Set<Principal>([p]);
    const order: Principal[] = [p];
    for (let i = 0; i < order.length; i++) {
      for (const path of this.factsOf(order[i]!).paths) {
        if (path.gains === 'anything') continue;
        for (const t of path.gains) {
          if (seen.has(t) || this.admins.has(t)) continue;
          seen.add(t);
          order.push(t);
        }
      }
    }
    const admin = new Set<Principal>();
    const holds = (x: Principal): boolean => admin.has(x) || this.admins.get(x) === true;
    let changed = true;
    while (changed) {
      changed = false;
      for (const x of order) {
        if (admin.has(x)) continue;
        const f = this.factsOf(x);
        if (f.admin || f.paths.some((path) => path.gains === 'anything' || path.gains.some(holds))) {
          admin.add(x);
          changed = true;
        }
      }
    }
    for (const x of order) this.admins.set(x, admin.has(x));
    return admin.has(p);
  }

  findings(p: Principal): Finding[] {
    const f = this.factsOf(p);
    const finding = (code: FindingCode, severity: FindingSeverity, summary: string, detail: string, targets: readonly string[] = [], paths?: readonly EscalationPath[]): Finding => ({
      code,
      severity,
      principal: p.arn,
      summary,
      detail,
      ...(targets.length ? { targets: [...new Set(targets)].slice(0, 10) } : {}),
      ...(paths ? { paths: paths.map((x) => ({ code: x.code, summary: x.summary, ...(x.targets.length ? { targets: x.targets.slice(0, 10) } : {}) })) } : {}),
    });
    if (f.admin) return [finding('FULL_ADMIN', 'critical', `is an administrator: allowed every action on every resource${f.admin.when ? `, ${f.admin.when}` : ''}`, 'Its policies allow everything (as AdministratorAccess does). Grant only the services it needs.')];
    // Paths that end in administrator access, each with only the targets through which they do.
    const toAdmin = f.paths.flatMap((path): EscalationPath[] => {
      if (path.gains === 'anything') return [path];
      const admins = path.gains.filter((t) => this.canBecomeAdmin(t));
      // Targets and what each gives go in step (a group and its member-to-be; a user and itself).
      if (admins.length === 0) return [];
      return [{ ...path, summary: `${path.summary}, ${whichAdmin(path, admins, (t) => this.factsOf(t).admin !== undefined)}`, targets: path.targets.filter((_arn, i) => admins.includes((path.gains as readonly Principal[])[i]!)) }];
    });
    if (toAdmin.length) {
      const ways = toAdmin.map((x) => x.summary);
      const detail = toAdmin.map((x) => `${x.code}: ${x.summary}${x.targets.length ? ` (${x.targets.slice(0, 3).join(', ')}${x.targets.length > 3 ? ', ...' : ''})` : ''}.`).join(' ');
      return [finding('PRIVESC_TO_ADMIN', 'critical', `can make itself an administrator: ${ways[0]}${ways.length > 1 ? ` (and ${ways.length - 1} more way${ways.length > 2 ? 's' : ''})` : ''}`, `${detail} Remove the permissions these paths use, or bound them (a permissions boundary, conditions on the targets).`, toAdmin.flatMap((x) => x.targets), toAdmin)];
    }
    return [...f.paths.map((x) => finding(x.code, x.severity, `${x.summary}${x.lesser ?? ''}`, x.detail, x.targets)), ...f.other];
  }
}

/** How a path's targets make it one to administrator access: `which is an administrator`, `2 of which can ...`. */
function whichAdmin(path: EscalationPath, admins: readonly Principal[], isAdmin: (p: Principal) => boolean): string {
  const all = admins.length === path.gains.length;
  if (path.code === 'PRIVESC_SET_DEFAULT_POLICY_VERSION') {
    const named = (path.gains as readonly Principal[]).flatMap((g, i) => (admins.includes(g) ? [path.labels?.[i] ?? 'another version'] : []));
    return `${named.length === 1 ? named[0]! : `${named.slice(0, 3).join(', ')}${named.length > 3 ? ', ...' : ''}`} would make it an administrator`;
  }
  if (path.code === 'PRIVESC_ADD_USER_TO_GROUP') return all && admins.length === 1 ? 'which would make it an administrator' : `${all ? 'each' : `${admins.length} of which`} would make it an administrator`;
  if (all && admins.length === 1) return `which ${isAdmin(admins[0]!) ? 'is an administrator' : 'can make itself an administrator'}`;
  return all ? 'all of which can make themselves administrators' : `${admins.length} of which can make ${admins.length === 1 ? 'itself an administrator' : 'themselves administrators'}`;
}

const analyses = new WeakMap<EffectiveAccess, RiskAnalysis>();

/** The risk analysis of one EffectiveAccess: made once, dropped with it. */
function riskAnalysis(access: EffectiveAccess): RiskAnalysis {
  let found = analyses.get(access);
  if (!found) analyses.set(access, (found = new RiskAnalysis(access)));
  return found;
}

/**
 * The actions whose targets are other principals, groups or policies: a principal allowed none of them on any
 * resource, and assuming no role, has findings that depend on its own policies alone.
 */
export const TARGETING_ACTIONS = [
  'iam:CreatePolicyVersion', 'iam:SetDefaultPolicyVersion', 'iam:AttachUserPolicy', 'iam:PutUserPolicy', 'iam:AttachGroupPolicy', 'iam:PutGroupPolicy',
  'iam:AddUserToGroup', 'iam:AttachRolePolicy', 'iam:PutRolePolicy', 'iam:UpdateAssumeRolePolicy', 'iam:CreateAccessKey', 'iam:CreateLoginProfile',
  'iam:UpdateLoginProfile', 'iam:PassRole', 'sts:AssumeRole',
] as const;

/**
 * Every action whose decisions a principal's own facts read (`principalFacts` asks about no other: `asked` holds it to
 * that). So a change that alters none of the statements covering these actions for a principal leaves its own facts
 * as they were (src/analyze/plan-findings.ts relies on it).
 */
export const FACT_ACTIONS: ReadonlySet<string> = new Set([
  ...ADMIN_PROBES,
  ...TARGETING_ACTIONS,
  ...COMPUTE_SERVICES.flatMap((c) => c.ways.flat()),
  ...EXISTING_RESOURCE_PATHS.flatMap((e) => e.actions),
]);

/**
 * Actions facts read only to tell whether a principal is an administrator. A change to statements covering these
 * alone cannot change the facts of a principal `principalsToJudge` would leave out: being an administrator also needs
 * the probes that target others (iam:AttachRolePolicy, sts:AssumeRole...), and a principal allowed any action that
 * targets others is always judged. (Empty, and so no shortcut, if the probes ever stop including one.)
 */
export const ADMIN_ONLY_ACTIONS: ReadonlySet<string> = new Set(
  ADMIN_PROBES.some((a) => (TARGETING_ACTIONS as readonly string[]).includes(a))
    ? ADMIN_PROBES.filter((a) => !(TARGETING_ACTIONS as readonly string[]).includes(a) && !COMPUTE_SERVICES.some((c) => c.ways.flat().includes(a)) && !EXISTING_RESOURCE_PATHS.some((e) => e.actions.includes(a)))
    : [],
);

/** An action `principalFacts` may ask about: one of FACT_ACTIONS, or a programming error that breaks plan findings. */
function asked(action: string): string {
  if (!FACT_ACTIONS.has(action)) throw new Error(`principal facts asked about ${action}, which FACT_ACTIONS lacks: add it there`);
  return action;
}

function principalFacts(access: EffectiveAccess, p: Principal, risks: RiskAnalysis): PrincipalFacts {
  const state = access.state;
  if (ADMIN_PROBES.every((action) => access.can(p, asked(action), '*'))) {
    // Under which condition (the Allows that decide the first probe, in the request that shows it).
    const entries = access.judge(p, asked(ADMIN_PROBES[0]!), '*').conditions ?? [];
    return { admin: entries.length ? { when: conditionWords(blockOf(entries)) } : {}, paths: [], other: [] }; // every escalation is implied
  }
  const paths: EscalationPath[] = [];
  const other: Finding[] = [];
  const path = (code: FindingCode, severity: FindingSeverity, summary: string, detail: string, targets: readonly string[], gains: EscalationPath['gains']): void => {
    paths.push({ code, severity, summary, detail, targets, gains });
  };
  const add = (code: FindingCode, severity: FindingSeverity, summary: string, detail: string, targets?: readonly string[]): void => {
    other.push({ code, severity, principal: p.arn, summary, detail, ...(targets && targets.length ? { targets: targets.slice(0, 10) } : {}) });
  };
  const byArn = (arns: readonly string[]): Principal[] => arns.map((arn) => access.principalByArn(arn)).filter((x): x is Principal => x !== undefined);

  const lists = access.lists;
  const isOwn = p.kind === 'user' ? state.users.get(p.name.toLowerCase()) === p : state.roles.get(p.name.toLowerCase()) === p;
  const groups = p.kind === 'user' ? p.groups.map((g) => state.groups.get(g.toLowerCase())).filter((g) => g !== undefined) : [];
  const groupArns = groups.map((g) => g.arn);
  const ownPolicies = [...new Set([...p.managedPolicies, ...groups.flatMap((g) => g.managedPolicies), ...(p.permissionsBoundary ? [p.permissionsBoundary] : [])])].filter((arn) => lists.customerPolicies.has(arn));
  const reachable = access.reachableRoles(p);
  const reachableArns = new Set(reachable.map((r) => r.arn));
  // Target lists are built only when the principal can perform the action on some resource at all.
  const otherUsers = (): string[] => lists.users.filter((arn) => arn !== p.arn);
  const otherGroups = (): string[] => lists.groups.map((g) => g.arn).filter((arn) => !groupArns.includes(arn));
  const allRoleArns = (): string[] => lists.roles.filter((r) => r.arn !== p.arn).map((r) => r.arn);
  const unreachableRoles = (): string[] => lists.roles.filter((r) => r.arn !== p.arn && !reachableArns.has(r.arn)).map((r) => r.arn);

  const onOwnPolicy = access.allowedOn(p, asked('iam:CreatePolicyVersion'), ownPolicies);
  if (onOwnPolicy.length) path('PRIVESC_CREATE_POLICY_VERSION', 'critical', 'can rewrite a policy that applies to itself (iam:CreatePolicyVersion)', 'A new default version of its own managed policy can grant it anything.', onOwnPolicy, 'anything');
  // Another version of its own policy put in force: it becomes the principal with that version (judged like any
  // other principal it can become, so a version that makes it an administrator, or gives it a further path, counts).
  const mayDefault = access.allowedOn(p, asked('iam:SetDefaultPolicyVersion'), ownPolicies);
  const setDefault = mayDefault.filter((arn) => lists.policyVersions.has(arn));
  // With no other version today, the next update of the policy makes one (apply keeps the old default version).
  const latent = mayDefault.filter((arn) => !lists.policyVersions.has(arn) && access.versionsInForce(p)?.has(arn) !== true);
  if (latent.length) add('PRIVESC_SET_DEFAULT_POLICY_VERSION', 'medium', 'can switch a policy that applies to itself to another version (iam:SetDefaultPolicyVersion), once it has one', 'The policy has no other version today; its next update (apply keeps the old default version, as IAM does) gives it one to switch to, and whatever that version grants. Deny it iam:SetDefaultPolicyVersion on its own policies.', latent);
  if (setDefault.length) {
    const inForce = access.versionsInForce(p);
    const switches = setDefault.flatMap((arn) => {
      const policy = lists.policyVersions.get(arn)!;
      const current = inForce?.get(arn)?.id;
      const choices = [...(current !== undefined ? [{ id: policy.versionId ?? 'default', to: 'default' as const }] : []), ...(policy.otherVersions ?? []).filter((v) => v.id !== current).map((v) => ({ id: v.id, to: { id: v.id, document: v.document.document } }))];
      return choices.map((c) => ({ arn, label: `version ${c.id} of policy ${policy.name}`, as: access.withPolicyVersion(p, arn, c.to) }));
    }).filter((s) => s.as !== p);
    if (switches.length) {
      paths.push({
        code: 'PRIVESC_SET_DEFAULT_POLICY_VERSION',
        severity: 'medium',
        summary: `can switch ${setDefault.length === 1 ? 'a policy' : `${setDefault.length} policies`} that applies to itself to another version (iam:SetDefaultPolicyVersion)`,
        lesser: switches.length === 1 ? ` (${switches[0]!.label}, which does not make it an administrator)` : ` (${switches.length} versions, none of which makes it an administrator)`,
        detail: `Any version IAM keeps of its policy can become the one in force with one call: ${switches.slice(0, 5).map((s) => s.label).join(', ')}${switches.length > 5 ? ', ...' : ''}. Delete the versions it must not use (iam delete-policy-version), or deny it iam:SetDefaultPolicyVersion.`,
        targets: switches.map((s) => s.arn),
        gains: switches.map((s) => s.as),
        labels: switches.map((s) => s.label),
      });
    }
  }

  const self = p.arn;
  if (p.kind === 'user') {
    const onSelf = ['iam:AttachUserPolicy', 'iam:PutUserPolicy'].filter((a) => access.can(p, asked(a), self));
    if (onSelf.length) path('PRIVESC_POLICY_ON_SELF', 'critical', `can give itself any permission (${onSelf.join(', ')})`, 'It may attach or write a policy on its own user, such as AdministratorAccess.', [self], 'anything');
    const onGroup = ['iam:AttachGroupPolicy', 'iam:PutGroupPolicy'].flatMap((a) => access.allowedOn(p, asked(a), groupArns));
    if (onGroup.length) path('PRIVESC_POLICY_ON_OWN_GROUP', 'critical', 'can give its own group any permission (iam:AttachGroupPolicy / iam:PutGroupPolicy)', 'It may attach or write a policy on a group it belongs to.', [...new Set(onGroup)], 'anything');
    // Joining a group gives it the group's policies: what it can then do is what it would be as a member. (Judged for
    // the account's own users: a member-to-be joining yet another group is not followed further.)
    if (isOwn) {
      const withPolicies = (): string[] => lists.groups.filter((g) => !groupArns.includes(g.arn) && (g.managedPolicies.length > 0 || Object.keys(g.inlinePolicies).length > 0)).map((g) => g.arn);
      const joinable = access.allowedOn(p, asked('iam:AddUserToGroup'), withPolicies);
      if (joinable.length) {
        const members = joinable.map((arn) => access.asMemberOf(p, lists.groups.find((g) => g.arn === arn)!));
        path('PRIVESC_ADD_USER_TO_GROUP', 'high', `can add itself to ${joinable.length === 1 ? 'a group' : `${joinable.length} groups`} with more permissions (iam:AddUserToGroup)`, 'Joining a group gives it the group\'s policies.', joinable, members);
      }
    }
  } else {
    const onSelf = ['iam:AttachRolePolicy', 'iam:PutRolePolicy'].filter((a) => access.can(p, asked(a), self));
    if (onSelf.length) path('PRIVESC_POLICY_ON_SELF', 'critical', `can give itself any permission (${onSelf.join(', ')})`, 'It may attach or write a policy on its own role, such as AdministratorAccess.', [self], 'anything');
  }
  const onReachable = ['iam:AttachRolePolicy', 'iam:PutRolePolicy'].flatMap((a) => access.allowedOn(p, asked(a), reachable.map((r) => r.arn)));
  if (onReachable.length) path('PRIVESC_POLICY_ON_ASSUMABLE_ROLE', 'critical', 'can give any permission to a role it can assume (iam:AttachRolePolicy / iam:PutRolePolicy)', 'It may attach a policy to the role and then assume it.', [...new Set(onReachable)], 'anything');

  const trustEdit = access.allowedOn(p, asked('iam:UpdateAssumeRolePolicy'), allRoleArns);
  if (trustEdit.length) {
    // A trust policy naming it lets it assume the role: it gains the role's permissions, and any permission when it
    // may also change the role's policies.
    const writable = ['iam:AttachRolePolicy', 'iam:PutRolePolicy'].flatMap((a) => access.allowedOn(p, asked(a), trustEdit));
    if (writable.length) path('PRIVESC_UPDATE_ASSUME_ROLE_POLICY', 'critical', 'can make roles trust it and give them any permission (iam:UpdateAssumeRolePolicy with iam:AttachRolePolicy / iam:PutRolePolicy)', 'It may name itself in the role\'s trust policy, attach a policy to the role, and assume it.', [...new Set(writable)], 'anything');
    path('PRIVESC_UPDATE_ASSUME_ROLE_POLICY', 'high', `can make ${trustEdit.length === 1 ? 'a role' : `${trustEdit.length} roles`} trust it (iam:UpdateAssumeRolePolicy)`, 'A trust policy naming its ARN lets it assume the role, and act with its permissions, without any other permission in this account.', trustEdit, byArn(trustEdit));
  }

  for (const [action, code, what] of [
    ['iam:CreateAccessKey', 'PRIVESC_CREATE_ACCESS_KEY', 'create access keys for'],
    ['iam:CreateLoginProfile', 'PRIVESC_CREATE_LOGIN_PROFILE', 'set console passwords of'],
    ['iam:UpdateLoginProfile', 'PRIVESC_UPDATE_LOGIN_PROFILE', 'change console passwords of'],
  ] as const) {
    const users = access.allowedOn(p, asked(action), otherUsers);
    if (users.length) path(code, 'high', `can ${what} ${users.length} other user${users.length === 1 ? '' : 's'} (${action})`, 'It can sign in as those users and act with their permissions.', users, byArn(users));
  }

  const viaCompute: { name: string; way: readonly string[]; roles: string[] }[] = [];
  for (const compute of COMPUTE_SERVICES) {
    const way = compute.ways.find((actions) => actions.every((a) => access.can(p, asked(a), '*')));
    if (!way) continue;
    const trusting = (): string[] => lists.roles.filter((r) => r.arn !== p.arn && trustsService(access, r, compute.service)).map((r) => r.arn);
    const roles = access.allowedOn(p, asked('iam:PassRole'), trusting, { 'iam:PassedToService': compute.service });
    if (roles.length) viaCompute.push({ name: compute.name, way, roles });
  }
  if (viaCompute.length) {
    const roles = [...new Set(viaCompute.flatMap((v) => v.roles))];
    path(
      'PRIVESC_PASS_ROLE_TO_COMPUTE',
      'high',
      `can run its own code as other roles through ${viaCompute.map((v) => v.name).join(', ')} (iam:PassRole)`,
      viaCompute.map((v) => `${v.name}: ${v.way.join(' + ')} with iam:PassRole on ${v.roles.length} role${v.roles.length === 1 ? '' : 's'}`).join('; '),
      roles,
      byArn(roles),
    );
  }
  // Reaching a role that holds a path of its own (or is an administrator) is that path, one step removed.
  const stronger = reachable.filter((r) => {
    const facts = risks.factsOf(r);
    return facts.admin !== undefined || facts.paths.length > 0;
  });
  if (stronger.length) {
    paths.push({
      code: 'PRIVESC_ASSUME_STRONGER_ROLE',
      // A role whose only path is another version of its policy may gain nothing (versions are often older, narrower
      // drafts): medium, unless that version leads to administrator access (then the path is critical anyway).
      severity: stronger.some((r) => { const facts = risks.factsOf(r); return facts.admin !== undefined || facts.paths.some((x) => x.code !== 'PRIVESC_SET_DEFAULT_POLICY_VERSION'); }) ? 'high' : 'medium',
      summary: `can assume ${stronger.length === 1 ? `role ${stronger[0]!.name}` : `${stronger.length} roles`}`,
      lesser: `, which can escalate further`,
      detail: 'The role\'s trust policy lets this principal (or a role it reaches) assume it, and the role holds an escalation path of its own.',
      targets: stronger.map((r) => r.arn),
      gains: stronger,
    });
  }

  const others = [
    ...(['iam:AttachUserPolicy', 'iam:PutUserPolicy'] as const).flatMap((a) => access.allowedOn(p, asked(a), otherUsers)),
    ...(['iam:AttachGroupPolicy', 'iam:PutGroupPolicy', ...(p.kind === 'role' ? ['iam:AddUserToGroup'] : [])] as const).flatMap((a) => access.allowedOn(p, asked(a), otherGroups)),
    ...(['iam:AttachRolePolicy', 'iam:PutRolePolicy'] as const).flatMap((a) => access.allowedOn(p, asked(a), unreachableRoles)),
  ];
  if (others.length) {
    add('PERMISSIONS_OF_OTHERS', 'medium', 'can change the permissions of other users, groups or roles', 'It cannot use them directly, but whoever holds those principals gains what it grants.', [...new Set(others)]);
  }
  for (const existing of EXISTING_RESOURCE_PATHS) {
    if (existing.actions.every((a) => access.can(p, asked(a), '*'))) add(existing.code, 'medium', `can ${existing.what}`, 'Whether such resources exist is not in an IAM snapshot; if they do, this is an escalation path.');
  }
  if (access.can(p, asked('iam:PassRole'), `arn:aws:iam::${state.account}:role/iam-gitops-any-role`, { 'iam:PassedToService': 'iam-gitops-any-service.amazonaws.com' })) {
    add('PASS_ROLE_WILDCARD', 'medium', 'can pass any role to any service (iam:PassRole on *)', 'Restrict iam:PassRole to the roles it must pass, and iam:PassedToService to their services.');
  }
  return { paths, other };
}

/** Condition entries as a Condition block (operator -> key -> values), for words. */
function blockOf(entries: readonly ConditionEntry[]): Record<string, Record<string, unknown>> {
  const block: Record<string, Record<string, unknown>> = {};
  for (const e of entries) block[e.operator] = { ...(block[e.operator] ?? {}), [e.written]: e.values.length === 1 ? e.values[0] : e.values };
  return block;
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
export function trustRisks(role: RoleState, account: string, now: Date, trust: readonly CompiledTrust[] = compiledTrust(role), worth: RoleWorth | (() => RoleWorth) = 'lesser'): Finding[] {
  const out: Finding[] = [];
  const add = (code: FindingCode, severity: FindingSeverity, summary: string, detail: string): void => {
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
  out.push(...externalPrincipalRisks(role, account, now, trust, worth));
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

/** ARNs in a condition on aws:PrincipalArn that name one user or role exactly (no wildcard, no policy variable). */
function conditionNamedArns(trust: readonly CompiledTrust[]): string[] {
  return trust.flatMap((t) => t.compiled.conditions.filter((e) => e.key === 'aws:principalarn' && !/Not/i.test(e.operator)).flatMap((e) => e.values.filter((v) => !/[*?$]/.test(v) && isUserOrRoleArn(v))));
}

const isUserOrRoleArn = (arn: string): boolean => /^arn:aws[a-z-]*:iam::\d{12}:(user|role)\/./.test(arn);

/**
 * TRUST_EXTERNAL_PRINCIPAL: one user or role of another account, named by the trust policy (its Principal, or a
 * condition on aws:PrincipalArn under a wider Principal), can assume the role in some request it can make. What it
 * is worth is what the role is: high when the role is an administrator or can make itself one, low otherwise (trust
 * across accounts to a named role is how deployments and audits are meant to work; it stays visible in audit without
 * failing --fail-on medium). An sts:ExternalId or aws:PrincipalOrgID pin the outsider's requests must meet lowers an
 * administrator's one step, as it does for TRUST_ANYONE: the named principal alone is no longer enough.
 */
function externalPrincipalRisks(role: RoleState, account: string, now: Date, trust: readonly CompiledTrust[], worthOf: RoleWorth | (() => RoleWorth)): Finding[] {
  const who = outsiders([role], account).filter((o) => o.type === 'AWS');
  const named = new Set([...who.filter((o) => o.shown !== ANYONE && isUserOrRoleArn(o.shown)).map((o) => o.shown), ...conditionNamedArns(trust)]);
  const blind: string[] = [];
  const pinned: string[] = [];
  for (const arn of named) {
    const acct = accountOf(arn);
    if (!acct || acct === account) continue;
    // The narrowest class that holds it: itself (named in a Principal), all of its account, or anyone.
    const holder = who.find((o) => o.shown === arn) ?? who.find((o) => o.shown.endsWith(':root') && accountOf(o.shown) === acct) ?? who.find((o) => o.shown === ANYONE);
    if (!holder) continue;
    const identity = { 'aws:PrincipalArn': arn, 'aws:PrincipalAccount': acct };
    const unpinned = { ...identity, 'aws:PrincipalOrgID': STRANGER['aws:PrincipalOrgID']!, 'aws:PrincipalOrgPaths': STRANGER['aws:PrincipalOrgPaths']! };
    if (admitsSomeRequest(trust, holder, { ...unpinned, 'sts:ExternalId': UNKNOWN_EXTERNAL_ID }, [], now) ?? admitsSomeRequest(trust, holder, unpinned, ['sts:ExternalId'], now)) blind.push(arn);
    else if (admitsSomeRequest(trust, holder, identity, [], now)) pinned.push(arn);
  }
  const all = [...blind, ...pinned].sort();
  if (all.length === 0) return [];
  // Judged only here: what the role can do is asked only of roles an outsider can assume.
  const worth = typeof worthOf === 'function' ? worthOf() : worthOf;
  const severity: FindingSeverity = worth === 'lesser' ? 'low' : blind.length ? 'high' : 'medium';
  const what = worth === 'admin' ? 'an administrator' : worth === 'can-become-admin' ? 'which can make itself an administrator' : '';
  const whom = all.length === 1 ? all[0]! : `${all.length} principals of other accounts (${all.slice(0, 3).join(', ')}${all.length > 3 ? ', ...' : ''})`;
  const pin = blind.length ? '' : ', with an sts:ExternalId or aws:PrincipalOrgID condition it must meet';
  return [{
    code: 'TRUST_EXTERNAL_PRINCIPAL',
    severity,
    principal: role.arn,
    summary: `role ${role.name}${what ? `, ${what},` : ''} can be assumed by ${whom}${pin}`,
    detail: `Whoever holds ${all.length === 1 ? 'that principal' : 'those principals'} (and that account's administrators) ${worth !== 'lesser' ? 'gets administrator access to this account' : 'acts in this account with the role\'s permissions'}. Name only the principals that need it; accept the risk in the Account manifest when it is meant (a break-glass role).`,
    targets: all.slice(0, 10),
  }];
}

/** The wildcard subjects of the statements admitting an OIDC provider: patterns under StringLike (and its forms). */
function wildcardSubjects(allows: readonly CompiledTrust[], subKey: string): string[] {
  // Only positive pattern operators read * and ? as wildcards: under StringEquals, "repo:acme/*" is the literal text.
  return [...new Set(allows.flatMap((t) => t.compiled.conditions.filter((e) => e.key === subKey && isPatternStringOperator(e.operator) && !/Not/i.test(e.operator)).flatMap((e) => e.values.filter((v) => /[*?]/.test(v)))))];
}



