/**
 * Rules of the source tree, read off the sources themselves (so they cannot regress unseen):
 * - the renderers (src/render) are pure and below the application layer: they import nothing from src/app, the
 *   entry points (src/action, cmd) or the adapters that do I/O (src/live, src/github, src/git, src/io); and no pure
 *   stage (plan, analyze, evaluate, render) imports the application layer or an entry point;
 * - severity order, icons and the fail-on list are written once (src/core/severity.ts), and counted words go
 *   through the one plural rule: no other file spells the severity list or an icon.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FAIL_ON as CLI_FAIL_ON } from '../cmd/context.js';
import { FAIL_ON, SEVERITY_ICON, SEVERITY_ORDER } from '../src/core/severity.js';
import { PROJECT_ROOT } from './helpers/fixtures.js';

function sourceFiles(folder: string): string[] {
  return readdirSync(join(PROJECT_ROOT, folder), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => relative(PROJECT_ROOT, join(e.parentPath, e.name)));
}

/** The project folders a file imports from (static, re-exports and dynamic imports), as paths from the root. */
function importsOf(file: string): string[] {
  const text = readFileSync(join(PROJECT_ROOT, file), 'utf8');
  const specifiers = [...text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"`;]*?from\s*['"]([^'"]+)['"]/g), ...text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1]!);
  return specifiers.filter((s) => s.startsWith('.')).map((s) => relative(PROJECT_ROOT, resolve(dirname(join(PROJECT_ROOT, file)), s)));
}

function violations(folders: readonly string[], forbidden: readonly string[]): string[] {
  return folders.flatMap((folder) => sourceFiles(folder).flatMap((file) => importsOf(file).filter((target) => forbidden.some((f) => target === f || target.startsWith(`${f}/`))).map((target) => `${file} imports ${target}`)));
}

describe('layers', () => {
  it('src/render imports nothing from the application layer, the entry points or the I/O adapters', () => {
    expect(sourceFiles('src/render').length).toBeGreaterThan(5);
    expect(violations(['src/render'], ['src/app', 'src/action', 'cmd', 'src/live', 'src/github', 'src/git', 'src/io'])).toEqual([]);
  });

  it('no pure stage imports the application layer or an entry point', () => {
    expect(violations(['src/plan', 'src/analyze', 'src/evaluate', 'src/render', 'src/core'], ['src/app', 'src/action', 'cmd'])).toEqual([]);
  });

  it('the rule sees imports: a file that imports src/app is found', () => {
    // The rule's own reader, on a file known to import the application layer (the CLI's apply command).
    expect(importsOf('cmd/commands/apply.ts')).toContain('src/app/apply.js');
  });
});

describe('severity and plurals, defined once', () => {
  it('FAIL_ON is the severities in order, then never; the CLI uses the same list', () => {
    expect(FAIL_ON).toEqual([...SEVERITY_ORDER, 'never']);
    expect(CLI_FAIL_ON).toBe(FAIL_ON);
    expect(Object.keys(SEVERITY_ICON)).toEqual([...SEVERITY_ORDER]);
  });

  it('no other source spells the severity list, a severity icon or its own plural helper', () => {
    const files = [...sourceFiles('src'), ...sourceFiles('cmd')].filter((f) => f !== join('src', 'core', 'severity.ts') && f !== join('src', 'core', 'plural.ts'));
    const offences = files.flatMap((file) => {
      const text = readFileSync(join(PROJECT_ROOT, file), 'utf8');
      return [
        /'critical',\s*'high',\s*'medium',\s*'low'/.test(text) ? `${file}: the severity list` : [],
        /🟥|🟧|🟨|⬜/u.test(text) ? `${file}: a severity icon` : [],
        /function\s+(plural|pluralize|count)\s*\([^)]*\)[^{]*\{[^}]*=== 1|const\s+(plural|pluralize|count)\s*=[^;]*=== 1/.test(text) ? `${file}: a plural helper of its own` : [],
      ].flat();
    });
    expect(offences).toEqual([]);
  });
});
