import { readFileSync } from 'node:fs';
import { inject } from 'vitest';
import { openDatabase } from '../../src/core/db.js';
import { onPostgres, serverDatabase, type TestDatabase } from './server-database.js';

export { onPostgres, type TestDatabase } from './server-database.js';

/**
 * A database of its own for one test file, already migrated: in-memory
 * PGlite by default, or a brand-new database on the PostgreSQL server named
 * by PUSHPROV_TEST_DATABASE_URL (dropped again on close), so the same tests
 * prove the same SQL on both engines. It is a copy of the one the global
 * set-up migrated (test/support/global-setup.ts), because initdb and the
 * migrations cost seconds per file.
 */
export async function testDatabase(): Promise<TestDatabase> {
  const migrated = inject('migratedDatabase');
  if ('template' in migrated) return serverDatabase(migrated.template);
  return openDatabase<unknown>({ memory: true, from: migratedDump(migrated.dump) });
}

export const migratedDump = (path: string): Blob => new Blob([readFileSync(path)]);

/** A database with no tables at all, for the tests of migrating itself. */
export async function emptyTestDatabase(): Promise<TestDatabase> {
  return onPostgres() ? serverDatabase() : openDatabase<unknown>({ memory: true });
}
