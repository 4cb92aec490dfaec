/**
 * The block-style locator (src/manifest/block-locator.ts) answers as `yaml`'s composed documents do wherever it
 * answers, and it answers for the manifests people and `import` write, so lints are located without a syntax tree.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseAllDocuments, stringify } from 'yaml';
import { blockLocator } from '../src/manifest/block-locator.js';
import { PROJECT_ROOT } from './helpers/fixtures.js';

type Path = (string | number)[];

/** The reference: walk yaml's composed document as `locate` walks (deepest node found; a key's own start). */
function expected(text: string, path: Path, asKey: boolean): { line: number; col: number } {
  const lineCounter = new LineCounter();
  const [doc] = parseAllDocuments(text, { lineCounter }) as unknown as { contents: unknown }[];
  let node = doc!.contents as { range?: [number] } | null;
  let want = node?.range?.[0] ?? 0;
  for (const [j, segment] of path.entries()) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(segment));
      if (!pair) break;
      if (j === path.length - 1 && asKey) return lineCounter.linePos((pair.key as { range: [number] }).range[0]);
      node = pair.value as typeof node;
    } else if (isSeq(node) && typeof segment === 'number') node = node.items[segment] as typeof node;
    else break;
    if (!node) break;
    want = node.range![0];
  }
  return lineCounter.linePos(want);
}

function located(text: string, path: Path, asKey: boolean): { line: number; col: number } | undefined {
  const offset = blockLocator(text)?.(path, asKey ? { key: true } : undefined);
  if (offset === undefined) return undefined;
  const before = text.slice(0, offset).split('\n');
  return { line: before.length, col: before.at(-1)!.length + 1 };
}

/** Every path to a value or key in a plain value, and a few that run past it. */
function pathsOf(value: unknown, prefix: Path = []): Path[] {
  const here: Path[] = [prefix, [...prefix, 'missing'], [...prefix, 7]];
  if (Array.isArray(value)) return [...here, ...value.flatMap((v, i) => pathsOf(v, [...prefix, i]))];
  if (value && typeof value === 'object') return [...here, ...Object.entries(value).flatMap(([k, v]) => pathsOf(v, [...prefix, k]))];
  return here;
}

describe('locating from indentation alone', () => {
  it('agrees with yaml wherever it answers, on random manifests written in block style with comments, markers and both list indents', async () => {
    const fc = (await import('fast-check')).default;
    const key = fc.constantFrom('kind', 'name', 'Statement', 'Effect', 'Action', 'odd key', 'a:b', 'x-y', '-x', '1', 'aws:SourceIp');
    const scalar = fc.oneof(fc.constantFrom('Allow', 's3:*', '*', 'x y', 'a: b', '#c', 'a #b', "'", '"', 'multi\nline', 'long '.repeat(20), '', '- x', '[a]', 'true', '2012-10-17'), fc.integer());
    const value = fc.letrec((tie) => ({
      node: fc.oneof({ depthSize: 'small', withCrossShrink: true }, scalar, fc.array(tie('node'), { maxLength: 3 }), fc.dictionary(key, tie('node'), { maxKeys: 3 })),
    })).node;
    let answered = 0;
    let asked = 0;
    fc.assert(
      fc.property(fc.dictionary(key, value, { minKeys: 1, maxKeys: 4 }), fc.boolean(), fc.boolean(), fc.boolean(), fc.boolean(), fc.boolean(), (doc, indentSeq, comments, marker, crlf, lineWidth) => {
        let text = stringify(doc, { indentSeq, ...(lineWidth ? { lineWidth: 20, minContentWidth: 5 } : {}) });
        if (comments) text = text.split('\n').map((l, i) => (i % 3 === 1 ? `# note ${i}\n${l}` : l)).join('\n');
        if (marker) text = `# header\n---\n${text}`;
        if (crlf) text = text.replace(/\n/g, '\r\n');
        for (const path of pathsOf(doc)) {
          for (const asKey of [false, true]) {
            asked++;
            const got = located(text, path, asKey);
            if (got === undefined) continue;
            answered++;
            expect(got, `${JSON.stringify(path)}${asKey ? ' (key)' : ''} in\n${text}`).toEqual(expected(text, path, asKey));
          }
        }
      }),
      { numRuns: 400, seed: 20261205 },
    );
    // It is the path taken, not a corner case: most of these block-style files are read without yaml.
    expect(answered / asked).toBeGreaterThan(0.35);
  });

  it('answers for every manifest of the bundled example, and agrees with yaml there', () => {
    const files: string[] = [];
    const walk = (dir: string): void => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        if (e.isDirectory()) walk(join(dir, e.name));
        else if (e.name.endsWith('.yaml')) files.push(join(dir, e.name));
      }
    };
    walk(join(PROJECT_ROOT, 'manifests'));
    expect(files.length).toBeGreaterThan(5);
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      const [doc] = parseAllDocuments(text);
      const value = doc!.toJS() as unknown;
      expect(blockLocator(text), file).toBeDefined();
      for (const path of pathsOf(value)) for (const asKey of [false, true]) {
        const got = located(text, path, asKey);
        if (got !== undefined) expect(got, `${file} ${JSON.stringify(path)}`).toEqual(expected(text, path, asKey));
      }
    }
  });

  it('leaves to yaml what it does not read: flow mappings, anchors, aliases, tags, several documents, tabs', () => {
    for (const text of ['a:\tb\n', '\uFEFFa: 1\n', 'a: {b: 1}\n', 'a: &x 1\nb: *x\n', 'a: !!str 1\n', 'a: 1\n---\nb: 2\n', 'a:\n\t- 1\n', 'a: "multi\n  line"\n', '? complex\n: 1\n']) {
      expect(blockLocator(text), JSON.stringify(text)).toBeUndefined();
    }
  });
});
