import type { Kysely } from 'kysely';

// What MDES tells the issuer. The nonces of its signed notifications are kept
// until their timestamp leaves the allowed window, so a replayed request is
// refused after a restart too; each notification is recorded once by its
// notificationId, so a redelivery is recognised and changes nothing. Nothing
// here is card data: token references, TRIDs and outcomes only.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('mdes_oauth_nonces')
    .addColumn('consumer_key', 'text', (c) => c.notNull())
    .addColumn('nonce', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('mdes_oauth_nonces_pk', ['consumer_key', 'nonce'])
    .execute();

  await db.schema
    .createTable('mdes_notifications')
    .addColumn('notification_id', 'text', (c) => c.primaryKey())
    .addColumn('message_type', 'text', (c) => c.notNull())
    .addColumn('token_unique_reference', 'text', (c) => c.notNull())
    .addColumn('token_requestor_id', 'text', (c) => c.notNull())
    .addColumn('outcome', 'text', (c) => c.notNull())
    // The event's time as MDES stated it, and when the issuer took the message.
    .addColumn('occurred_at', 'timestamptz', (c) => c.notNull())
    .addColumn('received_at', 'timestamptz', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('mdes_notifications_token')
    .on('mdes_notifications')
    .columns(['token_unique_reference', 'received_at'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('mdes_notifications').execute();
  await db.schema.dropTable('mdes_oauth_nonces').execute();
}
