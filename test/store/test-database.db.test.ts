import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrationReadiness } from '../../src/core/db.js';
import { MERCHANT_MIGRATION_TABLE, merchantMigrations } from '../../src/merchant/migrations/index.js';
import { SIMULATOR_MIGRATION_TABLE, simulatorMigrations } from '../../src/simulator/migrations/index.js';
import { ISSUER_MIGRATION_TABLE, issuerMigrations } from '../../src/store/migrations/index.js';
import { emptyTestDatabase, onPostgres, type TestDatabase, testDatabase } from '../support/database.js';

/**
 * The databases the tests open (test/support/database.ts): copies of the
 * one the global set-up migrated, each a file's own, and an empty one for
 * the tests of migrating.
 */
describe(`test databases on ${onPostgres() ? 'PostgreSQL' : 'PGlite'}`, () => {
  let one: TestDatabase;
  let other: TestDatabase;
  beforeAll(async () => {
    [one, other] = [await testDatabase(), await testDatabase()];
  });
  afterAll(async () => {
    await one.close();
    await other.close();
  });

  const sets = [
    [issuerMigrations, ISSUER_MIGRATION_TABLE],
    [simulatorMigrations, SIMULATOR_MIGRATION_TABLE],
    [merchantMigrations, MERCHANT_MIGRATION_TABLE],
  ] as const;

  it('open with every migration set applied: the issuer’s, the simulator’s and the demo merchant’s', async () => {
    for (const [migrations, table] of sets)
      expect(await migrationReadiness(one.db, migrations, table)).toEqual([]);
  });

  it('are copies, not one database: a table made in one is not in the other', async () => {
    await sql`create table copy_probe (n int)`.execute(one.db);
    const probe = async (database: TestDatabase) =>
      (await sql<{ t: string | null }>`select to_regclass('copy_probe')::text as t`.execute(database.db))
        .rows[0]?.t;
    expect(await probe(one)).toBe('copy_probe');
    expect(await probe(other)).toBeNull();
  });

  it('open empty when a test migrates for itself', async () => {
    const empty = await emptyTestDatabase();
    try {
      for (const [migrations, table] of sets)
        expect(await migrationReadiness(empty.db, migrations, table)).toEqual([
          `${table}: migrations not applied: ${Object.keys(migrations).join(', ')}`,
        ]);
    } finally {
      await empty.close();
    }
  });
});
