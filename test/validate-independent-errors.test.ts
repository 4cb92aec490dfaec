/**
 * Law: `validate` reports every independent error in one run. Faults in different fields of one manifest (and in
 * different manifests) do not hide each other: the errors of any set of them together are the union of the errors
 * each gives alone. Tried on random sets of faults put into one new User, Group or Role beside the bundled example,
 * the place where one stage used to hide the next (an unknown field hid an unknown group; a duplicate name hid an
 * invalid path; a field of the wrong shape hid everything else).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { ActionCatalog } from '../src/catalog/action-catalog.js';
import { loadAwsManagedPolicies } from '../src/catalog/aws-managed-policies.js';
import { loadActionCatalog } from '../src/catalog/iam-data-catalog.js';
import { manifestsFromFiles } from '../src/manifest/files-source.js';
import { loadManifests } from '../src/manifest/load-manifests.js';
import { exampleManifestFiles } from './helpers/example.js';
import { seededRandom, type Random } from './helpers/random-account.js';

const SEED = Number(process.env['VALIDATE_SEED'] ?? 5122026);
const RUNS = 60;

let catalog: ActionCatalog;
beforeAll(async () => {
  catalog = await loadActionCatalog();
});

type Kind = 'User' | 'Group' | 'Role';
/** One fault: the lines it puts in the manifest (each fault owns its field), for the kinds that have that field. */
interface Fault {
  readonly name: string;
  readonly kinds: readonly Kind[];
  readonly lines: string;
}

const TRUST = 'trustPolicy:\n  Version: "2012-10-17"\n  Statement:\n    - Effect: Allow\n      Principal: {Service: lambda.amazonaws.com}\n      Action: sts:AssumeRole\n';
const FAULTS: readonly Fault[] = [
  { name: 'unknown field', kinds: ['User', 'Group', 'Role'], lines: 'favourite: blue\n' },
  { name: 'invalid path', kinds: ['User', 'Group', 'Role'], lines: 'path: no-slashes\n' },
  { name: 'unknown group', kinds: ['User'], lines: 'groups: [no-such-group]\n' },
  { name: 'unknown managed policy', kinds: ['User', 'Group', 'Role'], lines: 'managedPolicies: [no-such-policy]\n' },
  { name: 'unknown boundary', kinds: ['User', 'Role'], lines: 'permissionsBoundary: no-such-boundary\n' },
  { name: 'tags of the wrong shape', kinds: ['User', 'Role'], lines: 'tags: [not, a, mapping]\n' },
  { name: 'statement without Resource', kinds: ['User', 'Group', 'Role'], lines: 'inlinePolicies:\n  own:\n    Version: "2012-10-17"\n    Statement:\n      - Effect: Allow\n        Action: s3:GetObject\n' },
  { name: 'session length out of range', kinds: ['Role'], lines: 'maxSessionDuration: 60\n' },
  { name: 'description of the wrong shape', kinds: ['Role'], lines: 'description: [1, 2]\n' },
];

/** A manifest of `kind` named `name`, with the faults' lines (a Role gets its trust policy). */
function manifest(kind: Kind, name: string, faults: readonly Fault[]): string {
  return `kind: ${kind}\nname: ${name}\n${kind === 'Role' ? TRUST : ''}${faults.map((f) => f.lines).join('')}`;
}

function errorsOf(extra: ReadonlyMap<string, string>): string[] {
  const files = new Map([...exampleManifestFiles(), ...extra]);
  const result = loadManifests(manifestsFromFiles('manifests', 'manifests', files), catalog, { awsManagedPolicies: loadAwsManagedPolicies() });
  return [...new Set(result.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.at?.file ?? ''}: ${d.summary}`))].sort();
}

const pickSome = <T>(random: Random, items: readonly T[]): T[] => items.filter(() => random() < 0.5);

describe('validate reports every independent error in one run', () => {
  it(`law: the errors of faults together are the union of each alone (${RUNS} random sets, seed ${SEED})`, () => {
    const random = seededRandom(SEED);
    let withThreeOrMore = 0;
    for (let run = 0; run < RUNS; run++) {
      const kind = (['User', 'Group', 'Role'] as const)[Math.floor(random() * 3)]!;
      const faults = pickSome(random, FAULTS.filter((f) => f.kinds.includes(kind)));
      // Sometimes the name is taken already (a duplicate): the second declaration is still checked for the rest.
      const name = random() < 0.3 ? { User: 'alice', Group: 'developers', Role: 'github-deploy' }[kind] : `new-${kind.toLowerCase()}`;
      const file = `manifests/extra/${kind.toLowerCase()}.yaml`;
      const alone = new Set<string>();
      for (const fault of faults) for (const e of errorsOf(new Map([[file, manifest(kind, name, [fault])]]))) alone.add(e);
      if (faults.length === 0) for (const e of errorsOf(new Map([[file, manifest(kind, name, [])]]))) alone.add(e);
      const together = errorsOf(new Map([[file, manifest(kind, name, faults)]]));
      expect(together, `run ${run}: ${kind} ${name} with ${faults.map((f) => f.name).join(', ')}`).toEqual([...alone].sort());
      if (faults.length >= 3) withThreeOrMore++;
    }
    expect(withThreeOrMore).toBeGreaterThan(RUNS / 4);
  });

  it('the cases of the issue: an unknown field and an unknown group; a duplicate name and an invalid path; a malformed field and the rest', () => {
    const file = 'manifests/extra/user.yaml';
    expect(errorsOf(new Map([[file, 'kind: User\nname: dora\nfavourite: blue\ngroups: [no-such-group]\n']]))).toEqual([`${file}: unknown field "favourite" in User`, `${file}: unknown group "no-such-group"`]);
    // Files are read in path order: the example's alice comes second, and is the one told it is a duplicate.
    expect(errorsOf(new Map([[file, 'kind: User\nname: alice\npath: no-slashes\n']]))).toEqual([`${file}: invalid IAM path "no-slashes"`, 'manifests/users/alice.yaml: duplicate User name "alice"']);
    expect(errorsOf(new Map([['manifests/users/zed.yaml', 'kind: User\nname: alice\npath: no-slashes\n']]))).toEqual(['manifests/users/zed.yaml: duplicate User name "alice"', 'manifests/users/zed.yaml: invalid IAM path "no-slashes"']);
    expect(errorsOf(new Map([[file, 'kind: User\nname: dora\ntags: [a]\nmanagedPolicies: [no-such-policy]\n']]))).toEqual([expect.stringMatching(/"tags" must be a mapping/), expect.stringMatching(/unknown .*no-such-policy/)]);
  });
});
