/**
 * The emulator is an independent oracle (issue 17 item 4): it imports nothing from the product's `src/`, so that a
 * mistake in the product's policy grammar, condition operators, evaluator or ARN rules cannot hide in the emulator
 * too. Its own condition-operator list is checked here against the IAM User Guide's forms.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from './helpers/fixtures.js';
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
});
