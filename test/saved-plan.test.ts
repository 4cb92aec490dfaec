/**
 * A saved plan is an approval, never instructions. Laws:
 * - apply runs only the plan it computes itself, and only when the saved plan (or drift report) equals it: a file
 *   changed in anything apply compares is refused before any write, saying what differs and where; a file changed
 *   only in what it explains (reasons, source lines, the analyses) is accepted, as they are recomputed;
 * - a malformed file is refused at the place that is wrong (the schema of the plan contract);
 * - every guard judges a step by the entity its IAM calls name, whatever the change around it says.
 * Attacks tried through the CLI against the emulator (the real SDK); the laws on random plans and random edits of
 * their files, in process.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { compareSavedPlan, readSavedPlan } from '../src/apply/saved-plan.js';
import { jsonPathOffset } from '../src/core/json-location.js';
import { lockoutRisks } from '../src/apply/lockout.js';
import { scheduleSteps } from '../src/apply/steps.js';
import { planChanges } from '../src/app/use-cases.js';
import { entityIdentity } from '../src/core/arn.js';
import { stableStringify } from '../src/core/policy.js';
import { importLiveState } from '../src/importer/live-to-manifests.js';
import { manifestsFromFiles } from '../src/manifest/files-source.js';
import type { Change, Plan } from '../src/plan/plan.js';
import { emulatorsClosedAfterEachTest, exampleSnapshotJson, type TestEmulator } from './helpers/emulator.js';
import { exampleSnapshot, importOptions, NOW, planFiles, exampleManifestFiles, snapshotReader } from './helpers/example.js';
import { buildUniverse, chance, pick, randomAccount, randomPolicy, seededRandom, uniqueSids, type Random, type UniverseAction } from './helpers/random-account.js';
import { runCli } from './helpers/run-cli.js';

type Json = Record<string, unknown>;
const SEED = Number(process.env['LAW_SEED'] ?? 20261216);
const tmp = mkdtempSync(join(tmpdir(), 'iam-gitops-saved-plan-'));
const emulator = emulatorsClosedAfterEachTest();
const WRITE = /^(Create|Delete|Put|Attach|Detach|Add|Remove|Update|Tag|Untag|Set|Enable|Deactivate|Upload)/;
const writes = (e: TestEmulator): string[] => Object.keys(e.calls().byAction).filter((a) => WRITE.test(a));
const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;
const ADMIN = 'arn:aws:iam::aws:policy/AdministratorAccess';

describe('attacks on a saved plan, through the CLI against the emulator', () => {
  it('refuses every tampered file before any write, naming what differs; applies the honest one', async () => {
    const e = await emulator(exampleSnapshotJson());
    const saved = join(tmp, 'plan.json');
    expect((await runCli(['plan', ...e.awsArgs, '--manifests', 'manifests', '--format', 'json', '--out', saved], e.env)).code).toBe(0);
    const honest = JSON.parse(readFileSync(saved, 'utf8')) as Json & { changes: Json[] };
    const index = (action: string, name: string): number => honest.changes.findIndex((c) => c['action'] === action && c['name'] === name);
    const developers = index('update', 'developers');
    const deployLambda = index('update', 'deploy-lambda');
    const legacy = index('delete', 'legacy-batch');
    expect(Math.min(developers, deployLambda, legacy)).toBeGreaterThanOrEqual(0);

    const attacks: [string, (p: Json & { changes: Json[] }) => void, RegExp][] = [
      ['a hand-added AdministratorAccess attachment', (p) => (p.changes[developers]!['details'] as Json[]).push({ field: 'managedPolicy', arn: ADMIN, op: 'attach' }), new RegExp(`changes\\[${developers}\\]\\.details \\(update group developers\\) has 2 entries in the saved plan and 1 now; the first not in the plan now: \\{"field":"managedPolicy","arn":"${ADMIN}","op":"attach"\\}`)],
      ['a backdoor inline policy', (p) => (p.changes[developers]!['details'] as Json[]).unshift({ field: 'inlinePolicy', name: 'backdoor', before: null, after: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] } }), new RegExp(`changes\\[${developers}\\]\\.details\\[0\\]\\.name \\(update group developers\\) is "backdoor" in the saved plan, "read-logs" now`)],
      ['a changed document inside an existing change', (p) => (((p.changes[deployLambda]!['details'] as Json[])[0]!['after'] as Json)['Statement'] as Json[]).push({ Effect: 'Allow', Action: 'iam:*', Resource: '*' }), new RegExp(`changes\\[${deployLambda}\\]\\.details\\[0\\]\\.after\\.Statement \\(update policy deploy-lambda\\) has 3 entries in the saved plan and 2 now; the first not in the plan now: \\{"Effect":"Allow","Action":"iam:\\*","Resource":"\\*"\\}`)],
      ['two changes swapped', (p) => ([p.changes[0], p.changes[1]] = [p.changes[1]!, p.changes[0]!]), /changes\[0\] is update policy read-artifacts, and the plan now has update policy deploy-lambda there: the order differs/],
      ['a change repeated', (p) => p.changes.push(clone(p.changes[legacy]!)), new RegExp(`changes\\[${honest.changes.length}\\] \\(delete role legacy-batch\\) is there 2 times, and once in the plan now`)],
      ['a change left out', (p) => p.changes.splice(legacy, 1), /the plan now has a change the saved plan lacks: delete role legacy-batch/],
      ['a protected role to delete, under another change\'s ARN', (p) => (p.changes[legacy]!['name'] = 'break-glass'), new RegExp(`changes\\[${legacy}\\] \\(delete role break-glass\\) is not in the plan now`)],
      ['an ARN changed under the same name', (p) => (p.changes[legacy]!['arn'] = 'arn:aws:iam::123456789012:role/break-glass'), new RegExp(`changes\\[${legacy}\\]\\.arn \\(delete role legacy-batch\\) is "arn:aws:iam::123456789012:role/break-glass" in the saved plan, "arn:aws:iam::123456789012:role/legacy-batch" now`)],
      ['a new administrator', (p) => p.changes.splice(1, 0, { action: 'create', kind: 'user', name: 'mallory', arn: 'arn:aws:iam::123456789012:user/mallory', path: '/', reason: 'looks routine', details: [{ field: 'managedPolicy', arn: ADMIN, op: 'attach' }] }), /changes\[1\] \(create user mallory\) is not in the plan now/],
      ['an unknown field on a change', (p) => (p.changes[0]!['runAs'] = 'root'), /is not a plan this version can apply: changes\[0\]\.runAs: unknown field "runAs"/],
      ['an unknown field on a detail', (p) => ((p.changes[developers]!['details'] as Json[])[0]!['extra'] = true), new RegExp(`is not a plan this version can apply: changes\\[${developers}\\]\\.details\\[0\\]\\.extra: unknown field "extra"`)],
      ['an unknown top-level field', (p) => (p['steps'] = [{ op: 'attach' }]), /is not a plan this version can apply: steps: unknown field "steps"/],
      ['a detail of an unknown shape', (p) => ((p.changes[developers]!['details'] as Json[])[0]!['field'] = 'sudo'), new RegExp(`is not a plan this version can apply: changes\\[${developers}\\]\\.details\\[0\\]\\.field: `)],
      ['a summary that hides the deletion', (p) => ((p['summary'] as Json)['delete'] = 0), /summary\.delete is 0 in the saved plan, 1 now/],
    ];
    for (const [name, tamper, says] of attacks) {
      const plan = clone(honest);
      tamper(plan);
      const file = join(tmp, `${name.replace(/\W+/g, '-')}.json`);
      const text = JSON.stringify(plan, null, 2);
      writeFileSync(file, text);
      const run = await runCli(['apply', ...e.awsArgs, '--manifests', 'manifests', '--plan', file, '--auto-approve'], e.env);
      expect(run.code, name).toBe(1);
      expect(run.stderr, name).toMatch(says);
      // Every message names the place in the file.
      expect(run.stderr, name).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: error: `, 'm'));
      expect(run.stdout, name).toBe('');
      expect(writes(e), name).toEqual([]);
    }
    // The place named is the place that is wrong: the unknown field's line.
    const placed = clone(honest);
    placed.changes[0]!['runAs'] = 'root';
    const placedFile = join(tmp, 'placed.json');
    const placedText = JSON.stringify(placed, null, 2);
    writeFileSync(placedFile, placedText);
    const line = placedText.split('\n').findIndex((l) => l.includes('"runAs"')) + 1;
    expect((await runCli(['apply', ...e.awsArgs, '--manifests', 'manifests', '--plan', placedFile, '--auto-approve'], e.env)).stderr).toContain(`${placedFile}:${line}:7: error:`);
    // Not JSON at all, and JSON that is not a plan.
    writeFileSync(join(tmp, 'broken.json'), '{"formatVersion": 1,');
    expect((await runCli(['apply', ...e.awsArgs, '--manifests', 'manifests', '--plan', join(tmp, 'broken.json'), '--auto-approve'], e.env)).stderr).toMatch(/broken\.json:1:\d+: error: .*broken\.json is not a plan: invalid JSON/);
    writeFileSync(join(tmp, 'list.json'), '[]');
    expect((await runCli(['apply', ...e.awsArgs, '--manifests', 'manifests', '--plan', join(tmp, 'list.json'), '--auto-approve'], e.env)).stderr).toContain('is not a plan: it holds a list, not a JSON object');
    expect(writes(e)).toEqual([]);

    // Reasons and source lines explain, they do not act: a plan saved from elsewhere (other paths) is the same plan.
    const moved = clone(honest);
    for (const c of moved.changes) {
      c['reason'] = String(c['reason']).replace('manifests/', './manifests/');
      if (c['source']) (c['source'] as Json)['file'] = `./${String((c['source'] as Json)['file'])}`;
    }
    writeFileSync(join(tmp, 'moved.json'), JSON.stringify(moved));
    const applied = await runCli(['apply', ...e.awsArgs, '--manifests', 'manifests', '--plan', join(tmp, 'moved.json'), '--auto-approve'], e.env);
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toMatch(/Apply complete: 13 steps applied/);
    expect(writes(e)).not.toContain('AttachGroupPolicy');
  }, 60_000);

  it('a saved drift report is under the same law: tampered, it is refused; as saved, it restores the manifests', async () => {
    const e = await emulator(exampleSnapshotJson());
    const manifests = join(tmp, 'drift-manifests');
    expect((await runCli(['import', ...e.awsArgs, '--out', manifests], e.env)).code).toBe(0);
    // The manifests say what live IAM says; then a hand makes ci-readonly an administrator.
    e.model.attachPolicy('role', 'ci-readonly', ADMIN);
    const file = join(tmp, 'drift.json');
    expect((await runCli(['drift', ...e.awsArgs, '--manifests', manifests, '--format', 'json', '--out', file], e.env)).code).toBe(2);
    const report = JSON.parse(readFileSync(file, 'utf8')) as Json & { changes: Json[] };
    expect(report['perspective']).toBe('drift');
    expect(report.changes.map((c) => `${String(c['action'])} ${String(c['name'])}`)).toEqual(['update ci-readonly']);
    // Turned round: keep the administrator, and detach something else instead.
    const tampered = clone(report);
    (tampered.changes[0]!['details'] as Json[])[0]!['op'] = 'attach';
    writeFileSync(join(tmp, 'drift-tampered.json'), JSON.stringify(tampered));
    const refused = await runCli(['apply', ...e.awsArgs, '--manifests', manifests, '--plan', join(tmp, 'drift-tampered.json'), '--auto-approve'], e.env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/changes\[0\]\.details\[0\]\.op \(update role ci-readonly\) is "attach" in the saved plan, "detach" now/);
    expect(writes(e)).toEqual([]);
    const applied = await runCli(['apply', ...e.awsArgs, '--manifests', manifests, '--plan', file, '--auto-approve'], e.env);
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toContain('Verified: live IAM matches the manifests.');
    expect(e.model.role('ci-readonly').attached).not.toContain(ADMIN);
  }, 60_000);
});

describe('the law on random plans and random edits of their files (in process)', () => {
  let universe: UniverseAction[];
  /** The example's plan and plans of random accounts changed by hand, shared by the laws below. */
  let plans: Plan[];
  beforeAll(async () => {
    universe = await buildUniverse(seededRandom(SEED), 6);
    plans = await randomPlans(seededRandom(SEED + 1), 4);
  });

  /** Plans of random accounts changed by hand (so they hold creates, updates, deletes, documents), and the example's. */
  async function randomPlans(random: Random, count: number): Promise<Plan[]> {
    const plans = [await planFiles(exampleManifestFiles())];
    for (let i = 0; i < count; i++) {
      const a = uniqueSids(randomAccount(random, universe).snapshot);
      const b = clone(a);
      for (const user of (b['UserDetailList'] as Json[]).slice(0, 3)) for (const inline of (user['UserPolicyList'] as Json[] | undefined) ?? []) inline['PolicyDocument'] = randomPolicy(random, universe);
      (b['UserDetailList'] as Json[]).pop();
      const imported = importLiveState(await snapshotReader(a, `a-${i}.json`).read(), await importOptions());
      const manifests = manifestsFromFiles('m', 'm', new Map([...imported.files].map(([path, text]) => [`m/${path}`, text])));
      const planned = await planChanges(manifests, snapshotReader(b, `b-${i}.json`), NOW);
      if (planned.plan && planned.plan.changes.length) plans.push(planned.plan);
    }
    return plans;
  }

  /** Every place in a JSON value, with its path. */
  function places(value: unknown, path: (string | number)[] = []): (string | number)[][] {
    const out: (string | number)[][] = [path];
    if (Array.isArray(value)) value.forEach((v, i) => out.push(...places(v, [...path, i])));
    else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) out.push(...places(v, [...path, k]));
    return out;
  }

  /** Places apply does not compare: explanations, and the analyses it recomputes. */
  const explains = (path: readonly (string | number)[]): boolean =>
    ['access', 'trust', 'findings', 'diagnostics', 'pullRequest'].includes(String(path[0])) ||
    (path[0] === 'live' && path[1] === 'source') ||
    (path[0] === 'changes' && ['reason', 'source', 'origin', 'files'].includes(String(path[2])));

  /** One random edit that certainly changes the value there; undefined when none fits. */
  function edit(random: Random, root: Json, path: (string | number)[]): string | undefined {
    const parent = path.slice(0, -1).reduce<unknown>((v, k) => (v as Record<string | number, unknown>)[k], root) as Record<string | number, unknown> | unknown[] | undefined;
    const at = path.reduce<unknown>((v, k) => (v as Record<string | number, unknown>)[k], root);
    const key = path[path.length - 1];
    const r = random();
    if (Array.isArray(at) && at.length > 0 && r < 0.5) {
      const i = Math.floor(random() * at.length);
      if (chance(random, 0.5)) at.splice(i, 1);
      else at.splice(i, 0, clone(at[i]));
      return 'length';
    }
    if (at !== null && typeof at === 'object' && !Array.isArray(at) && r < 0.5) {
      (at as Json)[pick(random, ['extra', 'Sid', 'op', 'x'])] = 'added';
      if (stableStringify(at) === stableStringify(parent)) return undefined;
      return 'key';
    }
    if (parent === undefined || key === undefined) return undefined;
    const set = (v: unknown): void => void ((parent as Record<string | number, unknown>)[key] = v);
    if (typeof at === 'string') set(`${at}~`);
    else if (typeof at === 'number') set(at + 1);
    else if (typeof at === 'boolean') set(!at);
    else if (!Array.isArray(parent) && chance(random, 0.5)) delete (parent as Json)[key];
    else return undefined;
    return 'value';
  }

  it(`an edit of anything apply compares is refused; an edit of an explanation is not (seed ${SEED})`, async () => {
    const random = seededRandom(SEED);
    let compared = 0;
    let explained = 0;
    for (const plan of plans) {
      const json = clone(plan) as unknown as Json;
      const all = places(json).filter((p) => p.length > 0);
      for (let n = 0; n < 200; n++) {
        const copy = clone(json);
        const path = pick(random, all);
        const kind = edit(random, copy, path);
        if (!kind) continue;
        const text = JSON.stringify(copy);
        const read = readSavedPlan('saved.json', text);
        const refusal = read.saved ? compareSavedPlan(read.saved, plan) : read.diagnostics;
        const where = `${path.join('.')} (${kind})`;
        if (!explains(path)) {
          compared++;
          expect(refusal.length, where).toBeGreaterThan(0);
          expect(refusal.every((d) => d.severity === 'error' && d.at?.file === 'saved.json'), where).toBe(true);
        } else if (kind === 'value' && typeof path.reduce<unknown>((v, k) => (v as Record<string | number, unknown>)?.[k], json) !== 'boolean' && (path[0] !== 'diagnostics' || path[2] === 'summary' || path[2] === 'detail')) {
          // A changed text or number in an explanation: the same plan.
          const before = path.reduce<unknown>((v, k) => (v as Record<string | number, unknown>)?.[k], copy);
          if (before === undefined) continue;
          explained++;
          expect(refusal, where).toEqual([]);
        }
      }
    }
    expect(compared).toBeGreaterThan(150);
    expect(explained).toBeGreaterThan(50);
  }, 60_000);

  it('the saved plan as written is accepted, for every random plan', async () => {
    for (const plan of plans) {
      const read = readSavedPlan('saved.json', JSON.stringify(plan, null, 2));
      expect(read.diagnostics).toEqual([]);
      expect(compareSavedPlan(read.saved!, plan)).toEqual([]);
    }
  });

  it('every step targets the entity its IAM call names, whatever name or ARN the change carries', async () => {
    // The name each op sends to IAM: its owner, user, role or name; a policy op its policy ARN.
    const opName = (op: Record<string, unknown>): string | undefined => (op['owner'] ?? op['user'] ?? op['role'] ?? op['name'] ?? (op['arn'] as string | undefined)?.split('/').pop()) as string | undefined;
    let checked = 0;
    for (const plan of plans) {
      // Each change's name swapped with another's (ARNs left): what a tampered file would have said.
      const names = plan.changes.map((c) => c.name);
      const tampered: Change[] = plan.changes.map((c, i) => ({ ...c, name: names[(i + 1) % names.length]! }));
      for (const step of scheduleSteps({ changes: tampered })) {
        const op = step.op as unknown as Record<string, unknown>;
        expect(entityIdentity(step.target)?.name, `${step.title}`).toBe(opName(op));
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(20);
  });

  it('the lockout guard sees the deletion of a protected role that a change files under another ARN', async () => {
    const plan = await planFiles(exampleManifestFiles());
    const change = plan.changes.find((c) => c.action === 'delete' && c.name === 'legacy-batch')!;
    const forged: Change = { ...change, name: 'break-glass' };
    const state = (await snapshotReader(exampleSnapshot()).read()).state;
    const risks = lockoutRisks({ before: state, after: state, steps: scheduleSteps({ changes: [forged] }), trust: [], protected: ['arn:aws:iam::123456789012:role/BREAK-GLASS'], managedPaths: ['/'], options: { isWildcardOnlyAction: () => false } });
    expect(risks.map((r) => r.summary)).toEqual(['protected arn:aws:iam::123456789012:role/break-glass is deleted by this plan']);
  });
});

describe('places in a saved plan', () => {
  it('jsonPathOffset finds every value and key of any JSON text, compact or indented', () => {
    const paths = (value: unknown, path: (string | number)[] = []): { path: (string | number)[]; value: unknown }[] => [
      { path, value },
      ...(Array.isArray(value) ? value.flatMap((v, i) => paths(v, [...path, i])) : value !== null && typeof value === 'object' ? Object.entries(value).flatMap(([k, v]) => paths(v, [...path, k])) : []),
    ];
    fc.assert(
      fc.property(fc.jsonValue(), fc.constantFrom(0, 2), (value, indent) => {
        const text = JSON.stringify(value, null, indent);
        for (const { path, value: sub } of paths(JSON.parse(text))) {
          const at = jsonPathOffset(text, path);
          expect(text.slice(at).startsWith(JSON.stringify(sub, null, indent).split('\n')[0]!), `${JSON.stringify(path)} in ${text}`).toBe(true);
          const last = path[path.length - 1];
          if (typeof last === 'string') expect(text.startsWith(JSON.stringify(last), jsonPathOffset(text, path, true)), JSON.stringify(path)).toBe(true);
        }
        // A path that goes nowhere ends at the deepest place it reached.
        expect(jsonPathOffset(text, ['no such key', 3])).toBe(typeof value === 'object' && value !== null ? text.search(/[[{]/) : 0);
      }),
      { numRuns: 300 },
    );
  });
});

describe('a saved plan nested past the input limit', () => {
  it('is refused at the place it goes too deep, before anything reads it further', () => {
    const deep = `{"formatVersion": 1, "changes": ${'['.repeat(5000)}${']'.repeat(5000)}}`;
    const read = readSavedPlan('deep.json', deep);
    expect(read.saved).toBeUndefined();
    expect(read.diagnostics.map((d) => [d.summary, d.at?.line])).toEqual([[expect.stringMatching(/^deep\.json is not a plan: .*nest/), 1]]);
  });
});
