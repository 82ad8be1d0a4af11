import { type Kysely, sql } from 'kysely';

// Background work done exactly once by any number of instances on one
// database (src/core/jobs/lease.ts): the rows a job works on carry the claim
// that holds them (`claimed_by`, a token per claim) and until when
// (`lease_until`), and a once-per-period job's turn is a row of
// `job_schedule`. The partial indexes keep the jobs' look for due rows off
// the bulk of finished pushes.
export async function up(db: Kysely<unknown>): Promise<void> {
  for (const table of ['provisionings', 'token_follow_ups']) {
    await db.schema
      .alterTable(table)
      .addColumn('claimed_by', 'text')
      .addColumn('lease_until', 'timestamptz')
      .execute();
  }
  await sql`create index provisionings_pending_due on provisionings (updated_at) where state = 'pending'`.execute(
    db,
  );
  await sql`create index provisionings_receipts_due on provisionings (receipts_expire_at) where state = 'receipt_issued'`.execute(
    db,
  );
  await db.schema
    .createTable('job_schedule')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('next_run_at', 'timestamptz', (c) => c.notNull())
    .addColumn('claimed_by', 'text')
    .addColumn('lease_until', 'timestamptz')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('job_schedule').execute();
  await db.schema.dropIndex('provisionings_receipts_due').execute();
  await db.schema.dropIndex('provisionings_pending_due').execute();
  for (const table of ['provisionings', 'token_follow_ups']) {
    await db.schema.alterTable(table).dropColumn('lease_until').dropColumn('claimed_by').execute();
  }
}
