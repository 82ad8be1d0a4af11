import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

// One file more than there are cores: a single worker was idle half its time
// (waiting on the CLI's child processes, servers and timers), so a third file
// on two cores fills the gaps. Vitest's default is cores - 1: one worker here.
// As many at the start as at most: tinypool retiring an idle fork under
// `isolate: false` rejects with "Terminating worker thread" and fails the run.
const workers = Math.min(8, availableParallelism() + 1);

export default defineConfig({
  test: {
    globalSetup: ['test/support/global-setup.ts'],
    include: ['test/**/*.test.ts'],
    exclude: ['test/browser/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: workers,
    minWorkers: workers,
    // A worker runs file after file without importing the whole tree (and
    // compiling PGlite) again for each; the tests keep no state in modules.
    isolate: false,
  },
});
