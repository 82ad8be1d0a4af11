import { type Kysely, sql } from 'kysely';

// Token management follows MDES Customer Service: a token may be suspended
// by several parties at once (its suspenders: I issuer, W token requestor,
// C cardholder …), and stays SUSPENDED until the last one resumes it; a
// replaced card moves its tokens to the new card number (sealed, as the
// first one), expiry and sequence number; each status change is kept with
// who made it, why and the issuer's AuditInfo, for Token Status History
// (whose first entry, the token's creation, is the token row itself).
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('mc_tokens')
    .addColumn('suspenders', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('account_pan_sequence', 'text')
    .execute();
  // Every suspension so far was asked for by an issuer.
  await sql`update mc_tokens set suspenders = 'I' where status = 'SUSPENDED'`.execute(db);
  await db.schema.alterTable('mc_tokens').dropColumn('suspended_by').execute();
  await db.schema
    .createTable('mc_token_statuses')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('token_unique_reference', 'text', (c) =>
      c.notNull().references('mc_tokens.token_unique_reference').onDelete('cascade'),
    )
    .addColumn('status_code', 'text', (c) => c.notNull().check(sql`status_code in ('U', 'A', 'S', 'D')`))
    .addColumn('initiator', 'text', (c) => c.notNull())
    .addColumn('reason_code', 'text')
    .addColumn('comment_id', 'text')
    // The issuer's AuditInfo as it sent it (who at the issuer acted); JSON.
    .addColumn('audit_info', 'text')
    .addColumn('at', 'timestamptz', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('mc_token_statuses_token')
    .on('mc_token_statuses')
    .columns(['token_unique_reference', 'id'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('mc_token_statuses').execute();
  await db.schema.alterTable('mc_tokens').addColumn('suspended_by', 'text').execute();
  await sql`update mc_tokens set suspended_by = 'ISSUER' where suspenders <> ''`.execute(db);
  await db.schema
    .alterTable('mc_tokens')
    .dropColumn('suspenders')
    .dropColumn('account_pan_sequence')
    .execute();
}
