/**
 * The suite runs with `isolate: false` (vitest.config.ts): the test files a worker runs one after another share its
 * module graph, so loading the catalog, the engine and the SDK is paid once per worker, not once per file. That is
 * sound only while no test leaves shared state changed behind it. This test holds the suite to it: no module mocks,
 * stubbed globals, environment or timers, and the process's environment and working directory changed only by the
 * helpers named here, which restore them (or set, once, what every test wants alike).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from './helpers/fixtures.js';

const TEST_ROOT = join(PROJECT_ROOT, 'test');

/** Calls that change what later files in the same worker see. */
const FORBIDDEN = [/\bvi\.(mock|doMock|stubEnv|stubGlobal|useFakeTimers|spyOn|hoisted)\(/, /\bglobalThis\.\w+\s*=[^=]/];
/** Writes to the process's environment or working directory. */
const PROCESS_STATE = /process\.env\[[^\]]+\]\s*=[^=]|process\.env\.\w+\s*=[^=]|delete process\.env|process\.chdir\(/;
const ALLOWED_PROCESS_STATE = new Map([
  ['helpers/emulator.ts', 'keeps the SDK off the developer\'s AWS config, the same for every test'],
  ['helpers/action-port.ts', 'sets the endpoints the SDK reads for one in-process Action run, and restores them and the directory after it'],
]);

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? (e.name === 'golden' || e.name === 'fixtures' ? [] : sources(join(dir, e.name))) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

describe('test files leave no shared state behind (the suite shares modules across files)', () => {
  it('no module mocks, stubs or fake timers, and process state changed only by the helpers that restore it', () => {
    const self = relative(TEST_ROOT, import.meta.filename ?? new URL(import.meta.url).pathname);
    const offending: string[] = [];
    for (const file of sources(TEST_ROOT)) {
      const name = relative(TEST_ROOT, file);
      if (name === self) continue;
      readFileSync(file, 'utf8').split('\n').forEach((line, i) => {
        if (FORBIDDEN.some((re) => re.test(line))) offending.push(`${name}:${i + 1}: ${line.trim()}`);
        if (PROCESS_STATE.test(line) && !ALLOWED_PROCESS_STATE.has(name)) offending.push(`${name}:${i + 1}: ${line.trim()}`);
      });
    }
    expect(offending).toEqual([]);
  });
});
