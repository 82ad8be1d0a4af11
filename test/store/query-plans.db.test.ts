import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type IssuerDb, prepareIssuerStore } from '../../src/store/store.js';
import { type TestDatabase, testDatabase } from '../support/database.js';
import { fullScansIn, KEY_QUERIES, queriesOf } from '../support/query-plans.js';
import { seedGrowingTables } from '../support/seed.js';

/**
 * The push path's and the ops dashboard's queries, planned by the database
 * on a seeded volume: none may read a growing table whole. Each query is
 * captured as the store compiles it (with its parameters) and EXPLAINed, so
 * the test follows the code, not a copy of its SQL.
 */
const SEED = 20_000;

let database: TestDatabase;
let db: IssuerDb;

beforeAll(async () => {
  database = await testDatabase();
  db = await prepareIssuerStore(database.db);
  await seedGrowingTables(database.db, SEED);
}, 120_000);
afterAll(() => database?.close());

describe(`query plans on ${SEED.toLocaleString('en')} seeded provisionings`, () => {
  it('the push path reads and writes by index only', async () => {
    const queries = await queriesOf(db, KEY_QUERIES['push path']);
    expect(queries.length).toBeGreaterThanOrEqual(10);
    expect(await fullScansIn(db, queries)).toEqual([]);
  });

  it('the background jobs find their work by index', async () => {
    const queries = await queriesOf(db, KEY_QUERIES.jobs);
    expect(await fullScansIn(db, queries)).toEqual([]);
  });

  it('the ops dashboard and the cardholder search read the window or the match only', async () => {
    const queries = await queriesOf(db, KEY_QUERIES.ops);
    expect(queries.length).toBeGreaterThanOrEqual(8);
    expect(await fullScansIn(db, queries)).toEqual([]);
  });

  it('the check itself sees a full scan (it can fail)', async () => {
    const queries = await queriesOf(db, (db) =>
      db.selectFrom('provisionings').select('id').where('attempts', '>', 3).execute(),
    );
    expect(await fullScansIn(db, queries)).toEqual([expect.stringContaining('provisionings in: select')]);
  });
});
