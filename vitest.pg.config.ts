import { defineConfig } from 'vitest/config';

// The database-backed tests again, on a real PostgreSQL server named by
// PUSHPROV_TEST_DATABASE_URL (see .ci/run). Files opt in by living under
// test/store, test/service or test/simulator, or by ending in `.db.test.ts`.
export default defineConfig({
  test: {
    include: ['test/**/*.db.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
