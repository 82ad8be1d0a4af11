import { type Kysely, sql } from 'kysely';

// MDES toward token requestors as the Digital Enablement API defines it:
// each token requestor's encryption certificate (MDES names the key it
// encrypts to by the certificate's fingerprint), the tasks of Get Task
// Status, the DSRP cryptograms Transact hands out (only a hash of each is
// kept, to check it once at authorisation), and the simulated network's
// authorisations against the token's state.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('mc_clients').addColumn('encryption_certificate_pem', 'text').execute();
  await db.schema
    .createTable('mc_tasks')
    .addColumn('token_requestor_id', 'text', (c) => c.notNull())
    .addColumn('task_id', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('COMPLETED', 'FAILED')`))
    .addColumn('token_unique_reference', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('mc_tasks_pk', ['token_requestor_id', 'task_id'])
    .execute();
  await db.schema
    .createTable('mc_dsrp_cryptograms')
    .addColumn('cryptogram_hash', 'text', (c) => c.primaryKey())
    .addColumn('token_unique_reference', 'text', (c) =>
      c.notNull().references('mc_tokens.token_unique_reference').onDelete('cascade'),
    )
    .addColumn('request_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('used_at', 'timestamptz')
    .execute();
  await db.schema
    .createTable('mc_authorizations')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('token_requestor_id', 'text', (c) => c.notNull())
    .addColumn('request_id', 'text', (c) => c.notNull())
    .addColumn('token_unique_reference', 'text')
    .addColumn('amount', 'text', (c) => c.notNull())
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('decision', 'text', (c) => c.notNull().check(sql`decision in ('APPROVED', 'DECLINED')`))
    .addColumn('reason', 'text')
    .addColumn('account_last_four', 'text')
    .addColumn('response_json', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addUniqueConstraint('mc_authorizations_request', ['token_requestor_id', 'request_id'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('mc_authorizations').execute();
  await db.schema.dropTable('mc_dsrp_cryptograms').execute();
  await db.schema.dropTable('mc_tasks').execute();
  await db.schema.alterTable('mc_clients').dropColumn('encryption_certificate_pem').execute();
}
