import { type Kysely, sql } from 'kysely';

// Click to Pay's enrolments and consumer profiles, and MDES's notifications
// to issuers. Enrolments and notifications are recorded before the work is
// done, so a crash leaves a row a worker finishes on the next start. A
// profile is found by keyed blind indexes of its email and phone number;
// the values themselves are only ever sealed.
export async function up(db: Kysely<unknown>): Promise<void> {
  // Where MDES sends an issuer's notifications; set when the issuer registers.
  await db.schema.alterTable('mc_clients').addColumn('notification_url', 'text').execute();

  await db.schema
    .createTable('mc_c2p_profiles')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('email_index', 'bytea', (c) => c.unique())
    .addColumn('phone_index', 'bytea', (c) => c.unique())
    .addColumn('details_sealed', 'bytea', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addCheckConstraint('mc_c2p_profiles_identity', sql`email_index is not null or phone_index is not null`)
    .execute();

  await db.schema
    .createTable('mc_c2p_profile_cards')
    .addColumn('token_unique_reference', 'text', (c) =>
      c.primaryKey().references('mc_tokens.token_unique_reference'),
    )
    .addColumn('profile_id', 'text', (c) => c.notNull().references('mc_c2p_profiles.id'))
    .addColumn('token_requestor_id', 'text', (c) => c.notNull())
    .addColumn('account_last_four', 'text', (c) => c.notNull())
    .addColumn('token_last_four', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('added_at', 'timestamptz', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('mc_c2p_profile_cards_profile')
    .on('mc_c2p_profile_cards')
    .columns(['profile_id', 'added_at'])
    .execute();

  await db.schema
    .createTable('mc_c2p_enrolments')
    .addColumn('receipt', 'text', (c) => c.primaryKey().references('mc_receipts.receipt'))
    .addColumn('state', 'text', (c) => c.notNull().check(sql`state in ('pending', 'enrolled', 'failed')`))
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'timestamptz', (c) => c.notNull())
    .addColumn('last_error', 'text')
    .addColumn('profile_id', 'text', (c) => c.references('mc_c2p_profiles.id'))
    .addColumn('token_unique_reference', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('mc_c2p_enrolments_due')
    .on('mc_c2p_enrolments')
    .columns(['state', 'next_attempt_at'])
    .execute();

  await db.schema
    .createTable('mc_notifications')
    .addColumn('notification_id', 'text', (c) => c.primaryKey())
    // Delivery order: per token, a notification waits for every earlier one.
    .addColumn('seq', 'bigint', (c) => c.generatedAlwaysAsIdentity().notNull().unique())
    .addColumn('issuer_consumer_key', 'text', (c) => c.notNull())
    .addColumn('message_type', 'text', (c) => c.notNull())
    // What the message announces (one Tokenization Complete per token), so announcing twice is a no-op.
    .addColumn('event_key', 'text', (c) => c.notNull().unique())
    .addColumn('token_unique_reference', 'text', (c) => c.notNull())
    // The exact bytes sent on every attempt; never card data (last four digits at most).
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull().check(sql`state in ('pending', 'delivered', 'rejected')`))
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'timestamptz', (c) => c.notNull())
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addColumn('delivered_at', 'timestamptz')
    .execute();
  await db.schema
    .createIndex('mc_notifications_due')
    .on('mc_notifications')
    .columns(['state', 'next_attempt_at'])
    .execute();
  await db.schema
    .createIndex('mc_notifications_token')
    .on('mc_notifications')
    .columns(['token_unique_reference', 'seq'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['mc_notifications', 'mc_c2p_enrolments', 'mc_c2p_profile_cards', 'mc_c2p_profiles']) {
    await db.schema.dropTable(table).execute();
  }
  await db.schema.alterTable('mc_clients').dropColumn('notification_url').execute();
}
