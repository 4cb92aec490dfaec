import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Loading the AWS action catalog (22,000 actions) takes a moment on a cold 2-core machine.
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
