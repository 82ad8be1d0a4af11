import { defineConfig } from 'vitest/config';

// The browser tests (`npm run test:browser`): Chromium driven by
// playwright-core against the whole stack. Not part of `npm test`.
export default defineConfig({
  test: {
    globalSetup: ['test/support/global-setup.ts'],
    include: ['test/browser/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: false,
    // Each stack's log, read by .ci/run when a browser test fails.
    env: { PUSHPROV_TEST_STACK_LOG_DIR: 'test-results/browser/logs' },
  },
});
