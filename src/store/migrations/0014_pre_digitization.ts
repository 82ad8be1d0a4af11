import type { Kysely } from 'kysely';

// MDES reaches the issuer through the Pre-Digitization web services over
// mutual TLS (docs/mastercard/pre-digitization.md), not through OAuth-signed
// messages: the nonces of those messages have nothing left to guard.
//
// Every request MDES sends is still recorded once, by its requestId, in
// `mdes_notifications`. An Authorize Service decision now also keeps the card
// it was about and the push that explains it (MDES's requests carry no
// pushAccountId: the card is found from the decrypted PAN), so Notify Service
// Activated reaches the same push through the token's unique reference.
//
// An activation code MDES generated and asked the issuer to deliver (Deliver
// Activation Code) is kept as a keyed fingerprint only, with where it was
// sent (masked), until it expires or the cardholder confirms it.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('mdes_oauth_nonces').execute();
  await db.schema
    .alterTable('mdes_notifications')
    .addColumn('card_id', 'text')
    .addColumn('provisioning_id', 'text')
    .execute();
  await db.schema
    .createIndex('mdes_notifications_decision')
    .on('mdes_notifications')
    .columns(['token_unique_reference', 'message_type'])
    .execute();
  await db.schema
    .createTable('activation_codes')
    .addColumn('token_unique_reference', 'text', (c) => c.primaryKey())
    .addColumn('card_id', 'text', (c) => c.notNull().references('cards.id').onDelete('cascade'))
    .addColumn('code_fingerprint', 'bytea', (c) => c.notNull())
    .addColumn('method_type', 'text', (c) => c.notNull())
    .addColumn('sent_to', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('failed_attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('activation_codes').execute();
  await db.schema.dropIndex('mdes_notifications_decision').execute();
  await db.schema
    .alterTable('mdes_notifications')
    .dropColumn('card_id')
    .dropColumn('provisioning_id')
    .execute();
  await db.schema
    .createTable('mdes_oauth_nonces')
    .addColumn('consumer_key', 'text', (c) => c.notNull())
    .addColumn('nonce', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('mdes_oauth_nonces_pk', ['consumer_key', 'nonce'])
    .execute();
}
