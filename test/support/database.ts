import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { type Database, openDatabase } from '../../src/core/db.js';

/**
 * A fresh, empty database for one test file: in-memory PGlite by default, or
 * a brand-new database on the PostgreSQL server named by
 * PUSHPROV_TEST_DATABASE_URL (dropped again on close), so the same tests
 * prove the same SQL on both engines.
 */
export async function testDatabase(): Promise<Database<unknown>> {
  const serverUrl = process.env.PUSHPROV_TEST_DATABASE_URL;
  if (!serverUrl) return openDatabase<unknown>({ memory: true });
  const name = `pushprov_t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const database = await openDatabase<unknown>({ url: url.toString() });
  return {
    ...database,
    close: async () => {
      await database.close();
      const dropper = new pg.Client({ connectionString: serverUrl });
      await dropper.connect();
      await dropper.query(`drop database if exists ${name} with (force)`);
      await dropper.end();
    },
  };
}

export const onPostgres = (): boolean => Boolean(process.env.PUSHPROV_TEST_DATABASE_URL);
