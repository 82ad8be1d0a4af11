import type { Kysely } from 'kysely';

// MDES's Notify Suspicious Events (Issuer Outbound API 2.0.21,
// `/notifySuspiciousEvents`): what MDES saw go wrong while replenishing a
// cloud token's keys, kept one row per request (MDES's requestId), for the
// issuer's risk team. The ATC lists are kept as MDES sent them (JSON text):
// transaction counters, not card data or PII. `token_id` and `card_id` name
// the issuer's token and card when it has a record of the token; null for a
// token it does not know, which is recorded all the same. The row goes with
// its card (a card's purge takes its tokens' history along).
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('mdes_suspicious_events')
    .addColumn('request_id', 'text', (c) => c.primaryKey())
    .addColumn('token_unique_reference', 'text', (c) => c.notNull())
    .addColumn('token_id', 'text')
    .addColumn('card_id', 'text', (c) => c.references('cards.id').onDelete('cascade'))
    .addColumn('payment_app_instance_id', 'text')
    .addColumn('token_status', 'text', (c) => c.notNull())
    .addColumn('event_name', 'text', (c) => c.notNull())
    .addColumn('wallet_atc_status', 'text')
    .addColumn('system_atc_status', 'text')
    .addColumn('received_at', 'timestamptz', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('mdes_suspicious_events_token')
    .on('mdes_suspicious_events')
    .columns(['token_unique_reference', 'received_at'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('mdes_suspicious_events').execute();
}
