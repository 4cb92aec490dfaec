/**
 * The emulator is an independent oracle (issue 17 item 4): it imports nothing from the product's `src/`, so that a
 * mistake in the product's policy grammar, condition operators, evaluator or ARN rules cannot hide in the emulator
 * too. Its own condition-operator list is checked here against the IAM User Guide's forms.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONDITION_OPERATORS } from '../src/manifest/policy-grammar.js';
import { PROJECT_ROOT } from './helpers/fixtures.js';
import { startTestEmulator } from './helpers/emulator.js';
import { BASE_CONDITION_OPERATORS, parseOperator } from '../tools/iam-emulator/policy-language.js';

const EMULATOR = join(PROJECT_ROOT, 'tools/iam-emulator');

describe('the emulator is independent of the product', () => {
  it('no emulator source imports from src/ (statically or dynamically)', () => {
    const offending: string[] = [];
    for (const file of readdirSync(EMULATOR).filter((f) => f.endsWith('.ts'))) {
      const text = readFileSync(join(EMULATOR, file), 'utf8');
      for (const m of text.matchAll(/(?:from\s+|import\s*\(\s*|require\s*\(\s*)['"]([^'"]+)['"]/g)) {
        const target = m[1]!;
        if (target.startsWith('.') && !target.startsWith('./')) offending.push(`${file}: ${target}`);
        if (target.includes('/src/')) offending.push(`${file}: ${target}`);
      }
    }
    expect(offending).toEqual([]);
  });

  it('reads condition operators as the IAM User Guide defines them: base names, ...IfExists (not for Null), ForAnyValue:/ForAllValues:', () => {
    for (const base of BASE_CONDITION_OPERATORS) {
      expect(parseOperator(base)?.base).toBe(base);
      expect(parseOperator(`${base}IfExists`) !== undefined).toBe(base !== 'Null');
      expect(parseOperator(`ForAnyValue:${base}`) !== undefined).toBe(base !== 'Null');
      expect(parseOperator(`ForAllValues:${base}IfExists`) !== undefined).toBe(base !== 'Null');
    }
    for (const bad of ['StringEqual', 'ForSomeValues:StringLike', 'NullIfExists', 'StringLikeIfExistsIfExists', 'ForAnyValue:ForAllValues:StringLike', '']) expect(parseOperator(bad)).toBeUndefined();
  });

  it("agrees with the product on which condition operators IAM accepts (a disagreement is a bug in one of them)", async () => {
    const e = await startTestEmulator(undefined);
    try {
      const bases = [...CONDITION_OPERATORS].filter((o) => !o.includes(':') && !o.endsWith('IfExists'));
      const candidates = [...new Set([...CONDITION_OPERATORS, ...bases.map((b) => `${b}IfExists`), 'NullIfExists', 'ForAllValues:Null', 'StringEqualsIgnorecase', 'stringequals', 'ForAnyValues:StringEquals', 'IfExists', 'StringMatches'])];
      const accepted: string[] = [];
      for (const [i, operator] of candidates.entries()) {
        const document = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*', Condition: { [operator]: { 'aws:username': 'x' } } }] });
        const body = new URLSearchParams({ Action: 'CreatePolicy', Version: '2010-05-08', PolicyName: `op-${i}`, PolicyDocument: document });
        const answer = await fetch(e.url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: 'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20260101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=x' }, body });
        if (answer.ok) accepted.push(operator);
      }
      expect(accepted.sort()).toEqual([...CONDITION_OPERATORS].sort());
    } finally {
      await e.close();
    }
  });
});
