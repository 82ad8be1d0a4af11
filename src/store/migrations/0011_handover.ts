import { type Kysely, sql } from 'kysely';

// The handover as MDESRQ specifies it (issue 12): one link per push method
// instead of one merchant redirect, and what the token requestor reported for
// each card, kept apart from what MDES confirmed. Click to Pay is sent the
// cardholder like any token requestor, so its pushes leave `enrolling` for
// `receipt_issued`. Old redirects are dropped: their receipts expired within
// 15 minutes of being issued.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('provisionings').dropColumn('redirect_sealed').execute();
  await db.schema.alterTable('provisionings').addColumn('push_links_sealed', 'bytea').execute();
  await sql`update provisionings set state = 'receipt_issued' where state = 'enrolling'`.execute(db);
  await sql`update provisioning_cards set state = 'receipt_issued' where state = 'enrolling'`.execute(db);
  await db.schema.alterTable('provisioning_cards').addColumn('reported_result', 'text').execute();
  await db.schema
    .alterTable('provisioning_cards')
    .addColumn('reported_token_unique_reference', 'text')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('provisioning_cards').dropColumn('reported_token_unique_reference').execute();
  await db.schema.alterTable('provisioning_cards').dropColumn('reported_result').execute();
  await db.schema.alterTable('provisionings').dropColumn('push_links_sealed').execute();
  await db.schema.alterTable('provisionings').addColumn('redirect_sealed', 'bytea').execute();
}
