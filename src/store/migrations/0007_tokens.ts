import { type Kysely, sql } from 'kysely';

// The tokens of the issuer's cards, one row per MDES token, as MDES's
// notifications report them: where the card is saved (token requestor),
// its status, and the last event. Nothing here is card data: MDES's token
// reference, TRIDs and the last four digits of the token.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('tokens')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('token_unique_reference', 'text', (c) => c.notNull().unique())
    .addColumn('card_id', 'text', (c) => c.notNull().references('cards.id').onDelete('cascade'))
    .addColumn('token_requestor_id', 'text', (c) => c.notNull())
    .addColumn('token_requestor_name', 'text', (c) => c.notNull())
    .addColumn('destination', 'text', (c) =>
      c.notNull().check(sql`destination in ('click_to_pay', 'merchant')`),
    )
    .addColumn('token_pan_suffix', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('ACTIVE', 'SUSPENDED', 'DELETED')`))
    .addColumn('last_event', 'text', (c) => c.notNull())
    // The time MDES gave the last event; an older event arriving late changes nothing.
    .addColumn('last_event_at', 'timestamptz', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('tokens_card').on('tokens').columns(['card_id', 'created_at']).execute();
  await db.schema
    .createIndex('tokens_requestor_status')
    .on('tokens')
    .columns(['token_requestor_id', 'status'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('tokens').execute();
}
