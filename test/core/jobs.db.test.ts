import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Database, openDatabase } from '../../src/core/db.js';
import { LeasedTable, Schedule } from '../../src/core/jobs/lease.js';
import { testDatabase } from '../support/database.js';

/**
 * The one mechanism every background job claims its work through, on a
 * table of its own: two "instances" are two handles on the database (two
 * connection pools on PostgreSQL; PGlite has one connection, where the same
 * statements must hold too).
 */
describe('claims with a lease (src/core/jobs/lease.ts)', () => {
  let database: Database<unknown> & { url?: string };
  let other: Database<unknown> | undefined;
  const LEASE_MS = 30_000;
  const t0 = new Date('2026-12-01T10:00:00Z');
  const at = (ms: number) => new Date(t0.getTime() + ms);
  const instances = () => {
    const second = other?.db ?? database.db;
    return [database.db, second].map(
      (db) => new LeasedTable<{ id: string }>(db, { table: 'job_test', key: 'id', leaseMs: LEASE_MS }),
    ) as [LeasedTable<{ id: string }>, LeasedTable<{ id: string }>];
  };
  const due = sql`t.done = false`;
  const row = async (id: string) =>
    (
      await sql<{
        done: boolean;
        claimed_by: string | null;
      }>`select done, claimed_by from job_test where id = ${id}`.execute(database.db)
    ).rows[0];

  beforeAll(async () => {
    database = await testDatabase();
    if (database.url) other = await openDatabase<unknown>({ url: database.url });
    await sql`create table job_test (id text primary key, done boolean not null default false,
      claimed_by text, lease_until timestamptz)`.execute(database.db);
  });
  afterAll(async () => {
    await other?.close();
    await database.close();
  });
  beforeEach(async () => {
    await sql`delete from job_test`.execute(database.db);
    await sql`insert into job_test (id) select 'job-' || lpad(i::text, 4, '0') from generate_series(1, 300) as i`.execute(
      database.db,
    );
  });

  it('two instances claiming at once never take the same row, and between them take every row', async () => {
    const taken = new Map<string, number>();
    await Promise.all(
      instances().map(async (table) => {
        for (;;) {
          const { rows } = await table.claim({ now: t0, due, limit: 7 });
          if (rows.length === 0) return;
          for (const { id } of rows) taken.set(id, (taken.get(id) ?? 0) + 1);
        }
      }),
    );
    expect(taken.size).toBe(300);
    expect([...taken.values()].filter((n) => n > 1)).toEqual([]);
  });

  it('a lease holds the row until it ends; then another instance takes it over', async () => {
    const [a, b] = instances();
    const first = await a.claim({ now: t0, due: sql`t.id = 'job-0001'`, limit: 1 });
    expect(first.rows.map((r) => r.id)).toEqual(['job-0001']);
    expect((await b.claim({ now: at(LEASE_MS - 1), due: sql`t.id = 'job-0001'`, limit: 1 })).rows).toEqual(
      [],
    );
    const second = await b.claim({ now: at(LEASE_MS), due: sql`t.id = 'job-0001'`, limit: 1 });
    expect(second.rows.map((r) => r.id)).toEqual(['job-0001']);
    expect((await row('job-0001'))?.claimed_by).toBe(second.lease.token);
  });

  it('a late settle by the instance that lost its lease changes nothing; the new owner’s settles', async () => {
    const [a, b] = instances();
    const lost = await a.claim({ now: t0, due: sql`t.id = 'job-0002'`, limit: 1 });
    const taken = await b.claim({ now: at(LEASE_MS + 1), due: sql`t.id = 'job-0002'`, limit: 1 });
    expect(await a.settle('job-0002', lost.lease, { done: true })).toBe(false);
    expect(await row('job-0002')).toEqual({ done: false, claimed_by: taken.lease.token });
    expect(await b.settle('job-0002', taken.lease, { done: true })).toBe(true);
    expect(await row('job-0002')).toEqual({ done: true, claimed_by: null });
  });

  it('a row settled with a retry time is not due again before it', async () => {
    const [a, b] = instances();
    const claimed = await a.claim({ now: t0, due: sql`t.id = 'job-0003'`, limit: 1 });
    expect(await a.settle('job-0003', claimed.lease, {}, { retryAt: at(5_000) })).toBe(true);
    expect((await b.claim({ now: at(4_999), due: sql`t.id = 'job-0003'`, limit: 1 })).rows).toEqual([]);
    expect((await b.claim({ now: at(5_000), due: sql`t.id = 'job-0003'`, limit: 1 })).rows).toHaveLength(1);
  });

  it('a once-per-period job runs on one instance per period, however many ask', async () => {
    const schedules = [database.db, other?.db ?? database.db].map((db) => new Schedule(db, LEASE_MS));
    let runs = 0;
    const work = async () => {
      runs++;
      await new Promise((resolve) => setTimeout(resolve, 20));
    };
    const round = (now: Date) =>
      Promise.all(
        [...schedules, ...schedules].map((schedule) => schedule.runIfDue('purge test', 60_000, now, work)),
      );
    expect((await round(t0)).filter(Boolean)).toHaveLength(1);
    expect((await round(at(59_999))).filter(Boolean)).toHaveLength(0);
    expect((await round(at(60_000))).filter(Boolean)).toHaveLength(1);
    expect(runs).toBe(2);
  });
});
