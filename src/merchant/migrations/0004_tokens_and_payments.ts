import type { Kysely } from 'kysely';

// The token itself, now that MDES hands it over encrypted to the shop: its
// number and expiry kept sealed (AES-256-GCM, the saved card's id as
// associated data), never in clear. Each Notify Token Updated taken, by
// MDES's requestId, so a redelivery changes nothing. Each payment tried with
// a saved card, written before the network is asked and completed after.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('merchant_saved_cards').addColumn('token_sealed', 'bytea').execute();
  await db.schema
    .createTable('merchant_token_updates')
    .addColumn('request_id', 'text', (c) => c.primaryKey())
    .addColumn('received_at', 'timestamptz', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('merchant_payments')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('shopper_ref', 'text', (c) => c.notNull())
    .addColumn('saved_card_id', 'text', (c) => c.notNull())
    .addColumn('amount', 'text', (c) => c.notNull())
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('reason', 'text')
    .addColumn('account_last_four', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('merchant_payments').execute();
  await db.schema.dropTable('merchant_token_updates').execute();
  await db.schema.alterTable('merchant_saved_cards').dropColumn('token_sealed').execute();
}
