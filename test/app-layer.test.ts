/**
 * One application layer for the CLI and the Action (issue 17, item 1): the entries parse their input, call src/app
 * and show the result; what they both do exists once. Checked on the sources (no entry builds its own AWS client or
 * live reader, or reads a tuning variable itself) and on the one tuning function (every variable the README
 * documents is read there, for both entries).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { judgeFailOn, nameFailing, worstUnaccepted, FAIL_ON } from '../src/app/fail-on.js';
import { applyTuning, readTuning } from '../src/app/live-source.js';
import type { Finding } from '../src/analyze/findings.js';
import { PROJECT_ROOT } from './helpers/fixtures.js';
import { virtualClock } from './helpers/clock.js';

const sources = (dir: string): { file: string; text: string }[] =>
  readdirSync(join(PROJECT_ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => ({ file: `${dir}/${f}`, text: readFileSync(join(PROJECT_ROOT, dir, f), 'utf8') }));

describe('the entries are thin', () => {
  const entries = [...sources('cmd'), ...sources('src/action')];

  it('no entry builds AWS clients or live readers, or reads a tuning variable, itself: src/app does, for both', () => {
    for (const { file, text } of entries) {
      expect(text, file).not.toMatch(/\bcreateAwsClients\(|\bawsTuningFromEnv\(|new (AwsLiveReader|SnapshotFileReader|SnapshotTextReader)\(|\bIAM_GITOPS_[A-Z_]+/);
      // Fail-on is judged in one place (app/fail-on.ts), whatever each entry calls a failure.
      expect(text, file).not.toMatch(/\bfailingFindings\(|\bSEVERITY_ORDER\b/);
    }
  });

  it('the Action reaches git, GitHub and AWS only through src/app, and @actions/core only through its port', () => {
    for (const { file, text } of sources('src/action')) {
      expect(text, file).not.toMatch(/from '\.\.\/(git|github|live)\//);
      if (file !== 'src/action/core-port.ts') expect(text, file).not.toContain("'@actions/core'");
    }
  });
});

describe('the one tuning function', () => {
  it('reads every tuning variable the README documents (the CLI and the Action both go through it)', () => {
    const documented = [...new Set(readFileSync(join(PROJECT_ROOT, 'README.md'), 'utf8').match(/IAM_GITOPS_[A-Z_]+/g))].sort();
    expect(documented.length).toBeGreaterThan(0);
    const values = Object.fromEntries(documented.map((name, i) => [name, String(1000 + i)]));
    const tuned = readTuning(values);
    const read = [tuned.aws.maxAttempts, tuned.aws.retryBaseDelayMs, tuned.aws.connectTimeoutMs, tuned.aws.requestTimeoutMs, tuned.consistencyTimeoutMs, tuned.gitHub.timeoutMs, tuned.gitHub.retryUnitMs];
    for (const name of documented) expect(read, name).toContain(Number(values[name]));
  });

  it('ignores what is not a number in range, as the defaults stand; apply gets the bound and the run\'s clock', () => {
    expect(readTuning({ IAM_GITOPS_CONSISTENCY_TIMEOUT_MS: 'soon', IAM_GITOPS_MAX_ATTEMPTS: '0', IAM_GITOPS_GITHUB_RETRY_UNIT_MS: '-1' })).toEqual({ aws: {}, gitHub: {} });
    expect(readTuning({ IAM_GITOPS_RETRY_BASE_DELAY_MS: '0' }).aws).toEqual({ retryBaseDelayMs: 0 });
    const clock = virtualClock();
    expect(applyTuning({ env: { IAM_GITOPS_CONSISTENCY_TIMEOUT_MS: '250' }, clock })).toEqual({ consistencyTimeoutMs: 250, clock });
    expect(applyTuning({ env: {} })).toEqual({});
  });
});

describe('fail-on', () => {
  const finding = (severity: Finding['severity'], extra: Partial<Finding> & { change?: 'introduced' | 'removed' } = {}): Finding & { change?: 'introduced' | 'removed' } => ({ code: 'FULL_ADMIN', severity, principal: `arn:aws:iam::123456789012:user/${severity}`, message: '', ...extra }) as Finding;

  it('fails on what is at or above the threshold, never on accepted or removed findings, and names the worst', () => {
    const findings = [finding('medium'), finding('critical', { accepted: 'break-glass' }), finding('high', { change: 'removed' }), finding('low')];
    expect(judgeFailOn(findings, 'never')).toBeUndefined();
    expect(judgeFailOn(findings, 'high')).toBeUndefined();
    expect(judgeFailOn(findings, 'medium')).toEqual({ failing: [findings[0]], worst: 'medium' });
    expect(judgeFailOn(findings, 'low')?.failing).toEqual([findings[0], findings[3]]);
    expect(worstUnaccepted(findings)).toBe('high');
    expect(worstUnaccepted([])).toBe('none');
    expect(FAIL_ON).toEqual(['critical', 'high', 'medium', 'low', 'never']);
  });

  it('names the first three failing findings', () => {
    const many = ['critical', 'high', 'high', 'low'].map((s) => finding(s as Finding['severity']));
    expect(nameFailing(many)).toBe('FULL_ADMIN on arn:aws:iam::123456789012:user/critical, FULL_ADMIN on arn:aws:iam::123456789012:user/high, FULL_ADMIN on arn:aws:iam::123456789012:user/high, ...');
    expect(nameFailing(many.slice(0, 1), (p) => p.toUpperCase())).toBe('FULL_ADMIN on ARN:AWS:IAM::123456789012:USER/CRITICAL');
  });
});
