/**
 * The workflow templates, the example OIDC roles and action.yml: what they promise (safe triggers, permissions,
 * serial applies, pinned trust) checked on the files users copy.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { auditAccount } from '../src/app/use-cases.js';
import { manifestsFromFiles } from '../src/manifest/files-source.js';
import { exampleManifestFiles, exampleSnapshot, NOW, snapshotReader } from './helpers/example.js';
import { PROJECT_ROOT } from './helpers/fixtures.js';

type Workflow = { on: Record<string, unknown>; permissions: Record<string, string>; concurrency?: { group: string; 'cancel-in-progress': boolean }; jobs: Record<string, { environment?: string; steps: { uses?: string; with?: Record<string, unknown>; run?: string }[] }> };
const read = (file: string): string => readFileSync(join(PROJECT_ROOT, file), 'utf8');
const workflow = (file: string): Workflow => parse(read(file)) as Workflow;

describe('workflow templates', () => {
  it('plan runs on pull_request (never pull_request_target), may comment and get an OIDC token, and fetches the base', () => {
    const plan = workflow('examples/workflows/iam-plan.yml');
    expect(Object.keys(plan.on)).toEqual(['pull_request']);
    expect(read('examples/workflows/iam-plan.yml')).not.toMatch(/^\s*pull_request_target:/m);
    expect(plan.permissions).toEqual({ contents: 'read', 'pull-requests': 'write', 'id-token': 'write' });
    const steps = Object.values(plan.jobs)[0]!.steps;
    expect(steps.find((s) => s.uses?.startsWith('actions/checkout'))?.with).toMatchObject({ 'fetch-depth': 0 });
    const action = steps.find((s) => s.uses?.includes('iam-gitops'))!;
    expect(action.with).toMatchObject({ command: 'plan', 'fail-on': 'high' });
    // GitHub expressions have no ternary: `a && '' || b` always yields b. Forks must get no role and the snapshot.
    for (const value of Object.values(action.with!)) expect(String(value)).not.toMatch(/&&\s*''\s*\|\|/);
    expect(action.with!['role-to-assume']).toBe("${{ !github.event.pull_request.head.repo.fork && vars.IAM_PLAN_ROLE_ARN || '' }}");
  });

  it('apply runs on push to main, one at a time and never cancelled, in a protected environment, with OIDC', () => {
    const apply = workflow('examples/workflows/iam-apply.yml');
    expect(apply.on['push']).toEqual({ branches: ['main'], paths: ['manifests/**'] });
    expect(apply.concurrency).toEqual({ group: 'iam-apply', 'cancel-in-progress': false });
    expect(apply.permissions).toEqual({ contents: 'read', 'id-token': 'write', 'pull-requests': 'write' });
    const job = Object.values(apply.jobs)[0]!;
    expect(job.environment).toBe('iam-production');
    expect(job.steps.find((s) => s.uses?.includes('iam-gitops'))?.with).toMatchObject({ command: 'apply' });
  });

  it('drift runs on a schedule (and by hand) with the read-only role, may write issues, and never two at once', () => {
    const drift = workflow('examples/workflows/iam-drift.yml');
    expect(Object.keys(drift.on).sort()).toEqual(['schedule', 'workflow_dispatch']);
    expect(drift.permissions).toEqual({ contents: 'read', 'id-token': 'write', issues: 'write' });
    expect(drift.concurrency).toEqual({ group: 'iam-drift', 'cancel-in-progress': true });
    const action = Object.values(drift.jobs)[0]!.steps.find((s) => s.uses?.includes('iam-gitops'))!;
    expect(action.with).toMatchObject({ command: 'drift', 'role-to-assume': '${{ vars.IAM_PLAN_ROLE_ARN }}' });
  });

  it('many accounts: a job finds the account folders, a matrix runs one job per account (skipped when none), none cancels another', () => {
    const jobsOf = (file: string) => workflow(`examples/workflows/many-accounts/${file}`).jobs as Record<string, { needs?: string; if?: string; outputs?: Record<string, string>; environment?: string; concurrency?: { group: string; 'cancel-in-progress': boolean }; strategy?: { 'fail-fast': boolean; matrix: string }; steps: { uses?: string; with?: Record<string, unknown> }[] }>;
    for (const [file, command, role] of [['iam-plan.yml', 'plan', 'iam-gitops-plan'], ['iam-apply.yml', 'apply', 'iam-gitops-apply'], ['iam-drift.yml', 'drift', 'iam-gitops-plan']] as const) {
      const jobs = jobsOf(file);
      const finder = jobs['accounts']!;
      expect(finder.outputs).toEqual({ matrix: '${{ steps.accounts.outputs.matrix }}', count: '${{ steps.accounts.outputs.count }}' });
      expect(finder.steps.find((s) => s.uses?.includes('iam-gitops'))?.with).toMatchObject({ command: 'accounts', manifests: 'accounts', 'role-template': `arn:aws:iam::{account}:role/automation/${role}` });
      const runner = jobs[command]!;
      expect(runner.needs).toBe('accounts');
      expect(runner.if).toBe("needs.accounts.outputs.count != '0'");
      expect(runner.strategy).toMatchObject({ 'fail-fast': false, matrix: '${{ fromJSON(needs.accounts.outputs.matrix) }}' });
      expect(runner.steps.find((s) => s.uses?.includes('iam-gitops'))?.with).toMatchObject({ command, manifests: '${{ matrix.folder }}' });
    }
    const apply = jobsOf('iam-apply.yml')['apply']!;
    expect(apply.concurrency).toEqual({ group: 'iam-apply-${{ matrix.account }}', 'cancel-in-progress': false });
    expect(apply.environment).toBe('iam-${{ matrix.name }}');
    expect(read('examples/workflows/many-accounts/iam-plan.yml')).not.toMatch(/^\s*pull_request_target:/m);
  });

  it('the dist workflow rebuilds the bundle and fails on a difference', () => {
    const dist = workflow('.github/workflows/dist.yml');
    const runs = Object.values(dist.jobs)[0]!.steps.map((s) => s.run ?? '').join('\n');
    expect(runs).toContain('npm run build:action');
    expect(runs).toContain('git diff --exit-code');
  });

  it('the example OIDC roles are valid manifests, pin aud and sub, and raise no trust finding', async () => {
    const files = exampleManifestFiles();
    files.set('manifests/automation/iam-roles.yaml', read('examples/workflows/iam-roles.yaml'));
    const docs = parseAllDocuments(read('examples/workflows/iam-roles.yaml')).map((d) => d.toJSON() as { name: string; trustPolicy: { Statement: { Condition: Record<string, Record<string, string | string[]>> }[] } });
    expect(docs.map((d) => [d.name, d.trustPolicy.Statement[0]!.Condition['StringEquals']!['token.actions.githubusercontent.com:sub']])).toEqual([
      ['iam-gitops-plan', ['repo:acme/iam-config:pull_request', 'repo:acme/iam-config:ref:refs/heads/main']],
      ['iam-gitops-apply', 'repo:acme/iam-config:environment:iam-production'],
    ]);
    const audit = await auditAccount(snapshotReader(exampleSnapshot()), manifestsFromFiles('manifests', 'manifests', files), NOW);
    expect(audit.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const ours = (audit.findings ?? []).filter((f) => f.principal.includes('/automation/iam-gitops-'));
    expect(ours.filter((f) => f.code.startsWith('TRUST_'))).toEqual([]);
  });
});

describe('action.yml', () => {
  it('declares exactly the inputs the Action reads and the outputs it sets, and runs dist/index.js on node24', () => {
    const action = parse(read('action.yml')) as { inputs: Record<string, { default?: string }>; outputs: Record<string, unknown>; runs: Record<string, string> };
    expect(Object.keys(action.inputs).sort()).toEqual(['aws-region', 'changed-since', 'command', 'comment', 'fail-on', 'github-token', 'manifests', 'role-template', 'role-to-assume', 'state']);
    expect(action.inputs['github-token']!.default).toBe('${{ github.token }}');
    expect(action.inputs['fail-on']!.default).toBe('high');
    expect(Object.keys(action.outputs).sort()).toEqual(['count', 'drift-issue', 'has-changes', 'has-drift', 'matrix', 'max-severity', 'plan-path', 'verdict']);
    expect(action.runs).toEqual({ using: 'node24', main: 'dist/index.js' });
    const source = read('src/action/run-action.ts');
    for (const input of Object.keys(action.inputs)) expect(source, input).toMatch(new RegExp(`(getInput\\(|optional\\(|choice\\()'${input}'`));
    for (const output of Object.keys(action.outputs)) expect(source, output).toContain(`setOutput('${output}'`);
  });
});
