/**
 * Which folders of src/ may import which: the dependency direction of the house style, as rules over the source's
 * import statements (static, dynamic and type-only alike). A rule broken names the file, the line and the import.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(import.meta.dirname, '../src');

/** A folder of src/ (its first segment) that must not import from the others listed, and why. */
const RULES: readonly { readonly folder: string; readonly never: readonly string[]; readonly why: string }[] = [
  { folder: 'live', never: ['manifest'], why: 'live IAM is read without the manifests: what both need lives in core/ or io/' },
];

function sourceFiles(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const full = join(folder, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return /\.ts$/.test(entry.name) ? [full] : [];
  });
}

/** Each import's specifier and line: `import ... from '...'`, `export ... from '...'`, `import('...')`. */
function importsOf(text: string): { specifier: string; line: number }[] {
  const out: { specifier: string; line: number }[] = [];
  const pattern = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)(['"])([^'"]+)\1/gm;
  for (const match of text.matchAll(pattern)) out.push({ specifier: match[2]!, line: text.slice(0, match.index).split('\n').length });
  return out;
}

/** The src/ folder a relative import from `file` lands in, or undefined for a package or a path outside src/. */
function targetFolder(file: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  const target = relative(SRC, resolve(dirname(file), specifier));
  if (target.startsWith('..')) return undefined;
  return target.split(sep)[0];
}

describe('folder import rules', () => {
  it('finds imports of every form, so that a rule cannot be dodged by syntax', () => {
    const text = "import type { A } from '../manifest/a.js';\nimport {\n  B,\n} from \"../manifest/b.js\";\nexport { C } from '../manifest/c.js';\nconst d = await import('../manifest/d.js');\nimport '../manifest/e.js';\n";
    expect(importsOf(text).map((i) => [i.specifier, i.line])).toEqual([
      ['../manifest/a.js', 1], ['../manifest/b.js', 4], ['../manifest/c.js', 5], ['../manifest/d.js', 6], ['../manifest/e.js', 7],
    ]);
  });

  for (const rule of RULES) {
    it(`src/${rule.folder}/ does not import from ${rule.never.map((f) => `src/${f}/`).join(', ')} (${rule.why})`, () => {
      const files = sourceFiles(join(SRC, rule.folder));
      expect(files.length).toBeGreaterThan(0);
      const broken: string[] = [];
      for (const file of files) {
        for (const { specifier, line } of importsOf(readFileSync(file, 'utf8'))) {
          const folder = targetFolder(file, specifier);
          if (folder && rule.never.includes(folder)) broken.push(`${relative(SRC, file)}:${line} imports ${specifier}`);
        }
      }
      expect(broken).toEqual([]);
    });
  }
});
