/**
 * The emulator is an oracle for the product's reading of IAM (issue 17, item 4): it may not take that reading from
 * the product. Its policy grammar is its own; only `--enforce` (authorizing the emulator's own callers, a test
 * convenience, not something the product is checked against) and seeding with AWS managed policies use src/.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONDITION_OPERATORS } from '../src/manifest/policy-grammar.js';
import { PROJECT_ROOT } from './helpers/fixtures.js';
import { startTestEmulator } from './helpers/emulator.js';

const EMULATOR = join(PROJECT_ROOT, 'tools/iam-emulator');
/** Files allowed to import from src/, and why (see the header). */
const ALLOWED = new Map([
  ['server.ts', '--enforce authorizes callers with the engine'],
  ['seed.ts', 'AWS managed policies come from the shipped extract'],
]);

describe('the emulator is an independent oracle', () => {
  it('imports nothing of the product outside --enforce and seeding: not its policy grammar, condition operators, limits or ARN rules', () => {
    const offending = readdirSync(EMULATOR)
      .filter((f) => f.endsWith('.ts') && !ALLOWED.has(f))
      .flatMap((f) => [...readFileSync(join(EMULATOR, f), 'utf8').matchAll(/from '(\.\.\/\.\.\/src\/[^']+)'/g)].map((m) => `${f}: ${m[1]}`));
    expect(offending).toEqual([]);
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
