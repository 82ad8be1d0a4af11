import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('provisionings')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('cardholder_id', 'text', (c) => c.notNull())
    .addColumn('destination', 'text', (c) =>
      c.notNull().check(sql`destination in ('click_to_pay', 'merchant')`),
    )
    .addColumn('token_requestor_id', 'text', (c) => c.notNull())
    .addColumn('token_requestor_name', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    // Mastercard's requestId, fixed before the first call and reused by every
    // retry, so a lost response is resolved by asking again, not pushing twice.
    .addColumn('request_id', 'text', (c) => c.notNull().unique())
    .addColumn('receipt_validity_minutes', 'integer', (c) => c.notNull())
    .addColumn('receipts_expire_at', 'timestamptz')
    .addColumn('callback_token_sealed', 'bytea')
    // The merchant redirect carries receipts and MDES's signature: sealed at rest.
    .addColumn('redirect_sealed', 'bytea')
    .addColumn('error_code', 'text')
    .addColumn('error_message', 'text')
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addColumn('completed_at', 'timestamptz')
    .execute();
  await db.schema
    .createIndex('provisionings_cardholder')
    .on('provisionings')
    .columns(['cardholder_id', 'created_at'])
    .execute();
  await db.schema
    .createIndex('provisionings_open')
    .on('provisionings')
    .columns(['state', 'updated_at'])
    .execute();

  await db.schema
    .createTable('provisioning_cards')
    .addColumn('provisioning_id', 'text', (c) =>
      c.notNull().references('provisionings.id').onDelete('cascade'),
    )
    .addColumn('card_id', 'text', (c) => c.notNull())
    .addColumn('push_account_id', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    // A receipt lets whoever holds it tokenize the card until it expires: sealed like card data.
    .addColumn('receipt_sealed', 'bytea')
    .addColumn('token_unique_reference', 'text')
    .addColumn('error_code', 'text')
    .addPrimaryKeyConstraint('provisioning_cards_pk', ['provisioning_id', 'card_id'])
    .execute();
  await db.schema.createIndex('provisioning_cards_card').on('provisioning_cards').column('card_id').execute();
  // MDES names the push in its notifications by pushAccountId.
  await db.schema
    .createIndex('provisioning_cards_push_account')
    .unique()
    .on('provisioning_cards')
    .column('push_account_id')
    .execute();

  await db.schema
    .createTable('idempotency_keys')
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('request_hash', 'text', (c) => c.notNull())
    .addColumn('response_status', 'integer')
    .addColumn('response_body', 'jsonb')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('idempotency_keys_pk', ['scope', 'key'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('idempotency_keys').execute();
  await db.schema.dropTable('provisioning_cards').execute();
  await db.schema.dropTable('provisionings').execute();
}
