/** Reading YAML fast (js-yaml) while still reporting exact positions (yaml), and the cases that need yaml alone. */
import { describe, expect, it } from 'vitest';
import { parseSource } from '../src/manifest/source-document.js';

describe('parseSource', () => {
  it('locates values and keys in any document of a multi-document file', () => {
    const text = '# header\nkind: User\nname: alice\ngroups:\n  - a\n  - b\n---\n\n---\nkind: Role\ntrustPolicy: {Statement: [{Effect: Allow}]}\n';
    const { documents, diagnostics } = parseSource('f.yaml', text);
    expect(diagnostics).toEqual([]);
    expect(documents.map((d) => (d.value as { kind: string }).kind)).toEqual(['User', 'Role']);
    expect(documents[0]!.locate(['groups', 1])).toEqual({ file: 'f.yaml', line: 6, col: 5 });
    expect(documents[0]!.locate(['name'], { key: true })).toEqual({ file: 'f.yaml', line: 3, col: 1 });
    expect(documents[1]!.locate(['trustPolicy', 'Statement', 0, 'Effect'])).toEqual({ file: 'f.yaml', line: 11, col: 36 });
    // A path that does not exist points at the deepest part that does.
    expect(documents[1]!.locate(['trustPolicy', 'Missing', 'x'])).toEqual({ file: 'f.yaml', line: 11, col: 14 });
  });

  it('reads YAML 1.2 core types: dates and yes/no stay strings, an unquoted long number is a number', () => {
    const [doc] = parseSource('f.yaml', 'a: 2012-10-17\nb: yes\nc: 012345678901\nd: "012345678901"\n').documents;
    expect(doc!.value).toEqual({ a: '2012-10-17', b: 'yes', c: 12345678901, d: '012345678901' });
  });

  it('resolves anchors and aliases, and refuses an alias bomb with a located message', () => {
    const [doc] = parseSource('f.yaml', 'base: &b {Effect: Allow}\ncopy: *b\n').documents;
    expect(doc!.value).toEqual({ base: { Effect: 'Allow' }, copy: { Effect: 'Allow' } });
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x]', ...'bcdefgh'.split('').map((k, i) => `${k}: &${k} [${Array(9).fill(`*${'abcdefgh'[i]}`).join(', ')}]`)].join('\n');
    const parsed = parseSource('bomb.yaml', bomb);
    // Located at the alias that passes the limit: the first *d of e (a adds nothing, b 90, c 819, d 7,380).
    expect(parsed.documents).toEqual([]);
    expect(parsed.diagnostics).toEqual([expect.objectContaining({ severity: 'error', summary: expect.stringMatching(/alias/i), at: { file: 'bomb.yaml', line: 5, col: 8 } })]);
  });

  it('reports broken syntax at its place, and duplicate keys', () => {
    expect(parseSource('f.yaml', 'a: [1, 2\nb: 3\n').diagnostics[0]).toMatchObject({ severity: 'error', at: { file: 'f.yaml' } });
    const dup = parseSource('f.yaml', 'kind: User\nname: a\nname: b\n').diagnostics;
    expect(dup).toEqual([expect.objectContaining({ summary: 'invalid YAML: Map keys must be unique', at: { file: 'f.yaml', line: 3, col: 1 } })]);
  });

  it('refuses tags outside plain YAML (what js-yaml rejects, yaml accepts) with a position', () => {
    const { documents, diagnostics } = parseSource('f.yaml', 'kind: Policy\nblob: !!binary aGk=\n');
    expect(documents).toEqual([]);
    expect(diagnostics[0]).toMatchObject({ summary: expect.stringContaining('unknown tag'), at: { file: 'f.yaml', line: 2 } });
  });

  it('does not mistake ARN wildcards for aliases', () => {
    const { documents } = parseSource('f.yaml', 'Resource: arn:aws:sns:*:*:*\nAction: [s3:*, "*"]\n');
    expect(documents[0]!.value).toEqual({ Resource: 'arn:aws:sns:*:*:*', Action: ['s3:*', '*'] });
  });
});

describe('locating a path from the syntax tree alone', () => {
  it('agrees with yaml\'s composed documents on random manifests written in every style', async () => {
    const fc = (await import('fast-check')).default;
    const { parseAllDocuments, LineCounter, isMap, isSeq, isPair, isScalar, stringify } = await import('yaml');
    const key = fc.constantFrom('kind', 'name', 'Statement', 'Effect', 'Action', 'odd key', 'a:b', '"q"', "it's", '-x', '1');
    const scalar = fc.oneof(fc.constantFrom('Allow', 's3:*', '*', 'x y', 'a: b', '#c', "'", '"', 'multi\nline', ''), fc.integer());
    const value = fc.letrec((tie) => ({
      node: fc.oneof({ depthSize: 'small', withCrossShrink: true }, scalar, fc.array(tie('node'), { maxLength: 3 }), fc.dictionary(key, tie('node'), { maxKeys: 3 })),
    })).node;
    fc.assert(
      fc.property(fc.array(fc.dictionary(key, value, { minKeys: 1, maxKeys: 4 }), { minLength: 1, maxLength: 3 }), fc.boolean(), fc.array(fc.oneof(key, fc.nat(3)), { maxLength: 4 }), fc.boolean(), (docs, flow, path, asKey) => {
        const text = docs.map((d) => stringify(d, flow ? { collectionStyle: 'flow' } : {})).join('---\n');
        const parsed = parseSource('r.yaml', text);
        expect(parsed.diagnostics).toEqual([]);
        // The reference: the composed document's nodes, walked the same way.
        const lineCounter = new LineCounter();
        const composed = parseAllDocuments(text, { lineCounter }) as unknown as { contents: unknown }[];
        const at = (offset: number) => ({ file: 'r.yaml', ...lineCounter.linePos(offset) });
        composed.forEach((doc, i) => {
          let node = doc.contents as { range?: [number] } | null;
          let want = at(node?.range?.[0] ?? 0);
          for (const [j, segment] of path.entries()) {
            if (isMap(node)) {
              const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(segment));
              if (!pair) break;
              if (j === path.length - 1 && asKey) {
                want = at((pair.key as { range: [number] }).range[0]);
                node = null;
                break;
              }
              node = pair.value as typeof node;
            } else if (isSeq(node) && typeof segment === 'number') {
              node = node.items[segment] as typeof node;
            } else break;
            if (!node) break;
            want = at(node.range![0]);
          }
          expect(parsed.documents[i]!.locate(path, asKey ? { key: true } : undefined)).toEqual(want);
        });
      }),
      { numRuns: 300, seed: 20261208 },
    );
  });
});
