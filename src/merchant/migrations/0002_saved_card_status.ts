import type { Kysely } from 'kysely';

// When MDES last told the merchant its token's status (Notify Token Updated's
// statusTimestamp): a notification older than the one applied changes nothing.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('merchant_saved_cards').addColumn('status_updated_at', 'timestamptz').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('merchant_saved_cards').dropColumn('status_updated_at').execute();
}
