import type { Kysely } from 'kysely';

// MDES asks the issuer before it creates a token: where to ask (set when
// the issuer registers), and every decision, the issuer's or MDES's
// stand-in when the issuer did not answer. No card data is kept here. A
// token may now come from a card added manually, without a receipt.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('mc_tokens')
    .alterColumn('receipt', (c) => c.dropNotNull())
    .execute();
  await db.schema.alterTable('mc_clients').addColumn('authorization_url', 'text').execute();
  await db.schema
    .createTable('mc_tokenization_decisions')
    .addColumn('request_id', 'text', (c) => c.primaryKey())
    .addColumn('issuer_consumer_key', 'text', (c) => c.notNull())
    .addColumn('token_requestor_id', 'text', (c) => c.notNull())
    .addColumn('token_unique_reference', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('receipt', 'text')
    .addColumn('decision', 'text', (c) => c.notNull())
    .addColumn('decided_by', 'text', (c) => c.notNull())
    .addColumn('reason_code', 'text', (c) => c.notNull())
    .addColumn('decided_at', 'timestamptz', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('mc_tokenization_decisions_receipt')
    .on('mc_tokenization_decisions')
    .column('receipt')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('mc_tokenization_decisions').execute();
  await db.schema.alterTable('mc_clients').dropColumn('authorization_url').execute();
  await db.schema
    .alterTable('mc_tokens')
    .alterColumn('receipt', (c) => c.setNotNull())
    .execute();
}
