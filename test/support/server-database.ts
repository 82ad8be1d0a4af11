import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import pg from 'pg';
import { type Database, openDatabase } from '../../src/core/db.js';
import { prepareMerchantStore } from '../../src/merchant/app.js';
import { prepareSimulatorStore } from '../../src/simulator/app.js';
import { prepareIssuerStore } from '../../src/store/store.js';

// Nothing here may import `vitest`: the global set-up, which runs outside any test, uses it too.

/** A test database; on PostgreSQL also its URL, for a child process to share it. */
export type TestDatabase = Database<unknown> & { url?: string };

export const onPostgres = (): boolean => Boolean(process.env.PUSHPROV_TEST_DATABASE_URL);

/** Every migration set a test database holds: the issuer's, the simulator's and the demo merchant's. */
export async function migrateAll(db: Kysely<unknown>): Promise<void> {
  await prepareIssuerStore(db);
  await prepareSimulatorStore(db);
  await prepareMerchantStore(db);
}

/**
 * A brand-new database on the PostgreSQL server named by
 * PUSHPROV_TEST_DATABASE_URL, a copy of `template` when given; dropped again on close.
 */
export async function serverDatabase(template?: string): Promise<TestDatabase> {
  const name = `pushprov_t_${randomBytes(6).toString('hex')}`;
  await onServer(`create database ${name}${template ? ` template ${template}` : ''}`);
  const url = serverDatabaseUrl(name);
  const database = await openDatabase<unknown>({ url });
  return {
    ...database,
    url,
    close: async () => {
      await database.close();
      await onServer(`drop database if exists ${name} with (force)`);
    },
  };
}

export function serverDatabaseUrl(name: string): string {
  const url = new URL(serverUrl());
  url.pathname = `/${name}`;
  return url.toString();
}

/** Runs one statement on the test server's administrative connection. */
export async function onServer(statement: string): Promise<void> {
  const admin = new pg.Client({ connectionString: serverUrl() });
  await admin.connect();
  try {
    await admin.query(statement);
  } finally {
    await admin.end();
  }
}

function serverUrl(): string {
  const url = process.env.PUSHPROV_TEST_DATABASE_URL;
  if (!url) throw new Error('PUSHPROV_TEST_DATABASE_URL is not set');
  return url;
}
