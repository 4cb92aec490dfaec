/**
 * The IAM credential report (GetCredentialReport: base64 CSV, one row per user and one for the root user), read into
 * typed rows. Columns are found by their header names, so a report with more or fewer columns than today's still
 * reads; the ones hygiene needs must be there.
 */
import { error, InputError } from '../core/diagnostics.js';
import { ROOT_USER, type AccessKeyUse, type CredentialReport, type CredentialRow } from '../core/usage.js';

const REQUIRED = ['user', 'arn', 'password_enabled', 'mfa_active', 'access_key_1_active', 'access_key_2_active'] as const;

export function parseCredentialReport(csv: string, generatedAt: Date, source: string): CredentialReport {
  const lines = csv.split(/\r?\n/).filter((l) => l.trim() !== '');
  const header = (lines[0] ?? '').split(',').map((h) => h.trim());
  const missing = REQUIRED.filter((c) => !header.includes(c));
  if (missing.length) {
    throw new InputError([error(`${source}: the credential report has no ${missing.join(', ')} column${missing.length === 1 ? '' : 's'}`, 'It is not an IAM credential report (GetCredentialReport). Generate a new one, or report this if AWS changed its format.')]);
  }
  const column = new Map(header.map((h, i) => [h, i]));
  const rows = lines.slice(1).map((line, index) => {
    // The report quotes nothing: user names and ARNs hold no commas ([\w+=,.@-] allows a comma in a name, which
    // IAM writes as is; such a row has more cells than the header, and is refused rather than misread).
    const cells = line.split(',');
    if (cells.length !== header.length) {
      throw new InputError([error(`${source}: row ${index + 2} of the credential report has ${cells.length} cells, the header ${header.length}`, 'A user name with a comma cannot be read from the CSV report; rename the user, or report this.')]);
    }
    const get = (name: string): string | undefined => {
      const i = column.get(name);
      return i === undefined ? undefined : cells[i];
    };
    return rowOf(get, source, index + 2);
  });
  return { generatedAt, rows };
}

function rowOf(get: (name: string) => string | undefined, source: string, rowNumber: number): CredentialRow {
  const user = get('user')!;
  const date = (name: string): Date | undefined => {
    const v = get(name);
    if (v === undefined || v === '' || v === 'N/A' || v === 'no_information' || v === 'not_supported') return undefined;
    const d = new Date(v);
    if (Number.isNaN(d.getTime())) throw new InputError([error(`${source}: row ${rowNumber} of the credential report has "${v}" in ${name}, which is not a date`, 'Generate a new report.')]);
    return d;
  };
  const flag = (name: string): boolean => get(name)?.toLowerCase() === 'true';
  const activeKeys: AccessKeyUse[] = [];
  let keyCount = 0;
  for (const slot of [1, 2] as const) {
    if (flag(`access_key_${slot}_active`) || date(`access_key_${slot}_last_rotated`) !== undefined) keyCount++;
    if (!flag(`access_key_${slot}_active`)) continue;
    const service = get(`access_key_${slot}_last_used_service`);
    const rotatedAt = date(`access_key_${slot}_last_rotated`);
    const lastUsedAt = date(`access_key_${slot}_last_used_date`);
    activeKeys.push({ slot, ...(rotatedAt ? { rotatedAt } : {}), ...(lastUsedAt ? { lastUsedAt } : {}), ...(service && service !== 'N/A' ? { lastUsedService: service } : {}) });
  }
  const createdAt = date('user_creation_time');
  const passwordLastUsed = date('password_last_used');
  return {
    user,
    arn: get('arn')!,
    ...(createdAt ? { createdAt } : {}),
    // The root user's password_enabled is "not_supported": the report does not say, so it is not judged.
    password: user !== ROOT_USER && flag('password_enabled'),
    ...(passwordLastUsed ? { passwordLastUsed } : {}),
    mfaActive: flag('mfa_active'),
    activeKeys,
    keyCount,
  };
}
