/**
 * Issue 18 item 9: `validate` reports every independent error in one run. Law, on random sets of independent
 * mistakes made in the example's manifests (several may land in one file): the errors of the set are the union of
 * the errors each mistake makes alone (compared by file and message; lines move when mistakes share a file).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { validateManifests } from '../src/app/use-cases.js';
import { manifestsFromFiles } from '../src/manifest/files-source.js';
import { exampleManifestFiles } from './helpers/example.js';

/** A mistake: a file and an edit of its text (appending lines keeps the others' places meaningful). */
interface Mistake {
  readonly name: string;
  readonly file: string;
  readonly edit: (text: string) => string;
}

const USERS = ['alice', 'bob', 'carol'];
const ROLES = ['ci-readonly', 'github-deploy']; // (legacy-batch is marked deleted: only its name counts)
const replaceLine = (key: string, line: string) => (text: string): string => (new RegExp(`^${key}:.*$`, 'm').test(text) ? text.replace(new RegExp(`^${key}:.*$`, 'm'), line) : `${text.trimEnd()}\n${line}\n`);

const MISTAKES: readonly Mistake[] = [
  ...USERS.flatMap((u) => [
    { name: `unknown field in ${u}`, file: `users/${u}.yaml`, edit: (t: string) => `${t.trimEnd()}\ncolour: blue\n` },
    { name: `unknown group in ${u}`, file: `users/${u}.yaml`, edit: replaceLine('groups', 'groups: [no-such-group]') },
    { name: `invalid path in ${u}`, file: `users/${u}.yaml`, edit: replaceLine('path', 'path: not-a-path') },
    { name: `unknown boundary in ${u}`, file: `users/${u}.yaml`, edit: replaceLine('permissionsBoundary', 'permissionsBoundary: no-such-boundary') },
  ]),
  ...ROLES.flatMap((r) => [
    { name: `unknown field in ${r}`, file: `roles/${r}.yaml`, edit: (t: string) => `${t.trimEnd()}\nowner: me\n` },
    { name: `session too long in ${r}`, file: `roles/${r}.yaml`, edit: replaceLine('maxSessionDuration', 'maxSessionDuration: 99999') },
  ]),
  { name: 'a second alice', file: 'users/alice-again.yaml', edit: () => 'kind: User\nname: alice\n' },
];

async function errorsOf(mistakes: readonly Mistake[]): Promise<string[]> {
  const files = exampleManifestFiles();
  for (const m of mistakes) {
    const key = `manifests/${m.file}`;
    files.set(key, m.edit(files.get(key) ?? ''));
  }
  const result = await validateManifests(manifestsFromFiles('manifests', 'manifests', files));
  return [...new Set(result.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.at?.file ?? '-'}: ${d.summary}`))].sort();
}

describe('validate reports every independent error in one run', () => {
  it('an unknown field does not hide an unknown group in the same file; a duplicate name does not hide an invalid path', async () => {
    const alice = MISTAKES.filter((m) => m.name === 'unknown field in alice' || m.name === 'unknown group in alice');
    expect(await errorsOf(alice)).toEqual([...new Set([...(await errorsOf([alice[0]!])), ...(await errorsOf([alice[1]!]))])].sort());
    expect((await errorsOf(alice)).some((e) => e.includes('unknown group "no-such-group"'))).toBe(true);
  });

  it('law: the errors of independent mistakes together are the union of each one alone (random sets)', async () => {
    const alone = new Map<string, string[]>();
    for (const m of MISTAKES) {
      const errors = await errorsOf([m]);
      expect(errors.length, m.name).toBeGreaterThan(0);
      alone.set(m.name, errors);
    }
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(fc.constantFrom(...MISTAKES), { minLength: 2, maxLength: 5, selector: (m) => m.name }), async (mistakes) => {
        // A field edited twice is one mistake, not two independent ones.
        const fields = mistakes.map((m) => `${m.file} ${m.name.split(' in ')[0]}`);
        fc.pre(new Set(mistakes.map((m) => m.file + m.name.replace(/ in .*/, ''))).size === fields.length);
        // Known limit: of two declarations of a name, the one left out is checked for its name and path only (its
        // references are not), so mistakes in alice's manifest are not independent of a second alice.
        fc.pre(!(mistakes.some((m) => m.name === 'a second alice') && mistakes.some((m) => m.file === 'users/alice.yaml')));
        const expected = [...new Set(mistakes.flatMap((m) => alone.get(m.name)!))].sort();
        expect(await errorsOf(mistakes), mistakes.map((m) => m.name).join(', ')).toEqual(expected);
      }),
      { numRuns: 40, seed: 18009 },
    );
  });
});
