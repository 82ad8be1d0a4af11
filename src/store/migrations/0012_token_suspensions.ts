import { type Kysely, sql } from 'kysely';

// MDES Customer Service records every suspension the issuer asks for as the
// issuer's (suspender I), whoever at the bank asked: it has no "caused by".
// Why a token is suspended is pushprov's own record: the cardholder paused
// it, and/or its card is blocked. A token is resumed at MDES only once
// neither holds, so unblocking a card never resumes what the cardholder paused.
//
// A card change reaches MDES one token per call; each token's outcome is kept
// with its follow-up, so a retry asks again only for the tokens still
// outstanding.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('tokens')
    .addColumn('paused_by_cardholder', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('suspended_for_card_block', 'boolean', (c) => c.notNull().defaultTo(false))
    .execute();
  // Tokens suspended while their card is blocked were suspended for the block.
  await sql`update tokens set suspended_for_card_block = true
    where status = 'SUSPENDED' and card_id in (select id from cards where status = 'blocked')`.execute(db);
  await sql`update tokens set paused_by_cardholder = true
    where status = 'SUSPENDED' and not suspended_for_card_block`.execute(db);
  // Who asked for the card change (an ops user, the CLI, the seed), for MDES's AuditInfo.
  await db.schema.alterTable('token_follow_ups').addColumn('requested_by', 'text').execute();
  await db.schema
    .createTable('token_follow_up_tokens')
    .addColumn('follow_up_id', 'text', (c) =>
      c.notNull().references('token_follow_ups.id').onDelete('cascade'),
    )
    .addColumn('token_id', 'text', (c) => c.notNull().references('tokens.id').onDelete('cascade'))
    .addColumn('state', 'text', (c) => c.notNull().check(sql`state in ('pending', 'done')`))
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('last_error', 'text')
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('token_follow_up_tokens_pk', ['follow_up_id', 'token_id'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('token_follow_up_tokens').execute();
  await db.schema.alterTable('token_follow_ups').dropColumn('requested_by').execute();
  await db.schema
    .alterTable('tokens')
    .dropColumn('paused_by_cardholder')
    .dropColumn('suspended_for_card_block')
    .execute();
}
