/**
 * Hygiene findings (issue 19 item 1): judged from IAM's usage records, each exactly when its condition holds, with
 * the Account manifest's windows; the credential report read by its header, refusing what it cannot read.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hygieneFindings } from '../src/analyze/hygiene.js';
import { auditAccount } from '../src/app/use-cases.js';
import { InputError } from '../src/core/diagnostics.js';
import type { IamState, RoleState, UserState } from '../src/core/state.js';
import { makePolicy } from '../src/core/policy.js';
import { DEFAULT_HYGIENE, ROOT_USER, type CredentialRow, type UsageFacts } from '../src/core/usage.js';
import { parseCredentialReport } from '../src/live/credential-report.js';
import { parseSnapshot } from '../src/live/parse-snapshot.js';
import { SnapshotFileReader } from '../src/live/snapshot-file-reader.js';
import { realWorldAvailable, realWorldSnapshot } from './helpers/fixtures.js';

const ACCOUNT = '123456789012';
const NOW = new Date('2026-12-05T00:00:00Z');
const DAY = 24 * 3600 * 1000;
const daysAgo = (n: number): Date => new Date(NOW.getTime() - n * DAY);

const HEADER = 'user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated';

function role(name: string, path = '/'): RoleState {
  return { kind: 'role', name, path, arn: `arn:aws:iam::${ACCOUNT}:role${path}${name}`, trustPolicy: makePolicy({ Version: '2012-10-17', Statement: [] }), managedPolicies: [], inlinePolicies: {}, tags: {} };
}

function user(name: string): UserState {
  return { kind: 'user', name, path: '/', arn: `arn:aws:iam::${ACCOUNT}:user/${name}`, groups: [], managedPolicies: [], inlinePolicies: {}, tags: {} };
}

function stateWith(roles: RoleState[], users: UserState[] = []): IamState {
  return { account: ACCOUNT, users: new Map(users.map((u) => [u.name.toLowerCase(), u])), groups: new Map(), roles: new Map(roles.map((r) => [r.name.toLowerCase(), r])), policies: new Map(), externalPolicies: new Map() };
}

describe('the credential report', () => {
  it('reads users, the root user and both keys by the header, dates and not-applicable values alike', () => {
    const csv = [
      HEADER,
      `${ROOT_USER},arn:aws:iam::${ACCOUNT}:root,2020-01-01T00:00:00+00:00,not_supported,2026-11-01T00:00:00+00:00,not_supported,not_supported,false,true,2021-01-01T00:00:00+00:00,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A`,
      `alice,arn:aws:iam::${ACCOUNT}:user/alice,2024-01-01T00:00:00+00:00,true,no_information,2024-01-01T00:00:00+00:00,N/A,false,true,2024-02-01T00:00:00+00:00,2026-12-01T10:00:00+00:00,eu-west-1,s3,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A`,
    ].join('\n');
    const report = parseCredentialReport(csv, NOW, 'test');
    expect(report.rows.map((r) => [r.user, r.password, r.mfaActive, r.activeKeys.map((k) => [k.slot, k.rotatedAt?.toISOString(), k.lastUsedAt?.toISOString(), k.lastUsedService])])).toEqual([
      [ROOT_USER, false, false, [[1, '2021-01-01T00:00:00.000Z', undefined, undefined]]],
      ['alice', true, false, [[1, '2024-02-01T00:00:00.000Z', '2026-12-01T10:00:00.000Z', 's3']]],
    ]);
    expect(report.rows[1]!.passwordLastUsed).toBeUndefined();
  });

  it('refuses what it cannot read, naming the source, the row and the column', () => {
    const refuse = (csv: string): string => {
      try {
        parseCredentialReport(csv, NOW, 'aws credential report');
        return 'read';
      } catch (e) {
        expect(e).toBeInstanceOf(InputError);
        return (e as InputError).diagnostics.map((d) => d.summary).join('; ');
      }
    };
    expect(refuse('name,arn\nx,y')).toMatch(/^aws credential report: the credential report has no user, password_enabled, mfa_active, access_key_1_active, access_key_2_active columns$/);
    expect(refuse(`${HEADER}\nbob,arn:aws:iam::${ACCOUNT}:user/bob,yesterday,true,N/A,N/A,N/A,false,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A`)).toMatch(/row 2 .* "yesterday" in user_creation_time, which is not a date/);
    expect(refuse(`${HEADER}\na,b,arn:aws:iam::${ACCOUNT}:user/a,b,2024-01-01T00:00:00Z,true,N/A,N/A,N/A,false,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A`)).toMatch(/row 2 of the credential report has 24 cells, the header 22/);
  });
});

describe('hygiene findings', () => {
  const rowArb = fc.record({
    name: fc.constantFrom('alice', 'bob', 'carol', 'dave'),
    password: fc.boolean(),
    mfa: fc.boolean(),
    keys: fc.array(fc.record({ rotated: fc.option(fc.integer({ min: 0, max: 800 }), { nil: undefined }), used: fc.option(fc.integer({ min: 0, max: 800 }), { nil: undefined }) }), { maxLength: 2 }),
  });

  it('law: each finding exactly when its condition holds, on random reports and windows', () => {
    fc.assert(
      fc.property(fc.uniqueArray(rowArb, { selector: (r) => r.name, maxLength: 4 }), fc.integer({ min: 1, max: 400 }), fc.integer({ min: 1, max: 400 }), fc.boolean(), fc.boolean(), (rows, maxAge, unused, rootKeys, rootMfa) => {
        const settings = { accessKeyMaxAgeDays: maxAge, unusedForDays: unused };
        const credentialRows: CredentialRow[] = rows.map((r) => ({
          user: r.name,
          arn: `arn:aws:iam::${ACCOUNT}:user/${r.name}`,
          password: r.password,
          mfaActive: r.mfa,
          activeKeys: r.keys.map((k, i) => ({ slot: (i + 1) as 1 | 2, ...(k.rotated !== undefined ? { rotatedAt: daysAgo(k.rotated) } : {}), ...(k.used !== undefined ? { lastUsedAt: daysAgo(k.used) } : {}) })),
        }));
        const facts: UsageFacts = { credentials: { generatedAt: NOW, rows: credentialRows }, summary: { rootAccessKeysPresent: rootKeys, rootMfaEnabled: rootMfa }, unavailable: [] };
        const found = hygieneFindings(stateWith([], rows.map((r) => user(r.name))), facts, settings, NOW).map((f) => `${f.code} ${f.principal.split(/[/:]/).pop()}`).sort();
        const expected: string[] = [];
        if (rootKeys) expected.push('ROOT_ACCESS_KEYS root');
        if (!rootMfa) expected.push('ROOT_WITHOUT_MFA root');
        for (const r of rows) {
          if (r.password && !r.mfa) expected.push(`CONSOLE_WITHOUT_MFA ${r.name}`);
          if (r.password && r.keys.length > 0) expected.push(`CONSOLE_AND_ACCESS_KEYS ${r.name}`);
          for (const k of r.keys) {
            const idle = k.used ?? k.rotated;
            if (idle !== undefined && idle > unused) expected.push(`ACCESS_KEY_UNUSED ${r.name}`);
            else if (k.rotated !== undefined && k.rotated > maxAge) expected.push(`ACCESS_KEY_NOT_ROTATED ${r.name}`);
          }
        }
        expect(found).toEqual(expected.sort());
      }),
      { numRuns: 300, seed: 20261205 },
    );
  });

  it('a user the judged state does not hold (audit --manifests that deletes it) is not judged', () => {
    const row: CredentialRow = { user: 'gone', arn: `arn:aws:iam::${ACCOUNT}:user/gone`, password: true, mfaActive: false, activeKeys: [] };
    const facts: UsageFacts = { credentials: { generatedAt: NOW, rows: [row] }, unavailable: [] };
    expect(hygieneFindings(stateWith([]), facts, DEFAULT_HYGIENE, NOW)).toEqual([]);
    expect(hygieneFindings(stateWith([], [user('gone')]), facts, DEFAULT_HYGIENE, NOW).map((f) => f.code)).toEqual(['CONSOLE_WITHOUT_MFA']);
  });

  it('a role is unused once neither its last use nor (never used) its creation is within the window; AWS-owned roles are not judged', () => {
    const roles = [role('fresh'), role('idle'), role('never'), role('new-never'), role('AWSServiceRoleForSupport', '/aws-service-role/support.amazonaws.com/')];
    const uses = new Map([
      [roles[0]!.arn, { lastUsedAt: daysAgo(3), createdAt: daysAgo(500) }],
      [roles[1]!.arn, { lastUsedAt: daysAgo(120), createdAt: daysAgo(500) }],
      [roles[2]!.arn, { createdAt: daysAgo(200) }],
      [roles[3]!.arn, { createdAt: daysAgo(10) }],
      [roles[4]!.arn, { createdAt: daysAgo(900) }],
    ]);
    const found = hygieneFindings(stateWith(roles), { roles: uses, unavailable: [] }, DEFAULT_HYGIENE, NOW);
    expect(found.map((f) => [f.code, f.summary])).toEqual([
      ['ROLE_UNUSED', 'role idle is last used 120 days ago'],
      ['ROLE_UNUSED', 'role never is never used in the 200 days since it was created'],
    ]);
    expect(hygieneFindings(stateWith(roles), { roles: uses, unavailable: [] }, { ...DEFAULT_HYGIENE, unusedForDays: 300 }, NOW)).toEqual([]);
  });

  it.skipIf(!realWorldAvailable)('reads roles\' last use from a real export, and audit of it reports the roles unused at a later date', async () => {
    const file = realWorldSnapshot('cloudsplaining-small-account.json');
    const live = parseSnapshot(file, readFileSync(file, 'utf8'));
    expect(live.roleUses?.size).toBe(live.state.roles.size);
    const result = await auditAccount(new SnapshotFileReader(file), undefined, new Date('2035-01-01T00:00:00Z'));
    const unused = (result.findings ?? []).filter((f) => f.code === 'ROLE_UNUSED').map((f) => f.principal);
    const judged = [...live.state.roles.values()].filter((r) => !r.path.startsWith('/aws-service-role/') && !r.path.startsWith('/aws-reserved/')).map((r) => r.arn);
    expect(unused.sort()).toEqual(judged.sort());
    // A snapshot holds no credential report: audit says what it did not judge.
    expect(result.diagnostics.map((d) => d.summary).join('\n')).toMatch(/not read: the credential report and account summary/);
  });
});
