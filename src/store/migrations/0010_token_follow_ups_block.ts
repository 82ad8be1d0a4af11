import { type Kysely, sql } from 'kysely';

// A blocked card's tokens are suspended at MDES, and resumed when it is
// unblocked. One import may queue two follow-ups for a card (replaced and
// blocked) in one transaction, so one timestamp, hence `seq`: the order they
// were queued in, which is the order they reach MDES.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table token_follow_ups drop constraint token_follow_ups_kind_check`.execute(db);
  await sql`alter table token_follow_ups add constraint token_follow_ups_kind_check
    check (kind in ('replaced', 'closed', 'blocked', 'unblocked'))`.execute(db);
  await db.schema
    .alterTable('token_follow_ups')
    .addColumn('seq', 'bigserial', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('token_follow_ups_card')
    .on('token_follow_ups')
    .columns(['card_id', 'seq'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('token_follow_ups_card').execute();
  await db.schema.alterTable('token_follow_ups').dropColumn('seq').execute();
  await sql`alter table token_follow_ups drop constraint token_follow_ups_kind_check`.execute(db);
  await sql`alter table token_follow_ups add constraint token_follow_ups_kind_check
    check (kind in ('replaced', 'closed'))`.execute(db);
}
