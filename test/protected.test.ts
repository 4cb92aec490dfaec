/**
 * `protected` means protected. Laws:
 * - an entry protects the entity of its kind and name, case-insensitively, whatever path the entry or the entity
 *   has (IAM names are unique per kind): the plan never updates, replaces or deletes it (prune, `deleted: true` or a
 *   changed manifest), on random accounts with entities at random paths and entries in random spellings;
 * - an entry that matches nothing live or declared is a warning, at its line (plan); one that cannot match anything
 *   in the account (another account, not an IAM entity ARN) already in validate;
 * - apply against the emulator keeps a protected role that prune would delete, however the entry spells it.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { planChanges, validateManifests } from '../src/app/use-cases.js';
import { entityKey } from '../src/core/arn.js';
import { importLiveState } from '../src/importer/live-to-manifests.js';
import { manifestsFromFiles } from '../src/manifest/files-source.js';
import { emulatorsClosedAfterEachTest, exampleSnapshotJson } from './helpers/emulator.js';
import { exampleManifestFiles, importOptions, NOW, snapshotReader } from './helpers/example.js';
import { ACCOUNT, buildUniverse, chance, pick, randomAccount, seededRandom, uniqueSids, type Random, type UniverseAction } from './helpers/random-account.js';
import { runCli } from './helpers/run-cli.js';

type Json = Record<string, unknown>;
const SEED = Number(process.env['LAW_SEED'] ?? 20261217);
const emulator = emulatorsClosedAfterEachTest();

const randomPath = (random: Random): string => pick(random, ['/', '/ops/', '/a/b/', '/Team/x/']);
const randomCase = (random: Random, name: string): string => [...name].map((c) => (chance(random, 0.5) ? c.toUpperCase() : c.toLowerCase())).join('');

/** The account with its users, groups and roles moved to random paths (policies stay: attachments name their ARNs). */
function atRandomPaths(random: Random, snapshot: Json): Json {
  for (const [list, kind, nameKey] of [['UserDetailList', 'user', 'UserName'], ['GroupDetailList', 'group', 'GroupName'], ['RoleDetailList', 'role', 'RoleName']] as const) {
    for (const e of snapshot[list] as Json[]) {
      const path = randomPath(random);
      e['Path'] = path;
      e['Arn'] = `arn:aws:iam::${ACCOUNT}:${kind}${path}${String(e[nameKey])}`;
    }
  }
  return snapshot;
}

describe('protected entries match by kind and name, whatever the path (law on random accounts)', () => {
  let universe: UniverseAction[];
  beforeAll(async () => {
    universe = await buildUniverse(seededRandom(SEED), 6);
  });

  it(`no plan changes a protected entity, however its entry spells it (seed ${SEED})`, async () => {
    const random = seededRandom(SEED);
    let guarded = 0;
    for (let run = 0; run < 8; run++) {
      const live = atRandomPaths(random, uniqueSids(randomAccount(random, universe).snapshot));
      const imported = importLiveState(await snapshotReader(live).read(), await importOptions());
      const files = new Map([...imported.files].map(([path, text]) => [`m/${path}`, text]));
      const manifests = [...files.keys()].filter((p) => /\/(users|roles|groups|policies)\//.test(p));
      // Protect some entities, in entries with another path and another case; edit them and others.
      const chosen = manifests.filter(() => chance(random, 0.4));
      const entries: string[] = [];
      const keys = new Set<string>();
      for (const file of manifests) {
        const doc = parse(files.get(file)!) as Json;
        const kind = String(doc['kind']).toLowerCase() === 'boundary' ? 'policy' : String(doc['kind']).toLowerCase();
        const name = String(doc['name']);
        if (chosen.includes(file)) {
          entries.push(`arn:aws:iam::${ACCOUNT}:${kind}${randomPath(random)}${randomCase(random, name)}`);
          keys.add(`${ACCOUNT}|${kind}|${name.toLowerCase()}`);
        }
        const r = random();
        if ((kind === 'user' || kind === 'role') && r < 0.3) files.delete(file); // prune deletes it
        else if ((kind === 'user' || kind === 'role') && r < 0.5) files.set(file, stringify({ ...doc, deleted: true }));
        else if (kind !== 'group' && r < 0.8) files.set(file, stringify({ ...doc, tags: { ...(doc['tags'] as Json), edited: `run-${run}` } }));
        else if (kind === 'role') files.set(file, stringify({ ...doc, path: '/moved/' })); // a replacement
      }
      entries.push(`arn:aws:iam::${ACCOUNT}:role/no-such-role-${run}`);
      const accountFile = [...files.keys()].find((p) => p.endsWith('account.yaml'))!;
      files.set(accountFile, stringify({ ...(parse(files.get(accountFile)!) as Json), prune: true, protected: entries }));

      const planned = await planChanges(manifestsFromFiles('m', 'm', files), snapshotReader(live, `live-${run}.json`), NOW);
      const errors = planned.diagnostics.filter((d) => d.severity === 'error');
      if (!planned.plan) {
        // Deleting a group or policy would touch a protected member: refused, saying so.
        expect(errors.length, `run ${run}`).toBeGreaterThan(0);
        for (const e of errors) expect(e.summary, `run ${run}`).toMatch(/which is protected|refers to/);
        continue;
      }
      for (const change of planned.plan.changes) {
        for (const arn of [change.arn, change.previousArn, change.replaces, change.replacedBy]) {
          if (arn) expect(keys.has(entityKey(arn)!), `run ${run}: ${change.action} ${change.kind} ${change.name} is protected`).toBe(false);
        }
        for (const d of change.details) if (d.field === 'attachment') expect(keys.has(entityKey(d.principal)!), `run ${run}: ${d.principal}`).toBe(false);
      }
      guarded += keys.size;
      // The entry that names nothing is a warning at its line of the Account manifest.
      const unmatched = planned.plan.diagnostics.filter((d) => d.summary.includes('matches nothing'));
      expect(unmatched.map((d) => d.summary), `run ${run}`).toEqual([`protected entry arn:aws:iam::${ACCOUNT}:role/no-such-role-${run} matches nothing: no role named "no-such-role-${run}" is live or declared`]);
      expect(unmatched[0]!.severity).toBe('warning');
      expect(unmatched[0]!.at?.file).toBe(accountFile);
    }
    expect(guarded).toBeGreaterThan(10);
  }, 60_000);

  it('validate warns about entries that cannot match anything in the account; exact ones are quiet', async () => {
    const files = exampleManifestFiles();
    const account = 'manifests/account.yaml';
    files.set(account, `kind: Account\nid: "123456789012"\nprotected:\n  - arn:aws:iam::123456789012:role/break-glass\n  - arn:aws:iam::999999999999:role/break-glass\n  - arn:aws:s3:::audit-logs\n  - arn:aws:iam::123456789012:roles/break-glass\n`);
    const result = await validateManifests(manifestsFromFiles('manifests', 'manifests', files));
    const protectedWarnings = result.diagnostics.filter((d) => d.summary.startsWith('protected entry'));
    expect(protectedWarnings.map((d) => `${d.severity} ${d.at?.line}: ${d.summary}`)).toEqual([
      'warning 5: protected entry arn:aws:iam::999999999999:role/break-glass matches nothing: it is in account 999999999999, and this folder manages 123456789012',
      'warning 6: protected entry arn:aws:s3:::audit-logs matches nothing: it is not the ARN of an IAM user, group, role, policy, instance profile or identity provider of this account',
      'warning 7: protected entry arn:aws:iam::123456789012:roles/break-glass matches nothing: it is not the ARN of an IAM user, group, role, policy, instance profile or identity provider of this account',
    ]);
    expect(result.desired).toBeDefined();
  });
});

describe('against the emulator', () => {
  it('prune: true keeps a protected role and the caller however their entries spell them; an entry naming nothing warns', async () => {
    const e = await emulator(exampleSnapshotJson());
    const dir = join(mkdtempSync(join(tmpdir(), 'iam-gitops-protected-')), 'manifests');
    for (const [path, text] of exampleManifestFiles()) {
      const target = join(dir, path.replace(/^manifests\//, ''));
      mkdirSync(join(target, '..'), { recursive: true });
      writeFileSync(target, text);
    }
    writeFileSync(join(dir, 'account.yaml'), 'kind: Account\nid: "123456789012"\nprune: true\nprotected:\n  - arn:aws:iam::123456789012:role/admin/Break-Glass\n  - arn:aws:iam::123456789012:user/ops/EMULATOR-ADMIN\n  - arn:aws:iam::123456789012:role/brake-glass\n');
    const plan = await runCli(['plan', ...e.awsArgs, '--manifests', dir], e.env);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toMatch(/account\.yaml:7:5: warning: protected entry arn:aws:iam::123456789012:role\/brake-glass matches nothing: no role named "brake-glass" is live or declared/);
    expect(plan.stdout).toContain('arn:aws:iam::123456789012:role/break-glass');
    expect(plan.stdout).not.toMatch(/delete role break-glass/);
    const applied = await runCli(['apply', ...e.awsArgs, '--manifests', dir, '--auto-approve'], e.env);
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toMatch(/delete user old-contractor ok/);
    expect(e.model.roles.has('break-glass')).toBe(true);
    expect(e.model.users.has('emulator-admin')).toBe(true);
  });
});
