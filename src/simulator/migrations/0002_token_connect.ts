import { type Kysely, sql } from 'kysely';

// Mastercard's side of Token Connect: the API clients its gateway knows, the
// receipts MDES issued, the push requests it answered (for requestId
// replays) and the tokens created from receipts. Card data is sealed: even
// Mastercard's side keeps no PAN in a column.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('mc_clients')
    .addColumn('consumer_key', 'text', (c) => c.primaryKey())
    .addColumn('role', 'text', (c) => c.notNull().check(sql`role in ('issuer', 'token_requestor')`))
    .addColumn('token_requestor_id', 'text')
    .addColumn('public_key_pem', 'text', (c) => c.notNull())
    .addColumn('encryption_public_key_pem', 'text')
    .addColumn('display_name', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addCheckConstraint('mc_clients_trid', sql`(role = 'token_requestor') = (token_requestor_id is not null)`)
    .execute();

  await db.schema
    .createTable('mc_push_requests')
    .addColumn('issuer_consumer_key', 'text', (c) => c.notNull())
    .addColumn('request_id', 'text', (c) => c.notNull())
    .addColumn('operation', 'text', (c) => c.notNull())
    .addColumn('request_hash', 'text', (c) => c.notNull())
    .addColumn('response_json', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('mc_push_requests_pk', ['issuer_consumer_key', 'request_id'])
    .execute();

  await db.schema
    .createTable('mc_receipts')
    .addColumn('receipt', 'text', (c) => c.primaryKey())
    // Absent for the deprecated pushAccount, which has no pushAccountId.
    .addColumn('push_account_id', 'text')
    .addColumn('request_id', 'text', (c) => c.notNull())
    .addColumn('issuer_consumer_key', 'text', (c) => c.notNull())
    .addColumn('token_requestor_id', 'text', (c) => c.notNull())
    .addColumn('product', 'text', (c) => c.notNull())
    .addColumn('account_last_four', 'text', (c) => c.notNull())
    .addColumn('account_sealed', 'bytea', (c) => c.notNull())
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('redeemed_at', 'timestamptz')
    .execute();

  await db.schema
    .createTable('mc_tokens')
    .addColumn('token_unique_reference', 'text', (c) => c.primaryKey())
    .addColumn('token_requestor_id', 'text', (c) => c.notNull())
    .addColumn('issuer_consumer_key', 'text', (c) => c.notNull())
    .addColumn('receipt', 'text', (c) => c.notNull().unique().references('mc_receipts.receipt'))
    .addColumn('account_last_four', 'text', (c) => c.notNull())
    .addColumn('account_sealed', 'bytea', (c) => c.notNull())
    .addColumn('token_last_four', 'text', (c) => c.notNull())
    .addColumn('token_sealed', 'bytea', (c) => c.notNull())
    .addColumn('token_expiry', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['mc_tokens', 'mc_receipts', 'mc_push_requests', 'mc_clients']) {
    await db.schema.dropTable(table).execute();
  }
}
