import { type Kysely, sql } from 'kysely';

// Card verification codes are gone (issue 14, PCI DSS 3.3): no push or other
// flow uses one, and sensitive authentication data may not be kept after
// authorisation even encrypted. The values are cleared before the column is
// dropped, because PostgreSQL's DROP COLUMN only hides a column's data until
// each row is rewritten; the cleared tuples' old versions go with the next
// VACUUM (`VACUUM FULL cards` reclaims them at once; it cannot run in a migration).
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`update cards set cvc_sealed = null where cvc_sealed is not null`.execute(db);
  await db.schema.alterTable('cards').dropColumn('cvc_sealed').execute();
}

// The column comes back empty: the codes it held are not recoverable.
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('cards').addColumn('cvc_sealed', 'bytea').execute();
}
