import type { Kysely } from 'kysely';
import { migrate, migrationReadiness } from '../core/db.js';
import { ISSUER_MIGRATION_TABLE, issuerMigrations } from './migrations/index.js';
import type { IssuerSchema } from './schema.js';

export type IssuerDb = Kysely<IssuerSchema>;

/**
 * Brings the issuer schema up to date on an open database (which may also
 * hold the simulator's tables when everything runs in one process).
 */
export async function prepareIssuerStore(db: Kysely<unknown>): Promise<IssuerDb> {
  await migrate(db, issuerMigrations, ISSUER_MIGRATION_TABLE);
  return db as unknown as IssuerDb;
}

export const issuerReadiness = async (db: Kysely<unknown>, probes?: () => string[]): Promise<string[]> => [
  ...(await migrationReadiness(db, issuerMigrations, ISSUER_MIGRATION_TABLE)),
  ...(probes?.() ?? []),
];
