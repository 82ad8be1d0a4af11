import type { Kysely } from 'kysely';

// One row per receipt the shop was handed: what became of it and where the
// shopper goes back to, so the result page is a GET (Back never resubmits)
// and a receipt already worked on is answered from here, not redeemed again.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('merchant_push_results')
    .addColumn('receipt', 'text', (c) => c.primaryKey())
    .addColumn('shopper_ref', 'text', (c) => c.notNull())
    .addColumn('result', 'text', (c) => c.notNull())
    .addColumn('token_unique_reference', 'text')
    .addColumn('reason', 'text')
    .addColumn('callback_url', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('merchant_push_results').execute();
}
