import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/core/db.js';
import { issuerMigrations } from '../../src/store/migrations/index.js';
import { issuerReadiness, prepareIssuerStore } from '../../src/store/store.js';
import { emptyTestDatabase, onPostgres } from '../support/database.js';

describe(`issuer store on ${onPostgres() ? 'PostgreSQL' : 'PGlite'}`, () => {
  let database: Database<unknown>;
  beforeAll(async () => {
    database = await emptyTestDatabase();
  });
  afterAll(async () => {
    await database.close();
  });

  it('reports not ready before migrations and ready after; migrating twice is a no-op', async () => {
    const before = await issuerReadiness(database.db);
    expect(before).toHaveLength(1);
    expect(before[0]).toMatch(/migrations not applied: 0001_audit_log/);
    await prepareIssuerStore(database.db);
    expect(await issuerReadiness(database.db)).toEqual([]);
    await prepareIssuerStore(database.db);
    const { rows } = await sql<{ n: number }>`select count(*) as n from pushprov_migrations`.execute(
      database.db,
    );
    expect(rows[0]?.n).toBe(Object.keys(issuerMigrations).length);
  });

  it('gives int8 counts as numbers and timestamps as Dates on both engines', async () => {
    const db = await prepareIssuerStore(database.db);
    await db
      .insertInto('audit_log')
      .values({
        actor: 'test',
        action: 'probe',
        subject: null,
        outcome: 'ok',
        details: JSON.stringify({ a: 1 }),
        prev_hash: '0',
        hash: 'h1',
      })
      .execute();
    const row = await db.selectFrom('audit_log').selectAll().executeTakeFirstOrThrow();
    expect(row.at).toBeInstanceOf(Date);
    expect(row.details).toEqual({ a: 1 });
    const { count } = await db
      .selectFrom('audit_log')
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .executeTakeFirstOrThrow();
    expect(count).toBe(1);
  });
});
