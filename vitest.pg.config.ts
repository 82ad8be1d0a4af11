import { defineConfig } from 'vitest/config';

// The database-backed tests again, on a real PostgreSQL server named by
// PUSHPROV_TEST_DATABASE_URL (see .ci/run). A file that opens a database
// must end in `.db.test.ts` (test/architecture/database-tests.test.ts).
export default defineConfig({
  test: {
    globalSetup: ['test/support/global-setup.ts'],
    include: ['test/**/*.db.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
