/**
 * No YAML or JSON input takes the tool down (issue 16, item 11). Laws, on generated inputs:
 * - an alias bomb is refused with a located error whatever syntax wrote it: plain, single- or double-quoted keys
 *   (`"k": &a`), block or flow mappings and lists, aliases as keys, merge keys (`<<`), in any document of a file,
 *   on top of scalars or of empty collections (which `yaml`'s own maxAliasCount does not count);
 * - the same shapes under the limit read as their expansion;
 * - a document nested 10,000 levels deep (block or flow, valid or with a syntax error elsewhere) gets a located
 *   error, never a stack overflow;
 * and every input goes through these limits: manifests, documentFile JSON, snapshots (and the policy documents
 * inside them as text), simulate --requests, the Action's event payload, the accounts command.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readRunContext } from '../src/action/event.js';
import { findAccountFolders } from '../src/app/accounts.js';
import { InputError } from '../src/core/diagnostics.js';
import { findJsonError } from '../src/core/json-location.js';
import { checkValueShape, MAX_ALIAS_EXPANSION, MAX_NESTING } from '../src/core/input-limits.js';
import { parseSnapshot } from '../src/live/parse-snapshot.js';
import { parseSource } from '../src/manifest/source-document.js';
import { runCli } from './helpers/run-cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'iam-gitops-input-limits-'));

type KeyStyle = 'plain' | 'single' | 'double' | 'double-tight';
type Container = 'flow-seq' | 'flow-map' | 'block-seq' | 'block-map' | 'merge';

interface Bomb {
  readonly keyStyle: KeyStyle;
  readonly container: Container;
  /** What the first anchor holds: scalars, or an empty collection (nothing for yaml's maxAliasCount to count). */
  readonly base: 'scalars' | 'empty-seq' | 'empty-map';
  readonly fanOut: number;
  readonly levels: number;
  /** Documents before the bomb's (the bomb is in the last). */
  readonly before: number;
  /** The bomb's anchors live under a top-level mapping, or directly at the top level. */
  readonly nested: boolean;
}

const key = (name: string, style: KeyStyle): string => {
  switch (style) {
    case 'plain':
      return `${name}: `;
    case 'single':
      return `'${name}': `;
    case 'double':
      return `"${name}": `;
    case 'double-tight':
      // In a flow mapping a JSON-like key may be followed by ":" and the value with no space.
      return `"${name}":`;
  }
};

/** A YAML text whose level k anchor holds fanOut aliases to level k-1: fanOut^levels values once expanded. */
function writeBomb(b: Bomb): string {
  const lines: string[] = [];
  const base = b.base === 'empty-seq' ? '[]' : b.base === 'empty-map' ? '{}' : `[${Array(b.fanOut).fill('x').join(', ')}]`;
  const pad = b.nested ? '  ' : '';
  const entry = (name: string, value: string): string => `${pad}${key(name, b.keyStyle === 'double-tight' ? 'double' : b.keyStyle)}${value}`;
  lines.push(entry('l0', `&l0 ${base}`));
  for (let level = 1; level <= b.levels; level++) {
    const previous = `*l${level - 1}`;
    const name = `l${level}`;
    switch (b.container) {
      case 'flow-seq':
        lines.push(entry(name, `&${name} [${Array(b.fanOut).fill(previous).join(', ')}]`));
        break;
      case 'flow-map':
        lines.push(entry(name, `&${name} {${Array.from({ length: b.fanOut }, (_, i) => `${key(`k${i}`, b.keyStyle)}${previous}`).join(', ')}}`));
        break;
      case 'block-seq':
        lines.push(entry(name, `&${name}`), ...Array.from({ length: b.fanOut }, () => `${pad}  - ${previous}`));
        break;
      case 'block-map':
        lines.push(entry(name, `&${name}`), ...Array.from({ length: b.fanOut }, (_, i) => `${pad}  ${key(`k${i}`, b.keyStyle === 'double-tight' ? 'double' : b.keyStyle)}${previous}`));
        break;
      case 'merge':
        // `<<` is a plain key in YAML 1.2's core schema: its value is the aliases, as a list.
        lines.push(entry(name, `&${name}`), `${pad}  <<: [${Array(b.fanOut).fill(previous).join(', ')}]`, `${pad}  own${level}: ${previous}`);
        break;
    }
  }
  const bomb = (b.nested ? 'bomb:\n' : '') + lines.join('\n');
  return [...Array.from({ length: b.before }, (_, i) => `kind: Group\nname: g${i}\n`), bomb].join('---\n');
}

const bombArb = (expansion: 'over' | 'under'): fc.Arbitrary<Bomb> =>
  fc
    .record({
      keyStyle: fc.constantFrom<KeyStyle>('plain', 'single', 'double', 'double-tight'),
      container: fc.constantFrom<Container>('flow-seq', 'flow-map', 'block-seq', 'block-map', 'merge'),
      base: fc.constantFrom<Bomb['base']>('scalars', 'empty-seq', 'empty-map'),
      fanOut: fc.integer({ min: 2, max: 9 }),
      before: fc.integer({ min: 0, max: 2 }),
      nested: fc.boolean(),
    })
    .map((b) => {
      // Over: enough levels that the expansion passes the limit many times over (for the issue's example,
      // exponentially); under: as many as stay within it.
      const perLevel = b.container === 'merge' ? b.fanOut + 1 : b.fanOut;
      let levels = 1;
      if (expansion === 'over') while (perLevel ** levels < MAX_ALIAS_EXPANSION * 100) levels++;
      else while ((perLevel + 1) ** (levels + 2) < MAX_ALIAS_EXPANSION / 2 && levels < 3) levels++;
      return { ...b, levels };
    });

describe('alias bombs', () => {
  it('are refused with a located error, whatever the syntax, and no value is handed out', () => {
    fc.assert(
      fc.property(bombArb('over'), (b) => {
        const text = writeBomb(b);
        const parsed = parseSource('bomb.yaml', text);
        expect(parsed.documents).toEqual([]);
        expect(parsed.diagnostics).toHaveLength(1);
        const [d] = parsed.diagnostics;
        expect(d!.summary).toBe(`invalid YAML: aliases expand to more than ${MAX_ALIAS_EXPANSION} extra values`);
        // Located inside the bomb's document, at or after its first line.
        expect(d!.at!.line).toBeGreaterThan(b.before * 3);
        expect(d!.at!.line).toBeLessThanOrEqual(text.split('\n').length);
      }),
      { numRuns: 150 },
    );
  });

  it('read as their expansion when they stay under the limit', () => {
    fc.assert(
      fc.property(bombArb('under'), (b) => {
        const parsed = parseSource('small.yaml', writeBomb(b));
        expect(parsed.diagnostics).toEqual([]);
        const value = parsed.documents[parsed.documents.length - 1]!.value as Record<string, unknown>;
        const top = (b.nested ? value['bomb'] : value) as Record<string, unknown>;
        // Each level holds fanOut copies of the one below, equal in value (aliases are values, not references).
        const deepest = top[`l${b.levels}`];
        expect(JSON.parse(JSON.stringify(deepest))).toEqual(deepest);
        expect(checkValueShape(value)).toBeUndefined();
      }),
      { numRuns: 100 },
    );
  });

  it('the issue\'s example: an anchor after a quoted key', () => {
    const text = ['"a": &a ["x","x","x","x","x","x","x","x","x","x"]', ...Array.from({ length: 9 }, (_, i) => `"${String.fromCharCode(98 + i)}": &${String.fromCharCode(98 + i)} [${Array(10).fill(`*${String.fromCharCode(97 + i)}`).join(',')}]`)].join('\n');
    const parsed = parseSource('quoted.yaml', text);
    // a: 10 values; b: 10 x *a adds 110; c: 10 x *b adds 1,110; the 8th *c of d passes 10,000.
    expect(parsed.diagnostics).toEqual([expect.objectContaining({ summary: expect.stringContaining('aliases expand'), at: { file: 'quoted.yaml', line: 4, col: 31 } })]);
  });

  it('an alias cycle (which `yaml` would build) is refused', () => {
    const cyclic: Record<string, unknown> = { a: [] };
    (cyclic['a'] as unknown[]).push(cyclic);
    expect(checkValueShape(cyclic)).toEqual({ kind: 'cycle', path: ['a', 0] });
  });
});

/** Texts nested `levels` deep, in every style. */
const deepTexts = (levels: number): Record<string, string> => ({
  'flow lists': `${'['.repeat(levels)}${']'.repeat(levels)}`,
  'flow mappings': `${'{a: '.repeat(levels)}1${'}'.repeat(levels)}`,
  'JSON objects': `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`,
  'block lists': `${'- '.repeat(levels)}x`,
  'block mappings': `${Array.from({ length: Math.min(levels, 2000) }, (_, i) => `${' '.repeat(i)}a:`).join('\n')} 1`,
  'mixed': `${'- {a: ['.repeat(Math.ceil(levels / 3))}x`,
  'complex keys': `${'? ['.repeat(levels)}`,
  'a syntax error first': `a: [\nb: ${'['.repeat(levels)}`,
});

describe('deep nesting', () => {
  it.each(Object.entries(deepTexts(10_000)))('%s, 10,000 levels: a located error, not a stack overflow', (_, text) => {
    const parsed = parseSource('deep.yaml', text);
    expect(parsed.documents).toEqual([]);
    expect(parsed.diagnostics.length).toBeGreaterThan(0);
    const nesting = parsed.diagnostics.find((d) => d.summary === `invalid YAML: nested deeper than ${MAX_NESTING} levels`);
    // A text broken before its depth shows may get the syntax error instead; never "Maximum call stack".
    for (const d of parsed.diagnostics) expect(d.summary).not.toMatch(/call stack|recursion/i);
    if (_ !== 'a syntax error first') expect(nesting, JSON.stringify(parsed.diagnostics)).toBeDefined();
    if (nesting) expect(nesting.at!.line).toBeGreaterThanOrEqual(1);
  });

  it('the limit itself: 100 levels read, 101 are refused at the 101st', () => {
    expect(parseSource('ok.yaml', `${'['.repeat(MAX_NESTING)}${']'.repeat(MAX_NESTING)}`).diagnostics).toEqual([]);
    const over = parseSource('deep.yaml', `${'['.repeat(MAX_NESTING + 1)}${']'.repeat(MAX_NESTING + 1)}`);
    expect(over.diagnostics).toEqual([expect.objectContaining({ at: { file: 'deep.yaml', line: 1, col: MAX_NESTING + 1 } })]);
  });

  it('aliases that make a value deeper than the limit count as nesting', () => {
    const chain = ['a0: &a0 [x]', ...Array.from({ length: MAX_NESTING }, (_, i) => `a${i + 1}: &a${i + 1} [*a${i}]`)].join('\n');
    expect(parseSource('chain.yaml', chain).diagnostics).toEqual([expect.objectContaining({ summary: `invalid YAML: nested deeper than ${MAX_NESTING} levels` })]);
  });

  it('the strict-JSON scanner stops at the limit instead of recursing', () => {
    expect(findJsonError(`${'['.repeat(100_000)}x`)).toEqual({ offset: MAX_NESTING, message: `nested deeper than ${MAX_NESTING} levels` });
  });
});

describe('every YAML and JSON input holds to the limits', () => {
  const bombText = writeBomb({ keyStyle: 'double', container: 'flow-seq', base: 'empty-seq', fanOut: 9, levels: 8, before: 0, nested: true });
  const deepJson = `{"Version": "2012-10-17", "Statement": ${'['.repeat(10_000)}${']'.repeat(10_000)}}`;
  const folderWith = (name: string, files: Record<string, string>): string => {
    const dir = join(tmp, name);
    for (const [path, text] of Object.entries({ 'account.yaml': 'kind: Account\nid: "123456789012"\n', ...files })) {
      mkdirSync(join(dir, path, '..'), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    return dir;
  };
  const expectRefused = (run: { code: number; stderr: string }, mention: RegExp): void => {
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).not.toMatch(/internal error|call stack/i);
    expect(run.stderr).toMatch(mention);
  };

  it('manifests (validate and plan)', async () => {
    const dir = folderWith('bomb-manifest', { 'groups/bomb.yaml': `kind: Group\nname: g\n${bombText}` });
    expectRefused(await runCli(['validate', '--manifests', dir]), /bomb\.yaml:\d+:\d+: error: invalid YAML: aliases expand/);
    const deep = folderWith('deep-manifest', { 'groups/deep.yaml': `kind: Group\nname: g\nx:\n  ${'- '.repeat(10_000)}y\n` });
    expectRefused(await runCli(['plan', '--manifests', deep, '--state', 'example/live-snapshot.json']), /deep\.yaml:\d+:\d+: error: invalid YAML: nested deeper than 100 levels/);
  });

  it('a policy documentFile in JSON', async () => {
    const dir = folderWith('deep-document', { 'policies/p.yaml': 'kind: Policy\nname: p\ndocumentFile: doc.json\n', 'policies/doc.json': deepJson });
    expectRefused(await runCli(['validate', '--manifests', dir]), /doc\.json:1:\d+: error: invalid JSON: nested deeper than 100 levels/);
    const broken = folderWith('deep-broken-document', { 'policies/p.yaml': 'kind: Policy\nname: p\ndocumentFile: doc.json\n', 'policies/doc.json': deepJson.slice(0, -1) });
    expectRefused(await runCli(['validate', '--manifests', broken]), /doc\.json:1:\d+: error: invalid JSON: nested deeper than 100 levels/);
  });

  it('snapshots, and policy documents inside them given as text', () => {
    const deep = `{"UserDetailList": ${'['.repeat(10_000)}${']'.repeat(10_000)}, "GroupDetailList": [], "RoleDetailList": [], "Policies": []}`;
    expect(() => parseSnapshot('deep.json', deep)).toThrow(InputError);
    try {
      parseSnapshot('deep.json', deep);
    } catch (e) {
      expect((e as InputError).diagnostics).toEqual([expect.objectContaining({ summary: 'snapshot is nested deeper than 100 levels', at: { file: 'deep.json', line: 1, col: 19 + MAX_NESTING } })]);
    }
    const encoded = encodeURIComponent(deepJson);
    const withText = JSON.stringify({
      UserDetailList: [{ UserName: 'u', Path: '/', Arn: 'arn:aws:iam::123456789012:user/u', UserPolicyList: [{ PolicyName: 'p', PolicyDocument: encoded }] }],
      GroupDetailList: [],
      RoleDetailList: [],
      Policies: [],
    });
    try {
      parseSnapshot('text.json', withText);
      expect.unreachable();
    } catch (e) {
      expect((e as InputError).diagnostics).toEqual([expect.objectContaining({ summary: 'snapshot UserDetailList[0].UserPolicyList[0].PolicyDocument: policy document is nested deeper than 100 levels', at: expect.objectContaining({ file: 'text.json', line: 1 }) })]);
    }
  });

  it('simulate --requests', async () => {
    const file = join(tmp, 'deep.jsonl');
    writeFileSync(file, `{"principal": "arn:aws:iam::123456789012:user/people/alice", "action": "s3:GetObject", "context": {"k": ${'['.repeat(10_000)}${']'.repeat(10_000)}}}\n`);
    expectRefused(await runCli(['simulate', '--state', 'example/live-snapshot.json', '--requests', file]), /deep\.jsonl:1:\d+: error: line 1 is nested deeper than 100 levels/);
  });

  it("the Action's event payload", () => {
    const path = join(tmp, 'event.json');
    writeFileSync(path, `{"pull_request": ${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}}`);
    const context = readRunContext({ GITHUB_EVENT_NAME: 'pull_request', GITHUB_EVENT_PATH: path, GITHUB_REPOSITORY: 'acme/iam' });
    expect(context.eventProblem).toMatch(/nested deeper than 100 levels at line 1, column \d+/);
  });

  it('the accounts command skips a hostile file instead of expanding it', () => {
    const dir = folderWith('accounts-bomb/prod', { 'bomb.yaml': `kind: Account\nid: "123456789012"\nmanagedPaths: [*l8]\n${bombText.replace('bomb:\n', 'x:\n')}` });
    const found = findAccountFolders(join(tmp, 'accounts-bomb'));
    expect(found.map((f) => f.account)).toEqual(['123456789012']);
  });
});
