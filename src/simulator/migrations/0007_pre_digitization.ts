import { type Kysely, sql } from 'kysely';

// MDES calls the issuer through the Pre-Digitization web services (issue 19):
// an issuer registers the https base URL of its services (context root
// included) instead of pushprov's invented authorization URL; each decision
// says which activation methods came with it; a token kept INACTIVE after
// REQUIRE_ADDITIONAL_AUTHENTICATION keeps those methods and, once MDES made
// one, only the hash of its activation code; an outgoing notification keeps
// its card data sealed (never in clear) until each attempt encrypts it to
// the issuer's key.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('mc_clients').addColumn('pre_digitization_url', 'text').execute();
  await db.schema.alterTable('mc_clients').dropColumn('authorization_url').execute();
  // A question is recorded (PENDING, nobody has decided yet) before the issuer is asked.
  await db.schema
    .alterTable('mc_tokenization_decisions')
    .addColumn('correlation_id', 'text')
    .addColumn('activation_methods', 'text')
    .alterColumn('decided_by', (c) => c.dropNotNull())
    .alterColumn('reason_code', (c) => c.dropNotNull())
    .execute();
  await db.schema
    .alterTable('mc_tokens')
    .addColumn('correlation_id', 'text')
    .addColumn('pan_unique_reference', 'text')
    .addColumn('decided_by', 'text')
    .addColumn('activation_methods', 'text')
    .addColumn('activation_code_hash', 'text')
    .addColumn('activation_code_expires_at', 'timestamptz')
    .execute();
  await db.schema.alterTable('mc_tokens').dropConstraint('mc_tokens_status').execute();
  await db.schema
    .alterTable('mc_tokens')
    .addCheckConstraint('mc_tokens_status', sql`status in ('INACTIVE', 'ACTIVE', 'SUSPENDED', 'DELETED')`)
    .execute();
  await db.schema.alterTable('mc_notifications').addColumn('payload_sealed', 'bytea').execute();
  // The invented notifications no issuer takes any more are never sent.
  await sql`update mc_notifications set state = 'rejected', last_error = 'INTERFACE_RETIRED'
    where state = 'pending'
      and message_type in ('TOKENIZATION_COMPLETE_NOTIFICATION', 'TOKEN_EVENT_NOTIFICATION')`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('mc_notifications').dropColumn('payload_sealed').execute();
  await db
    .deleteFrom('mc_tokens' as never)
    .where(sql`status`, '=', 'INACTIVE')
    .execute();
  await db.schema.alterTable('mc_tokens').dropConstraint('mc_tokens_status').execute();
  await db.schema
    .alterTable('mc_tokens')
    .addCheckConstraint('mc_tokens_status', sql`status in ('ACTIVE', 'SUSPENDED', 'DELETED')`)
    .execute();
  await db.schema
    .alterTable('mc_tokens')
    .dropColumn('correlation_id')
    .dropColumn('pan_unique_reference')
    .dropColumn('decided_by')
    .dropColumn('activation_methods')
    .dropColumn('activation_code_hash')
    .dropColumn('activation_code_expires_at')
    .execute();
  await db
    .deleteFrom('mc_tokenization_decisions' as never)
    .where(sql`decided_by`, 'is', null)
    .execute();
  await db.schema
    .alterTable('mc_tokenization_decisions')
    .dropColumn('correlation_id')
    .dropColumn('activation_methods')
    .alterColumn('decided_by', (c) => c.setNotNull())
    .alterColumn('reason_code', (c) => c.setNotNull())
    .execute();
  await db.schema.alterTable('mc_clients').addColumn('authorization_url', 'text').execute();
  await db.schema.alterTable('mc_clients').dropColumn('pre_digitization_url').execute();
}
