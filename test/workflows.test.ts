/**
 * The workflow templates, the example OIDC roles and action.yml: what they promise (safe triggers, permissions,
 * serial applies, pinned trust) checked on the files users copy.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { auditAccount } from '../src/app/use-cases.js';
import { manifestsFromFiles } from '../src/manifest/files-source.js';
import { exampleManifestFiles, exampleSnapshot, NOW, snapshotReader } from './helpers/example.js';
import { PROJECT_ROOT } from './helpers/fixtures.js';
import { evaluateExpression, isTruthy } from './helpers/github-expression.js';

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
    expect(apply.permissions).toEqual({ contents: 'read', 'id-token': 'write', 'pull-requests': 'write', actions: 'read' });
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
      expect(runner.if).toMatch(/^needs\.accounts\.outputs\.count != '0'( && |$)/);
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

describe('templates copied as written are safe (issue 16, item 13)', () => {
  type Job = { if?: string; needs?: string | string[]; environment?: string; 'timeout-minutes'?: number; steps: { uses?: string; with?: Record<string, unknown> }[] };
  const TEMPLATES = (function list(dir: string): string[] {
    return readdirSync(join(PROJECT_ROOT, dir), { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? list(`${dir}/${e.name}`) : e.name.endsWith('.yml') ? [`${dir}/${e.name}`] : []));
  })('examples/workflows');
  const jobsOf = (file: string): Record<string, Job> => (parse(read(file)) as { jobs: Record<string, Job> }).jobs;
  const commandOf = (job: Job): unknown => job.steps.find((s) => s.uses?.includes('iam-gitops'))?.with?.['command'];

  it('finds the templates', () => {
    expect(TEMPLATES.sort()).toEqual(['examples/workflows/iam-apply.yml', 'examples/workflows/iam-drift.yml', 'examples/workflows/iam-plan.yml', 'examples/workflows/iam-rightsize.yml', 'examples/workflows/many-accounts/iam-apply.yml', 'examples/workflows/many-accounts/iam-drift.yml', 'examples/workflows/many-accounts/iam-plan.yml']);
  });

  it('every job has a timeout (GitHub\'s default is six hours of a stuck runner)', () => {
    for (const file of TEMPLATES) {
      for (const [name, job] of Object.entries(jobsOf(file))) {
        expect(job['timeout-minutes'], `${file}: ${name}`).toBeTypeOf('number');
        expect(job['timeout-minutes']!, `${file}: ${name}`).toBeGreaterThan(0);
        expect(job['timeout-minutes']!, `${file}: ${name}`).toBeLessThanOrEqual(60);
      }
    }
  });

  it('the files their comments name exist (next to the template, or in the config repo they create)', () => {
    let checked = 0;
    for (const file of TEMPLATES) {
      const lines = read(file).split('\n');
      const comments = lines.map((l) => /(?:^|\s)#(.*)$/.exec(l)?.[1] ?? '').join('\n');
      const code = lines.map((l) => l.replace(/(?:^|\s)#.*$/, '')).join('\n');
      const named = [...comments.matchAll(/[\w./{}-]*[\w}]\.(?:ya?ml|json)\b/g)].map((m) => m[0]);
      for (const name of named) {
        checked++;
        const here = join(PROJECT_ROOT, dirname(file), name);
        // Snapshots live in the user's config repo (`iam-gitops snapshot --aws --out snapshots/...`), as the template's own inputs say.
        const configRepoFile = name.startsWith('snapshots/') && /['(]snapshots\//.test(code);
        expect(existsSync(here) || configRepoFile, `${file} names ${name} (${relative(PROJECT_ROOT, here)})`).toBe(true);
      }
    }
    expect(checked).toBeGreaterThan(4);
  });

  it('a template that names an environment says, first, how to create it protected, and may read its protection', () => {
    const withEnvironment = TEMPLATES.filter((file) => Object.values(jobsOf(file)).some((j) => j.environment !== undefined));
    expect(withEnvironment.sort()).toEqual(['examples/workflows/iam-apply.yml', 'examples/workflows/many-accounts/iam-apply.yml']);
    for (const file of withEnvironment) {
      const header = read(file).split('\n').filter((l, i, all) => all.slice(0, i + 1).every((x) => x.startsWith('#'))).join('\n');
      expect(header, file).toMatch(/BEFORE the first run|BEFORE an account's first apply/);
      expect(header, file).toContain('GitHub create it with no protection');
      expect(header, file).toContain('"Required reviewers"');
      expect(header, file).toMatch(/"Deployment branches and tags": selected branches, "main"/);
      expect(header, file).toMatch(/gh api -X PUT repos\/OWNER\/REPO\/environments\/iam-\S+ --input -/);
      expect(header, file).toMatch(/"reviewers":\[\{"type":"Team","id":TEAM_ID\}\],"deployment_branch_policy":\{"protected_branches":false,"custom_branch_policies":true\}/);
      expect(header, file).toMatch(/gh api -X POST repos\/OWNER\/REPO\/environments\/iam-\S+\/deployment-branch-policies -f name=main -f type=branch/);
      expect((parse(read(file)) as Workflow).permissions['actions'], file).toBe('read');
    }
    const readme = read('README.md');
    expect(readme).toContain('### The apply environment');
    expect(readme).toMatch(/gh api -X PUT repos\/OWNER\/REPO\/environments\/iam-production/);
  });

  it('apply and drift run on the default branch only, by hand too; their other triggers still run them', () => {
    const event = (name: string, ref: string, payload: Record<string, unknown>) => ({ github: { event_name: name, ref, event: payload }, needs: { accounts: { outputs: { count: '2', matrix: '{}' } } } });
    const repository = { repository: { default_branch: 'main' } };
    const cases = {
      'push to main': event('push', 'refs/heads/main', { ...repository, before: 'a'.repeat(40) }),
      'by hand on main': event('workflow_dispatch', 'refs/heads/main', { ...repository, inputs: {} }),
      'by hand on a branch': event('workflow_dispatch', 'refs/heads/add-admin', { ...repository, inputs: {} }),
      'by hand on a tag': event('workflow_dispatch', 'refs/tags/v1', { ...repository, inputs: {} }),
      // A scheduled run's payload carries no repository: the run is on the default branch.
      schedule: event('schedule', 'refs/heads/main', { schedule: '17 6 * * *' }),
    };
    for (const file of TEMPLATES) {
      const workflow = parse(read(file)) as Workflow;
      const jobs = jobsOf(file);
      const acting = Object.entries(jobs).filter(([, j]) => commandOf(j) === 'apply' || commandOf(j) === 'drift');
      if (acting.length === 0) continue;
      const triggers = Object.keys(workflow.on);
      expect(triggers, file).toContain('workflow_dispatch');
      const runs = (name: string, context: Record<string, unknown>): boolean => {
        const job = jobs[name]!;
        const needs = typeof job.needs === 'string' ? [job.needs] : (job.needs ?? []);
        return needs.every((n) => runs(n, context)) && (job.if === undefined || isTruthy(evaluateExpression(job.if, context)));
      };
      for (const [name] of acting) {
        expect(runs(name, cases['by hand on main']), `${file}: ${name} by hand on main`).toBe(true);
        expect(runs(name, cases['by hand on a branch']), `${file}: ${name} by hand on a branch`).toBe(false);
        expect(runs(name, cases['by hand on a tag']), `${file}: ${name} by hand on a tag`).toBe(false);
        if (triggers.includes('push')) expect(runs(name, cases['push to main']), `${file}: ${name} on push`).toBe(true);
        if (triggers.includes('schedule')) expect(runs(name, cases.schedule), `${file}: ${name} on schedule`).toBe(true);
      }
    }
  });

  it('the expression evaluator reads GitHub\'s expressions as GitHub does', () => {
    const context = { github: { ref: 'refs/heads/Main', event: { repository: { default_branch: 'main' } } } };
    expect(evaluateExpression("${{ github.ref == format('refs/heads/{0}', github.event.repository.default_branch) }}", context)).toBe(true);
    expect(evaluateExpression("github.event.missing.default_branch == ''", context)).toBe(true);
    expect(evaluateExpression("!github.event.fork && 'a' || 'b'", context)).toBe('a');
    expect(evaluateExpression("github.event.fork && 'a' || 'b'", context)).toBe('b');
  });
});

describe('action.yml', () => {
  it('declares exactly the inputs the Action reads and the outputs it sets, and runs dist/index.js on node24', () => {
    const action = parse(read('action.yml')) as { inputs: Record<string, { default?: string }>; outputs: Record<string, unknown>; runs: Record<string, string> };
    expect(Object.keys(action.inputs).sort()).toEqual(['aws-region', 'changed-since', 'command', 'comment', 'fail-on', 'github-token', 'manifests', 'role-template', 'role-to-assume', 'state']);
    expect(action.inputs['github-token']!.default).toBe('${{ github.token }}');
    expect(action.inputs['fail-on']!.default).toBe('high');
    expect(Object.keys(action.outputs).sort()).toEqual(['count', 'drift-issue', 'has-changes', 'has-drift', 'lock-file', 'lock-file-changed', 'matrix', 'max-severity', 'plan-path', 'rightsize-edits', 'rightsize-pull-request', 'verdict']);
    expect(action.runs).toEqual({ using: 'node24', main: 'dist/index.js' });
    // The Action's entry: its inputs (inputs.ts) and the outputs its commands set.
    const source = readdirSync(join(PROJECT_ROOT, 'src/action')).filter((f) => f.endsWith('.ts')).map((f) => read(`src/action/${f}`)).join('\n');
    for (const input of Object.keys(action.inputs)) expect(source, input).toMatch(new RegExp(`(getInput\\(|optional\\(|choice\\()'${input}'`));
    for (const output of Object.keys(action.outputs)) expect(source, output).toMatch(new RegExp(`setOutput\\('${output}'`));
  });
});
