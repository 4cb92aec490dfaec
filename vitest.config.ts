import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Fails the run when a test leaves a process running.
    globalSetup: ['test/helpers/no-process-left.ts'],
    // Loading the AWS action catalog (22,000 actions) takes a moment on a cold 2-core machine.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Many files mostly wait on loopback servers (the IAM emulator, the GitHub fake, git): two at a time even on two
    // cores (vitest's default there is one) takes the suite from about 205 s to 136 s.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    // Test files share their worker's module graph (the action catalog, the engine, the SDK are loaded once per worker,
    // not once per file): the suite no longer spends a third of its time importing. Sound because no test mutates
    // shared state (no module mocks, no stubbed env or timers, no chdir: test/test-isolation.test.ts holds them to it).
    isolate: false,
  },
});
