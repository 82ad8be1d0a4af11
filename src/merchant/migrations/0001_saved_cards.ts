import { type Kysely, sql } from 'kysely';

// What a Secure Card on File integrator keeps: the token and display data,
// never the PAN (it never sees one).
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('merchant_saved_cards')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('shopper_ref', 'text', (c) => c.notNull())
    .addColumn('token_unique_reference', 'text', (c) => c.notNull().unique())
    .addColumn('last_four', 'text', (c) => c.notNull())
    .addColumn('card_art_url', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('merchant_saved_cards').execute();
}
