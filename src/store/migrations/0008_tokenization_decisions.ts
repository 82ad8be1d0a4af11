import type { Kysely } from 'kysely';

// MDES's Tokenization Authorization Requests are recorded with its other
// messages, once by their id: the outcome is the issuer's decision and the
// reason its stable code, so MDES asking again gets the same answer.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('mdes_notifications').addColumn('reason_code', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('mdes_notifications').dropColumn('reason_code').execute();
}
