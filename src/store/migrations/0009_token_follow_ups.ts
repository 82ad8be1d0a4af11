import { type Kysely, sql } from 'kysely';

// A card replaced, reissued or closed must reach its tokens at MDES. The
// change to the card and the follow-up are written in one transaction, and
// the follow-up is worked on (and retried) until MDES has taken it, so a
// crash or MDES being away loses nothing. No card data: the new card's last
// four digits and expiry (MMYY) are what MDES is told.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('token_follow_ups')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('card_id', 'text', (c) => c.notNull().references('cards.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('replaced', 'closed')`))
    .addColumn('account_pan_suffix', 'text')
    .addColumn('account_expiry', 'text')
    .addColumn('state', 'text', (c) => c.notNull().check(sql`state in ('pending', 'done', 'failed')`))
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('next_attempt_at', 'timestamptz', (c) => c.notNull())
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('token_follow_ups_due')
    .on('token_follow_ups')
    .columns(['state', 'next_attempt_at'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('token_follow_ups').execute();
}
