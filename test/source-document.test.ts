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
