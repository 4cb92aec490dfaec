/**
 * Account-wide reports, as IAM answers them: the credential report (GenerateCredentialReport starts one, which is
 * ready once the model's consistency delay has passed and expires after four hours; GetCredentialReport answers
 * ReportNotPresent, ReportInProgress or ReportExpired until then) and GetAccountSummary. The root user's MFA and
 * access keys cannot be set through IAM's API: a test sets them with `POST /_emulator/root` (see server.ts).
 */
import { IamError } from './errors.js';
import type { IamModel } from './model.js';

/** IAM builds a report at most every four hours, and a report older than that is expired. */
const REPORT_LIFETIME_MS = 4 * 60 * 60 * 1000;

interface ReportState {
  generatedAt: Date;
  readyAt: number;
  csv: string;
}

export interface RootFacts {
  mfa: boolean;
  accessKeys: number;
}

const reports = new WeakMap<IamModel, ReportState>();
const roots = new WeakMap<IamModel, RootFacts>();

export function rootFacts(model: IamModel): RootFacts {
  let facts = roots.get(model);
  if (!facts) roots.set(model, (facts = { mfa: true, accessKeys: 0 }));
  return facts;
}

export function generateCredentialReport(model: IamModel): { State: string; Description?: string } {
  const now = model.now().getTime();
  const report = reports.get(model);
  if (report && now < report.readyAt) return { State: 'INPROGRESS', Description: 'Report generation in progress.' };
  if (report && now - report.generatedAt.getTime() < REPORT_LIFETIME_MS) return { State: 'COMPLETE' };
  // The report is what the account holds now, delivered once it is ready.
  reports.set(model, { generatedAt: model.now(), readyAt: now + model.consistencyDelayMs, csv: credentialReportCsv(model) });
  return { State: 'STARTED', Description: 'No report exists. Starting a new report generation task' };
}

export function getCredentialReport(model: IamModel): { Content: string; ReportFormat: string; GeneratedTime: Date } {
  const report = reports.get(model);
  const now = model.now().getTime();
  if (!report) throw new IamError('ReportNotPresent', 'Credential report does not exist. Use GenerateCredentialReport to generate a report.');
  if (now < report.readyAt) throw new IamError('ReportInProgress', 'Credential report is in progress.');
  if (now - report.generatedAt.getTime() >= REPORT_LIFETIME_MS) throw new IamError('ReportExpired', 'Credential report has expired. Use GenerateCredentialReport to generate a new report.');
  return { Content: Buffer.from(report.csv, 'utf8').toString('base64'), ReportFormat: 'text/csv', GeneratedTime: report.generatedAt };
}

const HEADER = [
  'user', 'arn', 'user_creation_time', 'password_enabled', 'password_last_used', 'password_last_changed', 'password_next_rotation', 'mfa_active',
  'access_key_1_active', 'access_key_1_last_rotated', 'access_key_1_last_used_date', 'access_key_1_last_used_region', 'access_key_1_last_used_service',
  'access_key_2_active', 'access_key_2_last_rotated', 'access_key_2_last_used_date', 'access_key_2_last_used_region', 'access_key_2_last_used_service',
  'cert_1_active', 'cert_1_last_rotated', 'cert_2_active', 'cert_2_last_rotated',
];

/** The report's CSV: a header, the root user, then every user (ISO 8601 dates; N/A where a column does not apply). */
function credentialReportCsv(model: IamModel): string {
  const iso = (d: Date): string => d.toISOString().replace(/\.\d{3}Z$/, '+00:00');
  const root = rootFacts(model);
  const rootKey = (slot: number): string[] => (root.accessKeys >= slot ? ['true', iso(new Date(0)), 'N/A', 'N/A', 'N/A'] : ['false', 'N/A', 'N/A', 'N/A', 'N/A']);
  const rows = [[`<root_account>`, `arn:aws:iam::${model.account}:root`, iso(new Date(0)), 'not_supported', 'no_information', 'not_supported', 'not_supported', String(root.mfa), ...rootKey(1), ...rootKey(2), 'false', 'N/A', 'false', 'N/A']];
  for (const user of [...model.users.values()].sort((a, b) => a.name.localeCompare(b.name))) {
    // The report lists keys in creation order, active or not (inactive ones say false).
    const keys = [...user.accessKeys].sort((a, b) => a.created.getTime() - b.created.getTime());
    const key = (i: number): string[] => {
      const k = keys[i];
      // A key never used says N/A in its last-used columns.
      if (!k) return ['false', 'N/A', 'N/A', 'N/A', 'N/A'];
      return [String(k.status === 'Active'), iso(k.created), k.lastUsed ? iso(k.lastUsed.date) : 'N/A', k.lastUsed?.region ?? 'N/A', k.lastUsed?.service ?? 'N/A'];
    };
    const password = user.loginProfile !== undefined;
    rows.push([
      user.name, user.arn, iso(user.created), String(password), password ? 'no_information' : 'N/A', password ? iso(user.loginProfile!.created) : 'N/A', 'N/A', String(user.mfaDevices.length > 0),
      ...key(0), ...key(1), 'false', 'N/A', 'false', 'N/A',
    ]);
  }
  return [HEADER, ...rows].map((r) => r.join(',')).join('\n');
}

/** GetAccountSummary's SummaryMap: the account's entity counts, quotas and the root user's MFA and keys. */
export function accountSummary(model: IamModel): [string, number][] {
  const root = rootFacts(model);
  const users = [...model.users.values()];
  const customerPolicies = [...model.policies.values()].filter((p) => !p.awsManaged);
  return [
    ['Users', users.length],
    ['UsersQuota', 5000],
    ['Groups', model.groups.size],
    ['GroupsQuota', 300],
    ['Roles', model.roles.size],
    ['RolesQuota', 1000],
    ['Policies', customerPolicies.length],
    ['PoliciesQuota', 1500],
    ['InstanceProfiles', model.instanceProfiles.size],
    ['InstanceProfilesQuota', 1000],
    ['Providers', model.oidcProviders.size + model.samlProviders.size],
    ['MFADevices', model.virtualMfaDevices.size],
    ['MFADevicesInUse', users.reduce((n, u) => n + u.mfaDevices.length, 0)],
    ['AccountMFAEnabled', root.mfa ? 1 : 0],
    ['AccountAccessKeysPresent', root.accessKeys > 0 ? 1 : 0],
    ['AccountSigningCertificatesPresent', 0],
    ['AccessKeysPerUserQuota', 2],
    ['GroupsPerUserQuota', 10],
    ['AttachedPoliciesPerUserQuota', 10],
    ['AttachedPoliciesPerGroupQuota', 10],
    ['AttachedPoliciesPerRoleQuota', 10],
    ['PolicySizeQuota', 6144],
    ['PolicyVersionsInUse', customerPolicies.reduce((n, p) => n + p.versions.length, 0)],
    ['PolicyVersionsInUseQuota', 10000],
    ['VersionsPerPolicyQuota', 5],
    ['ServerCertificates', 0],
    ['ServerCertificatesQuota', 20],
    ['SigningCertificatesPerUserQuota', 2],
    ['UserPolicySizeQuota', 2048],
    ['GroupPolicySizeQuota', 5120],
    ['AssumeRolePolicySizeQuota', 2048],
    ['GlobalEndpointTokenVersion', 1],
  ];
}
