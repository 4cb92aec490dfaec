/**
 * Untrusted text made inert for terminals and GitHub Actions logs (src/core/terminal-safe.ts): laws on hostile and
 * random strings, judged by a model of the runner's command parser (test/helpers/workflow-commands.ts).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defuseWorkflowCommands, inert, inertDeep, inertJson, inertLines } from '../src/core/terminal-safe.js';
import { HOSTILE_STRINGS, parseWorkflowCommand, rawControls, workflowCommands } from './helpers/workflow-commands.js';

/** Strings built from the pieces attacks are made of, mixed with ordinary text. */
const PIECES = ['::', ':', '##[', '[', ']', 'error', 'add-mask', 'stop-commands', 'ſtop-commands', ' ', '\t', '\u00a0', '\u3000', '\n', '\r', '\u2028', '\u0085', '\u001b', '[2J', '\u009b', '\u0007', '\u202e', '\u00ad', 'a', 'Z', '=', ',', '%0A', 'arn:aws:iam::123456789012:role/x'];
const hostile = fc.oneof(
  fc.array(fc.constantFrom(...PIECES), { maxLength: 12 }).map((parts) => parts.join('')),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(...HOSTILE_STRINGS),
);
/** What may stand before a value on a line of ours: nothing, indentation, or a label. */
const before = fc.constantFrom('', '    ', '\u00a0', '  + ', 'error: ');
/** What may follow it: nothing, or text of ours that holds `::` (an ARN) or `]`. */
const after = fc.constantFrom('', ' on arn:aws:iam::123456789012:role/x', '::', '] x', ' (moved)');

describe('inert: one untrusted value in a line', () => {
  it('no line it is part of is a workflow command, and it holds no raw control character', () => {
    fc.assert(
      fc.property(before, hostile, after, (pre, value, post) => {
        const shown = inert(value);
        expect(rawControls(shown)).toEqual([]);
        expect(workflowCommands(`${pre}${shown}${post}\n`)).toEqual([]);
      }),
      { numRuns: 3000 },
    );
  });

  it('leaves ordinary text as it is (so goldens do not change)', () => {
    const ordinary = fc.string({ unit: fc.constantFrom(...'abcXYZ019 -_./:@*?,=+()"{}'.split('')), maxLength: 30 }).filter((s) => !/^[ ]*::\p{L}/u.test(s));
    fc.assert(fc.property(ordinary, (s) => inert(s) === s));
    for (const s of ['arn:aws:iam::123456789012:role/ci/deployer', '::1/128', '::ffff:10.0.0.1'.replace('::ffff', '::1'), 'team: payments', 'Alice O\'Brien', 'über 日本語 ✓ 🟥']) expect(inert(s)).toBe(s);
  });

  it('shows what it escaped, readably', () => {
    expect(inert('\u001b[2Jx')).toBe('\\u001b[2Jx');
    expect(inert('a\nb')).toBe('a\\u000ab');
    expect(inert('::error::x')).toBe('\\u003a:error::x');
    expect(inert('  ::add-mask::y')).toBe('  \\u003a:add-mask::y');
    expect(inert('a ##[error]b')).toBe('a ##\\u005berror]b');
    expect(inert('\u202eevil')).toBe('\\u202eevil');
    // Renderers may meet a value twice (a plan's findings, then the findings): inert twice is inert once.
    fc.assert(fc.property(hostile, (s) => inert(inert(s)) === inert(s)));
  });

  it('every hostile string of the corpus is a command or a control sequence before, and inert after', () => {
    for (const s of HOSTILE_STRINGS) {
      const before = workflowCommands(`${s}\n`).length + rawControls(s).length;
      expect(before, JSON.stringify(s)).toBeGreaterThan(0);
      expect(workflowCommands(`${inert(s)}\n`), JSON.stringify(s)).toEqual([]);
      expect(rawControls(inert(s))).toEqual([]);
    }
  });
});

describe('inertDeep, inertLines, defuseWorkflowCommands, inertJson', () => {
  it('inertDeep reaches every string and key of plain data, and keeps its shape', () => {
    fc.assert(
      fc.property(fc.jsonValue(), hostile, (data, s) => {
        const withHostile = { [s]: [data, s, { nested: s }] };
        const out = inertDeep(withHostile);
        const strings: string[] = [];
        JSON.stringify(out, (k, v: unknown) => {
          strings.push(k);
          if (typeof v === 'string') strings.push(v);
          return v;
        });
        for (const t of strings) {
          expect(rawControls(t)).toEqual([]);
          expect(workflowCommands(`${t}\n`)).toEqual([]);
        }
      }),
      { numRuns: 300 },
    );
    const stamp = new Date(0);
    expect(inertDeep({ at: stamp }).at).toBe(stamp);
  });

  it('inertLines keeps our line breaks and makes every line inert', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(before, hostile, after), { maxLength: 6 }), (lines) => {
        const text = lines.map(([a, b, c]) => `${a}${b}${c}`).join('\n');
        const out = inertLines(text);
        expect(rawControls(out)).toEqual([]);
        expect(workflowCommands(`${out}\n`)).toEqual([]);
      }),
      { numRuns: 1000 },
    );
    expect(inertLines('first line\n  second: ok')).toBe('first line\n  second: ok');
  });

  it('defuseWorkflowCommands defuses command lines only, whatever separates lines, and keeps ANSI colours', () => {
    fc.assert(
      fc.property(fc.array(hostile, { maxLength: 6 }), fc.constantFrom('\n', '\r', '\r\n'), (parts, eol) => {
        const out = defuseWorkflowCommands(parts.join(eol));
        expect(workflowCommands(`${out}\n`)).toEqual([]);
        expect(defuseWorkflowCommands(out)).toBe(out);
      }),
      { numRuns: 1000 },
    );
    const coloured = '\u001b[32m+ create\u001b[39m user alice\n  ok';
    expect(defuseWorkflowCommands(coloured)).toBe(coloured);
  });

  it('inertJson parses back to exactly the same value and holds no raw control character or command', () => {
    fc.assert(
      fc.property(fc.jsonValue(), hostile, (data, s) => {
        const value = { [s]: [data, s], list: [s, { s }] };
        for (const space of [undefined, 2]) {
          const json = inertJson(value, space);
          expect(JSON.parse(json)).toEqual(JSON.parse(JSON.stringify(value)));
          expect(rawControls(json.replace(/\n/g, ''))).toEqual([]);
          expect(workflowCommands(`${json}\n`)).toEqual([]);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('the runner model itself', () => {
  it('reads the commands GitHub documents, and not ordinary lines', () => {
    expect(parseWorkflowCommand('::error file=a.yaml,line=1::boom')).toMatchObject({ name: 'error', properties: 'file=a.yaml,line=1', data: 'boom' });
    expect(parseWorkflowCommand('   ::add-mask::x')).toMatchObject({ name: 'add-mask' });
    expect(parseWorkflowCommand('##[group]title')).toMatchObject({ name: 'group', data: 'title' });
    expect(parseWorkflowCommand('::ſtop-commands::t')).toMatchObject({ name: 'ſtop-commands' });
    expect(parseWorkflowCommand('::1/128')).toBeUndefined();
    expect(parseWorkflowCommand('arn:aws:iam::123:role/x')).toBeUndefined();
    expect(workflowCommands('::stop-commands::t\n::error::hidden\n::t::\n::warning::seen\n').map((c) => c.name)).toEqual(['stop-commands', 'warning']);
  });
});
